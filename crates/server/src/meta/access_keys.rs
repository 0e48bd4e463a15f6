//! S3 access keys in SQL: the key id is public, the secret is kept sealed with the
//! at-rest key (SigV4 signs with the secret itself, so a hash would not do).

use super::sql::{SqlMetaStore, from_row};
use super::users::{user_columns, user_from_row};
use super::{AccessKeyRecord, UserRecord};
use crate::domain::Timestamp;
use crate::error::Result;
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
pub trait AccessKeyMeta {
    async fn create_access_key(&self, record: &AccessKeyRecord, secret_sealed: &str) -> Result<()>;
    async fn access_keys(&self, user_id: &str) -> Result<Vec<AccessKeyRecord>>;
    /// False if the user has no such key.
    async fn delete_access_key(&self, user_id: &str, id: &str) -> Result<bool>;
    /// The key with this access key id, its sealed secret, and its user.
    async fn access_key_by_key_id(&self, key_id: &str) -> Result<Option<(AccessKeyRecord, String, UserRecord)>>;
    /// Records a use, at most once a minute per key (it is read on every request).
    async fn touch_access_key(&self, id: &str, now: Timestamp) -> Result<()>;
}

const COLUMNS: &str = "id, user_id, name, access_key_id, created_at, last_used_at";

#[async_trait]
impl AccessKeyMeta for SqlMetaStore {
    async fn create_access_key(&self, r: &AccessKeyRecord, secret_sealed: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO access_keys (id, user_id, name, access_key_id, secret_sealed, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&r.id)
        .bind(&r.user_id)
        .bind(&r.name)
        .bind(&r.access_key_id)
        .bind(secret_sealed)
        .bind(r.created_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn access_keys(&self, user_id: &str) -> Result<Vec<AccessKeyRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM access_keys WHERE user_id = $1 ORDER BY created_at, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(&self.pool).await?;
        rows.iter().map(from_row::<AccessKeyRecord>).collect()
    }

    async fn delete_access_key(&self, user_id: &str, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM access_keys WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn access_key_by_key_id(&self, key_id: &str) -> Result<Option<(AccessKeyRecord, String, UserRecord)>> {
        let sql = concat!(
            "SELECT ",
            user_columns!(),
            ", k.id AS key_id, k.name AS key_name, k.access_key_id, k.secret_sealed, \
             k.created_at AS key_created_at, k.last_used_at AS key_last_used_at \
             FROM access_keys k JOIN users u ON u.id = k.user_id WHERE k.access_key_id = $1"
        );
        let Some(row) = sqlx::query(sql).bind(key_id).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let user = user_from_row(&row)?;
        let record = AccessKeyRecord {
            id: row.try_get("key_id")?,
            user_id: user.id.clone(),
            name: row.try_get("key_name")?,
            access_key_id: row.try_get("access_key_id")?,
            created_at: row.try_get("key_created_at")?,
            last_used_at: row.try_get("key_last_used_at")?,
        };
        Ok(Some((record, row.try_get("secret_sealed")?, user)))
    }

    async fn touch_access_key(&self, id: &str, now: Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE access_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now.0)
        .bind(id)
        .bind(now.plus_secs(-60).0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
