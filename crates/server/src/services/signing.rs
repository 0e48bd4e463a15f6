//! HMAC-SHA256 under the server's signing key: public link tokens (derived from the
//! link id, so they need not be stored) and stateless signed download URLs.
//!
//! The key lives in the metadata database (sealed with the at-rest key), created once by
//! whichever instance starts first, so restarts and other instances keep every token valid.

use crate::domain::{Timestamp, new_secret_token};
use crate::error::Result;
use crate::meta::MetaStore;
use crate::services::secrets::SecretBox;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

/// The parts of a signed download URL's token.
pub struct SignedDownload {
    pub file_id: String,
    pub creator_id: String,
    pub expires_at: Timestamp,
    signature: Vec<u8>,
}

impl Signer {
    /// Loads the signing key from the database, creating it on first use. It is stored
    /// sealed with the at-rest key, so a copy of the database alone cannot forge links.
    pub async fn load(meta: &dyn MetaStore, secrets: &SecretBox) -> Result<Signer> {
        let candidate = secrets.seal(&new_secret_token("key"))?;
        let sealed = meta.server_secret("signing_key_sealed", &candidate).await?;
        let key = secrets.open(&sealed)?;
        Ok(Signer { key: key.into_bytes() })
    }

    fn mac(&self, parts: &[&str]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        for p in parts {
            // Length-prefix each part so that no two different inputs concatenate alike.
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p.as_bytes());
        }
        mac
    }

    /// The public token of a link: 256 bits, derived from the link's random id.
    pub fn link_token(&self, link_id: &str) -> String {
        hex::encode(self.mac(&["link", link_id]).finalize().into_bytes())
    }

    /// `<file_id>.<creator_id>.<expires>.<signature>`; the signature also covers the
    /// content's SHA-256, so the URL dies when the content changes.
    pub fn sign_download(&self, file_id: &str, creator_id: &str, sha256: &str, expires_at: Timestamp) -> String {
        let expires = expires_at.unix_secs().to_string();
        let sig = self.mac(&["download", file_id, creator_id, sha256, &expires]).finalize().into_bytes();
        format!("{file_id}.{creator_id}.{expires}.{}", hex::encode(sig))
    }

    /// Splits a signed-download token; `None` if it is not one.
    pub fn parse_download(token: &str) -> Option<SignedDownload> {
        let mut parts = token.split('.');
        let (file_id, creator_id, expires, sig) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let expires: i64 = expires.parse().ok()?;
        // Signatures are written in lowercase hex; any other spelling is not one of ours.
        if !sig.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        Some(SignedDownload {
            file_id: file_id.to_string(),
            creator_id: creator_id.to_string(),
            expires_at: Timestamp(expires.checked_mul(1_000_000)?),
            signature: hex::decode(sig).ok()?,
        })
    }

    /// Checks the signature against the file's current content hash, in constant time.
    pub fn verify_download(&self, d: &SignedDownload, sha256: &str) -> bool {
        let expires = d.expires_at.unix_secs().to_string();
        self.mac(&["download", &d.file_id, &d.creator_id, sha256, &expires]).verify_slice(&d.signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> Signer {
        Signer { key: b"test key".to_vec() }
    }

    #[test]
    fn signed_downloads_verify_only_untouched() {
        let s = signer();
        let t = s.sign_download("f1", "u1", "abc", Timestamp(2_000_000_000_000_000));
        let d = Signer::parse_download(&t).unwrap();
        assert!(s.verify_download(&d, "abc"));
        assert!(!s.verify_download(&d, "abd"), "another content hash");
        let tampered = t.replacen("f1", "f2", 1);
        assert!(!s.verify_download(&Signer::parse_download(&tampered).unwrap(), "abc"));
        let later = t.replacen("2000000000", "2000000001", 1);
        assert!(!s.verify_download(&Signer::parse_download(&later).unwrap(), "abc"));
        assert!(Signer::parse_download("a.b.c").is_none());
        assert!(Signer::parse_download("a.b.notanumber.00").is_none());
    }

    #[test]
    fn link_tokens_are_256_bit_and_key_dependent() {
        let a = signer().link_token("id");
        assert_eq!(a.len(), 64);
        assert_ne!(a, Signer { key: b"other".to_vec() }.link_token("id"));
        assert_ne!(a, signer().link_token("id2"));
    }
}
