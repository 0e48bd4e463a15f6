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
    /// Records that a session was used at `now`.
    async fn touch_session(&self, id: &str, now: Timestamp) -> Result<()>;
    /// A user's unexpired sessions, newest first.
    async fn sessions_of(&self, user_id: &str, now: Timestamp) -> Result<Vec<SessionRecord>>;
    /// Ends one of a user's sessions; false if they have none with that id.
    async fn end_session(&self, user_id: &str, id: &str) -> Result<bool>;
    /// Ends every session of a user but `keep`; returns how many.
    async fn end_other_sessions(&self, user_id: &str, keep: &str) -> Result<u64>;
}

fn session_from_row(row: &sqlx::any::AnyRow, user_id: &str) -> Result<SessionRecord> {
    Ok(SessionRecord {
        id: get_str(row, "session_id")?,
        token_hash: get_str(row, "session_token_hash")?,
        user_id: user_id.to_string(),
        created_at: Timestamp(get_i64(row, "session_created_at")?),
        expires_at: Timestamp(get_i64(row, "session_expires_at")?),
        device_id: get_opt_str(row, "session_device_id")?,
        kind: get_str(row, "session_kind")?,
        client_address: get_opt_str(row, "session_client_address")?,
        user_agent: get_opt_str(row, "session_user_agent")?,
        last_used_at: sqlx::Row::try_get::<Option<i64>, _>(row, "session_last_used_at")?.map(Timestamp),
    })
}

/// The session columns `session_from_row` reads, from table alias `s`.
macro_rules! session_columns {
    () => {
        "s.id AS session_id, s.token_hash AS session_token_hash, s.created_at AS session_created_at, \
         s.expires_at AS session_expires_at, s.device_id AS session_device_id, s.kind AS session_kind, \
         s.client_address AS session_client_address, s.user_agent AS session_user_agent, \
         s.last_used_at AS session_last_used_at"
    };
}

#[async_trait]
impl SessionMeta for SqlMetaStore {
    async fn create_session(&self, s: &SessionRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, token_hash, user_id, created_at, expires_at, device_id, kind, client_address, user_agent, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $4)",
        )
        .bind(&s.id)
        .bind(&s.token_hash)
        .bind(&s.user_id)
        .bind(s.created_at.0)
        .bind(s.expires_at.0)
        .bind(&s.device_id)
        .bind(&s.kind)
        .bind(&s.client_address)
        .bind(&s.user_agent)
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
            ", ",
            session_columns!(),
            " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
        ))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from_row(&row)?;
        let session = session_from_row(&row, &user.id)?;
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

    async fn touch_session(&self, id: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_used_at = $1 WHERE id = $2")
            .bind(now.0)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn sessions_of(&self, user_id: &str, now: Timestamp) -> Result<Vec<SessionRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions s WHERE s.user_id = $1 AND s.expires_at >= $2 ORDER BY s.created_at DESC, s.id DESC"
        ))
        .bind(user_id)
        .bind(now.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| session_from_row(r, user_id)).collect()
    }

    async fn end_session(&self, user_id: &str, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn end_other_sessions(&self, user_id: &str, keep: &str) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(keep)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }
}
