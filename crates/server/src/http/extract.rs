//! Request extractors that answer bad input with the contract's JSON errors instead of
//! axum's plain-text rejections: JSON bodies, query strings, file paths, and the caller.

use super::AppState;
use super::error::ApiError;
use crate::domain::FilePath;
use crate::error::Error;
use crate::services::Principal;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// Largest JSON body accepted; JSON requests here are small forms.
const MAX_JSON_BYTES: usize = 1 << 20;
pub const SESSION_COOKIE: &str = "nimbus_session";

/// A JSON body. The `Content-Type` is not insisted on (curl users forget it); syntax
/// errors are 400 `bad_request`, wrong shapes or types 422 `validation_failed`. An empty
/// body is `{}`: routes whose fields are all optional take their defaults, others name
/// the missing field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_JSON_BYTES)
            .await
            .map_err(|_| Error::PayloadTooLarge { limit: MAX_JSON_BYTES as u64 })?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
        serde_json::from_slice(bytes).map(ApiJson).map_err(|e| {
            use serde_json::error::Category;
            match e.classify() {
                Category::Data => Error::invalid("body", e.to_string()),
                _ => Error::BadRequest(format!("malformed JSON: {e}")),
            }
            .into()
        })
    }
}

/// A query string; any bad value is 400 `bad_request`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| Error::BadRequest(format!("bad query: {}", e.body_text())).into())
    }
}

/// One path parameter, e.g. `{id}`.
pub struct Param(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Param {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| Param(p.0))
            .map_err(|_| Error::BadRequest("malformed path parameter".into()).into())
    }
}

/// The `{*path}` of `/api/v1/fs/…`, percent-decoded and validated.
pub struct FsPath(pub FilePath);

impl<S: Send + Sync> FromRequestParts<S> for FsPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Param(raw) = Param::from_request_parts(parts, state).await?;
        Ok(FsPath(FilePath::parse(&raw)?))
    }
}

/// The authenticated caller: `Authorization: Bearer <token>` or the session cookie.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).or_else(|| session_cookie(parts)).ok_or(Error::Unauthorized)?;
        Ok(Auth(state.services.accounts.authenticate(&token).await?))
    }
}

/// The authenticated caller, signed in with the account's password (a browser or a
/// token): what managing the account and the admin API require. A device session, an
/// app password or an access key gets 403 here (see `services::Scope`).
pub struct FullAuth(pub Principal);

impl FromRequestParts<AppState> for FullAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Auth(who) = Auth::from_request_parts(parts, state).await?;
        if who.scope != crate::services::Scope::Full {
            return Err(Error::OutOfScope.into());
        }
        Ok(FullAuth(who))
    }
}

fn bearer_token(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Where a sign-in comes from (address, program, and whether a browser page sent it),
/// for the user's list of sessions.
pub struct SignIn(pub crate::services::SignInFrom);

impl FromRequestParts<AppState> for SignIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ClientAddr(address) = ClientAddr::from_request_parts(parts, state).await?;
        let user_agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string);
        // Browsers send `Origin` with every POST from a page; scripts and tools rarely do.
        let browser = parts.headers.contains_key(header::ORIGIN);
        Ok(SignIn(crate::services::SignInFrom { address: address.to_string(), user_agent, browser }))
    }
}

/// The client's address: the socket peer, or, when the peer is a trusted proxy, the
/// nearest untrusted address in `X-Forwarded-For`.
pub struct ClientAddr(pub std::net::IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        let trusted = &state.config.trusted_proxies;
        if !trusted.contains(&peer) {
            return Ok(ClientAddr(peer));
        }
        // Walk the chain from the nearest hop outwards; the first address that is not
        // one of our proxies is the client. Anything unparsable stops the walk.
        let hops: Vec<String> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(',').map(|h| h.trim().to_string()).collect::<Vec<_>>())
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.parse::<std::net::IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !trusted.contains(&ip) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        Ok(ClientAddr(client))
    }
}
