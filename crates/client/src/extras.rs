//! The remaining routes: content addressing, avatars and profiles, password reset, the
//! user's own bucket, public links and signed URLs, and the operational endpoints.

use crate::{Client, Result, check, empty, json};
use nimbus_api::*;
use reqwest::{Method, Response, header};

impl Client {
    // ---- content addressing ----

    /// `GET /api/v1/cid/{cid}`: a file of the caller's (or shared with them) with that CID.
    pub async fn by_cid(&self, cid: &str) -> Result<Response> {
        check(self.request(Method::GET, &format!("/api/v1/cid/{cid}")).send().await?).await
    }

    /// `GET /api/v1/files/{id}/car`: the file as a CARv1 archive.
    pub async fn car(&self, id: &str) -> Result<Response> {
        check(self.request(Method::GET, &format!("/api/v1/files/{id}/car")).send().await?).await
    }

    // ---- avatars and profiles ----

    pub async fn set_avatar(&self, image: impl Into<reqwest::Body>) -> Result<()> {
        empty(self.request(Method::PUT, "/api/v1/me/avatar").body(image)).await
    }

    pub async fn delete_avatar(&self) -> Result<()> {
        empty(self.request(Method::DELETE, "/api/v1/me/avatar")).await
    }

    /// `GET /api/v1/users/{id}/avatar`: the image, with its type.
    pub async fn avatar(&self, user_id: &str) -> Result<Response> {
        check(self.request(Method::GET, &format!("/api/v1/users/{user_id}/avatar")).send().await?).await
    }

    /// `GET /api/v1/users/{username}`: another user's public profile.
    pub async fn profile(&self, username: &str) -> Result<PublicUser> {
        let env: PublicUserEnvelope = json(self.request(Method::GET, &format!("/api/v1/users/{username}"))).await?;
        Ok(env.user)
    }

    // ---- password reset ----

    pub async fn request_password_reset(&self, email: &str) -> Result<()> {
        let req = PasswordResetRequest { email: email.into() };
        empty(self.request(Method::POST, "/api/v1/auth/password-reset").json(&req)).await
    }

    pub async fn confirm_password_reset(&self, email: &str, code: &str, new_password: &str) -> Result<()> {
        let req = PasswordResetConfirm { email: email.into(), code: code.into(), new_password: new_password.into() };
        empty(self.request(Method::POST, "/api/v1/auth/password-reset/confirm").json(&req)).await
    }

    // ---- the user's own bucket ----

    pub async fn storage(&self) -> Result<Storage> {
        let env: StorageEnvelope = json(self.request(Method::GET, "/api/v1/me/storage")).await?;
        Ok(env.storage)
    }

    pub async fn set_storage(&self, settings: &StorageSettings) -> Result<Storage> {
        let env: StorageEnvelope = json(self.request(Method::PUT, "/api/v1/me/storage").json(settings)).await?;
        Ok(env.storage)
    }

    pub async fn delete_storage(&self) -> Result<()> {
        empty(self.request(Method::DELETE, "/api/v1/me/storage")).await
    }

    // ---- public links and signed URLs (no token needed) ----

    /// Downloads through a public link's URL (`…/s/{token}`), with its password if any.
    pub async fn link_download(&self, link_url: &str, password: Option<&str>) -> Result<Response> {
        let mut rb = self.http().get(format!("{link_url}/content"));
        if let Some(p) = password {
            rb = rb.header("x-link-password", p);
        }
        check(rb.send().await?).await
    }

    /// Downloads through a signed URL.
    pub async fn signed_download(&self, url: &str) -> Result<Response> {
        check(self.http().get(url).send().await?).await
    }

    // ---- operations ----

    /// `GET /healthz` (liveness) or `/readyz` (the database and blob store answer).
    pub async fn health(&self, ready: bool) -> Result<Health> {
        json(self.request(Method::GET, if ready { "/readyz" } else { "/healthz" })).await
    }

    /// `GET /metrics`, Prometheus text.
    pub async fn metrics(&self) -> Result<String> {
        let resp =
            check(self.request(Method::GET, "/metrics").header(header::ACCEPT, "text/plain").send().await?).await?;
        Ok(resp.text().await?)
    }
}
