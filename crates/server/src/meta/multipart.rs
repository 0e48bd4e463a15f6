//! S3 multipart uploads in SQL. Each part is stored as content of its own (deduplicated,
//! reclaimed by the sweeper like any other once nothing references it) and holds its
//! bytes of the owner's quota as a reservation until the upload completes or is
//! aborted, so every quota check sees parts in flight.

use super::files::{StagedContent, Tx, commit_in_tx, lock_owner, reference_content, release_content};
use super::sql::{SqlMetaStore, from_row};
use super::{CommittedUpload, MultipartPartRecord, MultipartUploadRecord, StagedPart, StagedUpload};
use crate::domain::{PrefixRange, Timestamp};
use crate::error::{Error, Result};
use async_trait::async_trait;

#[async_trait]
pub trait MultipartMeta {
    async fn create_multipart(&self, upload: &MultipartUploadRecord) -> Result<()>;
    /// The owner's upload with this id (`None` for anyone else's).
    async fn multipart_by_id(&self, owner_id: &str, id: &str) -> Result<Option<MultipartUploadRecord>>;
    /// Records part `number` (replacing an earlier part with that number), taking a
    /// reference on its content and reserving the bytes it adds (`QuotaExceeded` if they
    /// do not fit, `NotFound` if the upload is gone). Returns the staged blob's key when
    /// the same bytes were already stored (delete it).
    async fn put_multipart_part(
        &self,
        owner_id: &str,
        upload_id: &str,
        number: i64,
        part: &StagedPart,
    ) -> Result<Option<String>>;
    /// Parts numbered above `after`, in order.
    async fn multipart_parts(&self, upload_id: &str, after: i64, limit: u32) -> Result<Vec<MultipartPartRecord>>;
    /// The owner's uploads whose paths lie in `range`, by path then id, after a marker.
    async fn multipart_uploads(
        &self,
        owner_id: &str,
        range: &PrefixRange,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<MultipartUploadRecord>>;
    /// Ends an upload without a file: its parts' contents are released and its
    /// reservation given back. False if there was none.
    async fn abort_multipart(&self, owner_id: &str, id: &str) -> Result<bool>;
    /// Commits the file assembled from the parts like any upload, and ends the upload
    /// (parts released, reservation given back) in the same transaction.
    async fn complete_multipart(&self, owner_id: &str, id: &str, staged: StagedUpload) -> Result<CommittedUpload>;
    /// The path and ETag of the owner's upload `id` if it completed in the last day.
    async fn completed_multipart(&self, owner_id: &str, id: &str) -> Result<Option<(String, String)>>;
}

const UPLOAD_COLUMNS: &str = "id, owner_id, path, content_type, user_metadata, reserved_bytes, created_at";
const PART_COLUMNS: &str = "p.upload_id, p.part_number, p.size, p.md5, p.created_at, p.content_id, c.sha256, \
                            c.store, c.blob_key";

/// Releases every part of an upload and its reservation, and deletes it.
async fn end_upload(tx: &mut Tx, owner: &str, id: &str) -> Result<bool> {
    let Some(reserved) = sqlx::query_scalar::<_, i64>(
        "DELETE FROM s3_multipart_uploads WHERE id = $1 AND owner_id = $2 RETURNING reserved_bytes",
    )
    .bind(id)
    .bind(owner)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(false);
    };
    let contents: Vec<String> = sqlx::query_scalar("SELECT content_id FROM s3_multipart_parts WHERE upload_id = $1")
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
    for content in &contents {
        release_content(tx, content).await?;
    }
    sqlx::query("DELETE FROM s3_multipart_parts WHERE upload_id = $1").bind(id).execute(&mut **tx).await?;
    sqlx::query("UPDATE users SET reserved_bytes = reserved_bytes - $1 WHERE id = $2")
        .bind(reserved)
        .bind(owner)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

#[async_trait]
impl MultipartMeta for SqlMetaStore {
    async fn create_multipart(&self, u: &MultipartUploadRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO s3_multipart_uploads (id, owner_id, path, content_type, user_metadata, reserved_bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(&u.id)
        .bind(&u.owner_id)
        .bind(&u.path)
        .bind(&u.content_type)
        .bind(&u.user_metadata)
        .bind(u.created_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn multipart_by_id(&self, owner: &str, id: &str) -> Result<Option<MultipartUploadRecord>> {
        let sql = format!("SELECT {UPLOAD_COLUMNS} FROM s3_multipart_uploads WHERE id = $1 AND owner_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(owner).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row::<MultipartUploadRecord>).transpose()
    }

    async fn put_multipart_part(
        &self,
        owner: &str,
        upload: &str,
        number: i64,
        p: &StagedPart,
    ) -> Result<Option<String>> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        lock_owner(&mut tx, owner).await?;
        let old: Option<(String, i64)> =
            sqlx::query_as("SELECT content_id, size FROM s3_multipart_parts WHERE upload_id = $1 AND part_number = $2")
                .bind(upload)
                .bind(number)
                .fetch_optional(&mut *tx)
                .await?;
        let delta = p.size - old.as_ref().map(|(_, size)| *size).unwrap_or(0);
        // The upload row is the lock: an abort or completion meanwhile leaves no row.
        let held = sqlx::query(
            "UPDATE s3_multipart_uploads SET reserved_bytes = reserved_bytes + $1 WHERE id = $2 AND owner_id = $3",
        )
        .bind(delta)
        .bind(upload)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        if held.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        super::quota::reserve(&mut tx, owner, delta).await?;
        let content = StagedContent {
            store: &p.store,
            sha256: &p.sha256,
            size: p.size,
            blob_key: &p.blob_key,
            cid: &p.cid,
            md5: Some(&p.md5),
            // A part is only ever read whole, into the completed object (which has its own).
            leaves: None,
            inline_data: None,
        };
        let (content_id, redundant) = reference_content(&mut tx, &content, now).await?;
        if let Some((old_content, _)) = &old {
            release_content(&mut tx, old_content).await?;
            sqlx::query("DELETE FROM s3_multipart_parts WHERE upload_id = $1 AND part_number = $2")
                .bind(upload)
                .bind(number)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO s3_multipart_parts (upload_id, part_number, content_id, size, md5, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(upload)
        .bind(number)
        .bind(&content_id)
        .bind(p.size)
        .bind(&p.md5)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(redundant)
    }

    async fn multipart_parts(&self, upload: &str, after: i64, limit: u32) -> Result<Vec<MultipartPartRecord>> {
        let sql = format!(
            "SELECT {PART_COLUMNS} FROM s3_multipart_parts p JOIN contents c ON c.id = p.content_id \
             WHERE p.upload_id = $1 AND p.part_number > $2 ORDER BY p.part_number LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(upload)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row::<MultipartPartRecord>).collect()
    }

    async fn multipart_uploads(
        &self,
        owner: &str,
        range: &PrefixRange,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<MultipartUploadRecord>> {
        let (after_path, after_id) = after.unwrap_or(("", ""));
        let sql = format!(
            "SELECT {UPLOAD_COLUMNS} FROM s3_multipart_uploads WHERE owner_id = $1 AND path >= $2 AND path < $3 \
             AND (path > $4 OR (path = $4 AND id > $5)) ORDER BY path, id LIMIT $6"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(&range.lo)
            .bind(&range.hi)
            .bind(after_path)
            .bind(after_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row::<MultipartUploadRecord>).collect()
    }

    async fn abort_multipart(&self, owner: &str, id: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        lock_owner(&mut tx, owner).await?;
        let ended = end_upload(&mut tx, owner, id).await?;
        tx.commit().await?;
        Ok(ended)
    }

    async fn complete_multipart(&self, owner: &str, id: &str, staged: StagedUpload) -> Result<CommittedUpload> {
        let mut tx = self.begin().await?;
        lock_owner(&mut tx, owner).await?;
        // Ended first, so the commit's quota check no longer counts the parts' reservation.
        if !end_upload(&mut tx, owner, id).await? {
            return Err(Error::NotFound);
        }
        let path = staged.path.as_str().to_string();
        let etag = staged.attributes.s3_etag.clone().or(staged.md5.clone()).unwrap_or_default();
        let mut committed = commit_in_tx(&mut tx, owner, self.keep, vec![staged]).await?;
        let now = Timestamp::now();
        sqlx::query("DELETE FROM s3_completed_uploads WHERE owner_id = $1 AND completed_at < $2")
            .bind(owner)
            .bind(now.plus_secs(-86_400).0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO s3_completed_uploads (id, owner_id, path, etag, completed_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(owner)
        .bind(&path)
        .bind(&etag)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        committed.pop().ok_or_else(|| Error::Internal(anyhow::anyhow!("commit returned no file")))
    }

    async fn completed_multipart(&self, owner: &str, id: &str) -> Result<Option<(String, String)>> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT path, etag FROM s3_completed_uploads WHERE id = $1 AND owner_id = $2 AND completed_at >= $3",
        )
        .bind(id)
        .bind(owner)
        .bind(Timestamp::now().plus_secs(-86_400).0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row)
    }
}
