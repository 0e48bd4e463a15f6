//! The web app's files (`crates/server/web/`), compiled into the binary: `cargo build`
//! needs no Node and the server needs no asset directory. `/` answers the app's one
//! HTML page; everything else it loads comes from `/assets/…`, never another host.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// `(name under /assets/, content type, bytes)`. Adding a file to `web/` means adding it
/// here; the test `every_web_file_is_served` checks that none is forgotten.
const FILES: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../../web/app.css")),
    ("icon.svg", "image/svg+xml", include_bytes!("../../../web/icon.svg")),
    ("js/api.js", JS, include_bytes!("../../../web/js/api.js")),
    ("js/app.js", JS, include_bytes!("../../../web/js/app.js")),
    ("js/dom.js", JS, include_bytes!("../../../web/js/dom.js")),
    ("js/auth.js", JS, include_bytes!("../../../web/js/auth.js")),
    ("js/files.js", JS, include_bytes!("../../../web/js/files.js")),
    ("js/file_dialogs.js", JS, include_bytes!("../../../web/js/file_dialogs.js")),
    ("js/uploads.js", JS, include_bytes!("../../../web/js/uploads.js")),
    ("js/tus.js", JS, include_bytes!("../../../web/js/tus.js")),
    ("js/shared.js", JS, include_bytes!("../../../web/js/shared.js")),
    ("js/trash.js", JS, include_bytes!("../../../web/js/trash.js")),
    ("js/messages.js", JS, include_bytes!("../../../web/js/messages.js")),
    ("js/usage.js", JS, include_bytes!("../../../web/js/usage.js")),
    ("js/settings.js", JS, include_bytes!("../../../web/js/settings.js")),
    ("js/admin.js", JS, include_bytes!("../../../web/js/admin.js")),
    ("js/link.js", JS, include_bytes!("../../../web/js/link.js")),
];
const JS: &str = "text/javascript; charset=utf-8";
const INDEX: &[u8] = include_bytes!("../../../web/index.html");

/// The policy of every app page: scripts, styles and connections only from this server;
/// images also from `blob:` (upload previews); nothing may frame it.
pub const APP_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
     connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; manifest-src 'self'";

/// Headers every app page carries.
pub fn page_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(APP_CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h
}

/// `GET /`: the app's page. Routing inside the app uses the URL's fragment, so this is
/// the only page the server has to know.
pub async fn index(req_headers: HeaderMap) -> Response {
    serve(&req_headers, "text/html; charset=utf-8", INDEX, etag_of("index.html"))
}

/// `GET /assets/{*name}`.
pub async fn asset(Path(name): Path<String>, req_headers: HeaderMap) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((n, content_type, bytes)) => serve(&req_headers, content_type, bytes, etag_of(n)),
        None => crate::http::error::ApiError(crate::error::Error::NotFound).into_response(),
    }
}

/// Assets are revalidated (`no-cache`) rather than cached for a fixed time, so a new
/// binary's files are picked up at once; the ETag makes revalidation a 304.
fn serve(req_headers: &HeaderMap, content_type: &'static str, bytes: &'static [u8], etag: &'static str) -> Response {
    let mut h = page_headers();
    h.insert(header::ETAG, HeaderValue::from_static(etag));
    let fresh = req_headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains(etag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    (h, bytes).into_response()
}

/// A strong ETag per file, computed once.
fn etag_of(name: &str) -> &'static str {
    static TAGS: OnceLock<Vec<(String, &'static str)>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        let mut all: Vec<(String, &[u8])> = FILES.iter().map(|(n, _, b)| (n.to_string(), *b)).collect();
        all.push(("index.html".into(), INDEX));
        all.into_iter()
            .map(|(n, b)| {
                let tag: &'static str =
                    Box::leak(format!("\"{}\"", &hex::encode(Sha256::digest(b))[..32]).into_boxed_str());
                (n, tag)
            })
            .collect()
    });
    tags.iter().find(|(n, _)| n == name).map(|(_, t)| *t).unwrap_or("\"0\"")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_web_file_is_served() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/web");
        let mut on_disk = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    on_disk.push(p.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/"));
                }
            }
        }
        for f in on_disk.iter().filter(|f| *f != "index.html") {
            assert!(super::FILES.iter().any(|(n, _, _)| n == f), "web/{f} is not in assets::FILES");
        }
    }
}
