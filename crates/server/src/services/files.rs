//! Reading and managing files: visibility, listing with cursors, moves, deletes, and
//! opening content for download.

use super::{Principal, Settings};
use crate::blob::ByteStream;
use crate::domain::{FilePath, PrefixRange};
use crate::error::{Error, Result};
use crate::meta::{FileRecord, MetaStore};
use nimbus_api::Permission;
use std::ops::Range;
use std::sync::Arc;

pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 1000;

#[derive(Clone)]
pub struct Files {
    pub(super) meta: Arc<dyn MetaStore>,
    pub(super) stores: super::Stores,
    pub(super) settings: Settings,
    /// Wakes the CAR indexer when new content is committed.
    pub(super) car_wakeup: Arc<tokio::sync::Notify>,
    pub(super) meter: super::UsageMeter,
}

/// One page of a listing and the cursor for the next.
pub struct FilePage {
    pub items: Vec<FileRecord>,
    pub next_cursor: Option<String>,
}

impl Files {
    pub fn new(
        meta: Arc<dyn MetaStore>,
        stores: super::Stores,
        settings: Settings,
        car_wakeup: Arc<tokio::sync::Notify>,
        meter: super::UsageMeter,
    ) -> Self {
        Files { meta, stores, settings, car_wakeup, meter }
    }

    /// The one place that decides what a caller may do with a file. Strangers get
    /// `NotFound`, exactly as for a file that does not exist.
    pub async fn visible(&self, who: &Principal, id: &str) -> Result<(FileRecord, Permission)> {
        let file = self.meta.file_by_id(id).await?.ok_or(Error::NotFound)?;
        if file.owner_id == who.user.id {
            return Ok((file, Permission::Owner));
        }
        if self.meta.is_shared_with(&file.id, &who.user.id).await? {
            return Ok((file, Permission::Read));
        }
        Err(Error::NotFound)
    }

    /// A file the caller owns; a file they may only read gives `Forbidden`.
    pub async fn owned(&self, who: &Principal, id: &str) -> Result<FileRecord> {
        match self.visible(who, id).await? {
            (file, Permission::Owner) => Ok(file),
            _ => Err(Error::Forbidden),
        }
    }

    pub async fn by_path(&self, who: &Principal, path: &FilePath) -> Result<FileRecord> {
        self.meta.file_by_path(&who.user.id, path.as_str()).await?.ok_or(Error::NotFound)
    }

    pub async fn list(
        &self,
        who: &Principal,
        prefix: Option<&str>,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<FilePage> {
        let range = PrefixRange::parse(prefix)?;
        let limit = match limit {
            None => DEFAULT_PAGE,
            Some(0) => return Err(Error::BadRequest("limit must be at least 1".into())),
            Some(n) => n.min(MAX_PAGE),
        };
        let after = cursor.map(decode_cursor).transpose()?;
        // Fetch one extra row to know whether another page follows.
        let mut items = self.meta.list_files(&who.user.id, &range, after.as_deref(), limit + 1).await?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|f| hex::encode(f.path.as_bytes()))
        } else {
            None
        };
        Ok(FilePage { items, next_cursor })
    }

    pub async fn move_file(&self, who: &Principal, id: &str, new_path: &str) -> Result<FileRecord> {
        let file = self.owned(who, id).await?;
        let path = FilePath::parse(new_path)?;
        if path.as_str() == file.path {
            return Ok(file);
        }
        self.meta.move_file(&who.user.id, &file.id, path.as_str()).await
    }

    pub async fn delete(&self, who: &Principal, id: &str) -> Result<()> {
        let file = self.owned(who, id).await?;
        if self.meta.delete_file(&who.user.id, &file.id).await? { Ok(()) } else { Err(Error::NotFound) }
    }

    pub async fn delete_path(&self, who: &Principal, path: &FilePath) -> Result<()> {
        let file = self.by_path(who, path).await?;
        if self.meta.delete_file(&who.user.id, &file.id).await? { Ok(()) } else { Err(Error::NotFound) }
    }

    /// A file of the caller's with this CID (any base or version); `BadRequest` if it is
    /// not a CID, `NotFound` if the caller may read no such file.
    pub async fn by_cid(&self, who: &Principal, cid: &str) -> Result<FileRecord> {
        let cid = crate::content::parse_cid(cid).ok_or_else(|| Error::BadRequest("not a CID".into()))?;
        self.meta.file_by_cid(&who.user.id, &cid).await?.ok_or(Error::NotFound)
    }

    /// Streams `range` of a file the caller was already allowed to see, charging the
    /// bytes sent to `charge_to`'s downloaded_bytes.
    pub async fn open(&self, file: &FileRecord, range: Range<u64>, charge_to: &str) -> Result<ByteStream> {
        let store = self.stores.by_name(&file.store).await?;
        let stream = store.read(&file.blob_key, range).await?;
        Ok(self.meter.meter_download(charge_to, stream))
    }
}

fn decode_cursor(c: &str) -> Result<String> {
    hex::decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Error::BadRequest("invalid cursor".into()))
}
