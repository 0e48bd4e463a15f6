//! Cross-site request forgery: a browser attaches the session cookie to requests that any
//! site makes it send. A request that changes something and is authenticated by that
//! cookie alone must therefore prove it comes from our own pages twice over: it echoes
//! the `nimbus_csrf` cookie in an `X-CSRF-Token` header (double submit: other sites can
//! neither read nor set it), and its `Origin` (or, without one, its `Referer`), when the
//! browser sends one, names this server. JSON routes refuse the content types a
//! cross-site form can send without asking (415). Requests with an `Authorization`
//! header are not affected: browsers never add one on their own.

use super::AppState;
use super::error::ApiError;
use super::extract::SESSION_COOKIE;
use crate::error::Error;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The readable cookie that a page echoes in `X-CSRF-Token`.
pub const CSRF_COOKIE: &str = "nimbus_csrf";

pub async fn guard(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if let Err(e) = check(&s, req.method(), req.headers()) {
        return ApiError(e).into_response();
    }
    next.run(req).await
}

fn check(s: &AppState, method: &Method, headers: &HeaderMap) -> Result<(), Error> {
    let changes_something = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let by_cookie_alone = !headers.contains_key(header::AUTHORIZATION) && cookie(headers, SESSION_COOKIE).is_some();
    if !changes_something || !by_cookie_alone {
        return Ok(());
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if *method == Method::POST && matches!(essence.as_str(), "text/plain" | "application/x-www-form-urlencoded") {
        return Err(Error::UnsupportedMediaType);
    }
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .map(origin_of);
    if origin.is_some_and(|o| !same_origin(s, headers, &o)) {
        return Err(Error::CrossSiteRequest);
    }
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    match (token, cookie(headers, CSRF_COOKIE)) {
        (Some(t), Some(c)) if !c.is_empty() && constant_time_eq(t.as_bytes(), c.as_bytes()) => Ok(()),
        _ => Err(Error::CrossSiteRequest),
    }
}

/// Compares without stopping at the first difference (no timing hint about the token).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `scheme://host[:port]` of a URL (an `Origin` already is one).
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{}://{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase())
}

/// Our own origins: the one the request was addressed to (its `Host`, which a browser
/// sets to the site it is talking to) and the configured public URL.
fn same_origin(s: &AppState, headers: &HeaderMap, origin: &str) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let by_host = ["http", "https"].iter().any(|scheme| origin == format!("{scheme}://{host}"));
    by_host || origin == origin_of(&s.public_base)
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}
