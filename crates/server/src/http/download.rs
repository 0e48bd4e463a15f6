//! One way to answer every download (`/files/{id}/content`, `/fs/{path}`, and later
//! links and signed URLs): validators, conditional requests, a single range, and headers
//! that keep browsers from rendering untrusted content in our origin.

use super::error::ApiResult;
use super::range::{RangeSpec, if_range_holds, none_match, parse_range};
use crate::domain::http_date;
use crate::error::Error;
use crate::meta::FileRecord;
use crate::services::Files;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// Types a browser may show inline from our origin without running code.
const INLINE_SAFE: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/bmp",
    "text/plain",
    "application/pdf",
    "audio/mpeg",
    "audio/ogg",
    "audio/wav",
    "audio/webm",
    "audio/flac",
    "video/mp4",
    "video/webm",
    "video/ogg",
];

/// Whether this content type may be served with `Content-Disposition: inline`.
pub fn inline_safe(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    INLINE_SAFE.contains(&essence.as_str())
}

/// `attachment; filename="ascii"; filename*=UTF-8''pct` (RFC 6266).
pub fn content_disposition(kind: &str, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' { c } else { '_' })
        .collect();
    let encoded = utf8_percent_encode(name, NON_ALPHANUMERIC);
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// What the client asked for besides the file.
pub struct DownloadRequest<'a> {
    pub headers: &'a HeaderMap,
    /// Whose downloaded_bytes the bytes count against.
    pub charge_to: &'a str,
    pub inline: bool,
    pub head_only: bool,
}

/// Builds the response for `file`, streaming from the blob store.
pub async fn respond(files: &Files, file: &FileRecord, req: DownloadRequest<'_>) -> ApiResult<Response> {
    let size = u64::try_from(file.size).unwrap_or(0);
    let etag = format!("\"{}\"", file.sha256);
    let last_modified_secs = file.updated_at.unix_secs();
    let header_str = |name| req.headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());

    let mut builder = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::LAST_MODIFIED, http_date(file.updated_at))
        .header(header::CACHE_CONTROL, "private, no-cache")
        .header(header::ACCEPT_RANGES, "bytes");
    if header_str(header::IF_NONE_MATCH).is_some_and(|v| none_match(v, &etag)) {
        return Ok(builder.status(StatusCode::NOT_MODIFIED).body(Body::empty()).map_err(internal)?);
    }

    let range_allowed = header_str(header::IF_RANGE).is_none_or(|v| if_range_holds(v, &etag, last_modified_secs));
    let spec = match header_str(header::RANGE) {
        Some(r) if range_allowed => parse_range(r, size),
        _ => RangeSpec::Full,
    };
    let (status, range) = match spec {
        RangeSpec::Full => (StatusCode::OK, 0..size),
        RangeSpec::Partial(r) => {
            let content_range = format!("bytes {}-{}/{size}", r.start, r.end - 1);
            builder = builder.header(header::CONTENT_RANGE, content_range);
            (StatusCode::PARTIAL_CONTENT, r)
        }
        RangeSpec::Unsatisfiable => return Err(Error::RangeNotSatisfiable { size }.into()),
    };

    let name = file.path.rsplit('/').next().unwrap_or(&file.path);
    let inline = req.inline && inline_safe(&file.content_type);
    builder = builder
        .status(status)
        .header(header::CONTENT_TYPE, &file.content_type)
        .header(header::CONTENT_LENGTH, range.end - range.start)
        .header(header::CONTENT_DISPOSITION, content_disposition(if inline { "inline" } else { "attachment" }, name))
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox");
    if req.head_only {
        return Ok(builder.body(Body::empty()).map_err(internal)?);
    }
    let stream = files.open(file, range, req.charge_to).await?;
    Ok(builder.body(Body::from_stream(stream)).map_err(internal)?)
}

fn internal(e: axum::http::Error) -> Error {
    Error::Internal(e.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_has_ascii_fallback_and_utf8_name() {
        let d = content_disposition("attachment", "résumé \"v2\".pdf");
        assert_eq!(d, "attachment; filename=\"r_sum_ _v2_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22%2Epdf");
    }

    #[test]
    fn only_passive_types_render_inline() {
        assert!(inline_safe("image/PNG"));
        assert!(inline_safe("text/plain; charset=utf-8"));
        assert!(!inline_safe("text/html"));
        assert!(!inline_safe("image/svg+xml"));
        assert!(!inline_safe("application/octet-stream"));
    }
}
