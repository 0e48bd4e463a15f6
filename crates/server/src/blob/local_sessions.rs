//! Resumable upload sessions on local disk: one file per session under `sessions/`,
//! appended in place and fsync'd before each append is acknowledged, then renamed into
//! the blob layout when the last byte arrives (no copy).

use super::{Appended, SessionWriter};
use async_trait::async_trait;
use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

const WRITE_BUFFER: usize = 1 << 20;

/// The file of a session; ids are ours (hex), checked anyway so nothing resolves
/// outside the sessions folder.
pub(super) fn session_path(root: &Path, session: &str) -> io::Result<PathBuf> {
    if session.is_empty() || session.len() > 64 || !session.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "malformed session id"));
    }
    Ok(root.join("sessions").join(session))
}

pub(super) async fn open(root: &Path, session: &str, offset: u64) -> io::Result<Box<dyn SessionWriter>> {
    let path = session_path(root, session)?;
    let dir = root.join("sessions");
    tokio::fs::create_dir_all(&dir).await?;
    let existed = tokio::fs::try_exists(&path).await?;
    let mut file = tokio::fs::OpenOptions::new().write(true).create(true).truncate(false).open(&path).await?;
    let len = file.metadata().await?.len();
    if len < offset {
        return Err(io::Error::other(format!("session holds {len} bytes, less than its offset {offset}")));
    }
    if !existed {
        // The new file's directory entry must survive a crash like its bytes.
        super::local::sync_dir(&dir).await?;
    }
    // Bytes past the offset were written but never acknowledged: drop them.
    file.set_len(offset).await?;
    file.seek(SeekFrom::Start(offset)).await?;
    Ok(Box::new(LocalSession { file: BufWriter::with_capacity(WRITE_BUFFER, file), offset, written: 0 }))
}

struct LocalSession {
    file: BufWriter<tokio::fs::File>,
    offset: u64,
    written: u64,
}

#[async_trait]
impl SessionWriter for LocalSession {
    async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.file.write_all(chunk).await?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> io::Result<Appended> {
        let durable = async {
            self.file.flush().await?;
            // The length changes too, so sync the metadata with the data.
            self.file.get_ref().sync_all().await
        };
        if let Err(e) = durable.await {
            // Not acknowledged: give the space back now (a full disk needs it).
            let _ = self.file.get_ref().set_len(self.offset).await;
            return Err(e);
        }
        Ok(Appended { written: self.written, state: None })
    }

    async fn discard(mut self: Box<Self>) -> io::Result<()> {
        // A flush that fails (a full disk) must not keep the truncation from happening.
        let _ = self.file.flush().await;
        self.file.get_ref().set_len(self.offset).await?;
        self.file.get_ref().sync_all().await
    }
}

pub(super) async fn persist(root: &Path, session: &str, length: u64, sha256: &str) -> io::Result<String> {
    let path = session_path(root, session)?;
    tokio::fs::create_dir_all(root.join("sessions")).await?;
    // An empty upload never appended, so its file may not exist yet.
    let file = tokio::fs::OpenOptions::new().write(true).create(length == 0).truncate(false).open(&path).await?;
    if file.metadata().await?.len() < length {
        return Err(io::Error::other("session holds fewer bytes than its length"));
    }
    file.set_len(length).await?;
    file.sync_all().await?;
    drop(file);
    super::local::place_blob(root, &path, sha256).await
}

pub(super) async fn delete(root: &Path, session: &str) -> io::Result<()> {
    match tokio::fs::remove_file(session_path(root, session)?).await {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
