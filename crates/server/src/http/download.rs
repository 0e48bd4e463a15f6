//! One way to answer every download (`/files/{id}/content`, `/fs/{path}`, by CID, public
//! links and signed URLs): the request's conditions go to the file service, whose answer
//! becomes validators, a single range, and safe headers.

use super::error::ApiResult;
use crate::domain::{http_date, name_of};
use crate::error::Error;
use crate::services::{ReadOutcome, ReadRequest};
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

/// The read conditions and range a request carries, for the file service to apply.
pub fn read_request(headers: &HeaderMap, head_only: bool) -> ReadRequest {
    let header = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_string);
    ReadRequest {
        range: header(header::RANGE),
        if_none_match: header(header::IF_NONE_MATCH),
        if_range: header(header::IF_RANGE),
        head_only,
    }
}

/// The response to a read: validators, a single range, and headers that keep browsers
/// from rendering untrusted content in our origin. `inline` is granted to passive types.
pub fn respond(outcome: ReadOutcome, inline: bool) -> ApiResult<Response> {
    let file = match &outcome {
        ReadOutcome::NotModified(f) => f,
        ReadOutcome::Content(c) => &c.file,
    };
    let mut builder = Response::builder()
        .header(header::ETAG, format!("\"{}\"", file.sha256))
        .header(header::LAST_MODIFIED, http_date(file.modified_at))
        .header(header::CACHE_CONTROL, "private, no-cache")
        .header(header::ACCEPT_RANGES, "bytes");
    let content = match outcome {
        ReadOutcome::NotModified(_) => {
            return Ok(builder.status(StatusCode::NOT_MODIFIED).body(Body::empty()).map_err(internal)?);
        }
        ReadOutcome::Content(c) => c,
    };
    let file = &content.file;
    let (status, range) = (if content.partial { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK }, &content.range);
    if content.partial {
        builder =
            builder.header(header::CONTENT_RANGE, format!("bytes {}-{}/{}", range.start, range.end - 1, file.size));
    }
    let inline = inline && inline_safe(&file.content_type);
    builder = builder
        .status(status)
        .header(header::CONTENT_TYPE, &file.content_type)
        .header(header::CONTENT_LENGTH, range.end - range.start)
        .header(
            header::CONTENT_DISPOSITION,
            content_disposition(if inline { "inline" } else { "attachment" }, name_of(&file.path)),
        )
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox");
    let body = match content.body {
        Some(stream) => Body::from_stream(stream),
        None => Body::empty(),
    };
    Ok(builder.body(body).map_err(internal)?)
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
