//! Users' own buckets in SQL.

use super::StorageRecord;
use super::sql::{SqlMetaStore, get_i64, get_str};
use crate::domain::Timestamp;
use crate::error::Result;
use sqlx::any::AnyRow;

const COLUMNS: &str =
    "id, user_id, kind, endpoint, region, bucket, prefix, access_key_id, secret_ciphertext, created_at";

fn storage_from_row(r: &AnyRow) -> Result<StorageRecord> {
    Ok(StorageRecord {
        id: get_str(r, "id")?,
        user_id: get_str(r, "user_id")?,
        kind: get_str(r, "kind")?,
        endpoint: get_str(r, "endpoint")?,
        region: get_str(r, "region")?,
        bucket: get_str(r, "bucket")?,
        prefix: get_str(r, "prefix")?,
        access_key_id: get_str(r, "access_key_id")?,
        secret_ciphertext: get_str(r, "secret_ciphertext")?,
        created_at: Timestamp(get_i64(r, "created_at")?),
    })
}

impl SqlMetaStore {
    pub(super) async fn storage_where_sql(&self, by_user: bool, value: &str) -> Result<Option<StorageRecord>> {
        let column = if by_user { "user_id" } else { "id" };
        let sql = format!("SELECT {COLUMNS} FROM user_storage WHERE {column} = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(&self.pool).await?;
        row.as_ref().map(storage_from_row).transpose()
    }

    pub(super) async fn set_user_storage_sql(&self, s: &StorageRecord) -> Result<()> {
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

    pub(super) async fn delete_user_storage_sql(&self, user_id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM user_storage WHERE user_id = $1").bind(user_id).execute(&self.pool).await?;
        Ok(r.rows_affected() > 0)
    }

    pub(super) async fn store_in_use_sql(&self, store: &str) -> Result<bool> {
        let row = sqlx::query("SELECT id FROM contents WHERE store = $1 LIMIT 1")
            .bind(store)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }
}
