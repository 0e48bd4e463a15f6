//! Password-reset codes in SQL: one live code per user, stored hashed.

use super::sql::{SqlMetaStore, from_row};
use super::*;
use crate::domain::Timestamp;
use crate::error::Result;
use async_trait::async_trait;

pub const MAX_RESET_ATTEMPTS: i64 = 5;

/// Password resets by mailed code.
#[async_trait]
pub trait PasswordResetMeta {
    /// Stores a new reset code for the user, replacing any earlier one.
    async fn put_password_reset(&self, user_id: &str, code_hash: &str, expires_at: Timestamp) -> Result<()>;
    /// Spends one try on the user's live, unexpired, unburned code and returns it.
    async fn take_reset_attempt(&self, user_id: &str, now: Timestamp) -> Result<Option<ResetRecord>>;
    /// Uses the code (once), sets the password and revokes every session, atomically.
    async fn complete_password_reset(&self, user_id: &str, code_hash: &str, new_password_hash: &str) -> Result<bool>;
}

#[async_trait]
impl PasswordResetMeta for SqlMetaStore {
    async fn put_password_reset(&self, user_id: &str, code_hash: &str, expires_at: Timestamp) -> Result<()> {
        // A new code replaces any earlier one, with a fresh attempt budget.
        sqlx::query(
            "INSERT INTO password_resets (user_id, code_hash, expires_at, attempts, created_at) VALUES ($1, $2, $3, 0, $4) \
             ON CONFLICT (user_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, \
             attempts = 0, created_at = excluded.created_at",
        )
        .bind(user_id)
        .bind(code_hash)
        .bind(expires_at.0)
        .bind(Timestamp::now().0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn take_reset_attempt(&self, user_id: &str, now: Timestamp) -> Result<Option<ResetRecord>> {
        // Spend one try before checking the code, so parallel guesses cannot exceed the budget.
        let row = sqlx::query(
            "UPDATE password_resets SET attempts = attempts + 1 WHERE user_id = $1 AND attempts < $2 AND expires_at > $3 \
             RETURNING code_hash, expires_at, attempts",
        )
        .bind(user_id)
        .bind(MAX_RESET_ATTEMPTS)
        .bind(now.0)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    async fn complete_password_reset(&self, user_id: &str, code_hash: &str, new_hash: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        // Deleting the exact code makes it single-use even against a concurrent confirm.
        let used = sqlx::query("DELETE FROM password_resets WHERE user_id = $1 AND code_hash = $2")
            .bind(user_id)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
        if used.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(new_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }
}
