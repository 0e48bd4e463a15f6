//! Accounts, sessions, the current user, devices, usage and administration.

use crate::{Client, Result, empty, json, page_query};
use nimbus_api::*;
use reqwest::Method;

impl Client {
    // ---- accounts ----

    pub async fn register(&self, req: &RegisterRequest) -> Result<User> {
        let env: UserEnvelope = json(self.request(Method::POST, "/api/v1/auth/register").json(req)).await?;
        Ok(env.user)
    }

    /// Logs in and returns a client carrying the new token.
    pub async fn login(&self, username: &str, password: &str) -> Result<(Client, LoginResponse)> {
        let req = LoginRequest { username: username.into(), password: password.into(), code: None };
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

    /// A new app password (for WebDAV and other Basic-auth clients); its `password` is
    /// in this answer only.
    pub async fn create_app_password(&self, name: &str) -> Result<AppPassword> {
        let req = CreateAppPasswordRequest { name: name.into() };
        let env: AppPasswordEnvelope = json(self.request(Method::POST, "/api/v1/me/app-passwords").json(&req)).await?;
        Ok(env.app_password)
    }

    pub async fn app_passwords(&self) -> Result<Vec<AppPassword>> {
        let page: Page<AppPassword> = json(self.request(Method::GET, "/api/v1/me/app-passwords")).await?;
        Ok(page.items)
    }

    pub async fn delete_app_password(&self, id: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &format!("/api/v1/me/app-passwords/{id}"))).await
    }

    /// A new S3 access key; its `secret_access_key` is in this answer only.
    pub async fn create_access_key(&self, name: &str) -> Result<AccessKey> {
        let req = CreateAccessKeyRequest { name: name.into() };
        let env: AccessKeyEnvelope = json(self.request(Method::POST, "/api/v1/me/access-keys").json(&req)).await?;
        Ok(env.access_key)
    }

    pub async fn access_keys(&self) -> Result<Vec<AccessKey>> {
        let page: Page<AccessKey> = json(self.request(Method::GET, "/api/v1/me/access-keys")).await?;
        Ok(page.items)
    }

    pub async fn delete_access_key(&self, id: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &format!("/api/v1/me/access-keys/{id}"))).await
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
}
