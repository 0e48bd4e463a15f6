//! Users in SQL: accounts, look-ups by id, login or username, and what admins change.

use super::sql::{SqlMetaStore, get_flag, get_i64, get_opt_str, get_str, is_unique_violation, violation_text};
use super::*;
use crate::domain::Timestamp;
use crate::error::{Error, Result};
use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

macro_rules! user_columns {
    () => {
        "u.id, u.username, u.email, u.first_name, u.last_name, u.password_hash, \
         u.is_admin, u.disabled, u.quota_bytes, u.used_bytes, u.file_count, u.created_at, \
         u.uploaded_bytes, u.downloaded_bytes, u.active_seconds, u.avatar_updated_at, u.reserved_bytes, \
         u.versions_bytes, u.trash_bytes, \
         (SELECT COUNT(*) FROM user_storage own WHERE own.user_id = u.id) AS own_storage"
    };
}

macro_rules! select_user {
    ($rest:literal) => {
        concat!("SELECT ", user_columns!(), " FROM users u ", $rest)
    };
}
pub(super) use user_columns;

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
        reserved_bytes: get_i64(row, "reserved_bytes")?,
        versions_bytes: get_i64(row, "versions_bytes")?,
        trash_bytes: get_i64(row, "trash_bytes")?,
        has_own_storage: get_flag(row, "own_storage")?,
    })
}

fn unique_error(e: sqlx::Error) -> Error {
    if is_unique_violation(&e) {
        if violation_text(&e).contains("email") { Error::EmailTaken } else { Error::UsernameTaken }
    } else {
        e.into()
    }
}

/// Accounts and their administration.
#[async_trait]
pub trait UserMeta {
    /// Creates a user; the first user of an empty store becomes an admin.
    /// `UsernameTaken` / `EmailTaken` on conflicts.
    async fn create_user(&self, user: NewUser) -> Result<UserRecord>;
    async fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>>;
    /// Looks a user up by username or email, case-insensitively.
    async fn user_by_login(&self, login_key: &str) -> Result<Option<UserRecord>>;
    /// The user whose case-folded username is `key`.
    async fn user_by_username(&self, key: &str) -> Result<Option<UserRecord>>;
    async fn update_user(&self, id: &str, patch: UserPatch) -> Result<UserRecord>;
    /// Sets a new password hash and revokes every session but `keep_session`.
    async fn set_password(&self, user_id: &str, hash: &str, keep_session: Option<&str>) -> Result<()>;
    /// Removes the user, their sessions and files, releasing the files' content.
    async fn delete_user(&self, id: &str) -> Result<()>;
    /// Users by username, after `after_key`.
    async fn list_users(&self, after_key: Option<&str>, limit: u32) -> Result<Vec<UserRecord>>;
    /// Keeps an invite (its code's hash).
    async fn create_invite(&self, invite: NewInvite) -> Result<()>;
    /// Enabled users whose username key starts with `prefix_key`, by username.
    async fn users_with_prefix(&self, prefix_key: &str, limit: u32) -> Result<Vec<UserRecord>>;
    /// Applies an admin's change; disabling revokes every session; the last enabled
    /// admin cannot be demoted or disabled (`Validation`).
    async fn admin_update_user(&self, id: &str, patch: AdminPatch) -> Result<UserRecord>;
}

#[async_trait]
impl UserMeta for SqlMetaStore {
    async fn create_user(&self, u: NewUser) -> Result<UserRecord> {
        let mut tx = self.begin().await?;
        // SQLite's BEGIN IMMEDIATE already serialises writers; on PostgreSQL two first
        // registrations could otherwise both see an empty table and both become admin.
        if self.backend == super::sql::Backend::Postgres {
            sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        }
        let first = sqlx::query("SELECT 1 AS x FROM users LIMIT 1").fetch_optional(&mut *tx).await?.is_none();
        if !first {
            match &u.admission {
                Admission::Open => {}
                Admission::Closed => return Err(Error::RegistrationRefused("registration is closed on this server")),
                Admission::Invite(hash) => {
                    let used = sqlx::query(
                        "UPDATE invites SET used_at = $1, used_by = $2 \
                         WHERE code_hash = $3 AND used_at IS NULL AND expires_at > $1",
                    )
                    .bind(u.created_at.0)
                    .bind(&u.id)
                    .bind(hash)
                    .execute(&mut *tx)
                    .await?;
                    if used.rows_affected() != 1 {
                        return Err(Error::RegistrationRefused("registration needs a valid, unused invite"));
                    }
                }
            }
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

    async fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(select_user!("WHERE u.id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_login(&self, key: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(select_user!("WHERE u.username_key = $1 OR u.email_key = $1"))
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_username(&self, key: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(select_user!("WHERE u.username_key = $1")).bind(key).fetch_optional(&self.pool).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn update_user(&self, id: &str, p: UserPatch) -> Result<UserRecord> {
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

    async fn set_password(&self, user_id: &str, hash: &str, keep: Option<&str>) -> Result<()> {
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

    async fn delete_user(&self, id: &str) -> Result<()> {
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
        // The same for parts of unfinished S3 multipart uploads (they go with the user).
        sqlx::query(
            "UPDATE contents SET refcount = refcount - \
             (SELECT COUNT(*) FROM s3_multipart_parts p JOIN s3_multipart_uploads m ON m.id = p.upload_id \
              WHERE m.owner_id = $1 AND p.content_id = contents.id) \
             WHERE id IN (SELECT p.content_id FROM s3_multipart_parts p \
              JOIN s3_multipart_uploads m ON m.id = p.upload_id WHERE m.owner_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // And for their files' versions and their trash, which go at once too.
        for table in ["file_versions", "trashed_files"] {
            let sql = format!(
                "UPDATE contents SET refcount = refcount - \
                 (SELECT COUNT(*) FROM {table} t WHERE t.owner_id = $1 AND t.content_id = contents.id) \
                 WHERE id IN (SELECT content_id FROM {table} WHERE owner_id = $1)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).execute(&mut *tx).await?;
            let sql = format!("DELETE FROM {table} WHERE owner_id = $1");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM trash_items WHERE owner_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM files WHERE owner_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_invite(&self, i: NewInvite) -> Result<()> {
        sqlx::query("INSERT INTO invites (code_hash, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(&i.code_hash)
            .bind(&i.created_by)
            .bind(i.created_at.0)
            .bind(i.expires_at.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn users_with_prefix(&self, prefix_key: &str, limit: u32) -> Result<Vec<UserRecord>> {
        let escaped = prefix_key.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let rows = sqlx::query(select_user!(
            "WHERE u.username_key LIKE $1 ESCAPE '\\' AND u.disabled = 0 ORDER BY u.username_key LIMIT $2"
        ))
        .bind(format!("{escaped}%"))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn list_users(&self, after_key: Option<&str>, limit: u32) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(select_user!("WHERE u.username_key > $1 ORDER BY u.username_key LIMIT $2"))
            .bind(after_key.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn admin_update_user(&self, id: &str, p: AdminPatch) -> Result<UserRecord> {
        let mut tx = self.begin().await?;
        if let Some(q) = p.quota_bytes {
            sqlx::query("UPDATE users SET quota_bytes = $1 WHERE id = $2").bind(q).bind(id).execute(&mut *tx).await?;
        }
        if let Some(disabled) = p.disabled {
            sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                .bind(i64::from(disabled))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if disabled {
                // Every token of a disabled user stops working at once.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            }
        }
        if let Some(admin) = p.is_admin {
            sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2")
                .bind(i64::from(admin))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        // The server must keep at least one enabled admin, whatever this change did.
        let admins: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE is_admin = 1 AND disabled = 0")
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get::<i64, _>("n"))?;
        if admins == 0 {
            return Err(Error::invalid("is_admin", "the last admin cannot be demoted or disabled"));
        }
        let row = sqlx::query(select_user!("WHERE u.id = $1")).bind(id).fetch_optional(&mut *tx).await?;
        let row = row.ok_or(Error::UserNotFound)?;
        tx.commit().await?;
        user_from_row(&row)
    }
}
