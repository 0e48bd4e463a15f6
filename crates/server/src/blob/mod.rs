//! `BlobStore`: where file bytes live: local disk (our own code) or any S3-compatible
//! store (OpenDAL). Blobs are written once, made durable, and never modified after.

mod local;
mod local_sessions;
mod s3;
mod s3_multipart;
mod s3_sessions;
pub mod sigv4;

pub use local::LocalBlobStore;
pub use s3::{PART_SIZE, S3BlobStore, S3Location};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use std::io;
use std::ops::Range;
use std::time::SystemTime;

/// A stream of a blob's bytes.
pub type ByteStream = BoxStream<'static, io::Result<Bytes>>;

#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// The store's name as recorded with each content row; dedup stays within a store.
    fn name(&self) -> &str;
    /// Checks that the store is reachable and writable.
    async fn ping(&self) -> io::Result<()>;
    /// Starts a temporary blob. Dropping it without `persist` removes it.
    async fn create_temp(&self) -> io::Result<Box<dyn TempBlob>>;
    /// Streams `range` of the blob at `key` (the range is already validated).
    async fn read(&self, key: &str, range: Range<u64>) -> io::Result<ByteStream>;
    /// Reads `range` of the blob at `key` into memory in one go, for small downloads,
    /// where the round trips of a stream cost more than the bytes. Stores without a
    /// quicker way collect `read`.
    async fn read_small(&self, key: &str, range: Range<u64>) -> io::Result<Bytes> {
        use futures_util::StreamExt;
        let mut stream = self.read(key, range.clone()).await?;
        let mut buf = Vec::with_capacity(usize::try_from(range.end - range.start).unwrap_or(0));
        while let Some(chunk) = stream.next().await {
            buf.extend_from_slice(&chunk?);
        }
        Ok(Bytes::from(buf))
    }
    /// Deletes a blob; a missing blob is not an error.
    async fn delete(&self, key: &str) -> io::Result<()>;
    /// Removes temporaries left by a crash; returns how many. Called at start-up.
    async fn remove_temporaries(&self) -> io::Result<usize>;
    /// Every persisted blob key with its modification time, for the orphan scan.
    async fn list_keys(&self) -> io::Result<Vec<(String, SystemTime)>>;
    /// Opens resumable upload `session` for an append at `offset`, where its acknowledged
    /// bytes end (anything stored past it, never acknowledged, is dropped). `state` is
    /// what the last acknowledged append returned (`None` before the first), and
    /// `expected_max` the most bytes the session may reach (to size its parts).
    async fn open_session(
        &self,
        session: &str,
        offset: u64,
        state: Option<&str>,
        expected_max: u64,
    ) -> io::Result<Box<dyn SessionWriter>>;
    /// Streams `range` of a session's acknowledged bytes (to rebuild hash state), or
    /// `ErrorKind::Unsupported` where they cannot be read before the session finishes.
    async fn read_session(&self, session: &str, range: Range<u64>) -> io::Result<ByteStream>;
    /// Makes the session's first `length` bytes a blob under a fresh key (derived from
    /// `sha256` where the store names blobs by it; such stores always can read their
    /// sessions, so the hash is known) and forgets the session's own storage.
    async fn persist_session(
        &self,
        session: &str,
        length: u64,
        state: Option<&str>,
        sha256: Option<&str>,
    ) -> io::Result<String>;
    /// Removes whatever a session stored; a missing session is not an error.
    async fn delete_session(&self, session: &str, state: Option<&str>) -> io::Result<()>;
    /// The largest content written to this store that is kept inline in the metadata
    /// database instead (see `services::InlineContents`); 0: every content is a blob.
    fn inline_max(&self) -> u64 {
        0
    }
    /// Whether other instances write to this store too (appends then take a lease).
    fn shared(&self) -> bool {
        false
    }
    /// Free and total bytes where the blobs are written, for stores that can tell (a
    /// local disk); `None` for object stores, which do not fill up that way.
    async fn space(&self) -> io::Result<Option<Space>> {
        Ok(None)
    }
    /// How old an unreferenced blob must be before the start-up scan deletes it: zero
    /// for a store only this process writes, longer where other instances share it.
    fn orphan_grace(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

/// A file system's room, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    pub free: u64,
    pub total: u64,
}

/// One append to a resumable upload session.
#[async_trait]
pub trait SessionWriter: Send {
    async fn write(&mut self, chunk: &[u8]) -> io::Result<()>;
    /// Makes what was written durable; says how many bytes that is and the session's
    /// new state, to be recorded with the new offset.
    async fn commit(self: Box<Self>) -> io::Result<Appended>;
    /// Drops what this append wrote (a checksum mismatch, or a lost race).
    async fn discard(self: Box<Self>) -> io::Result<()>;
}

/// What an acknowledged append leaves: its length, and the store's bookkeeping for the
/// session (opaque to everyone else; `None` where the store needs none).
#[derive(Debug)]
pub struct Appended {
    pub written: u64,
    pub state: Option<String>,
}

#[async_trait]
pub trait TempBlob: Send {
    async fn write(&mut self, chunk: &[u8]) -> io::Result<()>;
    /// Makes the bytes durable under a fresh key derived from `sha256` and returns it.
    /// A unique key per upload means a concurrent reclaim of the same content can
    /// never delete bytes that a new upload is about to reference.
    async fn persist(self: Box<Self>, sha256: &str) -> io::Result<String>;
}
