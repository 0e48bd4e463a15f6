//! `/api/v1/fs/{path}`: object-store style access by path.

use super::convert;
use super::files::{DownloadQuery, declared_length, parse_mtime};
use crate::error::Error;
use crate::http::AppState;
use crate::http::download;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiQuery, Auth, FsPath};
use crate::meta::WriteMode;
use crate::services::{FileRef, PutRequest};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use nimbus_api::{ErrorBody, FileEnvelope, Permission};

/// The request header that sets a file's modification time (Unix seconds).
pub const MTIME_HEADER: &str = "x-nimbus-mtime";

#[utoipa::path(put, path = "/api/v1/fs/{path}", tag = "fs", summary = "Upload a file by path", params(("path" = String, Path),
        ("X-Nimbus-Mtime" = Option<String>, Header, description = "the file's modification time, Unix seconds"),
        ("If-None-Match" = Option<String>, Header, description = "`*`: create only"),
        ("If-Match" = Option<String>, Header, description = "replace only this content (its ETag)")),
    request_body(content_type = "application/octet-stream", description = "the file's bytes"),
    responses((status = 201, body = FileEnvelope, description = "created"), (status = 200, body = FileEnvelope, description = "replaced"),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 507, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_fs(
    State(s): State<AppState>,
    Auth(who): Auth,
    FsPath(path): FsPath,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if headers.contains_key(header::CONTENT_RANGE) {
        // RFC 9110 §14.5: a partial PUT must not be taken as the whole file.
        return Err(Error::BadRequest(
            "Content-Range is not supported on PUT: send the whole file, or resume through /api/v1/uploads".into(),
        )
        .into());
    }
    let mode = match (header_str("if-none-match"), header_str("if-match")) {
        (Some(v), _) if v.trim() == "*" => WriteMode::CreateOnly,
        (_, Some(tag)) => WriteMode::IfMatch(tag.trim().trim_start_matches("W/").trim_matches('"').to_string()),
        _ => WriteMode::Overwrite,
    };
    let req = PutRequest {
        content_type: header_str("content-type").map(str::to_string),
        declared_len: declared_length(&headers),
        modified_at: header_str(MTIME_HEADER).map(|v| parse_mtime(v, "X-Nimbus-Mtime")).transpose()?,
        ..PutRequest::new(path, mode)
    };
    let stream = body.into_data_stream().map_err(|e| Error::BadRequest(format!("upload interrupted: {e}")));
    let w = s.services.files.put(&who, req, stream).await?;
    let status = if w.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(FileEnvelope { file: convert::file(&w.file, Permission::Owner) })).into_response())
}

#[utoipa::path(get, path = "/api/v1/fs/{path}", tag = "fs", summary = "Download a file by path", params(("path" = String, Path), DownloadQuery),
    responses((status = 200, description = "the bytes"), (status = 206, description = "a range"), (status = 304),
        (status = 404, body = ErrorBody), (status = 416, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_fs(
    State(s): State<AppState>,
    Auth(who): Auth,
    FsPath(path): FsPath,
    ApiQuery(q): ApiQuery<DownloadQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let read = s.services.files.open(&who, FileRef::Path(&path), &download::read_request(&headers, false)).await?;
    download::respond(read, q.wants_inline())
}

#[utoipa::path(head, path = "/api/v1/fs/{path}", tag = "fs", summary = "A file's download headers by path", params(("path" = String, Path)),
    responses((status = 200, description = "headers only"), (status = 404)), security(("bearer" = [])))]
pub async fn head_fs(
    State(s): State<AppState>,
    Auth(who): Auth,
    FsPath(path): FsPath,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let read = s.services.files.open(&who, FileRef::Path(&path), &download::read_request(&headers, true)).await?;
    download::respond(read, false)
}

#[utoipa::path(delete, path = "/api/v1/fs/{path}", tag = "fs", summary = "Delete a file by path", params(("path" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_fs(State(s): State<AppState>, Auth(who): Auth, FsPath(path): FsPath) -> ApiResult<StatusCode> {
    s.services.files.delete(&who, FileRef::Path(&path)).await?;
    Ok(StatusCode::NO_CONTENT)
}
