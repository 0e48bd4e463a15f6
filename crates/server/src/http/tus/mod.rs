//! tus 1.0.0 resumable uploads at `/api/v1/uploads` (core protocol plus the creation,
//! creation-with-upload, creation-defer-length, termination, expiration and checksum
//! extensions), translated into the file service's upload-session calls; and the JSON
//! view `GET /api/v1/uploads/{id}` that tells a client its finished file.

mod metadata;

use super::AppState;
use super::error::ApiResult;
use super::extract::{Auth, Param};
use crate::domain::http_date;
use crate::error::Error;
use crate::http::rest::convert;
use crate::services::{ChunkChecksum, NewUpload, UploadStatus};
use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use futures_util::TryStreamExt;
use nimbus_api::{ErrorBody, Permission, Upload, UploadEnvelope};

const TUS_VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,creation-with-upload,creation-defer-length,termination,expiration,checksum";
const OFFSET_CONTENT_TYPE: &str = "application/offset+octet-stream";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/uploads", post(create).options(options))
        .route("/api/v1/uploads/{id}", axum::routing::head(head).patch(patch).delete(terminate).get(status))
        // Bodies stream into the session and are bounded by the upload's own limits.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(require_version))
        .layer(axum::middleware::map_response(|mut r: Response| async move {
            r.headers_mut().insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
            r
        }))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A request for another protocol version gets 412 with the one we speak.
async fn require_version(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match header_str(req.headers(), "tus-resumable") {
        Some(v) if v.trim() != TUS_VERSION => {
            (StatusCode::PRECONDITION_FAILED, [("tus-version", TUS_VERSION)]).into_response()
        }
        _ => next.run(req).await,
    }
}

fn number(headers: &HeaderMap, name: &str) -> Result<Option<u64>, Error> {
    match header_str(headers, name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| Error::BadRequest(format!("{name} must be a non-negative integer"))),
    }
}

fn checksum(headers: &HeaderMap) -> Result<Option<ChunkChecksum>, Error> {
    let Some(v) = header_str(headers, "upload-checksum") else { return Ok(None) };
    let (algo, b64) =
        v.trim().split_once(' ').ok_or_else(|| Error::BadRequest("Upload-Checksum: '<algorithm> <base64>'".into()))?;
    let digest = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| Error::BadRequest("Upload-Checksum is not base64".into()))?;
    let bad_len = || Error::BadRequest("Upload-Checksum has the wrong length for its algorithm".into());
    match algo {
        "sha1" => Ok(Some(ChunkChecksum::Sha1(digest.try_into().map_err(|_| bad_len())?))),
        "sha256" => Ok(Some(ChunkChecksum::Sha256(digest.try_into().map_err(|_| bad_len())?))),
        _ => Err(Error::BadRequest(format!("checksum algorithm {algo} is not supported (sha1, sha256)"))),
    }
}

fn body_stream(body: Body) -> impl futures_util::Stream<Item = crate::error::Result<bytes::Bytes>> + Send {
    body.into_data_stream().map_err(|e| Error::BadRequest(format!("upload interrupted: {e}")))
}

/// The headers every answer about a session carries.
fn session_headers(status: &UploadStatus) -> Vec<(&'static str, String)> {
    let s = &status.session;
    let mut h = vec![("upload-offset", s.upload_offset.to_string()), ("upload-expires", http_date(s.expires_at))];
    match s.length {
        Some(l) => h.push(("upload-length", l.to_string())),
        None => h.push(("upload-defer-length", "1".into())),
    }
    h
}

fn with_headers(status: StatusCode, headers: Vec<(&'static str, String)>) -> Response {
    let mut r = status.into_response();
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

#[utoipa::path(options, path = "/api/v1/uploads", tag = "uploads", summary = "tus: what this server supports",
    responses((status = 204, description = "Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm")))]
pub async fn options(State(s): State<AppState>) -> Response {
    with_headers(
        StatusCode::NO_CONTENT,
        vec![
            ("tus-version", TUS_VERSION.into()),
            ("tus-extension", EXTENSIONS.into()),
            ("tus-max-size", s.config.max_upload_bytes.to_string()),
            ("tus-checksum-algorithm", "sha1,sha256".into()),
        ],
    )
}

#[utoipa::path(post, path = "/api/v1/uploads", tag = "uploads", summary = "tus: start a resumable upload",
    params(("Upload-Length" = Option<u64>, Header), ("Upload-Defer-Length" = Option<u8>, Header),
        ("Upload-Metadata" = Option<String>, Header, description = "filename, dir or path, on_conflict, filetype, mtime (base64 values)")),
    responses((status = 201, description = "Location: /api/v1/uploads/{id}"), (status = 400, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 507, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(State(s): State<AppState>, Auth(who): Auth, headers: HeaderMap, body: Body) -> ApiResult<Response> {
    let length = number(&headers, "upload-length")?;
    let deferred = header_str(&headers, "upload-defer-length").map(str::trim) == Some("1");
    if length.is_none() && !deferred {
        return Err(Error::BadRequest("Upload-Length or Upload-Defer-Length: 1 is required".into()).into());
    }
    let raw_meta = header_str(&headers, "upload-metadata").map(str::to_string);
    let meta = metadata::parse(raw_meta.as_deref().unwrap_or(""))?;
    let req = NewUpload {
        path: meta.path()?,
        mode: meta.mode()?,
        content_type: meta.get("filetype").or_else(|| meta.get("type")).map(str::to_string),
        modified_at: meta.mtime()?,
        length,
        metadata: raw_meta,
    };
    let files = &s.services.files;
    let created = files.create_upload(&who, req).await?;
    let location = format!("/api/v1/uploads/{}", created.session.id);
    // creation-with-upload: the first chunk may come with the creation.
    let with_body = header_str(&headers, "content-type").is_some_and(|ct| ct.starts_with(OFFSET_CONTENT_TYPE));
    let status = if with_body && created.file.is_none() {
        files.append_upload(&who, &created.session.id, 0, None, checksum(&headers)?, body_stream(body)).await?
    } else {
        created
    };
    let mut h = session_headers(&status);
    h.push(("location", location));
    Ok(with_headers(StatusCode::CREATED, h))
}

#[utoipa::path(head, path = "/api/v1/uploads/{id}", tag = "uploads", summary = "tus: how far an upload got", params(("id" = String, Path)),
    responses((status = 200, description = "Upload-Offset, Upload-Length"), (status = 404)), security(("bearer" = [])))]
pub async fn head(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<Response> {
    let status = s.services.files.upload_status(&who, &id).await?;
    let mut h = session_headers(&status);
    h.push(("cache-control", "no-store".into()));
    if let Some(m) = &status.session.metadata {
        h.push(("upload-metadata", m.clone()));
    }
    Ok(with_headers(StatusCode::OK, h))
}

#[utoipa::path(patch, path = "/api/v1/uploads/{id}", tag = "uploads", summary = "tus: append bytes at an offset", params(("id" = String, Path),
        ("Upload-Offset" = u64, Header), ("Upload-Checksum" = Option<String>, Header, description = "sha1 or sha256, base64")),
    request_body(content_type = "application/offset+octet-stream"),
    responses((status = 204, description = "new Upload-Offset"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "wrong offset"), (status = 415, body = ErrorBody),
        (status = 460, body = ErrorBody, description = "checksum mismatch"), (status = 507, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch(
    State(s): State<AppState>,
    Auth(who): Auth,
    Param(id): Param,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    if !header_str(&headers, "content-type").is_some_and(|ct| ct.starts_with(OFFSET_CONTENT_TYPE)) {
        return Err(Error::UnsupportedMediaType.into());
    }
    let offset =
        number(&headers, "upload-offset")?.ok_or_else(|| Error::BadRequest("Upload-Offset is required".into()))?;
    let length = number(&headers, "upload-length")?;
    let status =
        s.services.files.append_upload(&who, &id, offset, length, checksum(&headers)?, body_stream(body)).await?;
    Ok(with_headers(StatusCode::NO_CONTENT, session_headers(&status)))
}

#[utoipa::path(delete, path = "/api/v1/uploads/{id}", tag = "uploads", summary = "tus: abort an upload and remove its bytes",
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn terminate(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<Response> {
    s.services.files.abort_upload(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(get, path = "/api/v1/uploads/{id}", tag = "uploads", summary = "An upload's progress and, once finished, its file",
    params(("id" = String, Path)), responses((status = 200, body = UploadEnvelope), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn status(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<Json<UploadEnvelope>> {
    let status = s.services.files.upload_status(&who, &id).await?;
    let session = &status.session;
    let upload = Upload {
        id: session.id.clone(),
        path: session.path.clone(),
        offset: session.upload_offset as u64,
        length: session.length.map(|l| l as u64),
        expires_at: session.expires_at.rfc3339(),
        file: status.file.as_ref().map(|f| convert::file(f, Permission::Owner)),
    };
    Ok(Json(UploadEnvelope { upload }))
}
