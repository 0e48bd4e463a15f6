//! Identifiers and secret tokens from the operating system's CSPRNG.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// A new opaque identifier: 128 random bits as 32 lowercase hex characters.
pub fn new_id() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// A new bearer secret of 256 random bits, with a prefix that makes leaked tokens easy
/// to recognise (for secret scanners and humans).
pub fn new_secret_token(prefix: &str) -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    format!("{prefix}_{}", hex::encode(b))
}

/// Lowercase hex SHA-256; how tokens are stored (they are random, so no salt is needed).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}
