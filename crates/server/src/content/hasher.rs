//! The one streaming pass over an upload's bytes: SHA-256, MD5 (for S3 ETags), size and
//! UnixFS CID.

use super::unixfs::UnixFsBuilder;
use sha2::{Digest, Sha256};

/// Feed chunks in order; `finish` gives the digest. Holds no file bytes beyond the one
/// UnixFS chunk being filled.
#[derive(Default)]
pub struct ContentHasher {
    sha256: Sha256,
    md5: md5::Md5,
    size: u64,
    dag: UnixFsBuilder,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDigest {
    /// Lowercase hex.
    pub sha256: String,
    /// Lowercase hex; S3 clients check it as the ETag of objects written in one piece.
    pub md5: String,
    pub size: u64,
    /// CIDv1, base32 (`bafk…` for a single raw leaf, `bafy…` for a dag-pb root).
    pub cid: String,
}

impl ContentHasher {
    pub fn update(&mut self, chunk: &[u8]) {
        self.sha256.update(chunk);
        md5::Digest::update(&mut self.md5, chunk);
        self.size += chunk.len() as u64;
        // Only the CIDs matter here; the block bytes are dropped at once.
        self.dag.push(chunk, drop);
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn finish(self) -> ContentDigest {
        let root = self.dag.finish(drop);
        ContentDigest {
            sha256: hex::encode(self.sha256.finalize()),
            md5: hex::encode(md5::Digest::finalize(self.md5)),
            size: self.size,
            cid: root.to_string(),
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
        assert_eq!(a.sha256, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
        assert_eq!(a.cid, "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am");
        assert_eq!(a.md5, "b1946ac92492d2347c6235b4d2611184");
        assert_eq!(a.size, 6);
    }

    #[test]
    fn a_file_of_exactly_one_chunk_is_its_raw_leaf() {
        let mut h = ContentHasher::default();
        h.update(&vec![7u8; 262_144]);
        assert!(h.finish().cid.starts_with("bafk"));
    }

    #[test]
    fn the_empty_file_is_the_empty_raw_leaf() {
        let d = ContentHasher::default().finish();
        assert_eq!(d.cid, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    }
}
