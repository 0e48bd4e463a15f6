//! `BlobStore`: where file bytes live: local disk (our own code) or any S3-compatible
//! store (OpenDAL). Blobs are written once, made durable, and never modified after.

mod local;
mod s3;

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
    /// Deletes a blob; a missing blob is not an error.
    async fn delete(&self, key: &str) -> io::Result<()>;
    /// Removes temporaries left by a crash; returns how many. Called at start-up.
    async fn remove_temporaries(&self) -> io::Result<usize>;
    /// Every persisted blob key with its modification time, for the orphan scan.
    async fn list_keys(&self) -> io::Result<Vec<(String, SystemTime)>>;
    /// How old an unreferenced blob must be before the start-up scan deletes it: zero
    /// for a store only this process writes, longer where other instances share it.
    fn orphan_grace(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

#[async_trait]
pub trait TempBlob: Send {
    async fn write(&mut self, chunk: &[u8]) -> io::Result<()>;
    /// Makes the bytes durable under a fresh key derived from `sha256` and returns it.
    /// A unique key per upload means a concurrent reclaim of the same content can
    /// never delete bytes that a new upload is about to reference.
    async fn persist(self: Box<Self>, sha256: &str) -> io::Result<String>;
}
