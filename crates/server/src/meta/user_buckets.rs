//! Users' own S3 buckets in SQL; the secret is stored sealed.

use super::sql::{SqlMetaStore, from_row};
use super::*;
use crate::error::Result;
use async_trait::async_trait;

const COLUMNS: &str =
    "id, user_id, kind, endpoint, region, bucket, prefix, access_key_id, secret_ciphertext, created_at";

/// Users' own buckets.
#[async_trait]
pub trait UserBucketMeta {
    async fn user_storage(&self, user_id: &str) -> Result<Option<StorageRecord>>;
    async fn user_storage_by_id(&self, id: &str) -> Result<Option<StorageRecord>>;
    /// Sets the user's bucket, replacing an earlier one.
    async fn set_user_storage(&self, storage: &StorageRecord) -> Result<()>;
    async fn delete_user_storage(&self, user_id: &str) -> Result<bool>;
}

#[async_trait]
impl UserBucketMeta for SqlMetaStore {
    async fn user_storage(&self, user_id: &str) -> Result<Option<StorageRecord>> {
        self.storage_where(true, user_id).await
    }

    async fn user_storage_by_id(&self, id: &str) -> Result<Option<StorageRecord>> {
        self.storage_where(false, id).await
    }

    async fn set_user_storage(&self, s: &StorageRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM user_storage WHERE user_id = $1").bind(&s.user_id).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO user_storage (id, user_id, kind, endpoint, region, bucket, prefix, access_key_id, \
             secret_ciphertext, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&s.id)
        .bind(&s.user_id)
        .bind(&s.kind)
        .bind(&s.endpoint)
        .bind(&s.region)
        .bind(&s.bucket)
        .bind(&s.prefix)
        .bind(&s.access_key_id)
        .bind(&s.secret_ciphertext)
        .bind(s.created_at.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_user_storage(&self, user_id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM user_storage WHERE user_id = $1").bind(user_id).execute(&self.pool).await?;
        Ok(r.rows_affected() > 0)
    }
}

impl SqlMetaStore {
    async fn storage_where(&self, by_user: bool, value: &str) -> Result<Option<StorageRecord>> {
        let column = if by_user { "user_id" } else { "id" };
        let sql = format!("SELECT {COLUMNS} FROM user_storage WHERE {column} = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row::<StorageRecord>).transpose()
    }
}
