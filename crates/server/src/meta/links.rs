//! Public links in SQL; their download limit is one conditional statement.

use super::sql::{SqlMetaStore, from_row};
use super::*;
use crate::domain::Timestamp;
use crate::error::Result;
use async_trait::async_trait;

const LINK_COLUMNS: &str =
    "id, file_id, owner_id, password_hash, expires_at, max_downloads, download_count, created_at";

/// Public links to files.
#[async_trait]
pub trait LinkMeta {
    async fn create_link(&self, link: NewLink) -> Result<LinkRecord>;
    async fn links_of_file(&self, file_id: &str) -> Result<Vec<LinkRecord>>;
    async fn link_by_id(&self, id: &str) -> Result<Option<LinkRecord>>;
    async fn link_by_token_hash(&self, token_hash: &str) -> Result<Option<LinkRecord>>;
    async fn delete_link(&self, id: &str) -> Result<bool>;
    /// Counts one download if the link is still live (not expired, not exhausted), in
    /// one conditional statement so concurrent downloads cannot overrun the limit.
    async fn consume_link_download(&self, id: &str, now: Timestamp) -> Result<bool>;
}

#[async_trait]
impl LinkMeta for SqlMetaStore {
    async fn create_link(&self, l: NewLink) -> Result<LinkRecord> {
        sqlx::query(
            "INSERT INTO links (id, token_hash, file_id, owner_id, password_hash, expires_at, max_downloads, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&l.id)
        .bind(&l.token_hash)
        .bind(&l.file_id)
        .bind(&l.owner_id)
        .bind(&l.password_hash)
        .bind(l.expires_at.map(|t| t.0))
        .bind(l.max_downloads)
        .bind(l.created_at.0)
        .execute(&self.pool)
        .await?;
        Ok(LinkRecord {
            id: l.id,
            file_id: l.file_id,
            owner_id: l.owner_id,
            password_hash: l.password_hash,
            expires_at: l.expires_at,
            max_downloads: l.max_downloads,
            download_count: 0,
            created_at: l.created_at,
        })
    }

    async fn links_of_file(&self, file_id: &str) -> Result<Vec<LinkRecord>> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM links WHERE file_id = $1 ORDER BY created_at, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(file_id).fetch_all(&self.pool).await?;
        rows.iter().map(from_row::<LinkRecord>).collect()
    }

    async fn link_by_id(&self, id: &str) -> Result<Option<LinkRecord>> {
        self.link_where(true, id).await
    }

    async fn link_by_token_hash(&self, token_hash: &str) -> Result<Option<LinkRecord>> {
        self.link_where(false, token_hash).await
    }

    async fn delete_link(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM links WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(r.rows_affected() > 0)
    }

    async fn consume_link_download(&self, id: &str, now: Timestamp) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE links SET download_count = download_count + 1 WHERE id = $1 \
             AND (max_downloads IS NULL OR download_count < max_downloads) \
             AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(id)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }
}

impl SqlMetaStore {
    async fn link_where(&self, column_is_id: bool, value: &str) -> Result<Option<LinkRecord>> {
        let column = if column_is_id { "id" } else { "token_hash" };
        let sql = format!("SELECT {LINK_COLUMNS} FROM links WHERE {column} = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row::<LinkRecord>).transpose()
    }
}
