//! The scrub: re-hashes stored contents against their SHA-256 at a bounded rate, least
//! recently checked first, so damage on disk (bit rot, a truncated object) is found
//! before a user's download runs into it. Damaged content is marked (and no longer
//! served); `nimbus admin scrub` runs a whole pass at once and lists what it found.

use crate::domain::Timestamp;
use crate::meta::{MetaStore, ScrubJob};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Each content is checked again this long after its last check.
const RESCRUB_AFTER_SECS: i64 = 30 * 86_400;

#[derive(Clone)]
pub struct Scrubber {
    meta: Arc<dyn MetaStore>,
    stores: super::BlobStores,
}

/// What a pass found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScrubReport {
    pub checked: u64,
    pub bytes: u64,
    pub damaged: u64,
}

impl Scrubber {
    pub fn new(meta: Arc<dyn MetaStore>, stores: super::BlobStores) -> Self {
        Scrubber { meta, stores }
    }

    /// Checks every content due for a check, reading at most `bytes_per_sec` (0: as fast
    /// as the store gives them).
    pub async fn pass(&self, bytes_per_sec: u64) -> anyhow::Result<ScrubReport> {
        let mut report = ScrubReport::default();
        let started = Instant::now();
        let due_before = Timestamp::now().plus_secs(-RESCRUB_AFTER_SECS);
        loop {
            let jobs = self.meta.contents_to_scrub(due_before, 100).await?;
            if jobs.is_empty() {
                return Ok(report);
            }
            for job in jobs {
                let intact = self.check(&job).await?;
                report.checked += 1;
                report.bytes += job.size.max(0) as u64;
                if intact {
                    self.meta.set_scrubbed(&job.content_id, Timestamp::now()).await?;
                } else {
                    report.damaged += 1;
                }
                if bytes_per_sec > 0 {
                    // Stay under the rate on average since the pass began.
                    let due = Duration::from_secs_f64(report.bytes as f64 / bytes_per_sec as f64);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        }
    }

    /// Re-hashes one content; false (and marked damaged) if its bytes do not match. An
    /// intact content stored before chunk hashes were kept gets them now, so its ranged
    /// reads are checked from then on.
    async fn check(&self, job: &ScrubJob) -> anyhow::Result<bool> {
        let store = self.stores.by_name(&job.store).await?;
        let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
        let mut leaves = LeafHasher::default();
        let mut length = 0u64;
        let readable = match store.read(&job.blob_key, 0..job.size.max(0) as u64).await {
            Ok(mut bytes) => loop {
                match bytes.next().await {
                    Some(Ok(chunk)) => {
                        length += chunk.len() as u64;
                        sha2::Digest::update(&mut hasher, &chunk);
                        leaves.update(&chunk);
                    }
                    Some(Err(_)) => break false,
                    None => break true,
                }
            },
            Err(_) => false,
        };
        let intact =
            readable && length == job.size.max(0) as u64 && hex::encode(sha2::Digest::finalize(hasher)) == job.sha256;
        if !intact {
            metrics::counter!("nimbus_scrub_damaged_total").increment(1);
            tracing::error!(content_id = %job.content_id, blob_key = %job.blob_key, "scrub: stored content is damaged or missing");
            self.meta.mark_damaged(&job.content_id, Timestamp::now()).await?;
        }
        metrics::counter!("nimbus_scrub_bytes_total").increment(length);
        if intact {
            self.meta.set_content_leaves(&job.content_id, &leaves.finish()).await?;
        }
        Ok(intact)
    }

    /// Runs passes for ever at `bytes_per_sec`, an hour apart once nothing is due.
    pub async fn run(self, bytes_per_sec: u64) {
        loop {
            match self.pass(bytes_per_sec).await {
                Ok(r) if r.damaged > 0 => {
                    tracing::warn!(checked = r.checked, damaged = r.damaged, "scrub found damage")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "scrub pass failed; retrying later"),
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    }
}

/// The SHA-256 of each 256 KiB chunk, as `ContentDigest::leaves` has them.
#[derive(Default)]
struct LeafHasher {
    current: sha2::Sha256,
    filled: usize,
    out: Vec<u8>,
}

impl LeafHasher {
    fn update(&mut self, mut data: &[u8]) {
        const CHUNK: usize = crate::content::CHUNK_SIZE;
        while !data.is_empty() {
            let take = (CHUNK - self.filled).min(data.len());
            sha2::Digest::update(&mut self.current, &data[..take]);
            self.filled += take;
            data = &data[take..];
            if self.filled == CHUNK {
                self.out.extend_from_slice(&sha2::Digest::finalize_reset(&mut self.current));
                self.filled = 0;
            }
        }
    }

    /// A trailing partial chunk counts, and so does the one empty chunk of an empty file.
    fn finish(mut self) -> Vec<u8> {
        if self.filled > 0 || self.out.is_empty() {
            self.out.extend_from_slice(&sha2::Digest::finalize(self.current));
        }
        self.out
    }
}

#[cfg(test)]
mod leaf_tests {
    use crate::content::ContentHasher;

    #[test]
    fn the_scrub_derives_the_same_leaves_as_an_upload() {
        for size in [0usize, 10, 262_144, 262_145, 700_000] {
            let data: Vec<u8> = (0..size).map(|i| (i % 249) as u8).collect();
            let mut upload = ContentHasher::default();
            upload.update(&data);
            let mut scrub = super::LeafHasher::default();
            for piece in data.chunks(100_000) {
                scrub.update(piece);
            }
            assert_eq!(scrub.finish(), upload.finish().leaves, "{size} bytes");
        }
    }
}
