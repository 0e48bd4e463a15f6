//! Bytes are checked on their way out: a full read hashes the blob as it streams and
//! holds back its last chunk until the SHA-256 matches the one the file was stored
//! with. A mismatch (a flipped bit on disk, a truncated object) ends the stream with an
//! error instead of that chunk, so the client's transfer fails short of its
//! `Content-Length` and no client accepts a damaged file as whole. The content is then
//! marked damaged ([`report_to`]): it is not served again until it is healed.
//!
//! A ranged read is checked too ([`verified_range`]): it reads the 256 KiB chunks that
//! cover the range, hashes each against the chunk's SHA-256 kept with the content (the
//! UnixFS raw leaves' hashes), and sends the requested bytes of a chunk only once the
//! whole chunk matched.

use crate::blob::ByteStream;
use crate::domain::Timestamp;
use crate::meta::MetaStore;
use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::io;
use std::sync::Arc;

struct State {
    source: ByteStream,
    hasher: Sha256,
    held: Option<Bytes>,
    expected: String,
    file_id: String,
    done: bool,
    on_damage: Option<OnDamage>,
}

/// What to do when the bytes turn out damaged (once).
pub type OnDamage = Box<dyn FnOnce() + Send + 'static>;

/// Records content `content_id` as damaged in the metadata (in the background: the
/// stream that found it is already failing).
pub fn report_to(meta: Arc<dyn MetaStore>, content_id: &str) -> Option<OnDamage> {
    let content_id = content_id.to_string();
    Some(Box::new(move || {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = meta.mark_damaged(&content_id, Timestamp::now()).await {
                    tracing::error!(error = %e, %content_id, "could not record damaged content");
                }
            });
        }
    }))
}

/// Wraps a full read of a file's content; `on_damage` runs if it does not match.
pub fn verified(source: ByteStream, expected_sha256: &str, file_id: &str, on_damage: Option<OnDamage>) -> ByteStream {
    let state = State {
        source,
        hasher: Sha256::new(),
        held: None,
        expected: expected_sha256.to_string(),
        file_id: file_id.to_string(),
        done: false,
        on_damage,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        loop {
            match st.source.next().await {
                Some(Ok(chunk)) if chunk.is_empty() => continue,
                Some(Ok(chunk)) => {
                    st.hasher.update(&chunk);
                    if let Some(previous) = st.held.replace(chunk) {
                        return Some((Ok(previous), st));
                    }
                }
                Some(Err(e)) => {
                    st.done = true;
                    return Some((Err(e), st));
                }
                None => {
                    st.done = true;
                    let actual = hex::encode(std::mem::take(&mut st.hasher).finalize());
                    if actual == st.expected {
                        return st.held.take().map(|last| (Ok(last), st));
                    }
                    metrics::counter!("nimbus_damaged_reads_total").increment(1);
                    tracing::error!(file_id = %st.file_id, "stored content does not match its SHA-256; the read was cut short");
                    if let Some(report) = st.on_damage.take() {
                        report();
                    }
                    return Some((Err(io::Error::other("stored content does not match its SHA-256")), st));
                }
            }
        }
    })
    .boxed()
}

/// Checks a small content read whole, before any of it goes out: a mismatch is
/// answered `content_damaged` at once (no transfer is cut short) and the content is
/// quarantined before the answer, so the next read is refused the same way.
pub async fn checked_whole(
    bytes: Bytes,
    expected_sha256: &str,
    file_id: &str,
    meta: &dyn MetaStore,
    content_id: &str,
) -> crate::error::Result<Bytes> {
    if hex::encode(Sha256::digest(&bytes)) == expected_sha256 {
        return Ok(bytes);
    }
    metrics::counter!("nimbus_damaged_reads_total").increment(1);
    tracing::error!(file_id = %file_id, "stored content does not match its SHA-256; the read was refused");
    if let Err(e) = meta.mark_damaged(content_id, Timestamp::now()).await {
        tracing::error!(error = %e, %content_id, "could not record damaged content");
    }
    Err(crate::error::Error::ContentDamaged)
}

/// The chunk size the leaf hashes are taken over (UnixFS's, see `content::unixfs`).
pub const CHUNK: u64 = crate::content::CHUNK_SIZE as u64;

/// The chunk-aligned span that covers `range` in a content of `size` bytes: what a
/// checked ranged read must fetch from the store.
pub fn covering(range: &std::ops::Range<u64>, size: u64) -> std::ops::Range<u64> {
    let start = range.start / CHUNK * CHUNK;
    let end = range.end.div_ceil(CHUNK).saturating_mul(CHUNK).min(size);
    start..end
}

struct RangeState {
    source: ByteStream,
    /// Bytes read past the chunk being filled, for the next one.
    pending: Option<Bytes>,
    /// Where `buffer` starts in the content.
    at: u64,
    buffer: Vec<u8>,
    /// The end of the covering span (the last chunk may be short).
    end: u64,
    wanted: std::ops::Range<u64>,
    leaves: Vec<u8>,
    file_id: String,
    done: bool,
    on_damage: Option<OnDamage>,
}

impl RangeState {
    /// Checks the buffered chunk and gives back the part of it that was asked for.
    fn release_chunk(&mut self) -> Result<Option<Bytes>, io::Error> {
        let index = usize::try_from(self.at / CHUNK).unwrap_or(usize::MAX);
        let expected = self.leaves.get(index * 32..index * 32 + 32);
        if expected != Some(&Sha256::digest(&self.buffer)[..]) {
            metrics::counter!("nimbus_damaged_reads_total").increment(1);
            tracing::error!(file_id = %self.file_id, chunk = index, "a stored chunk does not match its SHA-256; the ranged read was cut short");
            if let Some(report) = self.on_damage.take() {
                report();
            }
            return Err(io::Error::other("stored content does not match its SHA-256"));
        }
        let chunk_end = self.at + self.buffer.len() as u64;
        let from = self.wanted.start.max(self.at);
        let to = self.wanted.end.min(chunk_end);
        let part = (from < to)
            .then(|| Bytes::copy_from_slice(&self.buffer[(from - self.at) as usize..(to - self.at) as usize]));
        self.at = chunk_end;
        self.buffer.clear();
        Ok(part)
    }
}

/// Wraps the read of `covering(wanted, size)` (from the store) so that only the bytes of
/// `wanted` come out, each chunk's only after the whole chunk matched its leaf hash.
/// Holds at most one chunk (256 KiB).
pub fn verified_range(
    source: ByteStream,
    wanted: std::ops::Range<u64>,
    size: u64,
    leaves: Vec<u8>,
    file_id: &str,
    on_damage: Option<OnDamage>,
) -> ByteStream {
    let span = covering(&wanted, size);
    let state = RangeState {
        source,
        pending: None,
        at: span.start,
        buffer: Vec::with_capacity(CHUNK as usize),
        end: span.end,
        wanted,
        leaves,
        file_id: file_id.to_string(),
        done: false,
        on_damage,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        while !st.done {
            let chunk_end = (st.at + CHUNK).min(st.end);
            if st.at + st.buffer.len() as u64 == chunk_end && chunk_end > st.at {
                match st.release_chunk() {
                    Ok(Some(part)) => return Some((Ok(part), st)),
                    Ok(None) => continue,
                    Err(e) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                }
            }
            let next = match st.pending.take() {
                Some(bytes) => Some(Ok(bytes)),
                None => st.source.next().await,
            };
            match next {
                Some(Ok(mut bytes)) => {
                    // Fill up to the end of the current chunk; the rest waits its turn.
                    let room = (chunk_end - st.at) as usize - st.buffer.len();
                    if bytes.len() > room {
                        st.pending = Some(bytes.split_off(room));
                    }
                    st.buffer.extend_from_slice(&bytes);
                }
                Some(Err(e)) => {
                    st.done = true;
                    return Some((Err(e), st));
                }
                None => {
                    st.done = true;
                    if st.at < st.end {
                        // The store gave fewer bytes than the span: a truncated object.
                        return Some((Err(io::Error::other("stored content is shorter than recorded")), st));
                    }
                }
            }
        }
        None
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(s: ByteStream) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let mut s = s;
        while let Some(item) = s.next().await {
            match item {
                Ok(b) => out.extend_from_slice(&b),
                Err(_) => return (out, false),
            }
        }
        (out, true)
    }

    fn source(chunks: &[&'static [u8]]) -> ByteStream {
        futures_util::stream::iter(chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect::<Vec<_>>()).boxed()
    }

    #[tokio::test]
    async fn intact_content_passes_whole_and_damaged_content_stops_short() {
        let sha = hex::encode(Sha256::digest(b"hello world"));
        let (bytes, ok) = collect(verified(source(&[b"hello ", b"world"]), &sha, "f", None)).await;
        assert!(ok);
        assert_eq!(bytes, b"hello world");
        let reported = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = reported.clone();
        let on_damage: OnDamage = Box::new(move || flag.store(true, std::sync::atomic::Ordering::SeqCst));
        let (bytes, ok) = collect(verified(source(&[b"hello ", b"w0rld"]), &sha, "f", Some(on_damage))).await;
        assert!(!ok, "a mismatch ends in an error");
        assert!(reported.load(std::sync::atomic::Ordering::SeqCst), "the damage is reported");
        assert_eq!(bytes, b"hello ", "the last chunk is never sent");
        let empty = hex::encode(Sha256::digest(b""));
        assert_eq!(collect(verified(source(&[]), &empty, "f", None)).await, (vec![], true));
    }

    fn store_stream(data: &[u8], span: std::ops::Range<u64>, piece: usize) -> ByteStream {
        let bytes = data[span.start as usize..span.end as usize].to_vec();
        let pieces: Vec<io::Result<Bytes>> = bytes.chunks(piece).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        futures_util::stream::iter(pieces).boxed()
    }

    #[tokio::test]
    async fn ranges_are_checked_chunk_by_chunk() {
        let size = 3 * CHUNK + 1000;
        let data: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
        let leaves: Vec<u8> = data.chunks(CHUNK as usize).flat_map(|c| Sha256::digest(c).to_vec()).collect();
        for wanted in [0..10, 5..CHUNK + 7, CHUNK..2 * CHUNK, CHUNK - 1..CHUNK + 1, 3 * CHUNK + 10..size, 0..size] {
            for piece in [1000, 65536, 300_000] {
                let span = covering(&wanted, size);
                let s =
                    verified_range(store_stream(&data, span, piece), wanted.clone(), size, leaves.clone(), "f", None);
                let (got, ok) = collect(s).await;
                assert!(ok, "{wanted:?} in pieces of {piece}");
                assert_eq!(got, &data[wanted.start as usize..wanted.end as usize], "{wanted:?} in pieces of {piece}");
            }
        }
        // One flipped byte in the second chunk: a range inside the first chunk is fine, one
        // touching the second is cut off before any of the second chunk's bytes.
        let mut rotten = data.clone();
        rotten[(CHUNK + 5) as usize] ^= 1;
        let wanted = 10..20;
        let s = verified_range(
            store_stream(&rotten, covering(&wanted, size), 4096),
            wanted.clone(),
            size,
            leaves.clone(),
            "f",
            None,
        );
        assert_eq!(collect(s).await, (data[10..20].to_vec(), true));
        let wanted = CHUNK - 10..CHUNK + 10;
        let reported = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = reported.clone();
        let on_damage: OnDamage = Box::new(move || flag.store(true, std::sync::atomic::Ordering::SeqCst));
        let s = verified_range(
            store_stream(&rotten, covering(&wanted, size), 4096),
            wanted.clone(),
            size,
            leaves,
            "f",
            Some(on_damage),
        );
        let (got, ok) = collect(s).await;
        assert!(!ok);
        assert_eq!(got, &data[(CHUNK - 10) as usize..CHUNK as usize], "only the intact chunk's part");
        assert!(reported.load(std::sync::atomic::Ordering::SeqCst));
    }
}
