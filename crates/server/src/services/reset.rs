//! Password reset by a one-time code sent by mail. The request always looks the same
//! from outside (202 at once, work done in the background), so it reveals nothing
//! about which addresses have accounts.

use super::failure_limiter::FailureLimiter;
use super::passwords;
use crate::domain::login_key;
use crate::domain::{Email, Password, Timestamp};
use crate::error::{Error, Result};
use crate::mail::Mailer;
use crate::meta::MetaStore;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use std::sync::Arc;
use std::time::Duration;

pub const CODE_DIGITS: u32 = 8;

#[derive(Clone)]
pub struct PasswordReset {
    meta: Arc<dyn MetaStore>,
    mailer: Mailer,
    code_ttl_secs: i64,
    /// Requests per email address, and per client address.
    per_email: FailureLimiter,
    per_client: FailureLimiter,
    /// Wrong codes per client address (each code also burns after 5 wrong tries).
    wrong_codes: FailureLimiter,
}

/// A uniformly random code of `CODE_DIGITS` digits.
fn new_code() -> String {
    let modulus = 10u64.pow(CODE_DIGITS);
    // Rejection sampling keeps every code equally likely.
    let zone = u64::MAX - u64::MAX % modulus;
    loop {
        let v = OsRng.next_u64();
        if v < zone {
            return format!("{:0width$}", v % modulus, width = CODE_DIGITS as usize);
        }
    }
}

impl PasswordReset {
    pub fn new(meta: Arc<dyn MetaStore>, mailer: Mailer, code_ttl_secs: u64) -> Self {
        let window = Duration::from_secs(15 * 60);
        PasswordReset {
            meta,
            mailer,
            code_ttl_secs: i64::try_from(code_ttl_secs).unwrap_or(900),
            per_email: FailureLimiter::new(5, window),
            per_client: FailureLimiter::new(20, window),
            wrong_codes: FailureLimiter::new(20, window),
        }
    }

    /// Accepts a reset request; for a known, enabled account a code is mailed.
    pub async fn request(&self, email: &str, client: &str) -> Result<()> {
        let key = login_key(email);
        self.per_client.check(client)?;
        self.per_email.check(&key)?;
        self.per_client.record_failure(client);
        self.per_email.record_failure(&key);
        let this = self.clone();
        // Everything that depends on whether the account exists happens after the answer.
        tokio::spawn(async move {
            if let Err(e) = this.issue_code(&key).await {
                tracing::warn!(error = %e, "issuing a password-reset code failed");
            }
        });
        Ok(())
    }

    async fn issue_code(&self, email_key: &str) -> anyhow::Result<()> {
        if Email::parse(email_key).is_err() {
            return Ok(());
        }
        let Some(user) = self.meta.user_by_login(email_key).await? else { return Ok(()) };
        let Some(address) = user.email.clone().filter(|e| login_key(e) == email_key) else { return Ok(()) };
        if user.disabled {
            return Ok(());
        }
        let code = new_code();
        let hash = passwords::hash(&code).await?;
        let expires_at = Timestamp::now().plus_secs(self.code_ttl_secs);
        self.meta.put_password_reset(&user.id, &hash, expires_at).await?;
        let minutes = (self.code_ttl_secs / 60).max(1);
        let body = format!(
            "Hello {},\n\nyour Nimbus password reset code is {code}\n\nIt works once, for {minutes} minutes. \
             If you did not ask to reset your password, ignore this mail: nothing changes.\n",
            user.username
        );
        self.mailer.send(&address, "Your Nimbus password reset code", &body).await
    }

    /// Sets a new password with a valid code and revokes every session of the user.
    /// Any wrong, expired, used or burned code is the same `InvalidCode`.
    pub async fn confirm(&self, email: &str, code: &str, new_password: &str, client: &str) -> Result<()> {
        let new_password = Password::parse_field(new_password, "new_password")?;
        self.wrong_codes.check(client)?;
        match self.try_confirm(email, code, &new_password).await? {
            true => Ok(()),
            false => {
                self.wrong_codes.record_failure(client);
                Err(Error::InvalidCode)
            }
        }
    }

    async fn try_confirm(&self, email: &str, code: &str, new_password: &Password) -> Result<bool> {
        let key = login_key(email);
        let Some(user) = self.meta.user_by_login(&key).await? else { return Ok(false) };
        if user.email.as_deref().map(login_key).as_deref() != Some(key.as_str()) {
            return Ok(false);
        }
        let Some(reset) = self.meta.take_reset_attempt(&user.id, Timestamp::now()).await? else { return Ok(false) };
        if !passwords::verify(code.trim(), Some(&reset.code_hash)).await? {
            return Ok(false);
        }
        let hash = passwords::hash(new_password.as_str()).await?;
        self.meta.complete_password_reset(&user.id, &reset.code_hash, &hash).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_eight_digits() {
        for _ in 0..100 {
            let c = super::new_code();
            assert_eq!(c.len(), 8);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_ne!(super::new_code(), super::new_code());
    }
}
