//! Secrets at rest: XChaCha20-Poly1305 with the server's key (config `secret_key`, or a
//! key file created in the data dir on first start).

use crate::error::{Error, Result};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl SecretBox {
    /// From 32 key bytes.
    pub fn new(key: &[u8; 32]) -> Self {
        SecretBox { cipher: XChaCha20Poly1305::new(key.into()) }
    }

    /// Parses a key written as 64 hex characters.
    pub fn from_hex(hex_key: &str) -> anyhow::Result<Self> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| anyhow::anyhow!("secret_key must be 64 hex characters"))?;
        let key: [u8; 32] =
            bytes.try_into().map_err(|_| anyhow::anyhow!("secret_key must be 32 bytes (64 hex characters)"))?;
        Ok(SecretBox::new(&key))
    }

    /// A fresh random key as 64 hex characters.
    pub fn generate_hex() -> String {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        hex::encode(key)
    }

    /// `hex(nonce ‖ ciphertext)`, with a random 192-bit nonce.
    pub fn seal(&self, plaintext: &str) -> Result<String> {
        let mut nonce = [0u8; 24];
        OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| Error::Internal(anyhow::anyhow!("encryption failed")))?;
        Ok(hex::encode([nonce.as_slice(), &sealed].concat()))
    }

    pub fn open(&self, sealed: &str) -> Result<String> {
        let fail = || {
            Error::Internal(anyhow::anyhow!(
                "a stored secret cannot be decrypted (is secret_key the one it was stored with?)"
            ))
        };
        let bytes = hex::decode(sealed).map_err(|_| fail())?;
        if bytes.len() < 24 {
            return Err(fail());
        }
        let plain = self.cipher.decrypt(XNonce::from_slice(&bytes[..24]), &bytes[24..]).map_err(|_| fail())?;
        String::from_utf8(plain).map_err(|_| fail())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_detects_tampering() {
        let b = SecretBox::from_hex(&SecretBox::generate_hex()).unwrap();
        let sealed = b.seal("s3cr3t").unwrap();
        assert!(!sealed.contains("s3cr3t"));
        assert_ne!(sealed, b.seal("s3cr3t").unwrap(), "fresh nonce each time");
        assert_eq!(b.open(&sealed).unwrap(), "s3cr3t");
        let mut tampered = sealed.clone();
        tampered.replace_range(60..62, if &sealed[60..62] == "00" { "01" } else { "00" });
        assert!(b.open(&tampered).is_err());
        let other = SecretBox::from_hex(&SecretBox::generate_hex()).unwrap();
        assert!(other.open(&sealed).is_err());
        assert!(SecretBox::from_hex("abcd").is_err());
    }
}
