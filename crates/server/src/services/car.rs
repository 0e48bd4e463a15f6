//! CAR exports: streaming a file's DAG as CARv1, and the background task that hashes
//! each content's CAR once to fill in `car_cid`.

use super::Files;
use crate::blob::{BlobStore, ByteStream};
use crate::content::{CarEncoder, car_cid_of};
use crate::error::{Error, Result};
use crate::meta::{CarJob, FileRecord, MetaStore};
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The CAR bytes of the blob `key`, produced while the blob streams in.
async fn car_of(blobs: &dyn BlobStore, key: &str, size: u64, root: &str) -> Result<ByteStream> {
    let root: cid::Cid = root.parse().map_err(|e| Error::Internal(anyhow::anyhow!("stored CID {root}: {e}")))?;
    let source = blobs.read(key, 0..size).await?;
    let state = (Some(source), Some(CarEncoder::new(&root)));
    let car = stream::unfold(state, |(mut source, mut encoder)| async move {
        loop {
            let src = source.as_mut()?;
            match src.next().await {
                Some(Ok(chunk)) => {
                    let out = encoder.as_mut()?.push(&chunk);
                    if !out.is_empty() {
                        return Some((Ok(Bytes::from(out)), (source, encoder)));
                    }
                }
                Some(Err(e)) => return Some((Err(e), (None, None))),
                None => {
                    let out = encoder.take()?.finish();
                    return Some((Ok(Bytes::from(out)), (None, None)));
                }
            }
        }
    });
    Ok(car.boxed())
}

impl Files {
    /// Streams the CARv1 export of a file the caller was allowed to see, charging the
    /// bytes sent to `charge_to`.
    pub async fn car_stream(&self, file: &FileRecord, charge_to: &str) -> Result<ByteStream> {
        let root =
            file.cid.as_deref().ok_or_else(|| Error::Internal(anyhow::anyhow!("file {} has no CID", file.id)))?;
        let store = self.stores.by_name(&file.store).await?;
        let car = car_of(store.as_ref(), &file.blob_key, u64::try_from(file.size).unwrap_or(0), root).await?;
        Ok(self.meter.meter_download(charge_to, car))
    }
}

/// Fills in `car_cid` for new content, woken after each upload and on a timer (which
/// also catches work a crash or another instance left undone).
#[derive(Clone)]
pub struct CarIndexer {
    meta: Arc<dyn MetaStore>,
    stores: super::BlobStores,
    wake: Arc<Notify>,
}

impl CarIndexer {
    pub fn new(meta: Arc<dyn MetaStore>, stores: super::BlobStores, wake: Arc<Notify>) -> Self {
        CarIndexer { meta, stores, wake }
    }

    async fn index(&self, job: &CarJob) -> Result<()> {
        let store = self.stores.by_name(&job.store).await?;
        let size = u64::try_from(job.size).unwrap_or(0);
        let mut car = car_of(store.as_ref(), &job.blob_key, size, &job.cid).await?;
        let mut hasher = Sha256::new();
        let mut len: i64 = 0;
        while let Some(chunk) = car.next().await {
            let chunk = chunk?;
            len += chunk.len() as i64;
            hasher.update(&chunk);
        }
        let car_cid = car_cid_of(&hasher.finalize().into());
        self.meta.set_car(&job.content_id, &car_cid, len).await
    }

    /// Indexes every pending content, in batches until none is left (a bulk load
    /// leaves many); returns how many. Failures are retried on the next run.
    pub async fn index_pending(&self) -> Result<usize> {
        const BATCH: u32 = 50;
        let mut done = 0;
        loop {
            let jobs = self.meta.contents_missing_car(BATCH).await?;
            let mut failed = 0;
            for job in &jobs {
                match self.index(job).await {
                    Ok(()) => done += 1,
                    Err(e) => {
                        failed += 1;
                        tracing::warn!(error = %e, "computing a CAR export failed; will retry");
                    }
                }
            }
            // A short batch was the last; a batch that only failed would come back as is.
            if jobs.len() < BATCH as usize || failed == jobs.len() {
                return Ok(done);
            }
        }
    }

    pub async fn run(self, interval: Duration) {
        loop {
            if let Err(e) = self.index_pending().await {
                tracing::warn!(error = %e, "CAR indexing failed");
            }
            let _ = tokio::time::timeout(interval, self.wake.notified()).await;
        }
    }
}
