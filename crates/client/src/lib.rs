//! A typed async client for the Nimbus HTTP API, used by the CLI and by the server's
//! integration tests.
//!
//! Each method maps to one route of `docs/API.md`. Errors from the server come back
//! as [`ClientError::Api`] with the status and the contract's error body, so callers
//! (and tests) can match on `code`.

use bytes::Bytes;
use nimbus_api::*;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

/// What can go wrong talking to a Nimbus server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("server answered {status}: {} ({})", body.error.message, body.error.code)]
    Api { status: StatusCode, body: ErrorBody },
    #[error("server answered {status} with an unexpected body: {text}")]
    Unexpected { status: StatusCode, text: String },
    #[error(transparent)]
    Http(#[from] reqwest::Error),
}

impl ClientError {
    /// The HTTP status, when the server answered at all.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Api { status, .. } | ClientError::Unexpected { status, .. } => Some(*status),
            ClientError::Http(e) => e.status(),
        }
    }

    /// The contract's error code, when the server sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { body, .. } => Some(&body.error.code),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;

mod accounts;
mod extras;
mod files;
mod retention;
mod sharing;
mod uploads;

/// One part of a multipart upload.
pub struct UploadPart {
    pub file_name: String,
    pub content_type: Option<String>,
    /// The file's modification time (Unix seconds), sent as an `mtime` field before it.
    pub mtime: Option<i64>,
    pub body: reqwest::Body,
}

impl UploadPart {
    pub fn bytes(file_name: &str, data: impl Into<Bytes>) -> Self {
        let data: Bytes = data.into();
        UploadPart { file_name: file_name.into(), content_type: None, mtime: None, body: data.into() }
    }
}

/// Optional headers of a raw `PUT /api/v1/fs/{path}`.
#[derive(Debug, Default, Clone)]
pub struct PutOptions {
    pub content_type: Option<String>,
    /// Send `If-None-Match: *`: fail with 412 if the path exists.
    pub if_none_match_any: bool,
    /// Send `If-Match: "<etag>"`: replace only that version.
    pub if_match: Option<String>,
    /// Send `X-Nimbus-Mtime`: the file's modification time, Unix seconds.
    pub mtime: Option<i64>,
}

/// What `GET /api/v1/files` should list.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    pub prefix: Option<String>,
    /// One level (`delimiter=/`) instead of every file below the prefix.
    pub one_level: bool,
    /// Search by name (`q=`).
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A client bound to one server and, once signed in, one access token.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// `base` is the server's root URL, e.g. `http://127.0.0.1:8080`.
    pub fn new(base: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a plain reqwest client always builds");
        Client { http, base: base.into().trim_end_matches('/').to_string(), token: None }
    }

    /// The same server and connection pool with another token.
    pub fn with_token(&self, token: impl Into<String>) -> Self {
        Client { token: Some(token.into()), ..self.clone() }
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// A request to `path` (starting with `/`), authenticated when a token is set.
    /// The escape hatch for routes and headers the typed methods do not cover.
    /// The underlying HTTP client, for URLs the server handed out (links, signed URLs).
    fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let rb = self.http.request(method, format!("{}{}", self.base, path));
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }
}

fn page_query(limit: Option<u32>, cursor: Option<&str>) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    if let Some(l) = limit {
        q.push(("limit", l.to_string()));
    }
    if let Some(c) = cursor {
        q.push(("cursor", c.to_string()));
    }
    q
}

/// `/api/v1/fs/` followed by `path` with each segment percent-encoded.
pub fn fs_url(path: &str) -> String {
    format!("/api/v1/fs/{}", encode_path(path))
}

/// `/api/v1/folders/{path}` with each segment percent-encoded.
pub fn folder_url(path: &str) -> String {
    format!("/api/v1/folders/{}", encode_path(path))
}

fn encode_path(path: &str) -> String {
    path.split('/').map(encode_segment).collect::<Vec<_>>().join("/")
}

fn encode_segment(seg: &str) -> String {
    let mut out = String::with_capacity(seg.len());
    for b in seg.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Turns a non-2xx response into a [`ClientError`].
pub async fn check(resp: Response) -> Result<Response> {
    let status = resp.status();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        return Ok(resp);
    }
    let text = resp.text().await?;
    match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => Err(ClientError::Api { status, body }),
        Err(_) => Err(ClientError::Unexpected { status, text }),
    }
}

async fn json<T: DeserializeOwned>(rb: RequestBuilder) -> Result<T> {
    let resp = check(rb.send().await?).await?;
    Ok(resp.json().await?)
}

async fn empty(rb: RequestBuilder) -> Result<()> {
    check(rb.send().await?).await?;
    Ok(())
}
