//! Earlier versions of files in SQL: a replaced file's previous content is kept as a
//! version row holding its reference on the content (so the bytes stay, and identical
//! content is still stored once). Listing, reading, restoring, deleting, trimming to
//! the per-file limit, and expiry.

use super::files::{Tx, file_columns, lock_owner, release_content};
use super::sql::{SqlMetaStore, from_row, get_i64, get_str};
use super::{FileRecord, TimeCursor, VersionRecord};
use crate::domain::{Timestamp, new_id};
use crate::error::{Error, Result};
use async_trait::async_trait;

/// Versions of the owner's files.
#[async_trait]
pub trait VersionMeta {
    /// The earlier versions of the owner's file `file_id`, newest first, after a cursor
    /// of `(archived_at, id)`; `NotFound` if the owner has no such (live) file.
    async fn versions(
        &self,
        owner_id: &str,
        file_id: &str,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Vec<VersionRecord>>;
    /// The earlier versions of several of the owner's files in one query, by file and
    /// newest first within each (S3's ListObjectVersions).
    async fn versions_of_files(&self, owner_id: &str, file_ids: &[String]) -> Result<Vec<VersionRecord>>;
    /// One version as the file it was (the file's id and path, that version's bytes and
    /// attributes), for reading it like any download.
    async fn version_as_file(&self, owner_id: &str, file_id: &str, version_id: &str) -> Result<Option<FileRecord>>;
    /// Makes a version the file's content again; the content it replaces becomes a
    /// version in turn (unless identical). `NotFound` without that file or version.
    async fn restore_version(&self, owner_id: &str, file_id: &str, version_id: &str, keep: u32) -> Result<FileRecord>;
    /// Deletes one version for good; false when there was none.
    async fn delete_version(&self, owner_id: &str, file_id: &str, version_id: &str) -> Result<bool>;
    /// Deletes up to `limit` versions that stopped being current before `before`;
    /// returns how many.
    async fn expire_versions(&self, before: Timestamp, limit: u32) -> Result<u64>;
}

/// A version about to be dropped: what it holds.
pub(super) struct VersionRef {
    id: String,
    content_id: String,
    size: i64,
}

fn version_ref(row: &sqlx::any::AnyRow) -> Result<VersionRef> {
    Ok(VersionRef { id: get_str(row, "id")?, content_id: get_str(row, "content_id")?, size: get_i64(row, "size")? })
}

/// Keeps the live file `file_id`'s current content as a version (its content reference
/// moves to the version row); returns the bytes now held as versions.
pub(super) async fn archive_current(tx: &mut Tx, file_id: &str, now: Timestamp) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO file_versions (id, file_id, owner_id, content_id, size, content_type, s3_etag, user_metadata, \
         modified_at, created_at, archived_at) \
         SELECT $1, id, owner_id, content_id, size, content_type, s3_etag, user_metadata, \
         COALESCE(modified_at, updated_at), updated_at, $2 FROM files WHERE id = $3 RETURNING size",
    )
    .bind(new_id())
    .bind(now.0)
    .bind(file_id)
    .fetch_one(&mut **tx)
    .await?;
    get_i64(&row, "size")
}

/// Drops one version: its content reference is released (the sweeper reclaims bytes no
/// one references) and the owner's version bytes shrink.
pub(super) async fn drop_version(tx: &mut Tx, owner: &str, v: &VersionRef) -> Result<()> {
    let gone = sqlx::query("DELETE FROM file_versions WHERE id = $1").bind(&v.id).execute(&mut **tx).await?;
    if gone.rows_affected() == 1 {
        release_content(tx, &v.content_id).await?;
        sqlx::query("UPDATE users SET versions_bytes = versions_bytes - $1 WHERE id = $2")
            .bind(v.size)
            .bind(owner)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The owner's oldest version (the first to go under quota pressure).
pub(super) async fn oldest_version(tx: &mut Tx, owner: &str) -> Result<Option<VersionRef>> {
    let row = sqlx::query(
        "SELECT id, content_id, size FROM file_versions WHERE owner_id = $1 ORDER BY archived_at, id LIMIT 1",
    )
    .bind(owner)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(version_ref).transpose()
}

/// Drops the versions of `file_id` past the newest `keep`.
pub(super) async fn trim_versions(tx: &mut Tx, owner: &str, file_id: &str, keep: u32) -> Result<()> {
    let rows = sqlx::query(
        "SELECT id, content_id, size FROM file_versions WHERE file_id = $1 \
         ORDER BY archived_at DESC, id DESC LIMIT 1000000 OFFSET $2",
    )
    .bind(file_id)
    .bind(i64::from(keep))
    .fetch_all(&mut **tx)
    .await?;
    for r in &rows {
        drop_version(tx, owner, &version_ref(r)?).await?;
    }
    Ok(())
}

/// Drops every version of `file_id` (the file is being purged for good).
pub(super) async fn drop_all_versions(tx: &mut Tx, owner: &str, file_id: &str) -> Result<()> {
    trim_versions(tx, owner, file_id, 0).await
}

async fn version_in_tx(tx: &mut Tx, owner: &str, file_id: &str, version_id: &str) -> Result<Option<sqlx::any::AnyRow>> {
    Ok(sqlx::query(
        "SELECT id, content_id, size, content_type, s3_etag, user_metadata, modified_at FROM file_versions \
         WHERE id = $1 AND file_id = $2 AND owner_id = $3",
    )
    .bind(version_id)
    .bind(file_id)
    .bind(owner)
    .fetch_optional(&mut **tx)
    .await?)
}

#[async_trait]
impl VersionMeta for SqlMetaStore {
    async fn versions(
        &self,
        owner: &str,
        file_id: &str,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Vec<VersionRecord>> {
        let live = sqlx::query("SELECT 1 FROM files WHERE id = $1 AND owner_id = $2")
            .bind(file_id)
            .bind(owner)
            .fetch_optional(&self.pool)
            .await?;
        if live.is_none() {
            return Err(Error::NotFound);
        }
        let (at, id) = after.cloned().unwrap_or((i64::MAX, String::new()));
        let rows = sqlx::query(
            "SELECT v.id, v.file_id, v.size, c.sha256, c.cid, v.modified_at, v.created_at, v.archived_at, \
             c.md5, v.s3_etag \
             FROM file_versions v JOIN contents c ON c.id = v.content_id \
             WHERE v.file_id = $1 AND v.owner_id = $2 \
             AND (v.archived_at < $3 OR (v.archived_at = $3 AND ($4 = '' OR v.id < $4))) \
             ORDER BY v.archived_at DESC, v.id DESC LIMIT $5",
        )
        .bind(file_id)
        .bind(owner)
        .bind(at)
        .bind(&id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row::<VersionRecord>).collect()
    }

    async fn versions_of_files(&self, owner: &str, file_ids: &[String]) -> Result<Vec<VersionRecord>> {
        if file_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (0..file_ids.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT v.id, v.file_id, v.size, c.sha256, c.cid, v.modified_at, v.created_at, v.archived_at, \
             c.md5, v.s3_etag FROM file_versions v JOIN contents c ON c.id = v.content_id \
             WHERE v.owner_id = $1 AND v.file_id IN ({}) ORDER BY v.file_id, v.archived_at DESC, v.id DESC",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner);
        for id in file_ids {
            q = q.bind(id);
        }
        q.fetch_all(&self.pool).await?.iter().map(from_row::<VersionRecord>).collect()
    }

    async fn version_as_file(&self, owner: &str, file_id: &str, version_id: &str) -> Result<Option<FileRecord>> {
        // The file's columns with the version's content and attributes in their place.
        let sql = format!(
            "SELECT {} FROM file_versions v JOIN files f ON f.id = v.file_id \
             JOIN contents c ON c.id = v.content_id JOIN users u ON u.id = f.owner_id \
             WHERE v.id = $1 AND v.file_id = $2 AND v.owner_id = $3",
            file_columns!()
                .replace("f.size", "v.size")
                .replace("f.content_id", "v.content_id")
                .replace("f.content_type", "v.content_type")
                .replace("f.created_at", "v.created_at")
                .replace("f.updated_at", "v.created_at AS updated_at")
                .replace("f.modified_at", "v.modified_at")
                .replace("f.s3_etag", "v.s3_etag")
                .replace("f.user_metadata", "v.user_metadata")
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(version_id)
            .bind(file_id)
            .bind(owner)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row::<FileRecord>).transpose()
    }

    async fn restore_version(&self, owner: &str, file_id: &str, version_id: &str, keep: u32) -> Result<FileRecord> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        lock_owner(&mut tx, owner).await?;
        let current = sqlx::query("SELECT content_id, size FROM files WHERE id = $1 AND owner_id = $2")
            .bind(file_id)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound)?;
        let v = version_in_tx(&mut tx, owner, file_id, version_id).await?.ok_or(Error::NotFound)?;
        let (current_content, current_size) = (get_str(&current, "content_id")?, get_i64(&current, "size")?);
        let (v_content, v_size) = (get_str(&v, "content_id")?, get_i64(&v, "size")?);
        // The version's reference passes to the file; the current one's to a new version
        // (or, for the same content, is simply released). Bytes only change columns.
        let archived = if current_content != v_content && keep > 0 {
            archive_current(&mut tx, file_id, now).await?
        } else {
            release_content(&mut tx, &current_content).await?;
            0
        };
        sqlx::query("DELETE FROM file_versions WHERE id = $1").bind(version_id).execute(&mut *tx).await?;
        sqlx::query(
            "UPDATE files SET content_id = $1, size = $2, content_type = $3, s3_etag = $4, user_metadata = $5, \
             modified_at = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(&v_content)
        .bind(v_size)
        .bind(get_str(&v, "content_type")?)
        .bind(v.try_get::<Option<String>, _>("s3_etag")?)
        .bind(v.try_get::<Option<String>, _>("user_metadata")?)
        .bind(get_i64(&v, "modified_at")?)
        .bind(now.0)
        .bind(file_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE users SET used_bytes = used_bytes + $1, versions_bytes = versions_bytes + $2 WHERE id = $3",
        )
        .bind(v_size - current_size)
        .bind(archived - v_size)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        trim_versions(&mut tx, owner, file_id, keep).await?;
        let file = super::files::file_in_tx(&mut tx, file_id).await?;
        tx.commit().await?;
        Ok(file)
    }

    async fn delete_version(&self, owner: &str, file_id: &str, version_id: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let Some(row) = version_in_tx(&mut tx, owner, file_id, version_id).await? else { return Ok(false) };
        drop_version(&mut tx, owner, &version_ref(&row)?).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn expire_versions(&self, before: Timestamp, limit: u32) -> Result<u64> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "SELECT id, owner_id, content_id, size FROM file_versions WHERE archived_at < $1 \
             ORDER BY archived_at LIMIT $2",
        )
        .bind(before.0)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            drop_version(&mut tx, &get_str(r, "owner_id")?, &version_ref(r)?).await?;
        }
        tx.commit().await?;
        Ok(rows.len() as u64)
    }
}

use sqlx::Row;
