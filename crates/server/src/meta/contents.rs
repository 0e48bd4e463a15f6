//! Stored contents in SQL: CAR export bookkeeping and reclamation of contents no file
//! references any more.

use super::sql::{SqlMetaStore, from_row, get_str};
use super::{CarJob, DamagedFile, Md5Job, ReclaimedBlob, ScrubJob, ThumbnailRecord};
use crate::domain::Timestamp;
use crate::error::Result;
use async_trait::async_trait;

/// Contents (one row per stored blob per store), apart from the files that use them.
#[async_trait]
pub trait ContentMeta {
    /// Referenced contents whose `car_cid` is not computed yet.
    async fn contents_missing_car(&self, limit: u32) -> Result<Vec<CarJob>>;
    async fn set_car(&self, content_id: &str, car_cid: &str, car_size: i64) -> Result<()>;
    /// Content rows no file references any more (up to `limit`).
    async fn unreferenced_contents(&self, limit: u32) -> Result<Vec<String>>;
    /// Deletes the content row if it is still unreferenced and returns its blob key, so
    /// the caller may delete the blob. A concurrent upload of the same bytes either
    /// revived the row first (nothing is deleted) or will insert a new row with its own
    /// blob key, so no committed file ever loses its bytes.
    async fn reclaim_content(&self, content_id: &str) -> Result<Option<ReclaimedBlob>>;
    /// Whether any content row points at this blob key.
    async fn blob_key_in_use(&self, blob_key: &str) -> Result<bool>;
    /// The bytes of a content kept inline, by its `inline:` blob key (`None`: no
    /// content has that key, or it is kept as a blob).
    async fn inline_data(&self, blob_key: &str) -> Result<Option<Vec<u8>>>;
    /// Whether any content (live, or awaiting reclamation) is kept in `store`.
    async fn store_in_use(&self, store: &str) -> Result<bool>;
    /// Records that a content's stored bytes do not match its SHA-256 (once: the first
    /// finding's time is kept).
    async fn mark_damaged(&self, content_id: &str, now: Timestamp) -> Result<()>;
    /// Referenced, undamaged contents not scrubbed since `before`, least recently first.
    async fn contents_to_scrub(&self, before: Timestamp, limit: u32) -> Result<Vec<ScrubJob>>;
    async fn set_scrubbed(&self, content_id: &str, now: Timestamp) -> Result<()>;
    /// Files whose content is damaged, by owner and path.
    async fn damaged_files(&self, limit: u32) -> Result<Vec<DamagedFile>>;
    /// Referenced contents stored before MD5s were kept (S3 ETags need them).
    async fn contents_missing_md5(&self, limit: u32) -> Result<Vec<Md5Job>>;
    async fn set_md5(&self, content_id: &str, md5: &str) -> Result<()>;
    /// The per-chunk SHA-256s of a content (`None` when not known yet).
    async fn content_leaves(&self, content_id: &str) -> Result<Option<Vec<u8>>>;
    /// Records them (the scrub, for contents stored before they were kept).
    async fn set_content_leaves(&self, content_id: &str, leaves: &[u8]) -> Result<()>;
    /// The thumbnail made from the content with this SHA-256, if one was made.
    async fn thumbnail(&self, sha256: &str) -> Result<Option<ThumbnailRecord>>;
    /// Keeps a thumbnail (the first one made wins; a concurrent second is dropped).
    async fn put_thumbnail(&self, sha256: &str, thumb: &ThumbnailRecord, now: Timestamp) -> Result<()>;
}

// The background jobs' queries. The CAR indexer runs its query after every upload
// batch, the others in rounds: each reads a partial or expression index (migration
// 0012 and 0023), never the whole table, whatever the number of contents.
const CONTENTS_MISSING_CAR: &str = "SELECT id, store, blob_key, cid, size FROM contents WHERE car_cid IS NULL AND cid IS NOT NULL AND refcount > 0 \
     LIMIT $1";
const CONTENTS_TO_SCRUB: &str = "SELECT id, store, blob_key, sha256, size FROM contents \
     WHERE refcount > 0 AND damaged_at IS NULL AND (scrubbed_at IS NULL OR scrubbed_at < $1) \
     ORDER BY COALESCE(scrubbed_at, 0), id LIMIT $2";
const CONTENTS_MISSING_MD5: &str = "SELECT id, store, blob_key, sha256, size FROM contents \
     WHERE md5 IS NULL AND refcount > 0 AND damaged_at IS NULL ORDER BY created_at LIMIT $1";

impl SqlMetaStore {
    /// The plans of the background jobs' queries (name, plan), as the conformance suite
    /// checks them. On PostgreSQL sequential scans are turned off for the look, as a
    /// small table would get one anyway.
    pub async fn explain_content_jobs(&self) -> Result<Vec<(&'static str, String)>> {
        let postgres = self.backend == super::sql::Backend::Postgres;
        let mut tx = self.pool.begin().await?;
        if postgres {
            sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await?;
        }
        let mut plans = Vec::new();
        for (name, sql) in [
            ("missing CAR", CONTENTS_MISSING_CAR.replace("$1", "100")),
            ("to scrub", CONTENTS_TO_SCRUB.replace("$2", "100").replace("$1", "1000")),
            ("missing MD5", CONTENTS_MISSING_MD5.replace("$1", "100")),
        ] {
            let explain = if postgres { format!("EXPLAIN {sql}") } else { format!("EXPLAIN QUERY PLAN {sql}") };
            let rows = sqlx::query(sqlx::AssertSqlSafe(explain)).fetch_all(&mut *tx).await?;
            let column = if postgres { 0 } else { 3 };
            let lines: Result<Vec<String>> =
                rows.iter().map(|r| Ok(sqlx::Row::try_get::<String, _>(r, column)?)).collect();
            plans.push((name, lines?.join("\n")));
        }
        tx.rollback().await?;
        Ok(plans)
    }
}

#[async_trait]
impl ContentMeta for SqlMetaStore {
    async fn contents_missing_car(&self, limit: u32) -> Result<Vec<CarJob>> {
        let rows = sqlx::query(CONTENTS_MISSING_CAR).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    async fn set_car(&self, content_id: &str, car_cid: &str, car_size: i64) -> Result<()> {
        sqlx::query("UPDATE contents SET car_cid = $1, car_size = $2 WHERE id = $3")
            .bind(car_cid)
            .bind(car_size)
            .bind(content_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn unreferenced_contents(&self, limit: u32) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM contents WHERE refcount = 0 LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| get_str(r, "id")).collect()
    }

    async fn reclaim_content(&self, content_id: &str) -> Result<Option<ReclaimedBlob>> {
        // Derived content goes with the last stored copy of its source. Should the same
        // bytes be uploaded again meanwhile, the thumbnail is simply made again.
        sqlx::query(
            "DELETE FROM thumbnails WHERE sha256 = (SELECT sha256 FROM contents WHERE id = $1 AND refcount = 0) \
             AND NOT EXISTS (SELECT 1 FROM contents c WHERE c.sha256 = thumbnails.sha256 AND c.id <> $1)",
        )
        .bind(content_id)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query("DELETE FROM contents WHERE id = $1 AND refcount = 0 RETURNING store, blob_key")
            .bind(content_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    async fn blob_key_in_use(&self, key: &str) -> Result<bool> {
        let row = sqlx::query("SELECT id FROM contents WHERE blob_key = $1 LIMIT 1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn inline_data(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT inline_data FROM contents WHERE blob_key = $1 LIMIT 1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => sqlx::Row::try_get::<Option<Vec<u8>>, _>(&r, "inline_data")?,
            None => None,
        })
    }

    async fn mark_damaged(&self, content_id: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE contents SET damaged_at = $1 WHERE id = $2 AND damaged_at IS NULL")
            .bind(now.0)
            .bind(content_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn contents_to_scrub(&self, before: Timestamp, limit: u32) -> Result<Vec<ScrubJob>> {
        let rows = sqlx::query(CONTENTS_TO_SCRUB).bind(before.0).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    async fn set_scrubbed(&self, content_id: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE contents SET scrubbed_at = $1 WHERE id = $2")
            .bind(now.0)
            .bind(content_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn damaged_files(&self, limit: u32) -> Result<Vec<DamagedFile>> {
        let rows = sqlx::query(
            "SELECT u.username, f.path, c.sha256, c.damaged_at FROM files f \
             JOIN contents c ON c.id = f.content_id JOIN users u ON u.id = f.owner_id \
             WHERE c.damaged_at IS NOT NULL ORDER BY u.username, f.path LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    async fn contents_missing_md5(&self, limit: u32) -> Result<Vec<Md5Job>> {
        let rows = sqlx::query(CONTENTS_MISSING_MD5).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    async fn set_md5(&self, content_id: &str, md5: &str) -> Result<()> {
        sqlx::query("UPDATE contents SET md5 = $1 WHERE id = $2")
            .bind(md5)
            .bind(content_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn store_in_use(&self, store: &str) -> Result<bool> {
        let row = sqlx::query("SELECT id FROM contents WHERE store = $1 LIMIT 1")
            .bind(store)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn thumbnail(&self, sha256: &str) -> Result<Option<ThumbnailRecord>> {
        let row = sqlx::query("SELECT content_type, data FROM thumbnails WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    async fn put_thumbnail(&self, sha256: &str, thumb: &ThumbnailRecord, now: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO thumbnails (sha256, content_type, data, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256)
        .bind(&thumb.content_type)
        .bind(thumb.data.clone())
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn content_leaves(&self, content_id: &str) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT leaf_sha256 FROM contents WHERE id = $1")
            .bind(content_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => sqlx::Row::try_get::<Option<Vec<u8>>, _>(&r, "leaf_sha256")?,
            None => None,
        })
    }

    async fn set_content_leaves(&self, content_id: &str, leaves: &[u8]) -> Result<()> {
        sqlx::query("UPDATE contents SET leaf_sha256 = $1 WHERE id = $2 AND leaf_sha256 IS NULL")
            .bind(leaves.to_vec())
            .bind(content_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
