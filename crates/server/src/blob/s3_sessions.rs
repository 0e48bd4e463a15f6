//! Resumable upload sessions in an object store: each acknowledged append is its own
//! object, `sessions/<id>/<offset>`, complete (so durable) before the append is
//! acknowledged; any instance can continue the session. The last byte turns them into
//! one blob by streaming them, in order, into a normal multipart upload.
//!
//! Deviation, on purpose: tusd's S3 store keeps appends as parts of one multipart upload
//! (no second copy at the end). OpenDAL cannot resume a multipart upload from another
//! process, so here the bytes are copied once more when the session finishes.

use super::s3::to_io;
use super::{ByteStream, SessionWriter};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use opendal::Operator;
use std::io;
use std::ops::Range;

fn session_prefix(session: &str) -> io::Result<String> {
    if session.is_empty() || session.len() > 64 || !session.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "malformed session id"));
    }
    Ok(format!("sessions/{session}/"))
}

/// The session's segments as (start offset, key), by offset.
async fn segments(op: &Operator, session: &str) -> io::Result<Vec<(u64, String)>> {
    let prefix = session_prefix(session)?;
    let entries = op.list(&prefix).await.map_err(to_io)?;
    let mut out: Vec<(u64, String)> = entries
        .into_iter()
        .filter(|e| e.metadata().is_file())
        .filter_map(|e| {
            let name = e.path().rsplit('/').next()?.to_string();
            Some((name.parse().ok()?, e.path().to_string()))
        })
        .collect();
    out.sort();
    Ok(out)
}

pub(super) async fn open(op: &Operator, session: &str, offset: u64) -> io::Result<Box<dyn SessionWriter>> {
    // Segments at or past the offset were never acknowledged; the new one replaces them.
    for (start, key) in segments(op, session).await? {
        if start > offset {
            op.delete(&key).await.map_err(to_io)?;
        }
    }
    let key = format!("{}{offset:020}", session_prefix(session)?);
    let writer = op.writer_with(&key).chunk(super::PART_SIZE).await.map_err(to_io)?;
    Ok(Box::new(S3Segment { op: op.clone(), key, writer: Some(writer), written: 0 }))
}

struct S3Segment {
    op: Operator,
    key: String,
    writer: Option<opendal::Writer>,
    written: u64,
}

#[async_trait]
impl SessionWriter for S3Segment {
    async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        let w = self.writer.as_mut().ok_or_else(|| io::Error::other("segment already closed"))?;
        w.write(chunk.to_vec()).await.map_err(to_io)?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> io::Result<u64> {
        let mut w = self.writer.take().ok_or_else(|| io::Error::other("segment already closed"))?;
        if self.written == 0 {
            let _ = w.abort().await;
            return Ok(0);
        }
        w.close().await.map_err(to_io)?;
        Ok(self.written)
    }

    async fn discard(mut self: Box<Self>) -> io::Result<()> {
        if let Some(mut w) = self.writer.take() {
            let _ = w.abort().await;
        }
        match self.op.delete(&self.key).await {
            Err(e) if e.kind() != opendal::ErrorKind::NotFound => Err(to_io(e)),
            _ => Ok(()),
        }
    }
}

impl Drop for S3Segment {
    fn drop(&mut self) {
        if let Some(mut w) = self.writer.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                let _ = w.abort().await;
            });
        }
    }
}

/// The session's bytes in `range`, read from its segments in order.
pub(super) async fn read(op: &Operator, session: &str, range: Range<u64>) -> io::Result<ByteStream> {
    let mut parts = Vec::new();
    let segs = segments(op, session).await?;
    let mut expected = 0u64;
    for (i, (start, key)) in segs.iter().enumerate() {
        if *start != expected || *start >= range.end {
            break;
        }
        let end = match segs.get(i + 1) {
            Some((next, _)) => *next,
            None => op.stat(key).await.map_err(to_io)?.content_length() + start,
        };
        expected = end;
        let (from, to) = (range.start.max(*start), range.end.min(end));
        if from < to {
            parts.push((key.clone(), (from - start)..(to - start)));
        }
    }
    let op = op.clone();
    let stream = futures_util::stream::iter(parts)
        .then(move |(key, r)| {
            let op = op.clone();
            async move {
                let reader = op.reader_with(&key).chunk(4 << 20).await.map_err(to_io)?;
                let s = reader.into_bytes_stream(r).await.map_err(to_io)?;
                Ok::<_, io::Error>(s.map_err(io::Error::other))
            }
        })
        .try_flatten();
    Ok(stream.boxed())
}

pub(super) async fn delete(op: &Operator, session: &str) -> io::Result<()> {
    for (_, key) in segments(op, session).await? {
        match op.delete(&key).await {
            Err(e) if e.kind() != opendal::ErrorKind::NotFound => return Err(to_io(e)),
            _ => {}
        }
    }
    Ok(())
}
