//! Devices: a user registers one (its secret is shown once and stored hashed); the
//! device then logs in with username, peer_id and secret and gets its own sessions,
//! which end at once when the device is removed.

use super::Principal;
use super::accounts::{Accounts, NewLogin, SignInFrom};
use super::failure_limiter::FailureLimiter;
use crate::domain::login_key;
use crate::domain::{Timestamp, new_id, new_secret_token, sha256_hex};
use crate::error::{Error, Result};
use crate::meta::{DeviceRecord, MetaStore, NewDevice};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct Devices {
    meta: Arc<dyn MetaStore>,
    accounts: Accounts,
    failures: FailureLimiter,
}

fn text_field(value: &str, field: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(Error::invalid(field, format!("must be 1 to {max} characters, no control characters")));
    }
    Ok(v.to_string())
}

/// Compares two equal-length ASCII strings without an early exit.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Devices {
    pub fn new(meta: Arc<dyn MetaStore>, accounts: Accounts) -> Self {
        Devices { meta, accounts, failures: FailureLimiter::new(10, Duration::from_secs(15 * 60)) }
    }

    /// Registers a device; returns it with its secret, which is never shown again.
    pub async fn register(&self, who: &Principal, name: &str, peer_id: &str) -> Result<(DeviceRecord, String)> {
        let name = text_field(name, "name", 100)?;
        let peer_id = text_field(peer_id, "peer_id", 200)?;
        let secret = new_secret_token("nmd");
        let device = self
            .meta
            .create_device(NewDevice {
                id: new_id(),
                user_id: who.user.id.clone(),
                name,
                peer_id,
                secret_hash: sha256_hex(secret.as_bytes()),
                created_at: Timestamp::now(),
            })
            .await?;
        Ok((device, secret))
    }

    pub async fn list(&self, who: &Principal) -> Result<Vec<DeviceRecord>> {
        self.meta.devices(&who.user.id).await
    }

    pub async fn remove(&self, who: &Principal, id: &str) -> Result<()> {
        if self.meta.delete_device(&who.user.id, id).await? { Ok(()) } else { Err(Error::NotFound) }
    }

    /// Device login; wrong values are 401 and throttled per username and client.
    pub async fn login(&self, username: &str, peer_id: &str, secret: &str, from: &SignInFrom) -> Result<NewLogin> {
        let client = from.address.as_str();
        let key = format!("{}|{client}", login_key(username));
        self.failures.check(&key)?;
        let found = self.meta.device_for_login(&login_key(username), peer_id).await?;
        let presented = sha256_hex(secret.as_bytes());
        let (user, device) = match found {
            Some((user, device, hash)) if constant_time_eq(&hash, &presented) => (user, device),
            _ => {
                self.failures.record_failure(&key);
                return Err(Error::InvalidCredentials);
            }
        };
        if user.disabled {
            return Err(Error::Forbidden);
        }
        self.failures.reset(&key);
        self.meta.touch_device(&device.id, Timestamp::now()).await?;
        self.accounts.open_session(user, Some(device.id), from).await
    }
}
