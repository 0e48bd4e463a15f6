//! The one streaming pass over an upload's bytes: SHA-256 and size.

use sha2::{Digest, Sha256};

/// Feed chunks in order; `finish` gives the digest. Holds no file bytes.
#[derive(Default)]
pub struct ContentHasher {
    sha256: Sha256,
    size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDigest {
    /// Lowercase hex.
    pub sha256: String,
    pub size: u64,
}

impl ContentHasher {
    pub fn update(&mut self, chunk: &[u8]) {
        self.sha256.update(chunk);
        self.size += chunk.len() as u64;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn finish(self) -> ContentDigest {
        ContentDigest {
            sha256: hex::encode(self.sha256.finalize()),
            size: self.size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunking_does_not_change_the_digest() {
        let mut one = ContentHasher::default();
        one.update(b"hello\n");
        let mut two = ContentHasher::default();
        two.update(b"hel");
        two.update(b"lo\n");
        let (a, b) = (one.finish(), two.finish());
        assert_eq!(a, b);
        assert_eq!(
            a.sha256,
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
        assert_eq!(a.size, 6);
    }
}
