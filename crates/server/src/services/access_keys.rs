//! S3 access keys: a key id and secret per client, the secret shown once and kept
//! sealed (SigV4 verification needs it in the clear), revocable at once on every
//! instance (nothing is cached: each request looks its key up).

use super::Principal;
use super::secrets::SecretBox;
use crate::domain::{Timestamp, new_id};
use crate::error::{Error, Result};
use crate::meta::{AccessKeyRecord, MetaStore};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use std::sync::Arc;

const MAX_NAME_CHARS: usize = 100;
const MAX_KEYS: usize = 100;

#[derive(Clone)]
pub struct AccessKeys {
    meta: Arc<dyn MetaStore>,
    secrets: SecretBox,
}

impl AccessKeys {
    pub fn new(meta: Arc<dyn MetaStore>, secrets: SecretBox) -> Self {
        AccessKeys { meta, secrets }
    }

    /// A new key: its record and secret, which is never shown again.
    pub async fn create(&self, who: &Principal, name: &str) -> Result<(AccessKeyRecord, String)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(Error::invalid("name", "must be 1–100 printable characters"));
        }
        if self.meta.access_keys(&who.user.id).await?.len() >= MAX_KEYS {
            return Err(Error::invalid("name", "at most 100 access keys; delete one first"));
        }
        let secret = random_text(SECRET_ALPHABET, 40);
        let record = AccessKeyRecord {
            id: new_id(),
            user_id: who.user.id.clone(),
            name: name.to_string(),
            // AWS's shape (20 upper-case characters), which some clients check.
            access_key_id: format!("NK{}", random_text(KEY_ID_ALPHABET, 18)),
            created_at: Timestamp::now(),
            last_used_at: None,
        };
        self.meta.create_access_key(&record, &self.secrets.seal(&secret)?).await?;
        Ok((record, secret))
    }

    pub async fn list(&self, who: &Principal) -> Result<Vec<AccessKeyRecord>> {
        self.meta.access_keys(&who.user.id).await
    }

    /// Deletes a key: the next request signed with it is refused.
    pub async fn delete(&self, who: &Principal, id: &str) -> Result<()> {
        if self.meta.delete_access_key(&who.user.id, id).await? { Ok(()) } else { Err(Error::NotFound) }
    }

    /// The secret of a key id and who it signs for; `None` for an unknown key. A
    /// disabled user's keys are refused (`Forbidden`).
    pub async fn secret_of(&self, key_id: &str) -> Result<Option<(String, Principal)>> {
        let Some((key, sealed, user)) = self.meta.access_key_by_key_id(key_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Err(Error::Forbidden);
        }
        let secret = self.secrets.open(&sealed)?;
        self.meta.touch_access_key(&key.id, Timestamp::now()).await?;
        let session_id = format!("access-key:{}", key.id);
        Ok(Some((secret, Principal { user, session_id, scope: super::accounts::Scope::Files })))
    }
}

const KEY_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `len` characters drawn uniformly from `alphabet` (32 or 64 symbols: a byte's low bits
/// are uniform), so a 40-character secret carries 240 random bits.
fn random_text(alphabet: &[u8], len: usize) -> String {
    debug_assert!(alphabet.len().is_power_of_two());
    let mut bytes = vec![0u8; len];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| alphabet[usize::from(*b) % alphabet.len()] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_and_secrets_have_the_shapes_clients_expect() {
        let id = random_text(KEY_ID_ALPHABET, 18);
        assert_eq!(id.len(), 18);
        assert!(id.bytes().all(|b| KEY_ID_ALPHABET.contains(&b)));
        let a = random_text(SECRET_ALPHABET, 40);
        assert_eq!(a.len(), 40);
        assert_ne!(a, random_text(SECRET_ALPHABET, 40));
    }
}
