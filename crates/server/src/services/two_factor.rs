//! Two-factor sign-in with TOTP: setting it up (a secret shown once, confirmed with a
//! code, which hands out ten single-use recovery codes), turning it off (password and a
//! code), and checking the second factor at sign-in. A code is accepted once only (the
//! accepted time step is recorded atomically), and wrong codes count against the same
//! limits as wrong passwords.

use super::accounts::Accounts;
use super::{Principal, passwords};
use crate::domain::totp::{base32_decode, base32_encode, matching_step, step_at};
use crate::domain::{Timestamp, sha256_hex};
use crate::error::{Error, Result};
use crate::meta::UserRecord;
use argon2::password_hash::rand_core::{OsRng, RngCore};

/// Recovery codes handed out when 2FA is turned on.
pub const RECOVERY_CODES: usize = 10;

/// A new secret, as the user's authenticator app takes it.
pub struct TotpSetup {
    /// Base32, for typing in.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_uri: String,
}

impl Accounts {
    fn secrets(&self) -> Result<&super::secrets::SecretBox> {
        self.secrets.as_ref().ok_or_else(|| Error::Internal(anyhow::anyhow!("no at-rest key for 2FA secrets")))
    }

    /// Starts setting 2FA up: a new secret (20 random bytes), stored sealed and pending
    /// until `confirm_two_factor`. Refused while 2FA is on (turn it off first).
    pub async fn start_two_factor(&self, who: &Principal) -> Result<TotpSetup> {
        if self.meta.totp_state(&who.user.id).await?.is_some_and(|s| s.enabled) {
            return Err(Error::Conflict(
                "two-factor sign-in is already on; turn it off first to set up a new secret".into(),
            ));
        }
        let mut raw = [0u8; 20];
        OsRng.fill_bytes(&mut raw);
        let secret = base32_encode(&raw);
        self.meta.set_pending_totp(&who.user.id, &self.secrets()?.seal(&secret)?).await?;
        let otpauth_uri = otpauth_uri(&who.user.username, &secret);
        Ok(TotpSetup { secret, otpauth_uri })
    }

    /// The `otpauth://` URI of the secret being set up (for its QR code); 409 when no
    /// set-up is pending (none started, or 2FA already on: the secret is not shown again).
    pub async fn pending_two_factor_uri(&self, who: &Principal) -> Result<String> {
        let state = self.meta.totp_state(&who.user.id).await?.filter(|s| !s.enabled);
        let state = state.ok_or_else(|| Error::Conflict("no two-factor set-up is pending".into()))?;
        Ok(otpauth_uri(&who.user.username, &self.secrets()?.open(&state.sealed_secret)?))
    }

    /// Confirms the pending secret with a code from the app; 2FA is on from here. Returns
    /// the recovery codes (shown once; stored hashed).
    pub async fn confirm_two_factor(&self, who: &Principal, code: &str) -> Result<Vec<String>> {
        let state = self
            .meta
            .totp_state(&who.user.id)
            .await?
            .ok_or(Error::Conflict("start setting two-factor sign-in up first".into()))?;
        if state.enabled {
            return Err(Error::Conflict("two-factor sign-in is already on".into()));
        }
        if !self.totp_code_ok(&who.user, &state.sealed_secret, code).await? {
            return Err(Error::InvalidCode);
        }
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(normalise(c).as_bytes())).collect();
        self.meta.enable_totp(&who.user.id, &hashes).await?;
        Ok(codes)
    }

    /// Turns 2FA off: needs the password and a current code (or a recovery code).
    pub async fn disable_two_factor(&self, who: &Principal, password: &str, code: &str) -> Result<()> {
        if !passwords::verify(password, Some(&who.user.password_hash)).await? {
            return Err(Error::WrongPassword);
        }
        if !self.second_factor_ok(&who.user, code).await? {
            return Err(Error::WrongPassword);
        }
        self.meta.disable_totp(&who.user.id).await
    }

    /// Whether the user has 2FA on.
    pub async fn two_factor_on(&self, user: &UserRecord) -> Result<bool> {
        Ok(self.meta.totp_state(&user.id).await?.is_some_and(|s| s.enabled))
    }

    /// Checks a sign-in's second factor: a current TOTP code not used before, or an
    /// unused recovery code (used up here).
    pub(super) async fn second_factor_ok(&self, user: &UserRecord, code: &str) -> Result<bool> {
        let Some(state) = self.meta.totp_state(&user.id).await?.filter(|s| s.enabled) else {
            return Ok(true);
        };
        if self.totp_code_ok(user, &state.sealed_secret, code).await? {
            return Ok(true);
        }
        let hash = sha256_hex(normalise(code).as_bytes());
        self.meta.use_recovery_code(&user.id, &hash, Timestamp::now().0).await
    }

    async fn totp_code_ok(&self, user: &UserRecord, sealed: &str, code: &str) -> Result<bool> {
        let secret = base32_decode(&self.secrets()?.open(sealed)?).unwrap_or_default();
        match matching_step(&secret, code, step_at(Timestamp::now().unix_secs())) {
            // The step is taken atomically: a replay (or a concurrent second use) fails.
            Some(step) => self.meta.accept_totp_step(&user.id, step).await,
            None => Ok(false),
        }
    }
}

/// What authenticator apps read from a QR code.
fn otpauth_uri(username: &str, secret: &str) -> String {
    let label = percent_encoding::utf8_percent_encode(username, percent_encoding::NON_ALPHANUMERIC);
    format!("otpauth://totp/Nimbus:{label}?secret={secret}&issuer=Nimbus&algorithm=SHA1&digits=6&period=30")
}

/// `abcde-fghij`: 50 random bits in lowercase base32, easy to read and type.
fn recovery_code() -> String {
    let mut raw = [0u8; 7];
    OsRng.fill_bytes(&mut raw);
    let text = base32_encode(&raw).to_lowercase();
    format!("{}-{}", &text[..5], &text[5..10])
}

/// Recovery codes compare without case, spaces or dashes.
fn normalise(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}
