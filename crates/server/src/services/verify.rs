//! Bytes are checked on their way out: a full read hashes the blob as it streams and
//! holds back its last chunk until the SHA-256 matches the one the file was stored
//! with. A mismatch (a flipped bit on disk, a truncated object) ends the stream with an
//! error instead of that chunk, so the client's transfer fails short of its
//! `Content-Length` and no client accepts a damaged file as whole. The content is then
//! marked damaged ([`report_to`]): it is not served again until it is healed.

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
}
