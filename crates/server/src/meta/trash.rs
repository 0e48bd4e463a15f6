//! The trash in SQL: a deleted file or folder moves out of the namespace into one trash
//! item, its file rows (ids, content references, attributes), folders, shares, links and
//! message attachments kept so a restore brings the same files back as they were, with
//! their versions. Purging releases the
//! content references; the sweeper then reclaims bytes no one holds.

use super::files::{Tx, ensure_parents, file_at, folder_exists, insert_folder, lock_owner, release_content};
use super::sql::{SqlMetaStore, from_row, get_i64, get_str};
use super::{TimeCursor, TrashRecord};
use crate::domain::{FilePath, PrefixRange, Timestamp, new_id};
use crate::error::{Error, Result};
use async_trait::async_trait;
use sqlx::Row;

/// The owner's trash.
#[async_trait]
pub trait TrashMeta {
    /// The owner's trash, newest first, after a cursor of `(deleted_at, id)`.
    async fn trash(&self, owner_id: &str, after: Option<&TimeCursor>, limit: u32) -> Result<Vec<TrashRecord>>;
    /// Puts an item back at `to` (default: where it was); `PathExists` if that is taken,
    /// `NotFound` without such an item. Returns the item as it was, with its new path.
    async fn restore_trash(&self, owner_id: &str, id: &str, to: Option<&FilePath>) -> Result<TrashRecord>;
    /// Deletes one item for good; false when there was none.
    async fn purge_trash(&self, owner_id: &str, id: &str) -> Result<bool>;
    /// Deletes everything in the owner's trash for good; returns how many items.
    async fn empty_trash(&self, owner_id: &str) -> Result<u64>;
    /// Purges up to `limit` items deleted before `before`; returns how many.
    async fn expire_trash(&self, before: Timestamp, limit: u32) -> Result<u64>;
}

const ITEM_COLUMNS: &str = "id, kind, path, size, file_count, deleted_at";

/// A public link's columns, the same in `links` and `trashed_links`.
const LINK_COLUMNS: &str =
    "id, token_hash, file_id, owner_id, password_hash, expires_at, max_downloads, download_count, created_at";

/// The file columns a trashed file keeps, in the same order in both tables.
const KEPT_FILE_COLUMNS: &str =
    "id, owner_id, path, content_id, size, content_type, created_at, updated_at, modified_at, s3_etag, user_metadata";

/// A trash item about to be purged.
pub(super) struct ItemRef {
    id: String,
    size: i64,
}

/// Moves the owner's file to the trash; false when there is no such file.
pub(super) async fn trash_file(tx: &mut Tx, owner: &str, file_id: &str, now: Timestamp) -> Result<bool> {
    let Some(row) = sqlx::query("SELECT path, size FROM files WHERE id = $1 AND owner_id = $2")
        .bind(file_id)
        .bind(owner)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(false);
    };
    let size = get_i64(&row, "size")?;
    let trash_id = new_id();
    insert_item(tx, owner, &trash_id, "file", &get_str(&row, "path")?, size, 1, now).await?;
    let keep = format!(
        "INSERT INTO trashed_files (trash_id, {KEPT_FILE_COLUMNS}) SELECT $1, {KEPT_FILE_COLUMNS} FROM files \
         WHERE id = $2"
    );
    sqlx::query(sqlx::AssertSqlSafe(keep)).bind(&trash_id).bind(file_id).execute(&mut **tx).await?;
    keep_sharing(tx, &trash_id).await?;
    sqlx::query("DELETE FROM files WHERE id = $1").bind(file_id).execute(&mut **tx).await?;
    move_to_trash_bytes(tx, owner, size, 1).await?;
    Ok(true)
}

/// Moves the owner's folder, with everything below it, to the trash as one item; false
/// when there is no such folder.
pub(super) async fn trash_folder(tx: &mut Tx, owner: &str, path: &FilePath, now: Timestamp) -> Result<bool> {
    lock_owner(tx, owner).await?;
    if !folder_exists(tx, owner, path.as_str()).await? {
        return Ok(false);
    }
    let below = PrefixRange::parse(Some(&format!("{path}/")))?;
    let totals = sqlx::query(
        // SUM is NUMERIC on PostgreSQL, which the Any driver cannot read: cast it back.
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS size, COUNT(*) AS n FROM files \
         WHERE owner_id = $1 AND path >= $2 AND path < $3",
    )
    .bind(owner)
    .bind(&below.lo)
    .bind(&below.hi)
    .fetch_one(&mut **tx)
    .await?;
    let size = get_i64(&totals, "size")?;
    let count = get_i64(&totals, "n")?;
    let trash_id = new_id();
    insert_item(tx, owner, &trash_id, "folder", path.as_str(), size, count, now).await?;
    let keep = format!(
        "INSERT INTO trashed_files (trash_id, {KEPT_FILE_COLUMNS}) SELECT $1, {KEPT_FILE_COLUMNS} FROM files \
         WHERE owner_id = $2 AND path >= $3 AND path < $4"
    );
    sqlx::query(sqlx::AssertSqlSafe(keep))
        .bind(&trash_id)
        .bind(owner)
        .bind(&below.lo)
        .bind(&below.hi)
        .execute(&mut **tx)
        .await?;
    keep_sharing(tx, &trash_id).await?;
    sqlx::query(
        "INSERT INTO trashed_folders (trash_id, path, created_at) SELECT $1, path, created_at FROM folders \
         WHERE owner_id = $2 AND (path = $3 OR (path >= $4 AND path < $5))",
    )
    .bind(&trash_id)
    .bind(owner)
    .bind(path.as_str())
    .bind(&below.lo)
    .bind(&below.hi)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM files WHERE owner_id = $1 AND path >= $2 AND path < $3")
        .bind(owner)
        .bind(&below.lo)
        .bind(&below.hi)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM folders WHERE owner_id = $1 AND (path = $2 OR (path >= $3 AND path < $4))")
        .bind(owner)
        .bind(path.as_str())
        .bind(&below.lo)
        .bind(&below.hi)
        .execute(&mut **tx)
        .await?;
    move_to_trash_bytes(tx, owner, size, count).await?;
    Ok(true)
}

/// Keeps the shares, links and message attachments of the files just copied to trash
/// item `trash_id` (before their rows leave `files`, which ends them).
async fn keep_sharing(tx: &mut Tx, trash_id: &str) -> Result<()> {
    const OF_ITEM: &str = "(SELECT id FROM trashed_files WHERE trash_id = $1)";
    let statements = [
        format!(
            "INSERT INTO trashed_shares (trash_id, file_id, user_id, created_at) \
             SELECT $1, file_id, user_id, created_at FROM shares WHERE file_id IN {OF_ITEM}"
        ),
        format!(
            "INSERT INTO trashed_links (trash_id, {LINK_COLUMNS}) SELECT $1, {LINK_COLUMNS} FROM links \
             WHERE file_id IN {OF_ITEM}"
        ),
        format!(
            "INSERT INTO trashed_attachments (trash_id, message_id, file_id) \
             SELECT $1, id, file_id FROM messages WHERE file_id IN {OF_ITEM}"
        ),
    ];
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(trash_id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Gives the restored files of trash item `trash_id` their shares (with users that still
/// exist), links and attachments back.
async fn restore_sharing(tx: &mut Tx, trash_id: &str) -> Result<()> {
    let statements = [
        "INSERT INTO shares (file_id, user_id, created_at) SELECT file_id, user_id, created_at FROM trashed_shares \
         WHERE trash_id = $1"
            .to_string(),
        format!("INSERT INTO links ({LINK_COLUMNS}) SELECT {LINK_COLUMNS} FROM trashed_links WHERE trash_id = $1"),
        "UPDATE messages SET file_id = (SELECT t.file_id FROM trashed_attachments t \
         WHERE t.trash_id = $1 AND t.message_id = messages.id) \
         WHERE id IN (SELECT message_id FROM trashed_attachments WHERE trash_id = $1)"
            .to_string(),
    ];
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(trash_id).execute(&mut **tx).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_item(
    tx: &mut Tx,
    owner: &str,
    id: &str,
    kind: &str,
    path: &str,
    size: i64,
    files: i64,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO trash_items (id, owner_id, kind, path, size, file_count, deleted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(owner)
    .bind(kind)
    .bind(path)
    .bind(size)
    .bind(files)
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Files leaving the namespace for the trash: their bytes still count, as trash.
async fn move_to_trash_bytes(tx: &mut Tx, owner: &str, bytes: i64, files: i64) -> Result<()> {
    sqlx::query(
        "UPDATE users SET used_bytes = used_bytes - $1, file_count = file_count - $2, trash_bytes = trash_bytes + $1 \
         WHERE id = $3",
    )
    .bind(bytes)
    .bind(files)
    .bind(owner)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The owner's oldest trash item (the first to go under quota pressure, after versions).
pub(super) async fn oldest_item(tx: &mut Tx, owner: &str) -> Result<Option<ItemRef>> {
    let row = sqlx::query("SELECT id, size FROM trash_items WHERE owner_id = $1 ORDER BY deleted_at, id LIMIT 1")
        .bind(owner)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| Ok(ItemRef { id: get_str(&r, "id")?, size: get_i64(&r, "size")? })).transpose()
}

/// Deletes a trash item for good: its files' content references and versions go.
pub(super) async fn purge_item(tx: &mut Tx, owner: &str, item: &ItemRef) -> Result<()> {
    let files = sqlx::query("SELECT id, content_id FROM trashed_files WHERE trash_id = $1")
        .bind(&item.id)
        .fetch_all(&mut **tx)
        .await?;
    for f in &files {
        release_content(tx, &get_str(f, "content_id")?).await?;
        super::versions::drop_all_versions(tx, owner, &get_str(f, "id")?).await?;
    }
    // Its trashed files and folders go with it (ON DELETE CASCADE).
    sqlx::query("DELETE FROM trash_items WHERE id = $1").bind(&item.id).execute(&mut **tx).await?;
    sqlx::query("UPDATE users SET trash_bytes = trash_bytes - $1 WHERE id = $2")
        .bind(item.size)
        .bind(owner)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// `path` moved from below `from` to below `to` (`from` itself becomes `to`).
fn rebased(path: &str, from: &str, to: &FilePath) -> Result<FilePath> {
    FilePath::parse(&format!("{to}{}", path.get(from.len()..).unwrap_or_default()))
}

#[async_trait]
impl TrashMeta for SqlMetaStore {
    async fn trash(&self, owner: &str, after: Option<&TimeCursor>, limit: u32) -> Result<Vec<TrashRecord>> {
        let (at, id) = after.cloned().unwrap_or((i64::MAX, String::new()));
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM trash_items WHERE owner_id = $1 \
             AND (deleted_at < $2 OR (deleted_at = $2 AND ($3 = '' OR id < $3))) \
             ORDER BY deleted_at DESC, id DESC LIMIT $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(at)
            .bind(&id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row::<TrashRecord>).collect()
    }

    async fn restore_trash(&self, owner: &str, id: &str, to: Option<&FilePath>) -> Result<TrashRecord> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        lock_owner(&mut tx, owner).await?;
        let sql = format!("SELECT {ITEM_COLUMNS} FROM trash_items WHERE id = $1 AND owner_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(owner).fetch_optional(&mut *tx).await?;
        let mut item = row.as_ref().map(from_row::<TrashRecord>).transpose()?.ok_or(Error::NotFound)?;
        let root = match to {
            Some(p) => p.clone(),
            None => FilePath::parse(&item.path)?,
        };
        if file_at(&mut tx, owner, root.as_str()).await?.is_some()
            || folder_exists(&mut tx, owner, root.as_str()).await?
        {
            return Err(Error::PathExists);
        }
        ensure_parents(&mut tx, owner, &root, now).await?;
        let folders = sqlx::query("SELECT path FROM trashed_folders WHERE trash_id = $1 ORDER BY path")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        for f in &folders {
            let path = rebased(&get_str(f, "path")?, &item.path, &root)?;
            insert_folder(&mut tx, owner, path.as_str(), now, true).await?;
        }
        let sql = format!("SELECT {KEPT_FILE_COLUMNS} FROM trashed_files WHERE trash_id = $1");
        let files = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_all(&mut *tx).await?;
        for f in &files {
            let path = rebased(&get_str(f, "path")?, &item.path, &root)?;
            sqlx::query(
                "INSERT INTO files (id, owner_id, path, dir, name_key, content_id, size, content_type, \
                 created_at, updated_at, modified_at, s3_etag, user_metadata) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(get_str(f, "id")?)
            .bind(owner)
            .bind(path.as_str())
            .bind(path.parent())
            .bind(path.name_key())
            .bind(get_str(f, "content_id")?)
            .bind(get_i64(f, "size")?)
            .bind(get_str(f, "content_type")?)
            .bind(get_i64(f, "created_at")?)
            .bind(now.0)
            .bind(f.try_get::<Option<i64>, _>("modified_at")?)
            .bind(f.try_get::<Option<String>, _>("s3_etag")?)
            .bind(f.try_get::<Option<String>, _>("user_metadata")?)
            .execute(&mut *tx)
            .await?;
        }
        restore_sharing(&mut tx, id).await?;
        sqlx::query("DELETE FROM trash_items WHERE id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query(
            "UPDATE users SET used_bytes = used_bytes + $1, file_count = file_count + $2, \
             trash_bytes = trash_bytes - $1 WHERE id = $3",
        )
        .bind(item.size)
        .bind(files.len() as i64)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        item.path = root.as_str().to_string();
        Ok(item)
    }

    async fn purge_trash(&self, owner: &str, id: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let row = sqlx::query("SELECT id, size FROM trash_items WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Ok(false) };
        purge_item(&mut tx, owner, &ItemRef { id: get_str(&row, "id")?, size: get_i64(&row, "size")? }).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn empty_trash(&self, owner: &str) -> Result<u64> {
        let mut purged = 0;
        // In batches, so a huge trash does not hold the write lock for long.
        loop {
            let mut tx = self.begin().await?;
            let rows = sqlx::query("SELECT id, size FROM trash_items WHERE owner_id = $1 LIMIT 100")
                .bind(owner)
                .fetch_all(&mut *tx)
                .await?;
            for r in &rows {
                purge_item(&mut tx, owner, &ItemRef { id: get_str(r, "id")?, size: get_i64(r, "size")? }).await?;
            }
            tx.commit().await?;
            purged += rows.len() as u64;
            if rows.len() < 100 {
                return Ok(purged);
            }
        }
    }

    async fn expire_trash(&self, before: Timestamp, limit: u32) -> Result<u64> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "SELECT id, owner_id, size FROM trash_items WHERE deleted_at < $1 ORDER BY deleted_at LIMIT $2",
        )
        .bind(before.0)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            let item = ItemRef { id: get_str(r, "id")?, size: get_i64(r, "size")? };
            purge_item(&mut tx, &get_str(r, "owner_id")?, &item).await?;
        }
        tx.commit().await?;
        Ok(rows.len() as u64)
    }
}
