//! Files and their content references in SQL: the upload commit, listing, moves,
//! deletes, and reclamation of unreferenced content.

use super::sql::{SqlMetaStore, get_i64, get_opt_str, get_str, is_unique_violation};
use super::{CarJob, CommittedUpload, FileRecord, ReclaimedBlob, StagedUpload, WriteMode};
use crate::domain::{FilePath, PrefixRange, Timestamp, new_id};
use crate::error::{Error, Result};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// The file columns every file query selects, so [`file_from_row`] can read them.
macro_rules! file_columns {
    () => {
        "f.id, f.owner_id, u.username AS owner_username, f.path, f.size, f.content_type, \
         c.sha256, c.cid, c.car_cid, c.car_size, f.content_id, c.store, c.blob_key, f.created_at, f.updated_at"
    };
}
pub(super) use file_columns;

macro_rules! select_file {
    ($rest:literal) => {
        concat!(
            "SELECT ",
            file_columns!(),
            " FROM files f JOIN contents c ON c.id = f.content_id JOIN users u ON u.id = f.owner_id ",
            $rest
        )
    };
}

pub(super) fn file_from_row(row: &AnyRow) -> Result<FileRecord> {
    Ok(FileRecord {
        id: get_str(row, "id")?,
        owner_id: get_str(row, "owner_id")?,
        owner_username: get_str(row, "owner_username")?,
        path: get_str(row, "path")?,
        size: get_i64(row, "size")?,
        content_type: get_str(row, "content_type")?,
        sha256: get_str(row, "sha256")?,
        cid: get_opt_str(row, "cid")?,
        car_cid: get_opt_str(row, "car_cid")?,
        car_size: row.try_get::<Option<i64>, _>("car_size")?,
        content_id: get_str(row, "content_id")?,
        store: get_str(row, "store")?,
        blob_key: get_str(row, "blob_key")?,
        created_at: Timestamp(get_i64(row, "created_at")?),
        updated_at: Timestamp(get_i64(row, "updated_at")?),
    })
}

/// The existing file at a path, as far as an upload needs to know it.
struct Existing {
    id: String,
    content_id: String,
    size: i64,
    sha256: String,
}

async fn existing_at(tx: &mut Transaction<'static, Any>, owner: &str, path: &str) -> Result<Option<Existing>> {
    let row = sqlx::query(
        "SELECT f.id, f.content_id, f.size, c.sha256 FROM files f JOIN contents c ON c.id = f.content_id \
         WHERE f.owner_id = $1 AND f.path = $2",
    )
    .bind(owner)
    .bind(path)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok(Existing {
            id: get_str(&r, "id")?,
            content_id: get_str(&r, "content_id")?,
            size: get_i64(&r, "size")?,
            sha256: get_str(&r, "sha256")?,
        })
    })
    .transpose()
}

async fn release_content(tx: &mut Transaction<'static, Any>, content_id: &str) -> Result<()> {
    sqlx::query("UPDATE contents SET refcount = refcount - 1 WHERE id = $1")
        .bind(content_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The first free `name (n).ext` for `path`.
async fn free_numbered_path(tx: &mut Transaction<'static, Any>, owner: &str, path: &FilePath) -> Result<FilePath> {
    for n in 1..=10_000 {
        let candidate = path.numbered(n)?;
        if existing_at(tx, owner, candidate.as_str()).await?.is_none() {
            return Ok(candidate);
        }
    }
    Err(Error::PathExists)
}

impl SqlMetaStore {
    pub(super) async fn commit_uploads_sql(
        &self,
        owner: &str,
        uploads: Vec<StagedUpload>,
    ) -> Result<Vec<CommittedUpload>> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let mut usage_delta: i64 = 0;
        let mut count_delta: i64 = 0;
        let mut written = Vec::with_capacity(uploads.len());
        for up in uploads {
            // Take a reference on the content: revive or share an existing row, or
            // insert one pointing at the staged blob.
            let row = sqlx::query(
                "INSERT INTO contents (id, store, sha256, size, blob_key, refcount, created_at, cid) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $7) \
                 ON CONFLICT (store, sha256) DO UPDATE SET refcount = contents.refcount + 1 \
                 RETURNING id, blob_key",
            )
            .bind(new_id())
            .bind(&up.store)
            .bind(&up.sha256)
            .bind(up.size)
            .bind(&up.blob_key)
            .bind(now.0)
            .bind(&up.cid)
            .fetch_one(&mut *tx)
            .await?;
            let content_id = get_str(&row, "id")?;
            let kept_key = get_str(&row, "blob_key")?;
            let redundant_blob = (kept_key != up.blob_key).then(|| up.blob_key.clone());

            let existing = existing_at(&mut tx, owner, up.path.as_str()).await?;
            let (file_id, created) = match (&up.mode, existing) {
                (WriteMode::IfMatch(_), None) => return Err(Error::PreconditionFailed),
                (WriteMode::IfMatch(expected), Some(ex)) if &ex.sha256 != expected => {
                    return Err(Error::PreconditionFailed);
                }
                (WriteMode::CreateOnly, Some(_)) => return Err(Error::PreconditionFailed),
                (WriteMode::Fail, Some(_)) => return Err(Error::PathExists),
                (WriteMode::Overwrite | WriteMode::IfMatch(_), Some(ex)) => {
                    sqlx::query(
                        "UPDATE files SET content_id = $1, size = $2, content_type = $3, updated_at = $4 WHERE id = $5",
                    )
                    .bind(&content_id)
                    .bind(up.size)
                    .bind(&up.content_type)
                    .bind(now.0)
                    .bind(&ex.id)
                    .execute(&mut *tx)
                    .await?;
                    release_content(&mut tx, &ex.content_id).await?;
                    usage_delta += up.size - ex.size;
                    (ex.id, false)
                }
                (mode, existing) => {
                    let path = match (mode, existing) {
                        (WriteMode::Rename, Some(_)) => free_numbered_path(&mut tx, owner, &up.path).await?,
                        _ => up.path.clone(),
                    };
                    let id = new_id();
                    sqlx::query(
                        "INSERT INTO files (id, owner_id, path, content_id, size, content_type, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                    )
                    .bind(&id)
                    .bind(owner)
                    .bind(path.as_str())
                    .bind(&content_id)
                    .bind(up.size)
                    .bind(&up.content_type)
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| if is_unique_violation(&e) { Error::PathExists } else { e.into() })?;
                    usage_delta += up.size;
                    count_delta += 1;
                    (id, true)
                }
            };
            written.push((file_id, created, redundant_blob));
        }
        // Charge the owner in the same transaction: the quota check and the charge are
        // one statement, so concurrent uploads cannot both slip under the quota.
        let charged = sqlx::query(
            "UPDATE users SET used_bytes = used_bytes + $1, file_count = file_count + $2 \
             WHERE id = $3 AND ($1 <= 0 OR used_bytes + $1 <= quota_bytes)",
        )
        .bind(usage_delta)
        .bind(count_delta)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        if charged.rows_affected() == 0 {
            return Err(Error::QuotaExceeded);
        }
        let mut out = Vec::with_capacity(written.len());
        for (file_id, created, redundant_blob) in written {
            let row = sqlx::query(select_file!("WHERE f.id = $1")).bind(&file_id).fetch_one(&mut *tx).await?;
            out.push(CommittedUpload { file: file_from_row(&row)?, created, redundant_blob });
        }
        tx.commit().await?;
        Ok(out)
    }

    pub(super) async fn file_by_id_sql(&self, id: &str) -> Result<Option<FileRecord>> {
        let row = sqlx::query(select_file!("WHERE f.id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(file_from_row).transpose()
    }

    pub(super) async fn file_by_path_sql(&self, owner: &str, path: &str) -> Result<Option<FileRecord>> {
        let row = sqlx::query(select_file!("WHERE f.owner_id = $1 AND f.path = $2"))
            .bind(owner)
            .bind(path)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(file_from_row).transpose()
    }

    pub(super) async fn list_files_sql(
        &self,
        owner: &str,
        range: &PrefixRange,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<FileRecord>> {
        let rows = sqlx::query(select_file!(
            "WHERE f.owner_id = $1 AND f.path >= $2 AND f.path < $3 AND f.path > $4 ORDER BY f.path LIMIT $5"
        ))
        .bind(owner)
        .bind(&range.lo)
        .bind(&range.hi)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(file_from_row).collect()
    }

    pub(super) async fn move_file_sql(&self, owner: &str, id: &str, new_path: &str) -> Result<FileRecord> {
        let mut tx = self.begin().await?;
        let r = sqlx::query("UPDATE files SET path = $1, updated_at = $2 WHERE id = $3 AND owner_id = $4")
            .bind(new_path)
            .bind(Timestamp::now().0)
            .bind(id)
            .bind(owner)
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { Error::PathExists } else { e.into() })?;
        if r.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        let row = sqlx::query(select_file!("WHERE f.id = $1")).bind(id).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        file_from_row(&row)
    }

    pub(super) async fn delete_file_sql(&self, owner: &str, id: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let row = sqlx::query("DELETE FROM files WHERE id = $1 AND owner_id = $2 RETURNING content_id, size")
            .bind(id)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Ok(false) };
        release_content(&mut tx, &get_str(&row, "content_id")?).await?;
        sqlx::query("UPDATE users SET used_bytes = used_bytes - $1, file_count = file_count - 1 WHERE id = $2")
            .bind(get_i64(&row, "size")?)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn unreferenced_contents_sql(&self, limit: u32) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM contents WHERE refcount = 0 LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| get_str(r, "id")).collect()
    }

    pub(super) async fn reclaim_content_sql(&self, content_id: &str) -> Result<Option<ReclaimedBlob>> {
        let row = sqlx::query("DELETE FROM contents WHERE id = $1 AND refcount = 0 RETURNING store, blob_key")
            .bind(content_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(ReclaimedBlob { store: get_str(&r, "store")?, blob_key: get_str(&r, "blob_key")? })).transpose()
    }

    pub(super) async fn blob_key_in_use_sql(&self, key: &str) -> Result<bool> {
        let row = sqlx::query("SELECT id FROM contents WHERE blob_key = $1 LIMIT 1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    pub(super) async fn file_by_cid_sql(&self, owner: &str, cid: &str) -> Result<Option<FileRecord>> {
        // The caller's own file first, else one shared with them.
        let row = sqlx::query(select_file!(
            "WHERE c.cid = $2 AND (f.owner_id = $1 OR EXISTS \
             (SELECT 1 FROM shares s WHERE s.file_id = f.id AND s.user_id = $1)) \
             ORDER BY CASE WHEN f.owner_id = $1 THEN 0 ELSE 1 END, f.path LIMIT 1"
        ))
        .bind(owner)
        .bind(cid)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(file_from_row).transpose()
    }

    pub(super) async fn contents_missing_car_sql(&self, limit: u32) -> Result<Vec<CarJob>> {
        let rows = sqlx::query(
            "SELECT id, store, blob_key, cid, size FROM contents WHERE car_cid IS NULL AND cid IS NOT NULL AND refcount > 0 LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CarJob {
                    content_id: get_str(r, "id")?,
                    store: get_str(r, "store")?,
                    blob_key: get_str(r, "blob_key")?,
                    cid: get_str(r, "cid")?,
                    size: get_i64(r, "size")?,
                })
            })
            .collect()
    }

    pub(super) async fn set_car_sql(&self, content_id: &str, car_cid: &str, car_size: i64) -> Result<()> {
        sqlx::query("UPDATE contents SET car_cid = $1, car_size = $2 WHERE id = $3")
            .bind(car_cid)
            .bind(car_size)
            .bind(content_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
