//! Sessions in SQL: one row per bearer token or cookie, stored by the token's hash.

use super::sql::{SqlMetaStore, get_i64, get_opt_str, get_str};
use super::users::{user_columns, user_from_row};
use super::*;
use crate::domain::Timestamp;
use crate::error::Result;
use async_trait::async_trait;

/// Sign-in sessions.
#[async_trait]
pub trait SessionMeta {
    async fn create_session(&self, session: &SessionRecord) -> Result<()>;
    /// The session with this token hash and its user, expired or not.
    async fn session_by_token_hash(&self, token_hash: &str) -> Result<Option<(SessionRecord, UserRecord)>>;
    /// When session `id` began, if it exists.
    async fn session_started(&self, id: &str) -> Result<Option<Timestamp>>;
    /// Returns whether a session was deleted.
    async fn delete_session(&self, id: &str) -> Result<bool>;
    /// Removes sessions that expired before `now`; returns how many.
    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64>;
}

#[async_trait]
impl SessionMeta for SqlMetaStore {
    async fn create_session(&self, s: &SessionRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, token_hash, user_id, created_at, expires_at, device_id) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id)
        .bind(&s.token_hash)
        .bind(&s.user_id)
        .bind(s.created_at.0)
        .bind(s.expires_at.0)
        .bind(&s.device_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session_started(&self, id: &str) -> Result<Option<Timestamp>> {
        let at: Option<i64> = sqlx::query_scalar("SELECT created_at FROM sessions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(at.map(Timestamp))
    }

    async fn session_by_token_hash(&self, hash: &str) -> Result<Option<(SessionRecord, UserRecord)>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            ", s.id AS session_id, s.created_at AS session_created_at, s.expires_at AS session_expires_at, \
             s.device_id AS session_device_id \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
        ))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from_row(&row)?;
        let session = SessionRecord {
            id: get_str(&row, "session_id")?,
            token_hash: hash.to_string(),
            user_id: user.id.clone(),
            created_at: Timestamp(get_i64(&row, "session_created_at")?),
            expires_at: Timestamp(get_i64(&row, "session_expires_at")?),
            device_id: get_opt_str(&row, "session_device_id")?,
        };
        Ok(Some((session, user)))
    }

    async fn delete_session(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(r.rows_affected() > 0)
    }

    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now.0).execute(&self.pool).await?;
        Ok(r.rows_affected())
    }
}
