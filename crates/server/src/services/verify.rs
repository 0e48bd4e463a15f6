//! Bytes are checked on their way out: a full read hashes the blob as it streams and
//! holds back its last chunk until the SHA-256 matches the one the file was stored
//! with. A mismatch (a flipped bit on disk, a truncated object) ends the stream with an
//! error instead of that chunk, so the client's transfer fails short of its
//! `Content-Length` and no client accepts a damaged file as whole.

use crate::blob::ByteStream;
use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::io;

struct State {
    source: ByteStream,
    hasher: Sha256,
    held: Option<Bytes>,
    expected: String,
    file_id: String,
    done: bool,
}

/// Wraps a full read of a file's content.
pub fn verified(source: ByteStream, expected_sha256: &str, file_id: &str) -> ByteStream {
    let state = State {
        source,
        hasher: Sha256::new(),
        held: None,
        expected: expected_sha256.to_string(),
        file_id: file_id.to_string(),
        done: false,
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
        let (bytes, ok) = collect(verified(source(&[b"hello ", b"world"]), &sha, "f")).await;
        assert!(ok);
        assert_eq!(bytes, b"hello world");
        let (bytes, ok) = collect(verified(source(&[b"hello ", b"w0rld"]), &sha, "f")).await;
        assert!(!ok, "a mismatch ends in an error");
        assert_eq!(bytes, b"hello ", "the last chunk is never sent");
        let empty = hex::encode(Sha256::digest(b""));
        assert_eq!(collect(verified(source(&[]), &empty, "f")).await, (vec![], true));
    }
}
