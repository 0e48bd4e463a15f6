//! Shares in SQL: which files which users may read.

use super::files::file_columns;
use super::sql::{SqlMetaStore, from_row, get_i64};
use super::*;
use crate::domain::Timestamp;
use crate::error::Result;
use async_trait::async_trait;

/// Files shared read-only with other users.
#[async_trait]
pub trait SharingMeta {
    /// Shares a file; returns the share and whether it is new.
    async fn share_file(&self, file_id: &str, user_id: &str, now: Timestamp) -> Result<(ShareRecord, bool)>;
    async fn shares_of_file(&self, file_id: &str) -> Result<Vec<ShareRecord>>;
    async fn unshare_file(&self, file_id: &str, user_id: &str) -> Result<bool>;
    async fn is_shared_with(&self, file_id: &str, user_id: &str) -> Result<bool>;
    /// Files shared with `user_id`, newest share first, after `cursor`.
    async fn shared_with(
        &self,
        user_id: &str,
        cursor: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Vec<(FileRecord, Timestamp)>>;
}

#[async_trait]
impl SharingMeta for SqlMetaStore {
    async fn share_file(&self, file_id: &str, user_id: &str, now: Timestamp) -> Result<(ShareRecord, bool)> {
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO shares (file_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (file_id, user_id) DO NOTHING",
        )
        .bind(file_id)
        .bind(user_id)
        .bind(now.0)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        let row = sqlx::query(
            "SELECT s.file_id, s.user_id, u.username, s.created_at FROM shares s JOIN users u ON u.id = s.user_id \
             WHERE s.file_id = $1 AND s.user_id = $2",
        )
        .bind(file_id)
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((from_row::<ShareRecord>(&row)?, inserted))
    }

    async fn shares_of_file(&self, file_id: &str) -> Result<Vec<ShareRecord>> {
        let rows = sqlx::query(
            "SELECT s.file_id, s.user_id, u.username, s.created_at FROM shares s JOIN users u ON u.id = s.user_id \
             WHERE s.file_id = $1 ORDER BY s.created_at, u.username",
        )
        .bind(file_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row::<ShareRecord>).collect()
    }

    async fn unshare_file(&self, file_id: &str, user_id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM shares WHERE file_id = $1 AND user_id = $2")
            .bind(file_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn is_shared_with(&self, file_id: &str, user_id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT file_id FROM shares WHERE file_id = $1 AND user_id = $2")
            .bind(file_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn shared_with(
        &self,
        user_id: &str,
        cursor: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Vec<(FileRecord, Timestamp)>> {
        // Ids are lowercase hex, so "~" sorts after every one of them.
        let (at, id) = cursor.cloned().unwrap_or((i64::MAX, "~".into()));
        let rows = sqlx::query(concat!(
            "SELECT ",
            file_columns!(),
            ", s.created_at AS shared_at FROM files f JOIN contents c ON c.id = f.content_id \
             JOIN users u ON u.id = f.owner_id JOIN shares s ON s.file_id = f.id \
             WHERE s.user_id = $1 AND (s.created_at < $2 OR (s.created_at = $2 AND f.id < $3)) \
             ORDER BY s.created_at DESC, f.id DESC LIMIT $4"
        ))
        .bind(user_id)
        .bind(at)
        .bind(&id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((from_row::<FileRecord>(r)?, Timestamp(get_i64(r, "shared_at")?)))).collect()
    }
}
