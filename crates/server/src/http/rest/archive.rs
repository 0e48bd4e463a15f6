//! `GET /api/v1/archive?path=…&path=…`: folders and selections as one zip download.

use crate::error::Error;
use crate::http::AppState;
use crate::http::download::content_disposition;
use crate::http::error::ApiResult;
use crate::http::extract::Auth;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use nimbus_api::ErrorBody;

#[utoipa::path(get, path = "/api/v1/archive", summary = "Download files and folders as one zip", tag = "files",
    params(("path" = Option<Vec<String>>, Query, description = "a file or folder of yours (repeat for several, at most 1,000); a folder brings everything below it")),
    description = "A stored (uncompressed) zip, streamed, with its exact `Content-Length`; Zip64 where sizes need it. Names inside start at each item's own name.",
    responses((status = 200, content_type = "application/zip", description = "the archive"), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "content_damaged: a file in it is damaged")), security(("bearer" = [])))]
pub async fn get_archive(State(s): State<AppState>, Auth(who): Auth, RawQuery(query): RawQuery) -> ApiResult<Response> {
    let mut paths = Vec::new();
    for (key, value) in url_pairs(query.as_deref().unwrap_or("")) {
        if key != "path" {
            return Err(Error::BadRequest(format!("unknown query parameter {key:?}")).into());
        }
        paths.push(value);
    }
    let plan = s.services.files.archive_plan(&who, &paths).await?;
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(plan.len()));
    let disposition = content_disposition("attachment", &plan.file_name);
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(anyhow::Error::from)?);
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let stream = s.services.files.archive_stream(who, plan);
    Ok((h, Body::from_stream(stream)).into_response())
}

/// `a=1&b=x%20y` → pairs, `+` as space (as forms send it).
fn url_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |t: &str| percent_encoding::percent_decode_str(&t.replace('+', " ")).decode_utf8_lossy().into_owned();
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}
