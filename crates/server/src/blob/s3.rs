//! Blobs in any S3-compatible object store, through OpenDAL. An upload is one object
//! written with a multipart upload (parts of `PART_SIZE`), so memory stays flat and
//! nothing is visible until it completes; reads are ranged GETs; transient errors are
//! retried with exponential backoff and jitter.

use super::s3_multipart::MultipartClient;
use super::{BlobStore, ByteStream, SessionWriter, TempBlob};
use crate::domain::new_id;
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{ErrorKind, Operator};
use std::io;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The multipart part size: the memory an upload holds, and the S3 minimum is 5 MiB.
pub const PART_SIZE: usize = 8 << 20;

/// Where a bucket is and how to sign requests to it.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Location {
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    /// Key prefix inside the bucket ("" for the bucket's root).
    pub prefix: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Location")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

pub(super) fn to_io(e: opendal::Error) -> io::Error {
    let kind = match e.kind() {
        ErrorKind::NotFound => io::ErrorKind::NotFound,
        ErrorKind::PermissionDenied => io::ErrorKind::PermissionDenied,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, e)
}

pub struct S3BlobStore {
    name: String,
    op: Operator,
    /// The multipart calls of resumable sessions, which OpenDAL does not expose.
    multipart: Arc<MultipartClient>,
}

impl S3BlobStore {
    /// A store named `name` (recorded with each content row) over `loc`.
    pub fn new(name: &str, loc: &S3Location) -> io::Result<Self> {
        opendal::install_default();
        let root = format!("/{}", loc.prefix.trim_matches('/'));
        let builder = opendal::services::S3::default()
            .bucket(&loc.bucket)
            .endpoint(&loc.endpoint)
            .region(&loc.region)
            .access_key_id(&loc.access_key_id)
            .secret_access_key(&loc.secret_access_key)
            .root(&root)
            // Only what is configured here: never the host's AWS profile or instance role.
            .disable_config_load()
            .disable_ec2_metadata();
        let op = Operator::new(builder)
            .map_err(to_io)?
            .layer(TimeoutLayer::new().with_timeout(Duration::from_secs(60)).with_io_timeout(Duration::from_secs(60)))
            .layer(RetryLayer::new().with_jitter().with_max_times(4).with_min_delay(Duration::from_millis(100)));
        let multipart = Arc::new(MultipartClient::new(loc)?);
        Ok(S3BlobStore { name: name.to_string(), op, multipart })
    }

    /// Proves the credentials with real requests: list the bucket, write a probe
    /// object, read it back, delete it. The error says what the store answered.
    pub async fn probe(&self) -> Result<(), String> {
        // Listing first: it fails on a missing bucket even where writes would not.
        self.op.check().await.map_err(|e| format!("listing the bucket failed: {e}"))?;
        let key = format!("nimbus-probe-{}", new_id());
        self.op.write(&key, b"nimbus".to_vec()).await.map_err(|e| format!("writing a test object failed: {e}"))?;
        let read = self.op.read(&key).await.map_err(|e| format!("reading the test object failed: {e}"))?;
        self.op.delete(&key).await.map_err(|e| format!("deleting the test object failed: {e}"))?;
        if read.to_vec() != b"nimbus" {
            return Err("the test object read back differently".into());
        }
        Ok(())
    }
}

pub(super) fn object_key() -> String {
    // Uploads land on their final key at once (S3 has no rename); the content's hash
    // maps to it in the metadata.
    format!("b/{}", new_id())
}

#[async_trait]
impl BlobStore for S3BlobStore {
    fn name(&self) -> &str {
        &self.name
    }

    async fn ping(&self) -> io::Result<()> {
        self.op.check().await.map_err(to_io)
    }

    async fn create_temp(&self) -> io::Result<Box<dyn TempBlob>> {
        let key = object_key();
        let writer = self.op.writer_with(&key).chunk(PART_SIZE).await.map_err(to_io)?;
        Ok(Box::new(S3Temp { key, writer: Some(writer) }))
    }

    async fn read(&self, key: &str, range: Range<u64>) -> io::Result<ByteStream> {
        if range.start >= range.end {
            return Ok(futures_util::stream::empty().boxed());
        }
        let reader = self.op.reader_with(key).chunk(4 << 20).await.map_err(to_io)?;
        let stream = reader.into_bytes_stream(range).await.map_err(to_io)?;
        Ok(stream.map_err(io::Error::other).boxed())
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        match self.op.delete(key).await {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(to_io(e)),
            _ => Ok(()),
        }
    }

    async fn remove_temporaries(&self) -> io::Result<usize> {
        // Unfinished multipart uploads are invisible and hold no key; a bucket lifecycle
        // rule (AbortIncompleteMultipartUpload) cleans them up (README, Running at scale).
        Ok(0)
    }

    async fn open_session(
        &self,
        session: &str,
        offset: u64,
        state: Option<&str>,
        expected_max: u64,
    ) -> io::Result<Box<dyn SessionWriter>> {
        super::s3_sessions::open(&self.op, &self.multipart, session, offset, state, expected_max).await
    }

    async fn read_session(&self, _session: &str, _range: Range<u64>) -> io::Result<ByteStream> {
        // The session's parts belong to an unfinished multipart upload: S3 cannot read them.
        Err(io::Error::new(io::ErrorKind::Unsupported, "an unfinished multipart upload cannot be read"))
    }

    async fn persist_session(
        &self,
        session: &str,
        length: u64,
        state: Option<&str>,
        _sha256: Option<&str>,
    ) -> io::Result<String> {
        super::s3_sessions::persist(&self.op, &self.multipart, session, length, state).await
    }

    async fn delete_session(&self, session: &str, state: Option<&str>) -> io::Result<()> {
        super::s3_sessions::delete(&self.op, &self.multipart, session, state).await
    }

    fn shared(&self) -> bool {
        true
    }

    async fn list_keys(&self) -> io::Result<Vec<(String, SystemTime)>> {
        let entries = self.op.list_with("b/").recursive(true).await.map_err(to_io)?;
        Ok(entries
            .into_iter()
            .filter(|e| e.metadata().is_file())
            .map(|e| {
                let modified = e.metadata().last_modified().map(SystemTime::from).unwrap_or_else(SystemTime::now);
                (e.path().to_string(), modified)
            })
            .collect())
    }

    fn orphan_grace(&self) -> Duration {
        // Other instances may be between persisting a blob and committing its metadata.
        Duration::from_secs(3600)
    }
}

struct S3Temp {
    key: String,
    writer: Option<opendal::Writer>,
}

#[async_trait]
impl TempBlob for S3Temp {
    async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        let w = self.writer.as_mut().ok_or_else(|| io::Error::other("upload already closed"))?;
        w.write(chunk.to_vec()).await.map_err(to_io)
    }

    async fn persist(mut self: Box<Self>, _sha256: &str) -> io::Result<String> {
        let mut w = self.writer.take().ok_or_else(|| io::Error::other("upload already closed"))?;
        // Completing the multipart upload is what makes the object exist, durably.
        w.close().await.map_err(to_io)?;
        Ok(std::mem::take(&mut self.key))
    }
}

impl Drop for S3Temp {
    fn drop(&mut self) {
        if let Some(mut w) = self.writer.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                // Aborting the multipart upload frees its parts; nothing was visible.
                let _ = w.abort().await;
            });
        }
    }
}
