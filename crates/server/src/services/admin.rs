//! Administration: listing users with their usage, changing quotas, disabling and
//! promoting. Every entry point checks that the caller is an admin.

use super::Principal;
use crate::error::{Error, Result};
use crate::meta::{AdminPatch, MetaStore, UserRecord};
use std::sync::Arc;

#[derive(Clone)]
pub struct Admin {
    meta: Arc<dyn MetaStore>,
}

pub struct UserPage {
    pub items: Vec<UserRecord>,
    pub next_cursor: Option<String>,
}

fn require_admin(who: &Principal) -> Result<()> {
    if who.user.is_admin { Ok(()) } else { Err(Error::Forbidden) }
}

impl Admin {
    pub fn new(meta: Arc<dyn MetaStore>) -> Self {
        Admin { meta }
    }

    pub async fn list(&self, who: &Principal, limit: Option<u32>, cursor: Option<&str>) -> Result<UserPage> {
        require_admin(who)?;
        let limit = super::sharing::page_limit(limit)?;
        let after = match cursor {
            None => None,
            Some(c) => Some(
                hex::decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| Error::BadRequest("invalid cursor".into()))?,
            ),
        };
        let mut items = self.meta.list_users(after.as_deref(), limit + 1).await?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|u| hex::encode(u.username.to_ascii_lowercase()))
        } else {
            None
        };
        Ok(UserPage { items, next_cursor })
    }

    pub async fn update(&self, who: &Principal, id: &str, patch: AdminPatch) -> Result<UserRecord> {
        require_admin(who)?;
        self.apply(id, patch).await
    }

    /// The change itself, also used by `nimbus admin` from the shell.
    pub async fn apply(&self, id: &str, patch: AdminPatch) -> Result<UserRecord> {
        if patch.quota_bytes.is_some_and(|q| q < 0) {
            return Err(Error::invalid("quota_bytes", "must not be negative"));
        }
        self.meta.user_by_id(id).await?.ok_or(Error::UserNotFound)?;
        self.meta.admin_update_user(id, patch).await
    }
}
