//! `GET /api/v1/files/{id}/thumbnail`: a small preview of an image file.

use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{Auth, Param};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nimbus_api::ErrorBody;

#[utoipa::path(get, path = "/api/v1/files/{id}/thumbnail", summary = "A thumbnail of an image file", tag = "files", params(("id" = String, Path)),
    description = "PNG, JPEG, GIF and WebP files; at most 256 pixels on the longer side; JPEG, or PNG where the image has transparency. Made on the first request and kept.",
    responses((status = 200, content_type = "image/jpeg", description = "the thumbnail"), (status = 304, description = "unchanged (If-None-Match)"),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody, description = "not an image type with thumbnails"),
        (status = 422, body = ErrorBody, description = "image_too_large: declares too many pixels, or too many bytes, to decode")), security(("bearer" = [])))]
pub async fn get_thumbnail(
    State(s): State<AppState>,
    Auth(who): Auth,
    Param(id): Param,
    req_headers: HeaderMap,
) -> ApiResult<Response> {
    let (sha256, thumb) = s.services.thumbnails.get(&who, &id).await?;
    let etag = format!("\"t{}\"", &sha256[..32.min(sha256.len())]);
    let mut h = HeaderMap::new();
    h.insert(header::ETAG, HeaderValue::from_str(&etag).map_err(anyhow::Error::from)?);
    // Private: only people who may read the file see it; revalidated after a minute,
    // since the file may be overwritten with other bytes.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=60"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let fresh = req_headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains(&etag));
    if fresh {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(&thumb.content_type).map_err(anyhow::Error::from)?);
    Ok((h, thumb.data).into_response())
}
