//! Resumable upload sessions in an object store, as tusd's S3 store keeps them: the
//! bytes go into one multipart upload of the blob's final key, a part at a time (parts
//! of at least `PART_SIZE`, the S3 minimum being 5 MiB), and what does not yet fill a
//! part is stored as a tail object, `sessions/<id>/tail-…`, that the next append reads
//! back and sends on in front of its own bytes. Both are durable before an append is
//! acknowledged; finishing uploads the tail as the last part and completes the upload,
//! so no byte is copied after the fact.
//!
//! The parts so far (numbers, sizes, ETags), the upload id and the tail's key are the
//! session's state, kept in the database next to its offset and moved with it in one
//! update, so any instance can continue. Parts of an unfinished multipart upload cannot
//! be read, so the hash state of a session that moved between processes is computed
//! when it finishes, by reading the completed blob once (see `services::uploads`).

use super::s3::{object_key, to_io};
use super::s3_multipart::{MultipartClient, Part};
use super::{Appended, PART_SIZE, SessionWriter};
use crate::domain::new_id;
use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use opendal::Operator;
use std::io;
use std::sync::Arc;

/// S3 allows 10,000 parts; leave room so that no upload within the limit runs out.
const MAX_PARTS: u64 = 9_000;

/// What the database keeps of a session between appends.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct SessionState {
    /// The blob's final key, fixed when the session's first part is uploaded.
    key: String,
    part_size: u64,
    /// `None` until the first full part (a session that never fills one is written as
    /// one plain object when it finishes).
    upload_id: Option<String>,
    parts: Vec<Part>,
    /// The object holding the bytes after the last part, if there are any.
    tail: Option<String>,
}

impl SessionState {
    fn parse(state: Option<&str>) -> io::Result<Option<Self>> {
        state
            .map(|s| serde_json::from_str(s).map_err(|e| io::Error::other(format!("unreadable session state: {e}"))))
            .transpose()
    }

    fn in_parts(&self) -> u64 {
        self.parts.iter().map(|p| p.size).sum()
    }
}

fn session_prefix(session: &str) -> io::Result<String> {
    if session.is_empty() || session.len() > 64 || !session.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "malformed session id"));
    }
    Ok(format!("sessions/{session}/"))
}

/// The first `len` bytes of the tail object (it may hold more that were never acknowledged).
async fn read_tail(op: &Operator, state: &SessionState, len: u64) -> io::Result<BytesMut> {
    let mut buf = BytesMut::new();
    if len == 0 {
        return Ok(buf);
    }
    let tail = state.tail.as_deref().ok_or_else(|| io::Error::other("session lost its tail object"))?;
    let bytes = op.read_with(tail).range(0..len).await.map_err(to_io)?.to_bytes();
    if bytes.len() as u64 != len {
        return Err(io::Error::other(format!("session tail holds {} bytes, expected {len}", bytes.len())));
    }
    buf.extend_from_slice(&bytes);
    Ok(buf)
}

/// Deletes every object under the session's prefix except `keep`.
async fn delete_tails(op: &Operator, session: &str, keep: Option<&str>) -> io::Result<()> {
    for entry in op.list(&session_prefix(session)?).await.map_err(to_io)? {
        if entry.metadata().is_file() && Some(entry.path()) != keep {
            match op.delete(entry.path()).await {
                Err(e) if e.kind() != opendal::ErrorKind::NotFound => return Err(to_io(e)),
                _ => {}
            }
        }
    }
    Ok(())
}

pub(super) async fn open(
    op: &Operator,
    mp: &Arc<MultipartClient>,
    session: &str,
    offset: u64,
    state: Option<&str>,
    expected_max: u64,
) -> io::Result<Box<dyn SessionWriter>> {
    let state = match SessionState::parse(state)? {
        Some(s) => s,
        None if offset == 0 => SessionState {
            key: object_key(),
            part_size: (PART_SIZE as u64).max(expected_max.div_ceil(MAX_PARTS)),
            ..Default::default()
        },
        None => return Err(io::Error::other("a session with bytes has no state")),
    };
    let in_parts = state.in_parts();
    let tail_len =
        offset.checked_sub(in_parts).ok_or_else(|| io::Error::other("session offset is before its parts"))?;
    let buffer = read_tail(op, &state, tail_len).await?;
    // Tails of appends that were stored but never acknowledged, or replaced since.
    delete_tails(op, session, state.tail.as_deref()).await?;
    Ok(Box::new(S3SessionAppend {
        op: op.clone(),
        mp: mp.clone(),
        session: session.to_string(),
        state,
        buffer,
        written: 0,
    }))
}

struct S3SessionAppend {
    op: Operator,
    mp: Arc<MultipartClient>,
    session: String,
    state: SessionState,
    /// The old tail and the new bytes not yet sent as a part (less than one part).
    buffer: BytesMut,
    written: u64,
}

impl S3SessionAppend {
    async fn upload_part(&mut self, data: Bytes) -> io::Result<()> {
        let upload_id = match &self.state.upload_id {
            Some(id) => id.clone(),
            None => {
                let id = self.mp.create(&self.state.key).await?;
                self.state.upload_id = Some(id.clone());
                id
            }
        };
        // Numbers after the recorded ones: a part of an append that was never
        // acknowledged is overwritten, and parts not listed at completion are dropped.
        let number = self.state.parts.last().map_or(1, |p| p.number + 1);
        let part = self.mp.upload_part(&self.state.key, &upload_id, number, data).await?;
        self.state.parts.push(part);
        Ok(())
    }
}

#[async_trait]
impl SessionWriter for S3SessionAppend {
    async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.buffer.extend_from_slice(chunk);
        self.written += chunk.len() as u64;
        let part_size = self.state.part_size as usize;
        while self.buffer.len() >= part_size {
            let part = self.buffer.split_to(part_size).freeze();
            self.upload_part(part).await?;
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> io::Result<Appended> {
        if self.written == 0 {
            return Ok(Appended {
                written: 0,
                state: Some(serde_json::to_string(&self.state).map_err(io::Error::other)?),
            });
        }
        self.state.tail = if self.buffer.is_empty() {
            None
        } else {
            // A new key per append: an append that loses a race never overwrites the
            // tail the winner's state points at. The old tail goes at the next open.
            let key = format!("{}tail-{:020}-{}", session_prefix(&self.session)?, self.state.in_parts(), new_id());
            self.op.write(&key, self.buffer.split().freeze()).await.map_err(to_io)?;
            Some(key)
        };
        Ok(Appended {
            written: self.written,
            state: Some(serde_json::to_string(&self.state).map_err(io::Error::other)?),
        })
    }

    async fn discard(self: Box<Self>) -> io::Result<()> {
        // Parts this append uploaded are not in the recorded state: the next append
        // overwrites them, and completion leaves them out.
        Ok(())
    }
}

/// Makes the session's `length` bytes the blob at the state's key and returns the key.
pub(super) async fn persist(
    op: &Operator,
    mp: &MultipartClient,
    session: &str,
    length: u64,
    state: Option<&str>,
) -> io::Result<String> {
    let state = SessionState::parse(state)?.unwrap_or_else(|| SessionState { key: object_key(), ..Default::default() });
    let in_parts = state.in_parts();
    let tail_len = length.checked_sub(in_parts).ok_or_else(|| io::Error::other("session is longer than its length"))?;
    let tail = read_tail(op, &state, tail_len).await?.freeze();
    match &state.upload_id {
        // Never filled a part: one plain object.
        None => op.write(&state.key, tail).await.map(|_| ()).map_err(to_io)?,
        Some(upload_id) => {
            let mut parts = state.parts.clone();
            if !tail.is_empty() {
                let number = parts.last().map_or(1, |p| p.number + 1);
                parts.push(mp.upload_part(&state.key, upload_id, number, tail).await?);
            }
            if let Err(e) = mp.complete(&state.key, upload_id, &parts).await {
                // A retried completion whose first try went through finds no upload:
                // the object is there if the first one worked.
                let done = e.kind() == io::ErrorKind::NotFound
                    && op.stat(&state.key).await.is_ok_and(|m| m.content_length() == length);
                if !done {
                    return Err(e);
                }
            }
        }
    }
    if let Err(e) = delete_tails(op, session, None).await {
        tracing::warn!(error = %e, "could not delete a finished session's tail");
    }
    Ok(state.key)
}

/// Aborts the session's multipart upload and deletes its tails.
pub(super) async fn delete(op: &Operator, mp: &MultipartClient, session: &str, state: Option<&str>) -> io::Result<()> {
    if let Some(SessionState { key, upload_id: Some(upload_id), .. }) = SessionState::parse(state)? {
        mp.abort(&key, &upload_id).await?;
    }
    delete_tails(op, session, None).await
}
