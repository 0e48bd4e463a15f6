//! `/api/v1/files`: multipart upload, listing and search, metadata, move, copy, delete,
//! download. Each handler parses, makes one file-service call, and maps the answer.

use super::convert;
use super::part_headers;
use crate::domain::{FilePath, Timestamp};
use crate::error::Error;
use crate::http::AppState;
use crate::http::download;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiQuery, Auth, Param};
use crate::meta::WriteMode;
use crate::services::{FileRef, IncomingPart, ListRequest, PartSource, PutManyRequest};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, TryStreamExt};
use nimbus_api::{
    CopyFileRequest, Entry, ErrorBody, File, FileEnvelope, MoveFileRequest, OnConflict, Page, Permission,
};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// Folder to upload into, e.g. `photos/2024` (created if missing).
    dir: Option<String>,
    /// What to do when a path is taken: `fail` (default, 409), `rename`, `overwrite`.
    #[param(inline)]
    on_conflict: Option<OnConflict>,
}

/// The `file` parts of a multipart body, each preceded by an optional `mtime` field.
struct MultipartParts {
    form: multer::Multipart<'static>,
    dir: Option<String>,
    next_mtime: Option<Timestamp>,
}

fn malformed(e: multer::Error) -> Error {
    // Our own refusals (a part header limit, a broken-off body) come back wrapped: say them.
    if let multer::Error::StreamReadFailed(inner) = &e
        && let Some(Error::BadRequest(message)) = inner.downcast_ref::<Error>()
    {
        return Error::BadRequest(message.clone());
    }
    Error::BadRequest(format!("malformed multipart: {e}"))
}

#[async_trait::async_trait]
impl PartSource for MultipartParts {
    async fn next_part(&mut self) -> crate::error::Result<Option<IncomingPart>> {
        while let Some(field) = self.form.next_field().await.map_err(malformed)? {
            match field.name() {
                Some("mtime") => {
                    let text = field.text().await.map_err(malformed)?;
                    self.next_mtime = Some(parse_mtime(&text, "mtime")?);
                }
                Some("file") => {
                    let name = field.file_name().ok_or_else(|| Error::invalid("file", "each part needs a filename"))?;
                    // Validate the destination before reading a byte of the part.
                    let path = FilePath::join(self.dir.as_deref(), name)?;
                    let content_type = field.content_type().map(|m| m.to_string());
                    let body = Box::pin(field.map_err(malformed));
                    return Ok(Some(IncomingPart { path, content_type, modified_at: self.next_mtime.take(), body }));
                }
                // Other fields are ignored, as browsers add their own.
                _ => {}
            }
        }
        Ok(None)
    }
}

/// A modification time in Unix seconds (a fraction allowed), as sync tools send it.
pub fn parse_mtime(text: &str, field: &str) -> crate::error::Result<Timestamp> {
    let secs: f64 = text.trim().parse().map_err(|_| Error::invalid(field, "must be Unix seconds"))?;
    // Years 1 to 9999 are what RFC 3339 can carry.
    if !secs.is_finite() || !(-62_135_596_800.0..=253_402_300_799.0).contains(&secs) {
        return Err(Error::invalid(field, "must be Unix seconds between the years 1 and 9999"));
    }
    Ok(Timestamp((secs * 1e6).round() as i64))
}

#[utoipa::path(post, path = "/api/v1/files", tag = "files", summary = "Upload files (multipart)", params(UploadQuery),
    request_body(content_type = "multipart/form-data", description = "one or more parts named `file`, each optionally preceded by an `mtime` field (Unix seconds)"),
    responses((status = 201, body = Page<File>), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 507, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload_files(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<impl IntoResponse> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| Error::BadRequest("expected a multipart/form-data body with a boundary".into()))?;
    let mut guard = part_headers::PartHeaderGuard::new(&boundary);
    let stream = body.into_data_stream().map(move |chunk| match chunk {
        Ok(bytes) => match guard.feed(&bytes) {
            Ok(()) => Ok(bytes),
            Err(()) => Err(Error::BadRequest(format!(
                "a part's headers are larger than {} KiB",
                part_headers::MAX_PART_HEADER_BYTES >> 10
            ))),
        },
        Err(e) => Err(Error::BadRequest(format!("upload interrupted: {e}"))),
    });
    let form = multer::Multipart::new(stream, boundary);
    let mode = match q.on_conflict.unwrap_or_default() {
        OnConflict::Fail => WriteMode::Fail,
        OnConflict::Rename => WriteMode::Rename,
        OnConflict::Overwrite => WriteMode::Overwrite,
    };
    let req = PutManyRequest { mode, declared_len: declared_length(&headers) };
    let mut parts = MultipartParts { form, dir: q.dir, next_mtime: None };
    let written = s.services.files.put_many(&who, req, &mut parts).await?;
    let items = written.iter().map(|w| convert::file(&w.file, Permission::Owner)).collect();
    Ok((StatusCode::CREATED, Json(Page { items, next_cursor: None })))
}

/// The body length a request announces.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only paths starting with this text (with `delimiter`, a folder such as `pets/`).
    prefix: Option<String>,
    /// `/` lists one level: the folders, then the files, directly under `prefix`.
    delimiter: Option<String>,
    /// Search: folders and files whose name contains this text, case-insensitively.
    q: Option<String>,
    /// Default 100, at most 1000.
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/files", tag = "files", summary = "List or search your files and folders", params(ListQuery),
    responses((status = 200, body = Page<Entry>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_files(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Entry>>> {
    let one_level = match q.delimiter.as_deref() {
        None => false,
        Some("/") => true,
        Some(_) => return Err(Error::BadRequest("delimiter must be '/'".into()).into()),
    };
    let req = ListRequest {
        prefix: q.prefix.as_deref(),
        one_level,
        name_contains: q.q.as_deref(),
        limit: q.limit,
        cursor: q.cursor.as_deref(),
    };
    let page = s.services.files.list(&who, &req).await?;
    Ok(Json(Page { items: page.items.iter().map(convert::entry).collect(), next_cursor: page.next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "files", summary = "A file's metadata", params(("id" = String, Path)),
    responses((status = 200, body = FileEnvelope), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_file(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<Json<FileEnvelope>> {
    let (file, permission) = s.services.files.stat(&who, FileRef::Id(&id)).await?;
    Ok(Json(FileEnvelope { file: convert::file(&file, permission) }))
}

#[utoipa::path(patch, path = "/api/v1/files/{id}", tag = "files", summary = "Rename or move a file", params(("id" = String, Path)), request_body = MoveFileRequest,
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

#[utoipa::path(post, path = "/api/v1/files/{id}/copy", tag = "files", summary = "Copy a file on the server", params(("id" = String, Path)), request_body = CopyFileRequest,
    responses((status = 201, body = FileEnvelope, description = "copied"), (status = 200, body = FileEnvelope, description = "replaced the file at the path"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 507, body = ErrorBody)), security(("bearer" = [])))]
pub async fn copy_file(
    State(s): State<AppState>,
    Auth(who): Auth,
    Param(id): Param,
    ApiJson(req): ApiJson<CopyFileRequest>,
) -> ApiResult<Response> {
    let w = s.services.files.copy(&who, FileRef::Id(&id), &req.path, req.overwrite).await?;
    let status = if w.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(FileEnvelope { file: convert::file(&w.file, Permission::Owner) })).into_response())
}

#[utoipa::path(delete, path = "/api/v1/files/{id}", tag = "files", summary = "Delete a file", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_file(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<StatusCode> {
    s.services.files.delete(&who, FileRef::Id(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// `1` asks for `Content-Disposition: inline` (granted for passive types only).
    inline: Option<String>,
}

impl DownloadQuery {
    pub fn wants_inline(&self) -> bool {
        matches!(self.inline.as_deref(), Some("1" | "true"))
    }
}

#[utoipa::path(get, path = "/api/v1/files/{id}/content", tag = "files", summary = "Download a file", params(("id" = String, Path), DownloadQuery),
    responses((status = 200, description = "the bytes"), (status = 206, description = "a range"), (status = 304),
        (status = 404, body = ErrorBody), (status = 416, body = ErrorBody)), security(("bearer" = [])))]
pub async fn download_file(
    State(s): State<AppState>,
    Auth(who): Auth,
    Param(id): Param,
    ApiQuery(q): ApiQuery<DownloadQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let read = s.services.files.open(&who, FileRef::Id(&id), &download::read_request(&headers, false)).await?;
    download::respond(read, q.wants_inline())
}
