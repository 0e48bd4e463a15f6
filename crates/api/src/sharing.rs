//! Shares between users, public links, signed download URLs, and messages.

use crate::UserRef;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A file shared read-only with a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Share {
    pub user: UserRef,
    /// Always `"read"`.
    pub permission: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShareEnvelope {
    pub share: Share,
}

/// Who to share with: `username` or `user_id`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CreateShareRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// A public link to a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Link {
    pub id: String,
    pub token: String,
    /// The page to hand out: `<server>/s/<token>`.
    pub url: String,
    pub expires_at: Option<String>,
    pub max_downloads: Option<u64>,
    pub download_count: u64,
    pub has_password: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkEnvelope {
    pub link: Link,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CreateLinkRequest {
    /// Seconds until the link expires; none: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_downloads: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct DownloadUrlRequest {
    /// Seconds the URL stays valid: default 300, at most 7 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DownloadUrl {
    pub url: String,
    pub expires_at: String,
}

/// The file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageFile {
    pub id: String,
    pub name: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: String,
    pub from: UserRef,
    pub to: UserRef,
    pub text: Option<String>,
    pub file: Option<MessageFile>,
    pub created_at: String,
    pub read_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageEnvelope {
    pub message: Message,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct SendMessageRequest {
    /// The recipient's username.
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
}
