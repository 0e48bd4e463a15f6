//! Avatars (checked by content, not by what the client claims) and public profiles.

use super::Principal;
use crate::domain::Timestamp;
use crate::domain::login_key;
use crate::error::{Error, Result};
use crate::meta::{AvatarRecord, MetaStore, UserRecord};
use std::sync::Arc;

pub const MAX_AVATAR_BYTES: usize = 5 << 20;

/// The image type of `data` by its magic bytes: PNG, JPEG, GIF or WebP.
pub fn sniff_image(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[derive(Clone)]
pub struct Avatars {
    meta: Arc<dyn MetaStore>,
}

impl Avatars {
    pub fn new(meta: Arc<dyn MetaStore>) -> Self {
        Avatars { meta }
    }

    pub async fn set(&self, who: &Principal, data: &[u8]) -> Result<()> {
        if data.len() > MAX_AVATAR_BYTES {
            return Err(Error::PayloadTooLarge { limit: MAX_AVATAR_BYTES as u64 });
        }
        let content_type = sniff_image(data).ok_or(Error::UnsupportedMediaType)?;
        self.meta.set_avatar(&who.user.id, content_type, data, Timestamp::now()).await
    }

    pub async fn delete(&self, who: &Principal) -> Result<()> {
        self.meta.delete_avatar(&who.user.id).await
    }

    pub async fn get(&self, user_id: &str) -> Result<AvatarRecord> {
        self.meta.avatar(user_id).await?.ok_or(Error::NotFound)
    }

    /// Another user's public profile; disabled accounts are not found.
    /// Enabled users whose username starts with `prefix` (at least 2 characters), for
    /// suggestions when sharing; at most `limit` (≤ 20).
    pub async fn search(&self, prefix: &str, limit: u32) -> Result<Vec<UserRecord>> {
        let key = login_key(prefix);
        if key.chars().count() < 2 {
            return Err(Error::BadRequest("q must have at least 2 characters".into()));
        }
        self.meta.users_with_prefix(&key, limit.clamp(1, 20)).await
    }

    pub async fn profile(&self, username: &str) -> Result<UserRecord> {
        let user = self.meta.user_by_username(&login_key(username)).await?;
        user.filter(|u| !u.disabled).ok_or(Error::UserNotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::sniff_image;

    #[test]
    fn sniffs_by_magic_bytes() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff_image(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"<svg xmlns=...>"), None);
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WAVE"), None);
    }
}
