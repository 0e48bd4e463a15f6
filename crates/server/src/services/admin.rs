//! Administration: listing users with their usage, changing quotas, disabling and
//! promoting. Every entry point checks that the caller is an admin.

use super::Principal;
use super::paging::{Page, decode_cursor, page_limit, paginate};
use crate::domain::login_key;
use crate::error::{Error, Result};
use crate::meta::{AdminPatch, MetaStore, UserRecord};
use std::sync::Arc;

#[derive(Clone)]
pub struct Admin {
    meta: Arc<dyn MetaStore>,
}

pub type UserPage = Page<UserRecord>;

fn require_admin(who: &Principal) -> Result<()> {
    if who.user.is_admin { Ok(()) } else { Err(Error::Forbidden) }
}

impl Admin {
    pub fn new(meta: Arc<dyn MetaStore>) -> Self {
        Admin { meta }
    }

    pub async fn list(&self, who: &Principal, limit: Option<u32>, cursor: Option<&str>) -> Result<UserPage> {
        require_admin(who)?;
        let limit = page_limit(limit)?;
        let after = cursor.map(decode_cursor).transpose()?;
        let rows = self.meta.list_users(after.as_deref(), limit + 1).await?;
        Ok(paginate(rows, limit, |u| login_key(&u.username)))
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
