//! Writing files: `put` (one file) and `put_many` (a batch, all or nothing), the only
//! two ways bytes become files. Each streams the body once into a temporary blob while
//! hashing it, makes it durable, then commits the metadata; size limits, quota, dedup
//! and metering happen here for every front. Nothing is visible until the commit, and a
//! guard deletes the blob on every path that does not reach it.

use super::{Files, Principal};
use crate::blob::BlobStore;
use crate::content::{ContentDigest, ContentHasher};
use crate::domain::{FilePath, Timestamp};
use crate::error::{Error, Result};
use crate::meta::{CommittedUpload, FileRecord, ObjectAttributes, StagedUpload, WriteMode};
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use std::sync::Arc;

/// What a single-file write asks for besides its bytes.
#[derive(Debug, Clone)]
pub struct PutRequest {
    pub path: FilePath,
    pub mode: WriteMode,
    /// Guessed from the name when `None`.
    pub content_type: Option<String>,
    /// The length the client announced, so a write that cannot fit is refused before
    /// its first byte is read.
    pub declared_len: Option<u64>,
    /// The modification time the client keeps for the file; now when `None`.
    pub modified_at: Option<Timestamp>,
    /// The SHA-256 (hex) the client says the bytes have: a mismatch commits nothing
    /// (`ChecksumMismatch`).
    pub expected_sha256: Option<String>,
    /// The same for an MD5 (hex), as S3's `Content-MD5` states it.
    pub expected_md5: Option<String>,
    /// The S3 attributes the file gets; empty for every other front (a write replaces
    /// the object, so earlier ones are cleared).
    pub attributes: ObjectAttributes,
    /// The S3 multipart upload these bytes complete: its reservation counts as room,
    /// and the commit ends it.
    pub completes_multipart: Option<String>,
}

impl PutRequest {
    /// A plain write to `path` in `mode`; the other fields are for fronts that need them.
    pub fn new(path: FilePath, mode: WriteMode) -> Self {
        PutRequest {
            path,
            mode,
            content_type: None,
            declared_len: None,
            modified_at: None,
            expected_sha256: None,
            expected_md5: None,
            attributes: ObjectAttributes::default(),
            completes_multipart: None,
        }
    }
}

/// A batch write's settings.
#[derive(Debug, Clone)]
pub struct PutManyRequest {
    /// `Fail`, `Rename` or `Overwrite`, for every file of the batch.
    pub mode: WriteMode,
    /// The whole request's announced length, framing included.
    pub declared_len: Option<u64>,
}

/// A committed write: the file, and whether it is new (else an existing one was replaced).
#[derive(Debug, Clone)]
pub struct Written {
    pub file: FileRecord,
    pub created: bool,
}

/// One file of a batch, as its front received it.
pub struct IncomingPart {
    pub path: FilePath,
    pub content_type: Option<String>,
    pub modified_at: Option<Timestamp>,
    pub body: BoxStream<'static, Result<Bytes>>,
}

/// The files of a batch write, one after the other (a multipart body, say). Each part's
/// body must be read to its end before the next part is asked for.
#[async_trait]
pub trait PartSource: Send {
    async fn next_part(&mut self) -> Result<Option<IncomingPart>>;
}

/// A durable blob not yet referenced by metadata, or a small content's bytes held for
/// the commit that keeps them inline. Dropping it deletes the blob.
pub(super) struct StagedBlob {
    pub digest: ContentDigest,
    key: Option<String>,
    pub store: Arc<dyn BlobStore>,
    /// The bytes, when they go into the metadata database with the file (their key is
    /// then an `inline:` key naming no blob).
    pub inline: Option<Bytes>,
}

impl StagedBlob {
    pub fn key(&self) -> &str {
        self.key.as_deref().unwrap_or_default()
    }

    /// Hands the key over to the metadata commit: the guard no longer owns the blob.
    pub fn disarm(mut self) -> String {
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

pub(super) fn delete_in_background(store: Arc<dyn BlobStore>, key: String) {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            if let Err(e) = store.delete(&key).await {
                // The start-up orphan scan removes it later.
                tracing::warn!(error = %e, "could not delete an uncommitted blob");
            }
        });
    }
}

/// Whether a staged content may be kept inline in the metadata database: files may,
/// S3 multipart parts (read back and joined later, never a content of their own) not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Inline {
    Allowed,
    Never,
}

/// Multipart framing (boundaries, part headers) allowed on top of the file bytes when a
/// request's declared length is judged against the quota.
pub const MULTIPART_FRAMING_ALLOWANCE: u64 = 64 << 10;

/// What one upload request may still store: the owner's free quota when it began,
/// spent as its files are staged. The commit's conditional charge stays the authority;
/// the budget only lets a request that cannot fit fail early, before its bytes are read.
struct UploadBudget {
    user_id: String,
    room: u64,
}

/// The budget of a request by `user`, as read with the caller's session at the start of
/// this request (no second read: the commit's charge decides anyway).
fn upload_budget(user: &crate::meta::UserRecord) -> UploadBudget {
    let room = (user.quota_bytes - user.used_bytes - user.reserved_bytes).max(0) as u64;
    UploadBudget { user_id: user.id.clone(), room }
}

/// One file of an upload request, staged and waiting for the commit.
struct PendingUpload {
    path: FilePath,
    mode: WriteMode,
    content_type: String,
    modified_at: Option<Timestamp>,
    attributes: ObjectAttributes,
    blob: StagedBlob,
}

impl Files {
    /// Writes one file from `body`: refused early from the declared length (413/507),
    /// streamed into a durable blob within the quota, then committed by `req.mode`.
    pub async fn put<S>(&self, who: &Principal, req: PutRequest, body: S) -> Result<Written>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        let owner = &who.user.id;
        if req.mode == WriteMode::CreateOnly && self.meta.file_by_path(owner, req.path.as_str()).await?.is_some() {
            // Checked again in the commit; this spares reading a body that must fail.
            return Err(Error::PreconditionFailed);
        }
        let mut budget = upload_budget(&who.user);
        if let Some(id) = &req.completes_multipart {
            // The parts' bytes are reserved already; the commit gives the reservation back.
            let upload = self.meta.multipart_by_id(owner, id).await?.ok_or(Error::NotFound)?;
            budget.room += upload.reserved_bytes.max(0) as u64;
        }
        // Asked once: both the early refusal and the streaming limit need it.
        let replaced = self.replaced_size(owner, &req.path, &req.mode).await?;
        self.refuse_declared_file(&budget, replaced, req.declared_len)?;
        let store = self.stores.for_upload(&who.user).await?;
        self.ensure_disk_room(store.as_ref(), req.declared_len.unwrap_or(0)).await?;
        let blob = self.stage_within(store, &mut budget, replaced, body).await?;
        let differs = |expected: &Option<String>, actual: &str| {
            expected.as_deref().is_some_and(|e| !e.eq_ignore_ascii_case(actual))
        };
        if differs(&req.expected_sha256, &blob.digest.sha256) || differs(&req.expected_md5, &blob.digest.md5) {
            // Dropping the staged blob deletes it: nothing of a corrupted transfer stays.
            return Err(Error::ChecksumMismatch);
        }
        let content_type = req.content_type.unwrap_or_else(|| guess_type(&req.path));
        let pending = PendingUpload {
            path: req.path,
            mode: req.mode,
            content_type,
            modified_at: req.modified_at,
            attributes: req.attributes,
            blob,
        };
        let mut committed = self.commit(owner, vec![pending], req.completes_multipart).await?;
        let c = committed.pop().ok_or_else(|| Error::Internal(anyhow::anyhow!("commit returned no file")))?;
        Ok(Written { file: c.file, created: c.created })
    }

    /// Writes every file `parts` yields, all or nothing: one commit for the batch.
    pub async fn put_many(
        &self,
        who: &Principal,
        req: PutManyRequest,
        parts: &mut dyn PartSource,
    ) -> Result<Vec<Written>> {
        let owner = &who.user.id;
        let mut budget = upload_budget(&who.user);
        self.refuse_declared_batch(&budget, &req.mode, req.declared_len)?;
        let store = self.stores.for_upload(&who.user).await?;
        self.ensure_disk_room(store.as_ref(), req.declared_len.unwrap_or(0)).await?;
        let mut pending = Vec::new();
        while let Some(part) = parts.next_part().await? {
            if pending.len() >= self.settings.max_multipart_files as usize {
                let limit = self.settings.max_multipart_files;
                return Err(Error::BadRequest(format!("at most {limit} files per upload; send the rest in another")));
            }
            if req.mode == WriteMode::Fail && self.meta.file_by_path(owner, part.path.as_str()).await?.is_some() {
                // The commit would refuse it; say so before reading this part or the rest.
                return Err(Error::PathExists);
            }
            let replaced = self.replaced_size(owner, &part.path, &req.mode).await?;
            let blob = self.stage_within(store.clone(), &mut budget, replaced, part.body).await?;
            let content_type = part.content_type.unwrap_or_else(|| guess_type(&part.path));
            let mode = req.mode.clone();
            let modified_at = part.modified_at;
            let attributes = ObjectAttributes::default();
            pending.push(PendingUpload { path: part.path, mode, content_type, modified_at, attributes, blob });
        }
        if pending.is_empty() {
            return Err(Error::invalid("file", "no part named 'file'"));
        }
        let committed = self.commit(owner, pending, None).await?;
        Ok(committed.into_iter().map(|c| Written { file: c.file, created: c.created }).collect())
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
    fn refuse_declared_file(&self, budget: &UploadBudget, replaced: u64, declared: Option<u64>) -> Result<()> {
        let Some(n) = declared else { return Ok(()) };
        let limit = self.settings.max_upload_bytes;
        if n > limit {
            return Err(Error::PayloadTooLarge { limit });
        }
        if n > budget.room + replaced {
            return Err(Error::QuotaExceeded);
        }
        Ok(())
    }

    /// Refuses a multipart request from its declared length when even its largest
    /// possible files cannot fit. With overwrites the replaced sizes are not known yet,
    /// so only the per-file check while streaming applies.
    fn refuse_declared_batch(&self, budget: &UploadBudget, mode: &WriteMode, declared: Option<u64>) -> Result<()> {
        let too_big = declared.is_some_and(|n| n > budget.room + MULTIPART_FRAMING_ALLOWANCE);
        if *mode != WriteMode::Overwrite && too_big { Err(Error::QuotaExceeded) } else { Ok(()) }
    }

    /// Stages one file of a request within what the budget leaves plus `replaced` (the
    /// size of the file it replaces), and spends the budget by what it adds.
    async fn stage_within<S>(
        &self,
        store: Arc<dyn BlobStore>,
        budget: &mut UploadBudget,
        replaced: u64,
        body: S,
    ) -> Result<StagedBlob>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        let blob = self.stage(store, body, &budget.user_id, budget.room + replaced, Inline::Allowed).await?;
        budget.room = budget.room.saturating_sub(blob.digest.size.saturating_sub(replaced));
        Ok(blob)
    }

    /// Streams `body` into a durable blob in `store` (the uploader's, see
    /// `BlobStores::for_upload`), hashing it on the way and charging the bytes to
    /// `uploader`. Fails with `PayloadTooLarge` past `max_upload_bytes`, and with
    /// `QuotaExceeded` as soon as it passes `quota_room`; a body error aborts it.
    ///
    /// Where `inline` allows and the store keeps small contents inline, a body that
    /// ends within `store.inline_max()` stays in memory for the commit, which writes it
    /// with the file row; a longer one goes to a blob from the byte that passes it.
    pub(super) async fn stage<S>(
        &self,
        store: Arc<dyn BlobStore>,
        body: S,
        uploader: &str,
        quota_room: u64,
        inline: Inline,
    ) -> Result<StagedBlob>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        let limit = self.settings.max_upload_bytes;
        let inline_max = if inline == Inline::Allowed { store.inline_max() } else { 0 };
        let mut body = std::pin::pin!(body);
        let mut temp = if inline_max == 0 { Some(store.create_temp().await?) } else { None };
        let mut held = Vec::new();
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
            match temp.as_mut() {
                Some(t) => t.write(&chunk).await?,
                None if total <= inline_max => held.extend_from_slice(&chunk),
                None => {
                    let mut t = store.create_temp().await?;
                    t.write(&std::mem::take(&mut held)).await?;
                    t.write(&chunk).await?;
                    temp = Some(t);
                }
            }
        }
        let digest = hasher.finish();
        metrics::counter!("nimbus_upload_bytes_total").increment(digest.size);
        match temp {
            Some(t) => {
                let key = t.persist(&digest.sha256).await?;
                Ok(StagedBlob { digest, key: Some(key), store, inline: None })
            }
            None => {
                let key = super::inline_contents::inline_key(&digest.sha256);
                Ok(StagedBlob { digest, key: Some(key), store, inline: Some(Bytes::from(held)) })
            }
        }
    }

    /// Commits staged uploads of `owner` in one metadata transaction (all or nothing),
    /// ending the S3 multipart upload `multipart` in it if one is named.
    ///
    /// Runs as its own task, so a client that disconnects now cannot cancel it half-way:
    /// either the files are committed, or their blobs are deleted.
    async fn commit(
        &self,
        owner_id: &str,
        uploads: Vec<PendingUpload>,
        multipart: Option<String>,
    ) -> Result<Vec<CommittedUpload>> {
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
                    modified_at: up.modified_at,
                    md5: Some(up.blob.digest.md5.clone()).filter(|m| !m.is_empty()),
                    leaves: Some(up.blob.digest.leaves.clone()),
                    attributes: up.attributes,
                    inline_data: up.blob.inline.clone(),
                });
                stores.push(up.blob.store.clone());
                guards.push(up.blob);
            }
            // On error the guards drop here and delete every staged blob.
            let committed = match (multipart, staged.len()) {
                (Some(id), 1) => {
                    let one = staged.pop().expect("one upload");
                    vec![meta.complete_multipart(&owner_id, &id, one).await?]
                }
                (Some(_), _) => return Err(Error::Internal(anyhow::anyhow!("a multipart upload makes one file"))),
                (None, _) => meta.commit_uploads(&owner_id, staged).await?,
            };
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

/// A content type from the file name's extension, for writes that do not name one.
pub fn guess_type(path: &FilePath) -> String {
    let ext = path.name().rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "txt" | "md" | "log" | "csv" => "text/plain",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
    .to_string()
}
