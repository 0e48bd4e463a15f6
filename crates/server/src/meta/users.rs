//! Users and sessions in SQL.

use super::sql::{SqlMetaStore, get_flag, get_i64, get_opt_str, get_str, is_unique_violation, violation_text};
use super::{NewUser, SessionRecord, UserPatch, UserRecord};
use crate::domain::Timestamp;
use crate::error::{Error, Result};
use sqlx::any::AnyRow;

/// The user columns every user query selects, so [`user_from_row`] can read them.
macro_rules! user_columns {
    () => {
        "u.id, u.username, u.email, u.first_name, u.last_name, u.password_hash, \
         u.is_admin, u.disabled, u.quota_bytes, u.used_bytes, u.file_count, u.created_at, \
         u.uploaded_bytes, u.downloaded_bytes, u.active_seconds, u.avatar_updated_at"
    };
}

macro_rules! select_user {
    ($rest:literal) => {
        concat!("SELECT ", user_columns!(), " FROM users u ", $rest)
    };
}
pub(super) use {select_user, user_columns};

pub(super) fn user_from_row(row: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        id: get_str(row, "id")?,
        username: get_str(row, "username")?,
        email: get_opt_str(row, "email")?,
        first_name: get_opt_str(row, "first_name")?,
        last_name: get_opt_str(row, "last_name")?,
        password_hash: get_str(row, "password_hash")?,
        is_admin: get_flag(row, "is_admin")?,
        disabled: get_flag(row, "disabled")?,
        quota_bytes: get_i64(row, "quota_bytes")?,
        used_bytes: get_i64(row, "used_bytes")?,
        file_count: get_i64(row, "file_count")?,
        created_at: Timestamp(get_i64(row, "created_at")?),
        uploaded_bytes: get_i64(row, "uploaded_bytes")?,
        downloaded_bytes: get_i64(row, "downloaded_bytes")?,
        active_seconds: get_i64(row, "active_seconds")?,
        avatar_updated_at: sqlx::Row::try_get::<Option<i64>, _>(row, "avatar_updated_at")?.map(Timestamp),
    })
}

fn unique_error(e: sqlx::Error) -> Error {
    if is_unique_violation(&e) {
        if violation_text(&e).contains("email") { Error::EmailTaken } else { Error::UsernameTaken }
    } else {
        e.into()
    }
}

impl SqlMetaStore {
    pub(super) async fn create_user_sql(&self, u: NewUser) -> Result<UserRecord> {
        let mut tx = self.begin().await?;
        // SQLite's BEGIN IMMEDIATE already serialises writers; on PostgreSQL two first
        // registrations could otherwise both see an empty table and both become admin.
        if self.backend == super::sql::Backend::Postgres {
            sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        }
        // The first account on an empty server is the admin.
        sqlx::query(
            "INSERT INTO users (id, username, username_key, email, email_key, first_name, last_name, \
             password_hash, is_admin, quota_bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             (SELECT CASE WHEN COUNT(*) = 0 THEN 1 ELSE 0 END FROM users), $9, $10)",
        )
        .bind(&u.id)
        .bind(&u.username)
        .bind(&u.username_key)
        .bind(&u.email)
        .bind(&u.email_key)
        .bind(&u.first_name)
        .bind(&u.last_name)
        .bind(&u.password_hash)
        .bind(u.quota_bytes)
        .bind(u.created_at.0)
        .execute(&mut *tx)
        .await
        .map_err(unique_error)?;
        let row = sqlx::query(select_user!("WHERE u.id = $1")).bind(&u.id).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        user_from_row(&row)
    }

    pub(super) async fn user_by_id_sql(&self, id: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(select_user!("WHERE u.id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub(super) async fn user_by_login_sql(&self, key: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(select_user!("WHERE u.username_key = $1 OR u.email_key = $1"))
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub(super) async fn update_user_sql(&self, id: &str, p: UserPatch) -> Result<UserRecord> {
        let mut tx = self.begin().await?;
        if let Some((name, key)) = &p.username {
            sqlx::query("UPDATE users SET username = $1, username_key = $2 WHERE id = $3")
                .bind(name)
                .bind(key)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(unique_error)?;
        }
        if let Some(email) = &p.email {
            let (email, key) = match email {
                Some((e, k)) => (Some(e.as_str()), Some(k.as_str())),
                None => (None, None),
            };
            sqlx::query("UPDATE users SET email = $1, email_key = $2 WHERE id = $3")
                .bind(email)
                .bind(key)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(unique_error)?;
        }
        if let Some(first) = &p.first_name {
            sqlx::query("UPDATE users SET first_name = $1 WHERE id = $2")
                .bind(first)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(last) = &p.last_name {
            sqlx::query("UPDATE users SET last_name = $1 WHERE id = $2").bind(last).bind(id).execute(&mut *tx).await?;
        }
        let row = sqlx::query(select_user!("WHERE u.id = $1")).bind(id).fetch_optional(&mut *tx).await?;
        let row = row.ok_or(Error::Unauthorized)?;
        tx.commit().await?;
        user_from_row(&row)
    }

    pub(super) async fn set_password_sql(&self, user_id: &str, hash: &str, keep: Option<&str>) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn delete_user_sql(&self, id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        // Release every content the user's files hold; the sweeper reclaims what drops
        // to zero. Files and sessions go with the user row (ON DELETE CASCADE).
        sqlx::query(
            "UPDATE contents SET refcount = refcount - \
             (SELECT COUNT(*) FROM files f WHERE f.owner_id = $1 AND f.content_id = contents.id) \
             WHERE id IN (SELECT content_id FROM files WHERE owner_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM files WHERE owner_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn create_session_sql(&self, s: &SessionRecord) -> Result<()> {
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

    pub(super) async fn session_by_token_hash_sql(&self, hash: &str) -> Result<Option<(SessionRecord, UserRecord)>> {
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

    pub(super) async fn delete_session_sql(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(r.rows_affected() > 0)
    }

    pub(super) async fn purge_expired_sessions_sql(&self, now: Timestamp) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now.0).execute(&self.pool).await?;
        Ok(r.rows_affected())
    }
}
