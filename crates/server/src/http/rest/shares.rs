//! `/api/v1/files/{id}/shares` and `/api/v1/shared`.

use super::convert;
use crate::error::Error;
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiQuery, Auth, Param};
use crate::services::ShareTarget;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use nimbus_api::{CreateShareRequest, ErrorBody, File, Page, Permission, Share, ShareEnvelope};
use serde::Deserialize;
use utoipa::IntoParams;

#[utoipa::path(post, path = "/api/v1/files/{id}/shares", summary = "Share a file with a user", tag = "sharing", params(("id" = String, Path)), request_body = CreateShareRequest,
    responses((status = 201, body = ShareEnvelope, description = "shared"), (status = 200, body = ShareEnvelope, description = "already shared"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_share(
    State(s): State<AppState>,
    Auth(who): Auth,
    Param(id): Param,
    ApiJson(req): ApiJson<CreateShareRequest>,
) -> ApiResult<impl IntoResponse> {
    let target = match (req.username.as_deref(), req.user_id.as_deref()) {
        (Some(name), _) => ShareTarget::Username(name),
        (None, Some(uid)) => ShareTarget::UserId(uid),
        (None, None) => return Err(Error::invalid("username", "give username or user_id").into()),
    };
    let (share, created) = s.services.sharing.share(&who, &id, target).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(ShareEnvelope { share: convert::share(&share) })))
}

#[utoipa::path(get, path = "/api/v1/files/{id}/shares", summary = "Who a file is shared with", tag = "sharing", params(("id" = String, Path)),
    responses((status = 200, body = Page<Share>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_shares(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<Json<Page<Share>>> {
    let shares = s.services.sharing.shares(&who, &id).await?;
    Ok(Json(Page { items: shares.iter().map(convert::share).collect(), next_cursor: None }))
}

#[utoipa::path(delete, path = "/api/v1/files/{id}/shares/{user_id}", summary = "Stop sharing a file with a user", tag = "sharing", params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_share(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.services.sharing.unshare(&who, &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub(super) limit: Option<u32>,
    pub(super) cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/shared", summary = "Files shared with you", tag = "sharing", params(PageQuery),
    responses((status = 200, body = Page<File>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_shared(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<File>>> {
    let page = s.services.sharing.shared_with_me(&who, q.limit, q.cursor.as_deref()).await?;
    let items = page.items.iter().map(|f| convert::file(f, Permission::Read)).collect();
    Ok(Json(Page { items, next_cursor: page.next_cursor }))
}
