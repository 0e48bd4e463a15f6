//! The local-disk blob store: temp file in the same file system, write, fsync the file,
//! rename into place, fsync the directory. Layout under the root:
//! `tmp/<random>.part` while uploading, `<sha[0..2]>/<sha>-<random>` once durable.

use super::{BlobStore, ByteStream, SessionWriter, TempBlob};
use crate::domain::new_id;
use async_trait::async_trait;
use futures_util::StreamExt;
use std::io::{self, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};
use tokio_util::io::ReaderStream;

const WRITE_BUFFER: usize = 1 << 20;
const READ_CHUNK: usize = 256 << 10;

pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    /// Opens (creating if needed) a store rooted at `root`.
    pub async fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        tokio::fs::create_dir_all(root.join("tmp")).await?;
        Ok(LocalBlobStore { root })
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// The file of a key; keys are ours (`ab/<hex>-<hex>`), but check their shape anyway
    /// so that nothing can ever resolve outside the root.
    fn key_path(&self, key: &str) -> io::Result<PathBuf> {
        let ok = key.len() < 200
            && key.split('/').count() == 2
            && key.chars().all(|c| c.is_ascii_hexdigit() || c == '/' || c == '-');
        if !ok {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "malformed blob key"));
        }
        Ok(self.root.join(key))
    }
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    fn name(&self) -> &str {
        "local"
    }

    async fn ping(&self) -> io::Result<()> {
        let meta = tokio::fs::metadata(self.tmp_dir()).await?;
        if meta.permissions().readonly() {
            return Err(io::Error::new(io::ErrorKind::PermissionDenied, "blob directory is read-only"));
        }
        Ok(())
    }

    async fn create_temp(&self) -> io::Result<Box<dyn TempBlob>> {
        let path = self.tmp_dir().join(format!("{}.part", new_id()));
        let file = tokio::fs::OpenOptions::new().write(true).create_new(true).open(&path).await?;
        Ok(Box::new(LocalTemp {
            root: self.root.clone(),
            path: Some(path),
            file: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
        }))
    }

    async fn read(&self, key: &str, range: Range<u64>) -> io::Result<ByteStream> {
        let mut file = tokio::fs::File::open(self.key_path(key)?).await?;
        if range.start > 0 {
            file.seek(SeekFrom::Start(range.start)).await?;
        }
        use tokio::io::AsyncReadExt;
        let limited = file.take(range.end.saturating_sub(range.start));
        Ok(ReaderStream::with_capacity(limited, READ_CHUNK).boxed())
    }

    async fn read_small(&self, key: &str, range: Range<u64>) -> io::Result<bytes::Bytes> {
        // One blocking call opens, reads and closes, where tokio's `File` would take a
        // trip to the blocking pool for each of them.
        let path = self.key_path(key)?;
        tokio::task::spawn_blocking(move || {
            use std::io::{Read, Seek};
            let mut file = std::fs::File::open(path)?;
            if range.start > 0 {
                file.seek(SeekFrom::Start(range.start))?;
            }
            let len = range.end.saturating_sub(range.start);
            let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
            file.take(len).read_to_end(&mut buf)?;
            Ok(bytes::Bytes::from(buf))
        })
        .await
        .map_err(io::Error::other)?
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        match tokio::fs::remove_file(self.key_path(key)?).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    async fn remove_temporaries(&self) -> io::Result<usize> {
        let mut removed = 0;
        let mut dir = tokio::fs::read_dir(self.tmp_dir()).await?;
        while let Some(entry) = dir.next_entry().await? {
            tokio::fs::remove_file(entry.path()).await?;
            removed += 1;
        }
        Ok(removed)
    }

    async fn open_session(
        &self,
        session: &str,
        offset: u64,
        _state: Option<&str>,
        _expected_max: u64,
    ) -> io::Result<Box<dyn SessionWriter>> {
        super::local_sessions::open(&self.root, session, offset).await
    }

    async fn space(&self) -> io::Result<Option<super::Space>> {
        let root = self.root.clone();
        let stat =
            tokio::task::spawn_blocking(move || rustix::fs::statvfs(&root)).await.map_err(io::Error::other)??;
        let unit = stat.f_frsize.max(1);
        // What an unprivileged writer may use (f_bavail), not the root-reserved blocks.
        Ok(Some(super::Space { free: stat.f_bavail.saturating_mul(unit), total: stat.f_blocks.saturating_mul(unit) }))
    }

    async fn read_session(&self, session: &str, range: Range<u64>) -> io::Result<ByteStream> {
        let mut file = tokio::fs::File::open(super::local_sessions::session_path(&self.root, session)?).await?;
        file.seek(SeekFrom::Start(range.start)).await?;
        use tokio::io::AsyncReadExt;
        let limited = file.take(range.end.saturating_sub(range.start));
        Ok(ReaderStream::with_capacity(limited, READ_CHUNK).boxed())
    }

    async fn persist_session(
        &self,
        session: &str,
        length: u64,
        _state: Option<&str>,
        sha256: Option<&str>,
    ) -> io::Result<String> {
        let sha256 = sha256.ok_or_else(|| io::Error::other("a local blob is named by its hash"))?;
        super::local_sessions::persist(&self.root, session, length, sha256).await
    }

    async fn delete_session(&self, session: &str, _state: Option<&str>) -> io::Result<()> {
        super::local_sessions::delete(&self.root, session).await
    }

    async fn list_keys(&self) -> io::Result<Vec<(String, SystemTime)>> {
        let mut keys = Vec::new();
        let mut top = tokio::fs::read_dir(&self.root).await?;
        while let Some(shard) = top.next_entry().await? {
            let shard_name = shard.file_name().to_string_lossy().into_owned();
            // Temporaries and resumable sessions are not blobs yet.
            if shard_name == "tmp" || shard_name == "sessions" || !shard.file_type().await?.is_dir() {
                continue;
            }
            let mut inner = tokio::fs::read_dir(shard.path()).await?;
            while let Some(blob) = inner.next_entry().await? {
                let modified = blob.metadata().await?.modified()?;
                keys.push((format!("{shard_name}/{}", blob.file_name().to_string_lossy()), modified));
            }
        }
        Ok(keys)
    }
}

/// A blob being written. Removes its file on drop unless persisted.
struct LocalTemp {
    root: PathBuf,
    path: Option<PathBuf>,
    file: Option<BufWriter<tokio::fs::File>>,
}

#[async_trait]
impl TempBlob for LocalTemp {
    async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        let file = self.file.as_mut().ok_or_else(|| io::Error::other("temp blob already closed"))?;
        file.write_all(chunk).await
    }

    async fn persist(mut self: Box<Self>, sha256: &str) -> io::Result<String> {
        let mut file = self.file.take().ok_or_else(|| io::Error::other("temp blob already closed"))?;
        file.flush().await?;
        let file = file.into_inner().into_std().await;
        let from = self.path.take().expect("path is set until persist");
        let (root, at, sha256) = (self.root.clone(), from.clone(), sha256.to_string());
        // fsync, rename and the directory's fsync in one blocking call: for a small
        // file, trips to the blocking pool cost more than the work.
        let placed = tokio::task::spawn_blocking(move || {
            file.sync_all()?;
            drop(file);
            place_blob_now(&root, &at, &sha256)
        })
        .await
        .map_err(io::Error::other)?;
        match placed {
            Ok(key) => Ok(key),
            Err(e) => {
                self.path = Some(from);
                Err(e)
            }
        }
    }
}

/// Renames a durable file into the blob layout under a fresh key for `sha256`.
pub(super) async fn place_blob(root: &Path, from: &Path, sha256: &str) -> io::Result<String> {
    let (root, from, sha256) = (root.to_path_buf(), from.to_path_buf(), sha256.to_string());
    tokio::task::spawn_blocking(move || place_blob_now(&root, &from, &sha256)).await.map_err(io::Error::other)?
}

/// [`place_blob`], on the calling (blocking) thread.
fn place_blob_now(root: &Path, from: &Path, sha256: &str) -> io::Result<String> {
    let shard = sha256.get(..2).ok_or_else(|| io::Error::other("short hash"))?;
    let key = format!("{shard}/{sha256}-{}", &new_id()[..16]);
    let shard_dir = root.join(shard);
    let new_shard = !shard_dir.try_exists()?;
    if new_shard {
        std::fs::create_dir_all(&shard_dir)?;
    }
    std::fs::rename(from, root.join(&key))?;
    // The rename is durable only once the directory entry is; a new shard directory
    // must itself be durable in the root.
    std::fs::File::open(&shard_dir)?.sync_all()?;
    if new_shard {
        std::fs::File::open(root)?.sync_all()?;
    }
    Ok(key)
}

impl Drop for LocalTemp {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            drop(self.file.take());
            // Best effort: a leftover is removed at the next start-up anyway.
            let _ = std::fs::remove_file(path);
        }
    }
}

pub(super) async fn sync_dir(dir: &Path) -> io::Result<()> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all()).await.map_err(io::Error::other)?
}
