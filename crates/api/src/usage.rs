//! Usage, plans, activity, devices and administration.

use crate::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DailyUsage {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    pub uploaded_bytes: u64,
    pub downloaded_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Usage {
    pub quota_bytes: u64,
    /// Always the sum of the sizes of the user's files.
    pub used_bytes: u64,
    /// The sizes of the earlier versions of the user's files. They count against the
    /// quota, as the trash does; an upload that would not fit purges the oldest versions,
    /// then the oldest trash, before it is refused.
    #[serde(default)]
    pub versions_bytes: u64,
    /// The sizes of the files in the user's trash.
    #[serde(default)]
    pub trash_bytes: u64,
    pub file_count: u64,
    pub uploaded_bytes: u64,
    pub downloaded_bytes: u64,
    /// `uploaded_bytes + downloaded_bytes`.
    pub bandwidth_bytes: u64,
    pub active_seconds: u64,
    /// The last 30 days, oldest first.
    pub daily: Vec<DailyUsage>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UsageEnvelope {
    pub usage: Usage,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanRequest {
    pub quota_bytes: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActivityRequest {
    /// 1 to 3600.
    pub seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Device {
    pub id: String,
    pub name: String,
    pub peer_id: String,
    pub created_at: String,
    pub last_seen_at: Option<String>,
    /// Only in the answer to registering the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceEnvelope {
    pub device: Device,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateDeviceRequest {
    pub name: String,
    pub peer_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceLoginRequest {
    pub username: String,
    pub peer_id: String,
    pub secret: String,
}

/// A user as an admin sees it: the user, whether disabled, and their usage.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminUser {
    #[serde(flatten)]
    pub user: User,
    pub disabled: bool,
    pub usage: Usage,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct AdminUserPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_bytes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_admin: Option<bool>,
}

/// Settings of a user's own bucket (`PUT /api/v1/me/storage`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StorageSettings {
    /// Only `"s3"` for now.
    #[serde(rename = "type")]
    pub kind: String,
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// A user's bucket as the API shows it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Storage {
    #[serde(rename = "type")]
    pub kind: String,
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub prefix: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StorageEnvelope {
    pub storage: Storage,
}

/// A password for one client app (a WebDAV mount, rclone), used with HTTP Basic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppPassword {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// Only in the answer to creating it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AppPasswordEnvelope {
    pub app_password: AppPassword,
}

/// An S3 access key: sign S3 requests with its id and secret (aws CLI, rclone, boto3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccessKey {
    pub id: String,
    pub name: String,
    /// The public half (`AWS_ACCESS_KEY_ID`).
    pub access_key_id: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// The secret half (`AWS_SECRET_ACCESS_KEY`); only in the answer to creating it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccessKeyEnvelope {
    pub access_key: AccessKey,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateAccessKeyRequest {
    /// What the key is for ("backup server"); 1 to 100 characters.
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateAppPasswordRequest {
    /// What the password is for ("laptop rclone"); 1 to 100 characters.
    pub name: String,
}
