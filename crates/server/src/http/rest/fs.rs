//! `/api/v1/fs/{path}`: object-store style access by path.

use super::convert;
use super::files::{DownloadQuery, guess_type};
use crate::error::Error;
use crate::http::AppState;
use crate::http::download::{self, DownloadRequest};
use crate::http::error::ApiResult;
use crate::http::extract::{ApiQuery, Auth, FsPath};
use crate::meta::WriteMode;
use crate::services::PendingUpload;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use nimbus_api::{ErrorBody, FileEnvelope, Permission};

#[utoipa::path(put, path = "/api/v1/fs/{path}", tag = "fs", params(("path" = String, Path)),
    request_body(content_type = "application/octet-stream", description = "the file's bytes"),
    responses((status = 201, body = FileEnvelope, description = "created"), (status = 200, body = FileEnvelope, description = "replaced"),
        (status = 412, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 507, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_fs(
    State(s): State<AppState>,
    Auth(who): Auth,
    FsPath(path): FsPath,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let header_str = |name| headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok());
    let declared = header_str(header::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    let mode = match (header_str(header::IF_NONE_MATCH), header_str(header::IF_MATCH)) {
        (Some(v), _) if v.trim() == "*" => WriteMode::CreateOnly,
        (_, Some(tag)) => WriteMode::IfMatch(tag.trim().trim_start_matches("W/").trim_matches('"').to_string()),
        _ => WriteMode::Overwrite,
    };
    if mode == WriteMode::CreateOnly && s.services.files.by_path(&who, &path).await.is_ok() {
        return Err(Error::PreconditionFailed.into());
    }
    // Refuse what can be refused before reading the body.
    let mut budget = s.services.files.upload_budget(&who.user.id).await?;
    s.services.files.refuse_declared_file(&budget, &path, &mode, declared).await?;
    let content_type = header_str(header::CONTENT_TYPE).map(str::to_string).unwrap_or_else(|| guess_type(&path));
    let stream = body.into_data_stream().map_err(|e| Error::BadRequest(format!("upload interrupted: {e}")));
    let blob = s.services.files.stage_within(&mut budget, &path, &mode, stream).await?;
    let pending = PendingUpload { path, mode, content_type, blob };
    let mut committed = s.services.files.commit(&who.user.id, vec![pending]).await?;
    let c = committed.pop().ok_or_else(|| Error::Internal(anyhow::anyhow!("commit returned no file")))?;
    let status = if c.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(FileEnvelope { file: convert::file(&c.file, Permission::Owner) })).into_response())
}

#[utoipa::path(get, path = "/api/v1/fs/{path}", tag = "fs", params(("path" = String, Path), DownloadQuery),
    responses((status = 200, description = "the bytes"), (status = 206, description = "a range"), (status = 304),
        (status = 404, body = ErrorBody), (status = 416, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_fs(
    State(s): State<AppState>,
    Auth(who): Auth,
    FsPath(path): FsPath,
    ApiQuery(q): ApiQuery<DownloadQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let file = s.services.files.by_path(&who, &path).await?;
    let req =
        DownloadRequest { headers: &headers, charge_to: &who.user.id, inline: q.wants_inline(), head_only: false };
    download::respond(&s.services.files, &file, req).await
}

#[utoipa::path(head, path = "/api/v1/fs/{path}", tag = "fs", params(("path" = String, Path)),
    responses((status = 200, description = "headers only"), (status = 404)), security(("bearer" = [])))]
pub async fn head_fs(
    State(s): State<AppState>,
    Auth(who): Auth,
    FsPath(path): FsPath,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let file = s.services.files.by_path(&who, &path).await?;
    let req = DownloadRequest { headers: &headers, charge_to: &who.user.id, inline: false, head_only: true };
    download::respond(&s.services.files, &file, req).await
}

#[utoipa::path(delete, path = "/api/v1/fs/{path}", tag = "fs", params(("path" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_fs(State(s): State<AppState>, Auth(who): Auth, FsPath(path): FsPath) -> ApiResult<StatusCode> {
    s.services.files.delete_path(&who, &path).await?;
    Ok(StatusCode::NO_CONTENT)
}
