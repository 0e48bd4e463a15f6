//! Administration: listing users with their usage, changing quotas, disabling and
//! promoting, inviting people to register. Every entry point checks that the caller is
//! an admin.

use super::Principal;
use super::paging::{Page, decode_cursor, page_limit, paginate};
use crate::domain::{Timestamp, login_key, new_secret_token, sha256_hex};
use crate::error::{Error, Result};
use crate::meta::{AdminPatch, MetaStore, NewInvite, UserRecord};
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

    /// A single-use invite code valid for `expires_in` seconds (default 7 days, at most
    /// 90): returns it (shown once; only its hash is kept) and its expiry.
    pub async fn invite(&self, who: &Principal, expires_in: Option<i64>) -> Result<(String, Timestamp)> {
        require_admin(who)?;
        let secs = expires_in.unwrap_or(7 * 24 * 3600);
        if !(1..=90 * 24 * 3600).contains(&secs) {
            return Err(Error::invalid("expires_in", "must be between 1 second and 90 days"));
        }
        let code = new_secret_token("inv");
        let now = Timestamp::now();
        let expires_at = now.plus_secs(secs);
        let invite = NewInvite {
            code_hash: sha256_hex(code.as_bytes()),
            created_by: who.user.id.clone(),
            created_at: now,
            expires_at,
        };
        self.meta.create_invite(invite).await?;
        Ok((code, expires_at))
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
