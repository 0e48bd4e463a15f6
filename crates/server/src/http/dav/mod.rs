//! WebDAV at `/dav/` (and `/remote.php/dav/files/{username}/`, where Nextcloud-style
//! clients look): each user's own namespace is the root. dav-server speaks the protocol
//! (multistatus, If headers, lock discovery); every file operation goes to the file
//! service through [`fs::NimbusDav`], locks live in the database ([`locks::DbLocks`]).
//! Sign-in is HTTP Basic with an app password (or the account password), or a bearer
//! token; session cookies are not accepted here, so no cross-site form can write.

mod files;
mod fs;
mod locks;

use super::AppState;
use super::error::ApiError;
use super::extract::ClientAddr;
use crate::domain::{FilePath, Timestamp};
use crate::error::Error;
use crate::services::Principal;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine;
use dav_server::{DavHandler, DavMethod, DavMethodSet};
use percent_encoding::percent_decode_str;

/// The methods served; any other gets 405 with this list.
const SUPPORTED: &[&str] =
    &["OPTIONS", "GET", "HEAD", "PUT", "DELETE", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"];
const ALLOW: &str = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dav", any(dav))
        .route("/dav/", any(dav))
        .route("/dav/{*path}", any(dav))
        .route("/remote.php/dav/files/{user}", any(dav))
        .route("/remote.php/dav/files/{user}/", any(dav))
        .route("/remote.php/dav/files/{user}/{*path}", any(dav))
}

/// The mount point of the request's URL (as sent, still encoded), and for the Nextcloud
/// form the user it names.
fn mount_of(path: &str) -> (String, Option<String>) {
    if let Some(rest) = path.strip_prefix("/remote.php/dav/files/") {
        let user = rest.split('/').next().unwrap_or("");
        let name = percent_decode_str(user).decode_utf8_lossy().into_owned();
        return (format!("/remote.php/dav/files/{user}"), Some(name));
    }
    ("/dav".to_string(), None)
}

async fn dav(State(s): State<AppState>, ClientAddr(client): ClientAddr, req: Request) -> Response {
    let who = match principal(&s, req.headers(), &client.to_string()).await {
        Ok(p) => p,
        Err(e) => return refusal(e),
    };
    let (mount, named_user) = mount_of(req.uri().path());
    // Another user's Nextcloud-style URL looks exactly like one that does not exist.
    if named_user.is_some_and(|u| !u.eq_ignore_ascii_case(&who.user.username)) {
        return ApiError(Error::NotFound).into_response();
    }
    if !SUPPORTED.contains(&req.method().as_str()) {
        let mut resp = plain(StatusCode::METHOD_NOT_ALLOWED, "this method is not supported here");
        resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static(ALLOW));
        return resp;
    }
    if let Err(resp) = precheck(&req, &mount) {
        return *resp;
    }
    let mtime = oc_mtime(req.headers());
    let is_put = req.method() == Method::PUT;
    let cache: std::sync::Arc<std::sync::Mutex<fs::RequestCache>> = Default::default();
    let fs = fs::NimbusDav {
        files: s.services.files.clone(),
        meta: s.services.meta.clone(),
        who: who.clone(),
        mtime,
        cache: cache.clone(),
    };
    let ls = locks::DbLocks {
        meta: s.services.meta.clone(),
        owner_id: who.user.id.clone(),
        prefix: mount.clone(),
        cache: Default::default(),
    };
    let mut methods = DavMethodSet::WEBDAV_RW;
    // Files are written whole: no SabreDAV partial PATCH.
    methods.remove(DavMethod::Patch);
    let handler = DavHandler::builder()
        .filesystem(Box::new(fs))
        .locksystem(Box::new(ls))
        .strip_prefix(mount)
        .principal(who.user.username.clone())
        .methods(methods)
        .autoindex(false)
        .build_handler();
    let mut resp = handler.handle(req).await.map(Body::new);
    if let Some((status, message)) = cache.lock().unwrap_or_else(|e| e.into_inner()).refusal.take() {
        return plain(status, message);
    }
    if resp.status() == StatusCode::BAD_GATEWAY {
        // RFC 4918 answers a COPY/MOVE to another server or namespace with 502; it is the
        // client's request that cannot be served, so it is told so with a 4xx.
        return plain(StatusCode::BAD_REQUEST, "the destination is outside this WebDAV folder");
    }
    if resp.headers().contains_key("dav") {
        // PATCH is off, so SabreDAV's partial update is not on offer.
        resp.headers_mut().insert("dav", HeaderValue::from_static("1, 2, 3"));
    }
    if is_put && mtime.is_some() && resp.status().is_success() {
        resp.headers_mut().insert("x-oc-mtime", HeaderValue::from_static("accepted"));
    }
    resp
}

/// Basic (app password or account password), or a bearer token.
async fn principal(s: &AppState, headers: &HeaderMap, client: &str) -> Result<Principal, Error> {
    let value = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or(Error::Unauthorized)?;
    let (scheme, rest) = value.split_once(' ').ok_or(Error::Unauthorized)?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return s.services.accounts.authenticate(rest.trim()).await;
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(Error::Unauthorized);
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).map_err(|_| Error::Unauthorized)?;
    let text = String::from_utf8(decoded).map_err(|_| Error::Unauthorized)?;
    let (login, password) = text.split_once(':').ok_or(Error::Unauthorized)?;
    s.services.accounts.authenticate_basic(login, password, client).await
}

/// The contract's error, with the Basic challenge on a 401 so clients ask for a password.
fn refusal(e: Error) -> Response {
    let mut resp = ApiError(e).into_response();
    if resp.status() == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Basic realm="Nimbus""#));
    }
    resp
}

/// What dav-server would answer too vaguely: names the file model refuses (400, or 403
/// for MKCOL as RFC 4918 has it) and PROPFIND with infinite depth (403).
fn precheck(req: &Request, mount: &str) -> Result<(), Box<Response>> {
    let method = req.method().as_str();
    if method == "PUT" && req.headers().contains_key(header::CONTENT_RANGE) {
        // Files are written whole (RFC 9110, 14.5: refuse a partial PUT with 400).
        return Err(Box::new(plain(StatusCode::BAD_REQUEST, "partial writes are not supported: send the whole file")));
    }
    let bad_name = if method == "MKCOL" { StatusCode::FORBIDDEN } else { StatusCode::BAD_REQUEST };
    let path = req.uri().path().strip_prefix(mount).unwrap_or("");
    if !valid_path(path) {
        return Err(Box::new(plain(bad_name, "this name is not allowed (see the API's path rules)")));
    }
    if let Some(dest) = req.headers().get("destination").and_then(|v| v.to_str().ok()) {
        let uri = dest.parse::<axum::http::Uri>().ok();
        let dest_path = uri.as_ref().map(|u| u.path().to_string()).unwrap_or_default();
        let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok());
        // Host names only: a proxy may pass on the Host without the public port.
        let name =
            |h: &str| h.rsplit_once(':').filter(|(_, p)| p.parse::<u16>().is_ok()).map_or(h, |(n, _)| n).to_string();
        if let (Some(theirs), Some(ours)) = (uri.as_ref().and_then(|u| u.authority()), host)
            && !name(theirs.as_str()).eq_ignore_ascii_case(&name(ours))
        {
            return Err(Box::new(plain(StatusCode::BAD_REQUEST, "the destination is on another server")));
        }
        if let Some(rest) = dest_path.strip_prefix(mount) {
            if !valid_path(rest) {
                return Err(Box::new(plain(StatusCode::BAD_REQUEST, "the destination's name is not allowed")));
            }
            let (from, to) = (normalized(path), normalized(rest));
            if to.is_empty() {
                // (dav-server would also index past the end of the root's parent: a panic.)
                return Err(Box::new(plain(StatusCode::FORBIDDEN, "the top folder cannot be replaced")));
            }
            if to.len() > from.len() && to.starts_with(&from) && (from.is_empty() || to[from.len()..].starts_with('/'))
            {
                return Err(Box::new(plain(StatusCode::FORBIDDEN, "a folder cannot be copied or moved into itself")));
            }
        }
    }
    // dav-server's If parser indexes past the end of an unterminated `<…` or `[…` (a
    // panic); such a header is malformed anyway.
    if !req.headers().get_all("if").iter().all(|v| if_header_is_well_formed(v.as_bytes())) {
        return Err(Box::new(plain(StatusCode::BAD_REQUEST, "malformed If header")));
    }
    let infinite =
        req.headers().get("depth").and_then(|v| v.to_str().ok()).is_some_and(|d| d.eq_ignore_ascii_case("infinity"));
    if method == "PROPFIND" && infinite {
        let body =
            r#"<?xml version="1.0" encoding="utf-8"?><D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>"#;
        let mut resp = (StatusCode::FORBIDDEN, body).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
        return Err(Box::new(resp));
    }
    Ok(())
}

/// A path below the mount, still percent-encoded: the root, or a valid file path
/// (a trailing slash marks a collection).
fn valid_path(encoded: &str) -> bool {
    let Ok(decoded) = percent_decode_str(encoded).decode_utf8() else { return false };
    match decoded.trim_start_matches('/').strip_suffix('/').unwrap_or(decoded.trim_start_matches('/')) {
        "" => true,
        p => FilePath::parse(p).is_ok(),
    }
}

/// Whether every `<…>` and `[…]` of an If header is closed (quotes respected), walking
/// its tokens the way dav-server's parser does.
fn if_header_is_well_formed(mut buf: &[u8]) -> bool {
    let space = |c: u8| b" \t\r\n".contains(&c);
    loop {
        while buf.first().is_some_and(|&c| space(c)) {
            buf = &buf[1..];
        }
        let Some(&first) = buf.first() else { return true };
        let close = match first {
            b'<' => b'>',
            b'[' => b']',
            _ => {
                // Any other token runs to the next space or bracket.
                let n = buf.iter().position(|&c| space(c) || b"<>()[]".contains(&c) || c < 32).unwrap_or(buf.len());
                buf = &buf[n.max(1)..];
                continue;
            }
        };
        let mut quoted = false;
        let mut i = 1;
        loop {
            match buf.get(i) {
                None => return false,
                Some(&c) if space(c) => return true, // a parse error, which dav-server reports
                Some(&c) if !quoted && c == close => break,
                Some(b'"') => quoted = !quoted,
                Some(_) => {}
            }
            i += 1;
        }
        buf = &buf[i + 1..];
    }
}

/// A path below the mount, decoded, without slashes at either end ("" for the root).
fn normalized(encoded: &str) -> String {
    percent_decode_str(encoded).decode_utf8_lossy().trim_matches('/').to_string()
}

fn plain(status: StatusCode, message: &'static str) -> Response {
    (status, message).into_response()
}

/// `X-OC-Mtime`: the client's modification time, in Unix seconds (fractions ignored).
fn oc_mtime(headers: &HeaderMap) -> Option<Timestamp> {
    let text = headers.get("x-oc-mtime")?.to_str().ok()?;
    let secs: f64 = text.trim().parse().ok()?;
    (0.0..1e11).contains(&secs).then(|| Timestamp((secs as i64) * 1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_below_the_mount_are_checked_like_file_paths() {
        assert!(valid_path(""));
        assert!(valid_path("/"));
        assert!(valid_path("/a%20b/c.txt"));
        assert!(valid_path("/folder/"));
        assert!(!valid_path("/a/../b"));
        assert!(!valid_path("/a//b"));
        assert!(!valid_path("/%ff"));
    }

    #[test]
    fn unterminated_if_headers_are_caught_before_dav_server_sees_them() {
        assert!(if_header_is_well_formed(b"(<opaquelocktoken:a> [\"e\"]) (Not <DAV:no-lock>)"));
        assert!(if_header_is_well_formed(b"<http://x/y> (<urn:a>)"));
        assert!(!if_header_is_well_formed(b"(<opaquelocktoken:a> [\"e\"]) (Not <DAV:no-lock> [\"ab"));
        assert!(!if_header_is_well_formed(b"(<opaquelocktoken:a"));
        assert!(if_header_is_well_formed(b""));
    }

    #[test]
    fn nextcloud_urls_name_their_user() {
        assert_eq!(
            mount_of("/remote.php/dav/files/al%20ice/x"),
            ("/remote.php/dav/files/al%20ice".into(), Some("al ice".into()))
        );
        assert_eq!(mount_of("/dav/x").0, "/dav");
    }

    #[test]
    fn oc_mtime_is_unix_seconds() {
        let mut h = HeaderMap::new();
        h.insert("x-oc-mtime", HeaderValue::from_static("1700000000.5"));
        assert_eq!(oc_mtime(&h), Some(Timestamp(1_700_000_000_000_000)));
        h.insert("x-oc-mtime", HeaderValue::from_static("-1"));
        assert_eq!(oc_mtime(&h), None);
    }
}
