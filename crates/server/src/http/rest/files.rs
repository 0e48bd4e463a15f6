//! `/api/v1/files`: multipart upload, listing, metadata, move, delete, download.

use super::convert;
use crate::domain::FilePath;
use crate::error::Error;
use crate::http::AppState;
use crate::http::download::{self, DownloadRequest};
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiQuery, Auth, Param};
use crate::meta::WriteMode;
use crate::services::PendingUpload;
use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use nimbus_api::{ErrorBody, File, FileEnvelope, MoveFileRequest, OnConflict, Page, Permission};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
pub struct UploadQuery {
    /// Folder to upload into, e.g. `photos/2024`.
    dir: Option<String>,
    #[param(inline)]
    on_conflict: Option<OnConflict>,
}

#[utoipa::path(post, path = "/api/v1/files", tag = "files", params(UploadQuery),
    request_body(content_type = "multipart/form-data", description = "one or more parts named `file`"),
    responses((status = 201, body = Page<File>), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 507, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload_files(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<impl IntoResponse> {
    let mut multipart = multipart.map_err(|e| Error::BadRequest(format!("malformed multipart: {}", e.body_text())))?;
    let mode = match q.on_conflict.unwrap_or_default() {
        OnConflict::Fail => WriteMode::Fail,
        OnConflict::Rename => WriteMode::Rename,
        OnConflict::Overwrite => WriteMode::Overwrite,
    };
    let bad = |e: axum::extract::multipart::MultipartError| {
        Error::BadRequest(format!("malformed multipart: {}", e.body_text()))
    };
    // Refuse what cannot fit before reading the body.
    let mut budget = s.services.files.upload_budget(&who.user.id).await?;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    s.services.files.refuse_declared_batch(&budget, &mode, declared)?;
    let mut pending = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().ok_or_else(|| Error::invalid("file", "each part needs a filename"))?;
        // Validate the destination before reading a byte of the part.
        let path = FilePath::join(q.dir.as_deref(), file_name)?;
        let content_type = field.content_type().map(str::to_string).unwrap_or_else(|| guess_type(&path));
        let blob = s.services.files.stage_within(&mut budget, &path, &mode, field.map_err(bad)).await?;
        pending.push(PendingUpload { path, mode: mode.clone(), content_type, blob });
    }
    if pending.is_empty() {
        return Err(Error::invalid("file", "no part named 'file'").into());
    }
    let committed = s.services.files.commit(&who.user.id, pending).await?;
    let items = committed.iter().map(|c| convert::file(&c.file, Permission::Owner)).collect();
    Ok((StatusCode::CREATED, Json(Page { items, next_cursor: None })))
}

/// A content type from the file name's extension, for parts that do not name one.
pub fn guess_type(path: &FilePath) -> String {
    let ext = path.name().rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "txt" | "md" | "log" | "csv" => "text/plain",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
    .to_string()
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    prefix: Option<String>,
    /// Default 100, at most 1000.
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/files", tag = "files", params(ListQuery),
    responses((status = 200, body = Page<File>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_files(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<File>>> {
    let page = s.services.files.list(&who, q.prefix.as_deref(), q.limit, q.cursor.as_deref()).await?;
    let items = page.items.iter().map(|f| convert::file(f, Permission::Owner)).collect();
    Ok(Json(Page { items, next_cursor: page.next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "files", params(("id" = String, Path)),
    responses((status = 200, body = FileEnvelope), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_file(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<Json<FileEnvelope>> {
    let (file, permission) = s.services.files.visible(&who, &id).await?;
    Ok(Json(FileEnvelope { file: convert::file(&file, permission) }))
}

#[utoipa::path(patch, path = "/api/v1/files/{id}", tag = "files", params(("id" = String, Path)), request_body = MoveFileRequest,
    responses((status = 200, body = FileEnvelope), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn move_file(
    State(s): State<AppState>,
    Auth(who): Auth,
    Param(id): Param,
    ApiJson(req): ApiJson<MoveFileRequest>,
) -> ApiResult<Json<FileEnvelope>> {
    let file = s.services.files.move_file(&who, &id, &req.path).await?;
    Ok(Json(FileEnvelope { file: convert::file(&file, Permission::Owner) }))
}

#[utoipa::path(delete, path = "/api/v1/files/{id}", tag = "files", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_file(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<StatusCode> {
    s.services.files.delete(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
pub struct DownloadQuery {
    /// `1` asks for `Content-Disposition: inline` (granted for passive types only).
    inline: Option<String>,
}

impl DownloadQuery {
    pub fn wants_inline(&self) -> bool {
        matches!(self.inline.as_deref(), Some("1" | "true"))
    }
}

#[utoipa::path(get, path = "/api/v1/files/{id}/content", tag = "files", params(("id" = String, Path), DownloadQuery),
    responses((status = 200, description = "the bytes"), (status = 206, description = "a range"), (status = 304),
        (status = 404, body = ErrorBody), (status = 416, body = ErrorBody)), security(("bearer" = [])))]
pub async fn download_file(
    State(s): State<AppState>,
    Auth(who): Auth,
    Param(id): Param,
    ApiQuery(q): ApiQuery<DownloadQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (file, _) = s.services.files.visible(&who, &id).await?;
    let req =
        DownloadRequest { headers: &headers, charge_to: &who.user.id, inline: q.wants_inline(), head_only: false };
    download::respond(&s.services.files, &file, req).await
}
