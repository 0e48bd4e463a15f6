//! App passwords in SQL: one secret per client app (WebDAV clients, rclone), stored as
//! its SHA-256 (the secrets are 256 random bits, so a fast hash is enough), revocable
//! one by one.

use super::sql::{SqlMetaStore, from_row};
use super::users::{user_columns, user_from_row};
use super::*;
use crate::domain::Timestamp;
use crate::error::Result;
use async_trait::async_trait;

#[async_trait]
pub trait AppPasswordMeta {
    async fn create_app_password(&self, record: &AppPasswordRecord, secret_hash: &str) -> Result<()>;
    async fn app_passwords(&self, user_id: &str) -> Result<Vec<AppPasswordRecord>>;
    /// False if the user has no such app password.
    async fn delete_app_password(&self, user_id: &str, id: &str) -> Result<bool>;
    /// The app password with this secret hash and its user.
    async fn app_password_by_hash(&self, secret_hash: &str) -> Result<Option<(AppPasswordRecord, UserRecord)>>;
    /// Records a use, at most once a minute per password (it is read on every request).
    async fn touch_app_password(&self, id: &str, now: Timestamp) -> Result<()>;
}

#[async_trait]
impl AppPasswordMeta for SqlMetaStore {
    async fn create_app_password(&self, r: &AppPasswordRecord, secret_hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO app_passwords (id, user_id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&r.id)
        .bind(&r.user_id)
        .bind(&r.name)
        .bind(secret_hash)
        .bind(r.created_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn app_passwords(&self, user_id: &str) -> Result<Vec<AppPasswordRecord>> {
        let rows = sqlx::query(
            "SELECT id, user_id, name, created_at, last_used_at FROM app_passwords WHERE user_id = $1 \
             ORDER BY created_at, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row::<AppPasswordRecord>).collect()
    }

    async fn delete_app_password(&self, user_id: &str, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM app_passwords WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn app_password_by_hash(&self, secret_hash: &str) -> Result<Option<(AppPasswordRecord, UserRecord)>> {
        let sql = concat!(
            "SELECT ",
            user_columns!(),
            ", a.id AS app_id, a.name AS app_name, a.created_at AS app_created_at, a.last_used_at AS app_last_used_at \
             FROM app_passwords a JOIN users u ON u.id = a.user_id WHERE a.secret_hash = $1"
        );
        let Some(row) = sqlx::query(sql).bind(secret_hash).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        use sqlx::Row;
        let user = user_from_row(&row)?;
        let record = AppPasswordRecord {
            id: row.try_get("app_id")?,
            user_id: user.id.clone(),
            name: row.try_get("app_name")?,
            created_at: row.try_get("app_created_at")?,
            last_used_at: row.try_get("app_last_used_at")?,
        };
        Ok(Some((record, user)))
    }

    async fn touch_app_password(&self, id: &str, now: Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE app_passwords SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now.0)
        .bind(id)
        .bind(now.plus_secs(-60).0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
