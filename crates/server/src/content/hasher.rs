//! The one streaming pass over an upload's bytes: SHA-256, MD5 (for S3 ETags), size,
//! UnixFS CID, and the SHA-256 of each 256 KiB chunk (the DAG's raw leaves, which ranged
//! reads are checked against).

use super::unixfs::UnixFsBuilder;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Bytes whose MD5 is computed inline; past this, on a thread of its own. MD5 costs about
/// as much as SHA-256 and the CID together, so on one core it would halve the speed of a
/// large upload; a second core takes it. Small files are not worth a thread.
const INLINE_MD5_BYTES: u64 = 1 << 20;

/// Chunks queued for the MD5 thread at most (then the upload waits for it): bounds the
/// memory a slow MD5 could hold.
const MD5_QUEUE: usize = 64;

enum Md5 {
    Inline(md5::Md5),
    Worker {
        chunks: SyncSender<Bytes>,
        done: JoinHandle<md5::Md5>,
    },
    /// No thread could be had (or it died): the MD5 stays unknown (an empty string) and
    /// the background filler computes it from the stored bytes.
    Lost,
}

impl Md5 {
    fn update(&mut self, chunk: &[u8], size_before: u64) {
        if let Md5::Inline(state) = self
            && size_before >= INLINE_MD5_BYTES
        {
            let (chunks, queue) = sync_channel::<Bytes>(MD5_QUEUE);
            let mut moved = std::mem::take(state);
            let spawned = std::thread::Builder::new().name("nimbus-md5".into()).spawn(move || {
                for chunk in queue {
                    md5::Digest::update(&mut moved, &chunk);
                }
                moved
            });
            *self = match spawned {
                Ok(done) => Md5::Worker { chunks, done },
                Err(_) => Md5::Lost,
            };
        }
        match self {
            Md5::Inline(state) => md5::Digest::update(state, chunk),
            Md5::Worker { chunks, .. } => {
                if chunks.send(Bytes::copy_from_slice(chunk)).is_err() {
                    *self = Md5::Lost;
                }
            }
            Md5::Lost => {}
        }
    }

    fn finish(self) -> String {
        match self {
            Md5::Inline(state) => hex::encode(md5::Digest::finalize(state)),
            Md5::Worker { chunks, done } => {
                drop(chunks);
                done.join().map(|state| hex::encode(md5::Digest::finalize(state))).unwrap_or_default()
            }
            Md5::Lost => String::new(),
        }
    }
}

/// Feed chunks in order; `finish` gives the digest. Holds no file bytes beyond the one
/// UnixFS chunk being filled (and the MD5 thread's short queue).
pub struct ContentHasher {
    sha256: Sha256,
    md5: Md5,
    size: u64,
    dag: UnixFsBuilder,
    leaves: Vec<u8>,
}

impl Default for ContentHasher {
    fn default() -> Self {
        ContentHasher {
            sha256: Sha256::new(),
            md5: Md5::Inline(md5::Md5::default()),
            size: 0,
            dag: UnixFsBuilder::default(),
            leaves: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDigest {
    /// Lowercase hex.
    pub sha256: String,
    /// Lowercase hex; S3 clients check it as the ETag of objects written in one piece.
    /// Empty in the (never seen) case that its thread could not run.
    pub md5: String,
    pub size: u64,
    /// CIDv1, base32 (`bafk…` for a single raw leaf, `bafy…` for a dag-pb root).
    pub cid: String,
    /// The SHA-256 of each 256 KiB chunk in order, 32 bytes each (the raw leaves' hashes,
    /// which the CID computation makes anyway): ranged reads are checked against them.
    pub leaves: Vec<u8>,
}

/// The multicodec of a raw leaf block.
const RAW: u64 = 0x55;

/// Keeps the digest of every raw leaf the DAG builder emits (the block bytes go).
fn keep_leaf(leaves: &mut Vec<u8>) -> impl FnMut(super::unixfs::Block) + '_ {
    move |(cid, _bytes)| {
        if cid.codec() == RAW {
            leaves.extend_from_slice(cid.hash().digest());
        }
    }
}

impl ContentHasher {
    pub fn update(&mut self, chunk: &[u8]) {
        self.sha256.update(chunk);
        self.md5.update(chunk, self.size);
        self.size += chunk.len() as u64;
        // Only the CIDs matter here; the block bytes are dropped at once.
        self.dag.push(chunk, keep_leaf(&mut self.leaves));
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn finish(mut self) -> ContentDigest {
        let root = self.dag.finish(keep_leaf(&mut self.leaves));
        ContentDigest {
            sha256: hex::encode(self.sha256.finalize()),
            md5: self.md5.finish(),
            size: self.size,
            cid: root.to_string(),
            leaves: self.leaves,
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
    fn the_leaves_are_the_chunks_hashes() {
        let data: Vec<u8> = (0..(600 * 1024)).map(|i: u32| (i % 251) as u8).collect();
        let mut h = ContentHasher::default();
        for chunk in data.chunks(70_001) {
            h.update(chunk);
        }
        let d = h.finish();
        let expected: Vec<u8> = data.chunks(256 * 1024).flat_map(|c| Sha256::digest(c).to_vec()).collect();
        assert_eq!(d.leaves.len(), 3 * 32);
        assert_eq!(d.leaves, expected);
        let mut empty = ContentHasher::default();
        empty.update(b"");
        assert_eq!(empty.finish().leaves, Sha256::digest(b"").to_vec(), "the empty file is one empty leaf");
    }

    #[test]
    fn the_md5_is_the_same_inline_and_on_its_thread() {
        // 3 MiB in odd-sized chunks: the first MiB inline, the rest on the MD5 thread.
        let data: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 251) as u8).collect();
        let mut h = ContentHasher::default();
        for chunk in data.chunks(100_003) {
            h.update(chunk);
        }
        let expected = hex::encode(<md5::Md5 as md5::Digest>::digest(&data));
        assert_eq!(h.finish().md5, expected);
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
