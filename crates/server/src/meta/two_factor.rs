//! Two-factor sign-in in SQL: the sealed TOTP secret and its state on the user's row,
//! the last accepted time step (so a code cannot be replayed), and hashed recovery codes.

use super::sql::SqlMetaStore;
use crate::error::Result;
use async_trait::async_trait;
use sqlx::Row;

/// A user's TOTP state.
#[derive(Debug, Clone)]
pub struct TotpState {
    /// The base32 secret, sealed with the at-rest key.
    pub sealed_secret: String,
    /// Confirmed with a code: sign-ins need one from now on.
    pub enabled: bool,
}

#[async_trait]
pub trait TwoFactorMeta {
    async fn totp_state(&self, user_id: &str) -> Result<Option<TotpState>>;
    /// Stores a new, not yet confirmed secret (replacing a pending one).
    async fn set_pending_totp(&self, user_id: &str, sealed_secret: &str) -> Result<()>;
    /// Turns 2FA on with these recovery code hashes (replacing any old ones).
    async fn enable_totp(&self, user_id: &str, recovery_hashes: &[String]) -> Result<()>;
    /// Turns 2FA off and forgets the secret and the recovery codes.
    async fn disable_totp(&self, user_id: &str) -> Result<()>;
    /// Accepts time step `step` if it is later than every step accepted before (atomic:
    /// of two concurrent uses of one code, one wins).
    async fn accept_totp_step(&self, user_id: &str, step: i64) -> Result<bool>;
    /// Uses an unused recovery code up; false if there is none such.
    async fn use_recovery_code(&self, user_id: &str, code_hash: &str, now: i64) -> Result<bool>;
}

#[async_trait]
impl TwoFactorMeta for SqlMetaStore {
    async fn totp_state(&self, user_id: &str) -> Result<Option<TotpState>> {
        let row = sqlx::query("SELECT totp_secret, totp_enabled FROM users WHERE id = $1 AND totp_secret IS NOT NULL")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(TotpState {
                sealed_secret: r.try_get::<String, _>("totp_secret")?,
                enabled: r.try_get::<i64, _>("totp_enabled")? != 0,
            }),
            None => None,
        })
    }

    async fn set_pending_totp(&self, user_id: &str, sealed: &str) -> Result<()> {
        sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled = 0, totp_last_step = NULL WHERE id = $2 AND totp_enabled = 0")
            .bind(sealed)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn enable_totp(&self, user_id: &str, recovery_hashes: &[String]) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        for h in recovery_hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id)
                .bind(h)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE users SET totp_enabled = 1 WHERE id = $1").bind(user_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn disable_totp(&self, user_id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        sqlx::query("UPDATE users SET totp_secret = NULL, totp_enabled = 0, totp_last_step = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn accept_totp_step(&self, user_id: &str, step: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn use_recovery_code(&self, user_id: &str, code_hash: &str, now: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .bind(code_hash)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }
}
