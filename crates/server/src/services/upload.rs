//! The upload pipeline: stream the body once into a temporary blob while hashing it,
//! make it durable, then commit the metadata. Nothing is visible until the commit, and
//! a guard deletes the blob on every path that does not reach it.

use super::Files;
use crate::blob::BlobStore;
use crate::content::{ContentDigest, ContentHasher};
use crate::domain::FilePath;
use crate::error::{Error, Result};
use crate::meta::{CommittedUpload, StagedUpload, WriteMode};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::sync::Arc;

/// A durable blob not yet referenced by metadata. Dropping it deletes the blob.
pub struct StagedBlob {
    pub digest: ContentDigest,
    key: Option<String>,
    store: Arc<dyn BlobStore>,
}

impl StagedBlob {
    /// Hands the key over to the metadata commit: the guard no longer owns the blob.
    fn disarm(mut self) -> String {
        self.key.take().expect("key is present until disarmed")
    }
}

impl Drop for StagedBlob {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            delete_in_background(self.store.clone(), key);
        }
    }
}

fn delete_in_background(store: Arc<dyn BlobStore>, key: String) {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            if let Err(e) = store.delete(&key).await {
                // The start-up orphan scan removes it later.
                tracing::warn!(error = %e, "could not delete an uncommitted blob");
            }
        });
    }
}

/// One file of an upload request, staged and waiting for the commit.
pub struct PendingUpload {
    pub path: FilePath,
    pub mode: WriteMode,
    pub content_type: String,
    pub blob: StagedBlob,
}

impl Files {
    /// Streams `body` into a durable blob, hashing it on the way and charging the bytes
    /// to `uploader`. Fails with `PayloadTooLarge` past `max_upload_bytes`, and with
    /// `QuotaExceeded` as soon as it passes `quota_room`; a body error aborts it.
    pub async fn stage<S>(&self, body: S, uploader: &str, quota_room: u64) -> Result<StagedBlob>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        let limit = self.settings.max_upload_bytes;
        let mut body = std::pin::pin!(body);
        let store = self.stores.for_upload(uploader).await?;
        let mut temp = store.create_temp().await?;
        let mut hasher = ContentHasher::default();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            self.meter.uploaded(uploader, chunk.len() as u64);
            let total = hasher.size() + chunk.len() as u64;
            if total > limit {
                return Err(Error::PayloadTooLarge { limit });
            }
            if total > quota_room {
                return Err(Error::QuotaExceeded);
            }
            hasher.update(&chunk);
            temp.write(&chunk).await?;
        }
        let digest = hasher.finish();
        let key = temp.persist(&digest.sha256).await?;
        metrics::counter!("nimbus_upload_bytes_total").increment(digest.size);
        Ok(StagedBlob { digest, key: Some(key), store })
    }

    /// Commits staged uploads of `owner` in one metadata transaction (all or nothing).
    ///
    /// Runs as its own task, so a client that disconnects now cannot cancel it half-way:
    /// either the files are committed, or their blobs are deleted.
    pub async fn commit(&self, owner_id: &str, uploads: Vec<PendingUpload>) -> Result<Vec<CommittedUpload>> {
        let meta = self.meta.clone();

        let car_wakeup = self.car_wakeup.clone();
        let owner_id = owner_id.to_string();
        let task = tokio::spawn(async move {
            let mut staged = Vec::with_capacity(uploads.len());
            let mut guards = Vec::with_capacity(uploads.len());
            let mut stores = Vec::with_capacity(uploads.len());
            for up in uploads {
                staged.push(StagedUpload {
                    path: up.path,
                    mode: up.mode,
                    content_type: up.content_type,
                    sha256: up.blob.digest.sha256.clone(),
                    cid: up.blob.digest.cid.clone(),
                    size: i64::try_from(up.blob.digest.size).unwrap_or(i64::MAX),
                    // Dedup happens within the store the bytes went to, never across.
                    store: up.blob.store.name().to_string(),
                    blob_key: up.blob.key.clone().unwrap_or_default(),
                });
                stores.push(up.blob.store.clone());
                guards.push(up.blob);
            }
            // On error the guards drop here and delete every staged blob.
            let committed = meta.commit_uploads(&owner_id, staged).await?;
            for guard in guards {
                guard.disarm();
            }
            if committed.iter().any(|c| c.file.car_cid.is_none()) {
                car_wakeup.notify_one();
            }
            for (c, store) in committed.iter().zip(stores) {
                if let Some(key) = &c.redundant_blob {
                    // Identical content was already stored: keep one copy.
                    delete_in_background(store, key.clone());
                }
            }
            Ok(committed)
        });
        task.await.map_err(|e| Error::Internal(e.into()))?
    }
}
