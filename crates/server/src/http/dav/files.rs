//! dav-server's open files over the file service. A write feeds one `Files::put` call
//! through a channel (so it is the same streamed, all-or-nothing upload as a REST PUT:
//! a body that breaks off commits nothing); a read is `Files::open`, reopened at the
//! offset after a seek (a ranged GET).

use super::fs::{Meta, RequestCache, fs_error};
use crate::blob::ByteStream;
use crate::error::{Error, Result};
use crate::meta::FileRecord;
use crate::services::{FileRef, Files, Principal, PutRequest, ReadOutcome, ReadRequest, Written};
use bytes::{Buf, Bytes};
use dav_server::fs::{DavFile, DavMetaData, FsError, FsFuture};
use futures_util::{FutureExt, StreamExt};
use std::io::SeekFrom;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Chunks in flight between the request body and the upload.
const CHANNEL_DEPTH: usize = 8;

pub struct UploadFile {
    tx: Option<mpsc::Sender<Result<Bytes>>>,
    /// Set when the body ended normally; a channel closed without it broke off.
    complete: Arc<AtomicBool>,
    task: Option<JoinHandle<Result<Written>>>,
    outcome: Option<Result<Meta, FsError>>,
    cache: Arc<std::sync::Mutex<RequestCache>>,
}

impl std::fmt::Debug for UploadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UploadFile")
    }
}

impl UploadFile {
    /// Starts the upload; the bytes follow through `write_bytes`.
    pub fn start(files: Files, who: Principal, req: PutRequest, cache: Arc<std::sync::Mutex<RequestCache>>) -> Self {
        let (tx, rx) = mpsc::channel::<Result<Bytes>>(CHANNEL_DEPTH);
        let complete = Arc::new(AtomicBool::new(false));
        let done = complete.clone();
        let body = futures_util::stream::unfold((rx, false), move |(mut rx, ended)| {
            let done = done.clone();
            async move {
                if ended {
                    return None;
                }
                match rx.recv().await {
                    Some(item) => Some((item, (rx, false))),
                    None if done.load(Ordering::SeqCst) => None,
                    None => Some((Err(Error::BadRequest("the upload broke off".into())), (rx, true))),
                }
            }
        });
        let task = tokio::spawn(async move { files.put(&who, req, body).await });
        UploadFile { tx: Some(tx), complete, task: Some(task), outcome: None, cache }
    }

    /// Waits for the upload's end and keeps its outcome.
    async fn finish(&mut self) -> Result<Meta, FsError> {
        if let Some(outcome) = &self.outcome {
            return outcome.clone();
        }
        let Some(task) = self.task.take() else { return Err(FsError::GeneralFailure) };
        let outcome = match task.await {
            Ok(Ok(written)) => Ok(Meta::of_file(&written.file)),
            Ok(Err(Error::ChecksumMismatch)) => {
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                cache.refusal = Some((axum::http::StatusCode::BAD_REQUEST, "the body does not match its OC-Checksum"));
                Err(FsError::GeneralFailure)
            }
            Ok(Err(e)) => Err(fs_error(e)),
            Err(_) => Err(FsError::GeneralFailure),
        };
        self.outcome = Some(outcome.clone());
        outcome
    }

    async fn send(&mut self, chunk: Bytes) -> Result<(), FsError> {
        let Some(tx) = &self.tx else { return Err(FsError::GeneralFailure) };
        if tx.send(Ok(chunk)).await.is_err() {
            // The upload stopped reading: it ended, with its reason (507, 413, …).
            self.tx = None;
            self.finish().await?;
            return Err(FsError::GeneralFailure);
        }
        Ok(())
    }
}

impl DavFile for UploadFile {
    fn metadata(&mut self) -> FsFuture<'_, Box<dyn DavMetaData>> {
        async move { Ok(Box::new(self.finish().await?) as Box<dyn DavMetaData>) }.boxed()
    }

    fn write_buf(&mut self, mut buf: Box<dyn Buf + Send>) -> FsFuture<'_, ()> {
        async move {
            let bytes = buf.copy_to_bytes(buf.remaining());
            self.send(bytes).await
        }
        .boxed()
    }

    fn write_bytes(&mut self, buf: Bytes) -> FsFuture<'_, ()> {
        async move { self.send(buf).await }.boxed()
    }

    fn read_bytes(&mut self, _count: usize) -> FsFuture<'_, Bytes> {
        async { Err(FsError::Forbidden) }.boxed()
    }

    fn seek(&mut self, _pos: SeekFrom) -> FsFuture<'_, u64> {
        async { Err(FsError::NotImplemented) }.boxed()
    }

    fn flush(&mut self) -> FsFuture<'_, ()> {
        async move {
            // The body is complete: close the channel so the upload commits.
            self.complete.store(true, Ordering::SeqCst);
            self.tx = None;
            self.finish().await.map(|_| ())
        }
        .boxed()
    }
}

pub struct DownloadFile {
    files: Files,
    who: Principal,
    file: FileRecord,
    pos: u64,
    /// The open byte stream and the offset it is at (in a mutex only because dav-server
    /// wants files `Sync`; `&mut self` reaches it without locking).
    open: std::sync::Mutex<Option<(u64, ByteStream)>>,
    leftover: Bytes,
}

impl std::fmt::Debug for DownloadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadFile").field("file", &self.file.id).field("pos", &self.pos).finish()
    }
}

impl DownloadFile {
    pub fn new(files: Files, who: Principal, file: FileRecord) -> Self {
        DownloadFile { files, who, file, pos: 0, open: std::sync::Mutex::new(None), leftover: Bytes::new() }
    }

    async fn open_at(&mut self, at: u64) -> Result<ByteStream, FsError> {
        // From the start it is a full (hash-verified) read; else a range.
        let range = (at > 0).then(|| format!("bytes={at}-"));
        let req = ReadRequest { range, ..Default::default() };
        match self.files.open(&self.who, FileRef::Id(&self.file.id), &req).await.map_err(fs_error)? {
            ReadOutcome::Content(c) => c.body.ok_or(FsError::GeneralFailure),
            ReadOutcome::NotModified(_) => Err(FsError::GeneralFailure),
        }
    }
}

impl DavFile for DownloadFile {
    fn metadata(&mut self) -> FsFuture<'_, Box<dyn DavMetaData>> {
        let meta: Box<dyn DavMetaData> = Box::new(Meta::of_file(&self.file));
        async move { Ok(meta) }.boxed()
    }

    fn write_buf(&mut self, _buf: Box<dyn Buf + Send>) -> FsFuture<'_, ()> {
        async { Err(FsError::Forbidden) }.boxed()
    }

    fn write_bytes(&mut self, _buf: Bytes) -> FsFuture<'_, ()> {
        async { Err(FsError::Forbidden) }.boxed()
    }

    fn read_bytes(&mut self, count: usize) -> FsFuture<'_, Bytes> {
        async move {
            let size = u64::try_from(self.file.size).unwrap_or(0);
            if self.pos >= size || count == 0 {
                return Ok(Bytes::new());
            }
            if self.leftover.is_empty() {
                let current = self.open.get_mut().unwrap_or_else(|e| e.into_inner()).take();
                let (at, mut stream) = match current {
                    Some((at, s)) if at == self.pos => (at, s),
                    _ => (self.pos, self.open_at(self.pos).await?),
                };
                match stream.next().await {
                    Some(Ok(chunk)) => {
                        let next = at + chunk.len() as u64;
                        self.leftover = chunk;
                        *self.open.get_mut().unwrap_or_else(|e| e.into_inner()) = Some((next, stream));
                    }
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, file = %self.file.id, "WebDAV read failed");
                        return Err(FsError::GeneralFailure);
                    }
                    None => return Ok(Bytes::new()),
                }
            }
            let n = count.min(self.leftover.len());
            let out = self.leftover.split_to(n);
            self.pos += n as u64;
            Ok(out)
        }
        .boxed()
    }

    fn seek(&mut self, pos: SeekFrom) -> FsFuture<'_, u64> {
        async move {
            let size = u64::try_from(self.file.size).unwrap_or(0) as i64;
            let target = match pos {
                SeekFrom::Start(n) => n as i64,
                SeekFrom::End(d) => size + d,
                SeekFrom::Current(d) => self.pos as i64 + d,
            };
            if target < 0 {
                return Err(FsError::GeneralFailure);
            }
            if target as u64 != self.pos {
                // A new position: the buffered bytes and the open stream are elsewhere.
                self.leftover = Bytes::new();
                *self.open.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
                self.pos = target as u64;
            }
            Ok(self.pos)
        }
        .boxed()
    }

    fn flush(&mut self) -> FsFuture<'_, ()> {
        async { Ok(()) }.boxed()
    }
}
