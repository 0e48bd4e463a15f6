//! A typed async client for the Nimbus HTTP API, used by the CLI and by the server's
//! integration tests.
//!
//! Each method maps to one route of `shared/API.md`. Errors from the server come back
//! as [`ClientError::Api`] with the status and the contract's error body, so callers
//! (and tests) can match on `code`.

use bytes::Bytes;
use futures_util::Stream;
use nimbus_api::*;
use reqwest::{Method, RequestBuilder, Response, StatusCode, header};
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

/// One part of a multipart upload.
pub struct UploadPart {
    pub file_name: String,
    pub content_type: Option<String>,
    pub body: reqwest::Body,
}

impl UploadPart {
    pub fn bytes(file_name: &str, data: impl Into<Bytes>) -> Self {
        let data: Bytes = data.into();
        UploadPart { file_name: file_name.into(), content_type: None, body: data.into() }
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
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let rb = self.http.request(method, format!("{}{}", self.base, path));
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    // ---- accounts ----

    pub async fn register(&self, req: &RegisterRequest) -> Result<User> {
        let env: UserEnvelope = json(self.request(Method::POST, "/api/v1/auth/register").json(req)).await?;
        Ok(env.user)
    }

    /// Logs in and returns a client carrying the new token.
    pub async fn login(&self, username: &str, password: &str) -> Result<(Client, LoginResponse)> {
        let req = LoginRequest { username: username.into(), password: password.into() };
        let resp: LoginResponse = json(self.request(Method::POST, "/api/v1/auth/login").json(&req)).await?;
        Ok((self.with_token(resp.access_token.clone()), resp))
    }

    pub async fn logout(&self) -> Result<()> {
        empty(self.request(Method::POST, "/api/v1/auth/logout")).await
    }

    pub async fn me(&self) -> Result<User> {
        let env: UserEnvelope = json(self.request(Method::GET, "/api/v1/me")).await?;
        Ok(env.user)
    }

    pub async fn update_me(&self, req: &UpdateMeRequest) -> Result<User> {
        let env: UserEnvelope = json(self.request(Method::PATCH, "/api/v1/me").json(req)).await?;
        Ok(env.user)
    }

    pub async fn change_password(&self, current: &str, new: &str) -> Result<()> {
        let req = ChangePasswordRequest { current_password: current.into(), new_password: new.into() };
        empty(self.request(Method::PUT, "/api/v1/me/password").json(&req)).await
    }

    pub async fn delete_me(&self, password: &str) -> Result<()> {
        let req = DeleteAccountRequest { password: password.into() };
        empty(self.request(Method::DELETE, "/api/v1/me").json(&req)).await
    }

    // ---- files ----

    /// `POST /api/v1/files` with one part named `file` per entry.
    pub async fn upload(
        &self,
        dir: Option<&str>,
        on_conflict: OnConflict,
        parts: Vec<UploadPart>,
    ) -> Result<Vec<File>> {
        let mut form = reqwest::multipart::Form::new();
        for p in parts {
            let mut part = reqwest::multipart::Part::stream(p.body).file_name(p.file_name);
            if let Some(ct) = p.content_type {
                part = part.mime_str(&ct)?;
            }
            form = form.part("file", part);
        }
        let conflict = match on_conflict {
            OnConflict::Fail => "fail",
            OnConflict::Rename => "rename",
            OnConflict::Overwrite => "overwrite",
        };
        let mut query = vec![("on_conflict", conflict.to_string())];
        if let Some(d) = dir {
            query.push(("dir", d.to_string()));
        }
        let page: Page<File> = json(self.request(Method::POST, "/api/v1/files").query(&query).multipart(form)).await?;
        Ok(page.items)
    }

    /// `PUT /api/v1/fs/{path}`; returns the file and whether it was newly created.
    pub async fn put(&self, path: &str, body: impl Into<reqwest::Body>, opts: &PutOptions) -> Result<(File, bool)> {
        let mut rb = self.request(Method::PUT, &fs_url(path)).body(body);
        if let Some(ct) = &opts.content_type {
            rb = rb.header(header::CONTENT_TYPE, ct);
        }
        if opts.if_none_match_any {
            rb = rb.header(header::IF_NONE_MATCH, "*");
        }
        if let Some(tag) = &opts.if_match {
            rb = rb.header(header::IF_MATCH, tag);
        }
        let resp = check(rb.send().await?).await?;
        let created = resp.status() == StatusCode::CREATED;
        let env: FileEnvelope = resp.json().await?;
        Ok((env.file, created))
    }

    /// Streams a body of `len` bytes to `PUT /api/v1/fs/{path}`.
    pub async fn put_stream<S>(&self, path: &str, len: u64, stream: S) -> Result<(File, bool)>
    where
        S: Stream<Item = std::result::Result<Bytes, std::io::Error>> + Send + Sync + 'static,
    {
        let rb = self
            .request(Method::PUT, &fs_url(path))
            .header(header::CONTENT_LENGTH, len)
            .body(reqwest::Body::wrap_stream(stream));
        let resp = check(rb.send().await?).await?;
        let created = resp.status() == StatusCode::CREATED;
        let env: FileEnvelope = resp.json().await?;
        Ok((env.file, created))
    }

    /// `GET /api/v1/fs/{path}`: the raw response, for streaming and header checks.
    pub async fn get_path(&self, path: &str) -> Result<Response> {
        Ok(check(self.request(Method::GET, &fs_url(path)).send().await?).await?)
    }

    /// `GET /api/v1/fs/{path}`, whole body in memory.
    pub async fn get_path_bytes(&self, path: &str) -> Result<Bytes> {
        Ok(self.get_path(path).await?.bytes().await?)
    }

    pub async fn delete_path(&self, path: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &fs_url(path))).await
    }

    pub async fn list_files(
        &self,
        prefix: Option<&str>,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<File>> {
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Some(p) = prefix {
            q.push(("prefix", p.into()));
        }
        if let Some(l) = limit {
            q.push(("limit", l.to_string()));
        }
        if let Some(c) = cursor {
            q.push(("cursor", c.into()));
        }
        json(self.request(Method::GET, "/api/v1/files").query(&q)).await
    }

    pub async fn file(&self, id: &str) -> Result<File> {
        let env: FileEnvelope = json(self.request(Method::GET, &format!("/api/v1/files/{id}"))).await?;
        Ok(env.file)
    }

    /// `GET /api/v1/files/{id}/content`: the raw response.
    pub async fn download(&self, id: &str) -> Result<Response> {
        let url = format!("/api/v1/files/{id}/content");
        Ok(check(self.request(Method::GET, &url).send().await?).await?)
    }

    pub async fn move_file(&self, id: &str, new_path: &str) -> Result<File> {
        let req = MoveFileRequest { path: new_path.into() };
        let env: FileEnvelope = json(self.request(Method::PATCH, &format!("/api/v1/files/{id}")).json(&req)).await?;
        Ok(env.file)
    }

    pub async fn delete_file(&self, id: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &format!("/api/v1/files/{id}"))).await
    }

    // ---- sharing ----

    /// Shares a file by username; returns the share and whether it was new (201).
    pub async fn share(&self, file_id: &str, username: &str) -> Result<(Share, bool)> {
        let req = CreateShareRequest { username: Some(username.into()), user_id: None };
        self.share_with(file_id, &req).await
    }

    pub async fn share_with(&self, file_id: &str, req: &CreateShareRequest) -> Result<(Share, bool)> {
        let url = format!("/api/v1/files/{file_id}/shares");
        let resp = check(self.request(Method::POST, &url).json(req).send().await?).await?;
        let created = resp.status() == StatusCode::CREATED;
        let env: ShareEnvelope = resp.json().await?;
        Ok((env.share, created))
    }

    pub async fn shares(&self, file_id: &str) -> Result<Vec<Share>> {
        let page: Page<Share> = json(self.request(Method::GET, &format!("/api/v1/files/{file_id}/shares"))).await?;
        Ok(page.items)
    }

    pub async fn unshare(&self, file_id: &str, user_id: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &format!("/api/v1/files/{file_id}/shares/{user_id}"))).await
    }

    pub async fn shared(&self, limit: Option<u32>, cursor: Option<&str>) -> Result<Page<File>> {
        json(self.request(Method::GET, "/api/v1/shared").query(&page_query(limit, cursor))).await
    }

    // ---- links and signed URLs ----

    pub async fn create_link(&self, file_id: &str, req: &CreateLinkRequest) -> Result<Link> {
        let env: LinkEnvelope =
            json(self.request(Method::POST, &format!("/api/v1/files/{file_id}/links")).json(req)).await?;
        Ok(env.link)
    }

    pub async fn links(&self, file_id: &str) -> Result<Vec<Link>> {
        let page: Page<Link> = json(self.request(Method::GET, &format!("/api/v1/files/{file_id}/links"))).await?;
        Ok(page.items)
    }

    pub async fn delete_link(&self, link_id: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &format!("/api/v1/links/{link_id}"))).await
    }

    pub async fn download_url(&self, file_id: &str, expires_in: Option<i64>) -> Result<DownloadUrl> {
        let req = DownloadUrlRequest { expires_in };
        json(self.request(Method::POST, &format!("/api/v1/files/{file_id}/download-url")).json(&req)).await
    }

    // ---- usage, devices, administration ----

    pub async fn usage(&self) -> Result<Usage> {
        let env: UsageEnvelope = json(self.request(Method::GET, "/api/v1/me/usage")).await?;
        Ok(env.usage)
    }

    pub async fn set_plan(&self, quota_bytes: i64) -> Result<Usage> {
        let env: UsageEnvelope =
            json(self.request(Method::PUT, "/api/v1/me/plan").json(&PlanRequest { quota_bytes })).await?;
        Ok(env.usage)
    }

    pub async fn add_activity(&self, seconds: i64) -> Result<()> {
        empty(self.request(Method::POST, "/api/v1/me/activity").json(&ActivityRequest { seconds })).await
    }

    pub async fn create_device(&self, name: &str, peer_id: &str) -> Result<Device> {
        let req = CreateDeviceRequest { name: name.into(), peer_id: peer_id.into() };
        let env: DeviceEnvelope = json(self.request(Method::POST, "/api/v1/me/devices").json(&req)).await?;
        Ok(env.device)
    }

    pub async fn devices(&self) -> Result<Vec<Device>> {
        let page: Page<Device> = json(self.request(Method::GET, "/api/v1/me/devices")).await?;
        Ok(page.items)
    }

    pub async fn delete_device(&self, id: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &format!("/api/v1/me/devices/{id}"))).await
    }

    /// Device login; returns a client carrying the device session's token.
    pub async fn device_login(&self, username: &str, peer_id: &str, secret: &str) -> Result<(Client, LoginResponse)> {
        let req = DeviceLoginRequest { username: username.into(), peer_id: peer_id.into(), secret: secret.into() };
        let resp: LoginResponse = json(self.request(Method::POST, "/api/v1/auth/device").json(&req)).await?;
        Ok((self.with_token(resp.access_token.clone()), resp))
    }

    pub async fn admin_users(&self, limit: Option<u32>, cursor: Option<&str>) -> Result<Page<AdminUser>> {
        json(self.request(Method::GET, "/api/v1/admin/users").query(&page_query(limit, cursor))).await
    }

    pub async fn admin_patch_user(&self, id: &str, patch: &AdminUserPatch) -> Result<User> {
        let env: UserEnvelope =
            json(self.request(Method::PATCH, &format!("/api/v1/admin/users/{id}")).json(patch)).await?;
        Ok(env.user)
    }

    // ---- messages ----

    pub async fn send_message(&self, req: &SendMessageRequest) -> Result<Message> {
        let env: MessageEnvelope = json(self.request(Method::POST, "/api/v1/messages").json(req)).await?;
        Ok(env.message)
    }

    /// `mailbox` is `"inbox"` or `"sent"`.
    pub async fn messages(&self, mailbox: &str, limit: Option<u32>, cursor: Option<&str>) -> Result<Page<Message>> {
        let mut q = page_query(limit, cursor);
        q.push(("box", mailbox.to_string()));
        json(self.request(Method::GET, "/api/v1/messages").query(&q)).await
    }

    pub async fn mark_read(&self, message_id: &str) -> Result<()> {
        empty(self.request(Method::POST, &format!("/api/v1/messages/{message_id}/read"))).await
    }

    pub async fn delete_message(&self, message_id: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &format!("/api/v1/messages/{message_id}"))).await
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
    let encoded: Vec<String> = path.split('/').map(encode_segment).collect();
    format!("/api/v1/fs/{}", encoded.join("/"))
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
