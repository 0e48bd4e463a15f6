//! Small contents kept in the metadata database: the server's blob store, wrapped so
//! that contents up to `inline_max_bytes` live in their `contents` row (written in the
//! same transaction as the file, so a small upload costs one shared commit instead of a
//! blob file's create, fsync, rename and directory fsync), and everything else passes
//! through to the real store. Readers (downloads, CAR, scrub, MD5, thumbnails) see one
//! `BlobStore` and need not know where a content's bytes are.

use crate::blob::{BlobStore, ByteStream, SessionWriter, Space, TempBlob};
use crate::meta::MetaStore;
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use std::io;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The blob key prefix of an inline content. Real stores never make such keys (local
/// keys are hex paths, S3 keys `<prefix>blobs/…`), so the two cannot be confused.
const INLINE_PREFIX: &str = "inline:";

/// The most a content may weigh to be kept inline, whatever the configuration says:
/// past this, a row's bytes would cost more in the database's page cache and WAL than
/// a file does.
pub const INLINE_LIMIT: u64 = 1 << 20;

/// A fresh blob key for an inline content with this SHA-256: unique per upload, as a
/// blob's is (see `TempBlob::persist`).
pub fn inline_key(sha256: &str) -> String {
    format!("{INLINE_PREFIX}{sha256}.{}", crate::domain::new_id())
}

pub fn is_inline_key(key: &str) -> bool {
    key.starts_with(INLINE_PREFIX)
}

/// The server's store with small contents inline (see the module documentation).
pub struct InlineContents {
    inner: Arc<dyn BlobStore>,
    meta: Arc<dyn MetaStore>,
    max: u64,
}

impl InlineContents {
    /// Wraps `inner`; new contents up to `max` bytes (capped at `INLINE_LIMIT`) go
    /// inline. With `max` 0 none do, but those stored inline before stay readable.
    pub fn wrap(inner: Arc<dyn BlobStore>, meta: Arc<dyn MetaStore>, max: u64) -> Arc<dyn BlobStore> {
        Arc::new(InlineContents { inner, meta, max: max.min(INLINE_LIMIT) })
    }

    async fn bytes(&self, key: &str, range: Range<u64>) -> io::Result<Bytes> {
        let data = self.meta.inline_data(key).await.map_err(io::Error::other)?;
        let data = data.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no inline content with this key"))?;
        let end = usize::try_from(range.end).unwrap_or(usize::MAX).min(data.len());
        let start = usize::try_from(range.start).unwrap_or(usize::MAX).min(end);
        // A shorter row than asked for is damage the reader's SHA-256 check reports.
        Ok(Bytes::from(data).slice(start..end))
    }
}

#[async_trait]
impl BlobStore for InlineContents {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn inline_max(&self) -> u64 {
        self.max
    }

    async fn ping(&self) -> io::Result<()> {
        self.inner.ping().await
    }

    async fn create_temp(&self) -> io::Result<Box<dyn TempBlob>> {
        self.inner.create_temp().await
    }

    async fn read(&self, key: &str, range: Range<u64>) -> io::Result<ByteStream> {
        if !is_inline_key(key) {
            return self.inner.read(key, range).await;
        }
        let bytes = self.bytes(key, range).await?;
        Ok(futures_util::stream::once(std::future::ready(Ok(bytes))).boxed())
    }

    async fn read_small(&self, key: &str, range: Range<u64>) -> io::Result<Bytes> {
        if is_inline_key(key) { self.bytes(key, range).await } else { self.inner.read_small(key, range).await }
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        // An inline content's bytes went with its row.
        if is_inline_key(key) { Ok(()) } else { self.inner.delete(key).await }
    }

    async fn remove_temporaries(&self) -> io::Result<usize> {
        self.inner.remove_temporaries().await
    }

    async fn list_keys(&self) -> io::Result<Vec<(String, SystemTime)>> {
        self.inner.list_keys().await
    }

    async fn open_session(
        &self,
        session: &str,
        offset: u64,
        state: Option<&str>,
        expected_max: u64,
    ) -> io::Result<Box<dyn SessionWriter>> {
        self.inner.open_session(session, offset, state, expected_max).await
    }

    async fn read_session(&self, session: &str, range: Range<u64>) -> io::Result<ByteStream> {
        self.inner.read_session(session, range).await
    }

    async fn persist_session(
        &self,
        session: &str,
        length: u64,
        state: Option<&str>,
        sha256: Option<&str>,
    ) -> io::Result<String> {
        self.inner.persist_session(session, length, state, sha256).await
    }

    async fn delete_session(&self, session: &str, state: Option<&str>) -> io::Result<()> {
        self.inner.delete_session(session, state).await
    }

    fn shared(&self) -> bool {
        self.inner.shared()
    }

    async fn space(&self) -> io::Result<Option<Space>> {
        self.inner.space().await
    }

    fn orphan_grace(&self) -> Duration {
        self.inner.orphan_grace()
    }
}
