//! Versions and the trash, for every front: a file's earlier contents (listed, read
//! like any download, restored, deleted) and deleted files and folders (listed,
//! restored, purged), plus their expiry. What is kept and how it counts against the
//! quota is decided in one place, the metadata store (see `meta::quota`).

use super::files::{ReadOutcome, ReadRequest};
use super::paging::{Page, decode_time_cursor, page_limit, paginate, time_cursor_text};
use super::{Files, Principal};
use crate::domain::{FilePath, Timestamp};
use crate::error::{Error, Result};
use crate::meta::{FileRecord, TrashRecord, VersionRecord};
use nimbus_api::Permission;

/// Up to this many versions or trash items expire per statement, so expiry never holds
/// the write lock for long.
const EXPIRY_BATCH: u32 = 200;

impl Files {
    /// The earlier versions of a file the caller owns, newest first.
    pub async fn versions(
        &self,
        who: &Principal,
        file_id: &str,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<VersionRecord>> {
        let file = self.owned(who, file_id).await?;
        let limit = page_limit(limit)?;
        let after = cursor.map(decode_time_cursor).transpose()?;
        let rows = self.meta.versions(&file.owner_id, &file.id, after.as_ref(), limit + 1).await?;
        Ok(paginate(rows, limit, |v| time_cursor_text(v.archived_at.0, &v.id)))
    }

    /// The earlier versions of several of the caller's own files (say, a page of an S3
    /// listing), in one query: `(file id, its versions newest first)`.
    pub async fn versions_of_files(
        &self,
        who: &Principal,
        file_ids: &[String],
    ) -> Result<std::collections::HashMap<String, Vec<VersionRecord>>> {
        let mut by_file: std::collections::HashMap<String, Vec<VersionRecord>> = std::collections::HashMap::new();
        for v in self.meta.versions_of_files(&who.user.id, file_ids).await? {
            by_file.entry(v.file_id.clone()).or_default().push(v);
        }
        Ok(by_file)
    }

    /// One earlier version of a file the caller owns, as the file it was (its id and
    /// path, that version's bytes and attributes), for fronts that read it themselves.
    pub async fn version_as_file(&self, who: &Principal, file_id: &str, version_id: &str) -> Result<FileRecord> {
        let file = self.owned(who, file_id).await?;
        self.meta.version_as_file(&file.owner_id, &file.id, version_id).await?.ok_or(Error::NotFound)
    }

    /// Opens one earlier version like any download (conditions, ranges, checked bytes,
    /// metered to the caller).
    pub async fn open_version(
        &self,
        who: &Principal,
        file_id: &str,
        version_id: &str,
        req: &ReadRequest,
    ) -> Result<ReadOutcome> {
        let version = self.version_as_file(who, file_id, version_id).await?;
        self.read(version, Permission::Owner, req, &who.user.id).await
    }

    /// Makes an earlier version current again; the current content becomes a version.
    pub async fn restore_version(&self, who: &Principal, file_id: &str, version_id: &str) -> Result<FileRecord> {
        let file = self.owned(who, file_id).await?;
        let keep = self.settings.versions_per_file;
        self.meta.restore_version(&file.owner_id, &file.id, version_id, keep).await
    }

    /// Deletes one earlier version for good.
    pub async fn delete_version(&self, who: &Principal, file_id: &str, version_id: &str) -> Result<()> {
        let file = self.owned(who, file_id).await?;
        let deleted = self.meta.delete_version(&file.owner_id, &file.id, version_id).await?;
        if deleted { Ok(()) } else { Err(Error::NotFound) }
    }

    /// The caller's trash, newest first.
    pub async fn trash(&self, who: &Principal, limit: Option<u32>, cursor: Option<&str>) -> Result<Page<TrashRecord>> {
        let limit = page_limit(limit)?;
        let after = cursor.map(decode_time_cursor).transpose()?;
        let rows = self.meta.trash(&who.user.id, after.as_ref(), limit + 1).await?;
        Ok(paginate(rows, limit, |t| time_cursor_text(t.deleted_at.0, &t.id)))
    }

    /// Puts a trashed item back where it was, or at `to`.
    pub async fn restore_from_trash(&self, who: &Principal, id: &str, to: Option<&str>) -> Result<TrashRecord> {
        let to = to.map(|p| FilePath::parse_field(p, "path")).transpose()?;
        self.meta.restore_trash(&who.user.id, id, to.as_ref()).await
    }

    /// Deletes one trashed item for good.
    pub async fn purge_from_trash(&self, who: &Principal, id: &str) -> Result<()> {
        let purged = self.meta.purge_trash(&who.user.id, id).await?;
        if purged { Ok(()) } else { Err(Error::NotFound) }
    }

    /// Deletes everything in the caller's trash for good.
    pub async fn empty_trash(&self, who: &Principal) -> Result<u64> {
        self.meta.empty_trash(&who.user.id).await
    }

    /// Purges versions and trash past their retention; returns how many went.
    pub async fn expire_retained(&self) -> Result<u64> {
        let now = Timestamp::now();
        let mut gone = 0;
        let version_cutoff = now.plus_secs(-secs(self.settings.version_ttl_secs));
        loop {
            let n = self.meta.expire_versions(version_cutoff, EXPIRY_BATCH).await?;
            gone += n;
            if n < u64::from(EXPIRY_BATCH) {
                break;
            }
        }
        if self.settings.trash_ttl_secs > 0 {
            let trash_cutoff = now.plus_secs(-secs(self.settings.trash_ttl_secs));
            loop {
                let n = self.meta.expire_trash(trash_cutoff, EXPIRY_BATCH).await?;
                gone += n;
                if n < u64::from(EXPIRY_BATCH) {
                    break;
                }
            }
        }
        Ok(gone)
    }
}

fn secs(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX)
}
