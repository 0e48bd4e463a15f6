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

/// Multipart framing (boundaries, part headers) allowed on top of the file bytes when a
/// request's declared length is judged against the quota.
pub const MULTIPART_FRAMING_ALLOWANCE: u64 = 64 << 10;

/// What one upload request may still store: the owner's free quota when it began,
/// spent as its files are staged. The commit's conditional charge stays the authority;
/// the budget only lets a request that cannot fit fail early, before its bytes are read.
pub struct UploadBudget {
    user_id: String,
    room: u64,
}

/// One file of an upload request, staged and waiting for the commit.
pub struct PendingUpload {
    pub path: FilePath,
    pub mode: WriteMode,
    pub content_type: String,
    pub blob: StagedBlob,
}

impl Files {
    pub async fn upload_budget(&self, user_id: &str) -> Result<UploadBudget> {
        let user = self.meta.user_by_id(user_id).await?.ok_or(Error::Unauthorized)?;
        Ok(UploadBudget { user_id: user_id.to_string(), room: (user.quota_bytes - user.used_bytes).max(0) as u64 })
    }

    /// The size of the file an upload to `path` in `mode` would replace (it is given
    /// back to the quota), 0 if it creates one.
    async fn replaced_size(&self, user_id: &str, path: &FilePath, mode: &WriteMode) -> Result<u64> {
        match mode {
            WriteMode::Overwrite | WriteMode::IfMatch(_) => {
                let existing = self.meta.file_by_path(user_id, path.as_str()).await?;
                Ok(existing.map(|f| f.size.max(0) as u64).unwrap_or(0))
            }
            WriteMode::Fail | WriteMode::Rename | WriteMode::CreateOnly => Ok(0),
        }
    }

    /// Refuses a single-file upload from its declared length, before the body is read:
    /// 413 past the size limit, 507 past what the quota leaves.
    pub async fn refuse_declared_file(
        &self,
        budget: &UploadBudget,
        path: &FilePath,
        mode: &WriteMode,
        declared: Option<u64>,
    ) -> Result<()> {
        let Some(n) = declared else { return Ok(()) };
        let limit = self.settings.max_upload_bytes;
        if n > limit {
            return Err(Error::PayloadTooLarge { limit });
        }
        if n > budget.room + self.replaced_size(&budget.user_id, path, mode).await? {
            return Err(Error::QuotaExceeded);
        }
        Ok(())
    }

    /// Refuses a multipart request from its declared length when even its largest
    /// possible files cannot fit. With overwrites the replaced sizes are not known yet,
    /// so only the per-file check while streaming applies.
    pub fn refuse_declared_batch(&self, budget: &UploadBudget, mode: &WriteMode, declared: Option<u64>) -> Result<()> {
        let too_big = declared.is_some_and(|n| n > budget.room + MULTIPART_FRAMING_ALLOWANCE);
        if *mode != WriteMode::Overwrite && too_big { Err(Error::QuotaExceeded) } else { Ok(()) }
    }

    /// Stages one file of a request to `path` in `mode`, within what the budget leaves
    /// (plus what it replaces), and spends the budget by what it adds.
    pub async fn stage_within<S>(
        &self,
        budget: &mut UploadBudget,
        path: &FilePath,
        mode: &WriteMode,
        body: S,
    ) -> Result<StagedBlob>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        let replaced = self.replaced_size(&budget.user_id, path, mode).await?;
        let blob = self.stage(body, &budget.user_id, budget.room + replaced).await?;
        budget.room = budget.room.saturating_sub(blob.digest.size.saturating_sub(replaced));
        Ok(blob)
    }

    /// Streams `body` into a durable blob, hashing it on the way and charging the bytes
    /// to `uploader`. Fails with `PayloadTooLarge` past `max_upload_bytes`, and with
    /// `QuotaExceeded` as soon as it passes `quota_room`; a body error aborts it.
    async fn stage<S>(&self, body: S, uploader: &str, quota_room: u64) -> Result<StagedBlob>
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
