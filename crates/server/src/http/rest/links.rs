//! Public links (`/api/v1/files/{id}/links`, `/api/v1/links/{id}`, `/s/{token}…`) and
//! signed download URLs (`/api/v1/files/{id}/download-url`, `/api/v1/signed/{token}`).

use super::convert;
use crate::http::AppState;
use crate::http::download;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, Auth, ClientAddr, Param};
use crate::meta::LinkRecord;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use nimbus_api::{CreateLinkRequest, DownloadUrl, DownloadUrlRequest, ErrorBody, Link, LinkEnvelope, Page, Permission};

/// The server's public root: the configured `public_url`, else the request's `Host`.
fn link_json(s: &AppState, link: &LinkRecord) -> Link {
    let token = s.services.links.token_of(link);
    convert::link(link, &token, &format!("{}/s/{token}", s.public_base))
}

#[utoipa::path(post, path = "/api/v1/files/{id}/links", summary = "Create a public link", tag = "links", params(("id" = String, Path)), request_body = CreateLinkRequest,
    responses((status = 201, body = LinkEnvelope), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_link(
    State(s): State<AppState>,
    Auth(who): Auth,
    Param(id): Param,
    ApiJson(req): ApiJson<CreateLinkRequest>,
) -> ApiResult<impl IntoResponse> {
    let link = s.services.links.create(&who, &id, req).await?;
    Ok((StatusCode::CREATED, Json(LinkEnvelope { link: link_json(&s, &link) })))
}

#[utoipa::path(get, path = "/api/v1/files/{id}/links", summary = "A file's public links", tag = "links", params(("id" = String, Path)),
    responses((status = 200, body = Page<Link>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_links(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<Json<Page<Link>>> {
    let links = s.services.links.list(&who, &id).await?;
    Ok(Json(Page { items: links.iter().map(|l| link_json(&s, l)).collect(), next_cursor: None }))
}

#[utoipa::path(delete, path = "/api/v1/links/{id}", summary = "Revoke a public link", tag = "links", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_link(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<StatusCode> {
    s.services.links.revoke(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/s/{token}/content", summary = "Download through a public link", tag = "links", params(("token" = String, Path), ("X-Link-Password" = Option<String>, Header)),
    responses((status = 200, description = "the bytes"), (status = 206, description = "a range"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn link_content(
    State(s): State<AppState>,
    Param(token): Param,
    ClientAddr(client): ClientAddr,
    method: Method,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let password = headers.get("x-link-password").and_then(|v| v.to_str().ok());
    // A HEAD moves no bytes, so it does not count against a download limit.
    let head_only = method == Method::HEAD;
    let file = s.services.links.authorize_download(&token, password, &client.to_string(), !head_only).await?;
    // Downloads through links and signed URLs count against the file owner.
    let owner = file.owner_id.clone();
    let read =
        s.services.files.read(file, Permission::Read, &download::read_request(&headers, head_only), &owner).await?;
    download::respond(read, false)
}

#[utoipa::path(post, path = "/api/v1/files/{id}/download-url", summary = "Create a signed download URL", tag = "links", params(("id" = String, Path)), request_body = DownloadUrlRequest,
    responses((status = 200, body = DownloadUrl), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_download_url(
    State(s): State<AppState>,
    Auth(who): Auth,
    Param(id): Param,
    ApiJson(req): ApiJson<DownloadUrlRequest>,
) -> ApiResult<Json<DownloadUrl>> {
    let (token, expires_at) = s.services.links.sign_download(&who, &id, req.expires_in).await?;
    let url = format!("{}/api/v1/signed/{token}", s.public_base);
    Ok(Json(DownloadUrl { url, expires_at: expires_at.rfc3339() }))
}

#[utoipa::path(get, path = "/api/v1/signed/{token}", summary = "Download through a signed URL", tag = "links", params(("token" = String, Path)),
    responses((status = 200, description = "the bytes"), (status = 206, description = "a range"), (status = 404, body = ErrorBody)))]
pub async fn signed_download(
    State(s): State<AppState>,
    Param(token): Param,
    method: Method,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let file = s.services.links.resolve_signed(&token).await?;
    let owner = file.owner_id.clone();
    let read = s
        .services
        .files
        .read(file, Permission::Read, &download::read_request(&headers, method == Method::HEAD), &owner)
        .await?;
    download::respond(read, false)
}
