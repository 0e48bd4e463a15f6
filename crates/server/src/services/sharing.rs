//! Sharing a file with another user, listing what is shared with the caller.

use super::{Files, Principal};
use crate::domain::Timestamp;
use crate::error::{Error, Result};
use crate::meta::{FileRecord, MetaStore, ShareRecord, TimeCursor, UserRecord};
use std::sync::Arc;

#[derive(Clone)]
pub struct Sharing {
    meta: Arc<dyn MetaStore>,
    files: Files,
}

/// Who to share with.
pub enum ShareTarget<'a> {
    Username(&'a str),
    UserId(&'a str),
}

/// A page of files shared with the caller.
pub struct SharedPage {
    pub items: Vec<FileRecord>,
    pub next_cursor: Option<String>,
}

impl Sharing {
    pub fn new(meta: Arc<dyn MetaStore>, files: Files) -> Self {
        Sharing { meta, files }
    }

    pub async fn find_user(&self, target: ShareTarget<'_>) -> Result<UserRecord> {
        let user = match target {
            ShareTarget::Username(name) => self.meta.user_by_username(&name.to_ascii_lowercase()).await?,
            ShareTarget::UserId(id) => self.meta.user_by_id(id).await?,
        };
        user.filter(|u| !u.disabled).ok_or(Error::UserNotFound)
    }

    /// Shares the caller's file; returns the share and whether it is new.
    pub async fn share(&self, who: &Principal, file_id: &str, target: ShareTarget<'_>) -> Result<(ShareRecord, bool)> {
        let file = self.files.owned(who, file_id).await?;
        let user = self.find_user(target).await?;
        if user.id == who.user.id {
            return Err(Error::CannotShareWithSelf);
        }
        self.meta.share_file(&file.id, &user.id, Timestamp::now()).await
    }

    pub async fn shares(&self, who: &Principal, file_id: &str) -> Result<Vec<ShareRecord>> {
        let file = self.files.owned(who, file_id).await?;
        self.meta.shares_of_file(&file.id).await
    }

    /// Revokes a share; the recipient loses access with their next request.
    pub async fn unshare(&self, who: &Principal, file_id: &str, user_id: &str) -> Result<()> {
        let file = self.files.owned(who, file_id).await?;
        if self.meta.unshare_file(&file.id, user_id).await? { Ok(()) } else { Err(Error::NotFound) }
    }

    pub async fn shared_with_me(
        &self,
        who: &Principal,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<SharedPage> {
        let limit = page_limit(limit)?;
        let cursor = cursor.map(decode_time_cursor).transpose()?;
        let mut rows = self.meta.shared_with(&who.user.id, cursor.as_ref(), limit + 1).await?;
        let next_cursor = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(|(f, at)| encode_time_cursor(&(at.0, f.id.clone())))
        } else {
            None
        };
        Ok(SharedPage { items: rows.into_iter().map(|(f, _)| f).collect(), next_cursor })
    }
}

/// `limit` of a listing: default 100, at most 1000, at least 1.
pub fn page_limit(limit: Option<u32>) -> Result<u32> {
    match limit {
        None => Ok(super::files::DEFAULT_PAGE),
        Some(0) => Err(Error::BadRequest("limit must be at least 1".into())),
        Some(n) => Ok(n.min(super::files::MAX_PAGE)),
    }
}

/// Cursors are opaque to clients: hex of `<created_at>:<id>`.
pub fn encode_time_cursor(c: &TimeCursor) -> String {
    hex::encode(format!("{}:{}", c.0, c.1))
}

pub fn decode_time_cursor(s: &str) -> Result<TimeCursor> {
    let bad = || Error::BadRequest("invalid cursor".into());
    let text = String::from_utf8(hex::decode(s).map_err(|_| bad())?).map_err(|_| bad())?;
    let (at, id) = text.split_once(':').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.to_string()))
}
