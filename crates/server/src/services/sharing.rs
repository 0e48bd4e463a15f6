//! Sharing a file with another user, listing what is shared with the caller.

use super::paging::{Page, decode_time_cursor, page_limit, paginate, time_cursor_text};
use super::{Files, Principal};
use crate::domain::Timestamp;
use crate::domain::login_key;
use crate::error::{Error, Result};
use crate::meta::{FileRecord, MetaStore, ShareRecord, UserRecord};
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
pub type SharedPage = Page<FileRecord>;

impl Sharing {
    pub fn new(meta: Arc<dyn MetaStore>, files: Files) -> Self {
        Sharing { meta, files }
    }

    pub async fn find_user(&self, target: ShareTarget<'_>) -> Result<UserRecord> {
        let user = match target {
            ShareTarget::Username(name) => self.meta.user_by_username(&login_key(name)).await?,
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
        let rows = self.meta.shared_with(&who.user.id, cursor.as_ref(), limit + 1).await?;
        let page = paginate(rows, limit, |(f, at)| time_cursor_text(at.0, &f.id));
        Ok(SharedPage { items: page.items.into_iter().map(|(f, _)| f).collect(), next_cursor: page.next_cursor })
    }
}
