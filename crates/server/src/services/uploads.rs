//! Resumable uploads in the file service: sessions created with a target path and write
//! mode, appended at known offsets (each append durable before it is acknowledged),
//! finished by the same commit as every other upload when the last byte arrives, and
//! aborted or expired with nothing left behind. The tus front (and later S3 multipart)
//! only translate their protocol into these calls.

use super::upload::guess_type;
use super::upload_lease::UploadLease;
use super::{Files, Principal};
use crate::blob::BlobStore;
use crate::content::{ContentDigest, ContentHasher};
use crate::domain::{FilePath, Timestamp, new_id};
use crate::error::{Error, Result};
use crate::meta::{FileRecord, StagedUpload, UploadAdvance, UploadSessionRecord, WriteMode};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How many sessions keep their hash state in this process's memory; others rebuild it
/// from their stored bytes when they are next appended to.
const MAX_LIVE_HASHERS: usize = 256;

/// What a new session is for.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub path: FilePath,
    pub mode: WriteMode,
    pub content_type: Option<String>,
    pub modified_at: Option<Timestamp>,
    /// The whole length, or `None` to give it later.
    pub length: Option<u64>,
    /// The client's own description of the upload (tus `Upload-Metadata`), kept as is.
    pub metadata: Option<String>,
}

/// An append's checksum, as the client computed it over the chunk.
#[derive(Debug, Clone)]
pub enum ChunkChecksum {
    Sha1([u8; 20]),
    Sha256([u8; 32]),
}

/// A session as a client sees it.
#[derive(Debug, Clone)]
pub struct UploadStatus {
    pub session: UploadSessionRecord,
    /// The committed file once the last byte arrived.
    pub file: Option<FileRecord>,
}

/// Per-process state of sessions: their hash state and a lock per session, so that two
/// appends to one session in this process run one after the other.
#[derive(Default)]
pub struct LiveUploads {
    hashers: Mutex<HashMap<String, (u64, ContentHasher)>>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl LiveUploads {
    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        if locks.len() > 4 * MAX_LIVE_HASHERS {
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        locks.entry(id.to_string()).or_default().clone()
    }

    fn take_hasher(&self, id: &str, offset: u64) -> Option<ContentHasher> {
        let mut map = self.hashers.lock().unwrap_or_else(|e| e.into_inner());
        match map.remove(id) {
            Some((at, h)) if at == offset => Some(h),
            _ => None,
        }
    }

    fn keep_hasher(&self, id: &str, offset: u64, hasher: ContentHasher) {
        let mut map = self.hashers.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_LIVE_HASHERS
            && let Some(victim) = map.keys().next().cloned()
        {
            map.remove(&victim);
        }
        map.insert(id.to_string(), (offset, hasher));
    }

    fn forget(&self, id: &str) {
        self.hashers.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
        self.locks.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

impl Files {
    /// Starts a session: 413 past the size limit, 507 if the declared length does not
    /// fit the quota (the length is reserved, so parallel sessions cannot overrun it).
    pub async fn create_upload(&self, who: &Principal, req: NewUpload) -> Result<UploadStatus> {
        let limit = self.settings.max_upload_bytes;
        if req.length.is_some_and(|n| n > limit) {
            return Err(Error::PayloadTooLarge { limit });
        }
        if req.mode == WriteMode::CreateOnly && self.meta.file_by_path(&who.user.id, req.path.as_str()).await?.is_some()
        {
            return Err(Error::PreconditionFailed);
        }
        let store = self.stores.for_upload(&who.user).await?;
        self.ensure_disk_room(store.as_ref(), req.length.unwrap_or(0)).await?;
        let now = Timestamp::now();
        let length = req.length.map(|n| n as i64);
        let session = UploadSessionRecord {
            id: new_id(),
            owner_id: who.user.id.clone(),
            path: req.path.as_str().to_string(),
            mode: req.mode.to_stored(),
            content_type: Some(req.content_type.unwrap_or_else(|| guess_type(&req.path))),
            modified_at: req.modified_at,
            length,
            upload_offset: 0,
            reserved_bytes: length.unwrap_or(0),
            store: store.name().to_string(),
            metadata: req.metadata,
            file_id: None,
            created_at: now,
            updated_at: now,
            expires_at: now.plus_secs(self.settings.upload_ttl_secs as i64),
            store_state: None,
        };
        self.meta.create_upload(&session).await?;
        if session.length == Some(0) {
            // An empty file is complete the moment it is announced.
            return self.finish_in_task(session, None).await;
        }
        Ok(UploadStatus { session, file: None })
    }

    /// A session of the caller's (a stranger's is `NotFound`), with its file if finished.
    pub async fn upload_status(&self, who: &Principal, id: &str) -> Result<UploadStatus> {
        let session = self.own_upload(who, id).await?;
        let file = match &session.file_id {
            Some(fid) => self.meta.file_by_id(fid).await?,
            None => None,
        };
        Ok(UploadStatus { session, file })
    }

    async fn own_upload(&self, who: &Principal, id: &str) -> Result<UploadSessionRecord> {
        match self.meta.upload_by_id(id).await? {
            Some(s) if s.owner_id == who.user.id && s.expires_at > Timestamp::now() => Ok(s),
            _ => Err(Error::NotFound),
        }
    }

    /// Gives a deferred length (once); 413 past the size limit, 507 over the quota.
    async fn set_upload_length(&self, who: &Principal, id: &str, length: u64) -> Result<UploadSessionRecord> {
        let session = self.own_upload(who, id).await?;
        match session.length {
            Some(l) if l as u64 == length => return Ok(session),
            Some(_) => return Err(Error::Conflict("the upload's length is already set".into())),
            None => {}
        }
        let limit = self.settings.max_upload_bytes;
        if length > limit {
            return Err(Error::PayloadTooLarge { limit });
        }
        if (length as i64) < session.upload_offset {
            return Err(Error::invalid("length", "is shorter than what was already uploaded"));
        }
        let more = length as i64 - session.reserved_bytes;
        if !self.meta.set_upload_length(id, length as i64, more.max(0)).await? {
            return Err(Error::Conflict("the upload's length is already set".into()));
        }
        self.own_upload(who, id).await
    }

    /// Appends `body` at `offset` (giving a deferred length first, if `length` is set);
    /// with a checksum, the chunk is kept only if it matches. The bytes are durable
    /// before this returns, and the file is committed when the last one arrives. A body
    /// that breaks off keeps what arrived (tus semantics).
    pub async fn append_upload<S>(
        &self,
        who: &Principal,
        id: &str,
        offset: u64,
        length: Option<u64>,
        checksum: Option<ChunkChecksum>,
        body: S,
    ) -> Result<UploadStatus>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        if let Some(length) = length {
            self.set_upload_length(who, id, length).await?;
        }
        let lock = self.live.lock_for(id);
        let _one_at_a_time = lock.lock().await;
        let session = self.own_upload(who, id).await?;
        let store = self.stores.by_name(&session.store).await?;
        let mut lease = match store.shared() {
            true => Some(UploadLease::take(&self.meta, id).await?),
            false => None,
        };
        let chunk = Chunk { offset, checksum, body };
        let result = self.append_leased(who, id, chunk, &store, &mut lease).await;
        if let Some(lease) = lease {
            lease.release().await;
        }
        result
    }

    async fn append_leased<S>(
        &self,
        who: &Principal,
        id: &str,
        Chunk { offset, checksum, body }: Chunk<S>,
        store: &Arc<dyn BlobStore>,
        lease: &mut Option<UploadLease>,
    ) -> Result<UploadStatus>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        // Read under the lease: the offset and store state are now this request's to move.
        let session = self.own_upload(who, id).await?;
        if session.file_id.is_some() || session.upload_offset as u64 != offset {
            return Err(Error::OffsetMismatch { current: session.upload_offset as u64 });
        }
        let mut hasher = match self.live.take_hasher(id, offset) {
            Some(h) => Some(h),
            None => self.rebuild_hasher(&session).await?,
        };
        let room = self.room_for(&session).await?;
        self.ensure_disk_room(store.as_ref(), 0).await?;
        let expected_max = session.length.map_or(self.settings.max_upload_bytes, |l| l as u64);
        let mut writer = store.open_session(id, offset, session.store_state.as_deref(), expected_max).await?;
        let mut check = checksum.as_ref().map(ChecksumState::new);
        let mut body = std::pin::pin!(body);
        let mut added = 0u64;
        let mut broke_off = None;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    broke_off = Some(e);
                    break;
                }
            };
            added += chunk.len() as u64;
            self.meter.uploaded(&who.user.id, chunk.len() as u64);
            let renewed = match lease.as_mut() {
                Some(l) => l.keep().await,
                None => Ok(()),
            };
            if let Err(e) = renewed.and_then(|_| room.admit(offset + added)) {
                let _ = writer.discard().await;
                return Err(e);
            }
            if let Some(c) = check.as_mut() {
                c.update(&chunk);
            }
            if let Some(h) = hasher.as_mut() {
                h.update(&chunk);
            }
            if let Err(e) = writer.write(&chunk).await {
                // (A full disk, say): give back what this append wrote, keep the offset.
                let _ = writer.discard().await;
                return Err(e.into());
            }
        }
        if let (Some(expected), Some(state)) = (&checksum, check)
            && (broke_off.is_some() || !state.matches(expected))
        {
            // Nothing of a chunk that fails (or cannot finish) its checksum is kept.
            writer.discard().await?;
            return Err(broke_off.unwrap_or(Error::ChecksumMismatch));
        }
        let appended = writer.commit().await?;
        let new_offset = offset + appended.written;
        let more_reserved = match session.length {
            Some(_) => 0,
            None => (new_offset as i64 - session.reserved_bytes).max(0),
        };
        let advance = UploadAdvance {
            id,
            from: offset as i64,
            to: new_offset as i64,
            more_reserved,
            expires_at: Timestamp::now().plus_secs(self.settings.upload_ttl_secs as i64),
            store_state: appended.state.as_deref(),
            lease: lease.as_ref().map(|l| l.token.as_str()),
        };
        if appended.written > 0 && !self.meta.advance_upload(&advance).await? {
            // Another request advanced it first: what we wrote is not acknowledged.
            return Err(Error::OffsetMismatch { current: self.own_upload(who, id).await?.upload_offset as u64 });
        }
        if let Some(h) = hasher {
            self.live.keep_hasher(id, new_offset, h);
        }
        if let Some(e) = broke_off {
            return Err(e);
        }
        let session = self.own_upload(who, id).await?;
        if session.length == Some(session.upload_offset) {
            // Still under the lease: no other instance can finish it at the same time.
            return self.finish_in_task(session, lease.take()).await;
        }
        Ok(UploadStatus { session, file: None })
    }

    /// Finishes as its own task, so a client that hangs up now cannot cancel it between
    /// making the blob and committing the file (the lease, if any, goes with it).
    async fn finish_in_task(&self, session: UploadSessionRecord, lease: Option<UploadLease>) -> Result<UploadStatus> {
        let files = self.clone();
        tokio::spawn(async move {
            let finished = files.finish_upload(session).await;
            if let Some(lease) = lease {
                lease.release().await;
            }
            finished
        })
        .await
        .map_err(|e| Error::Internal(e.into()))?
    }

    /// Reads the bytes a session already holds into a fresh hasher: the state a process
    /// lost (a restart, another instance) is rebuilt once, then kept. `None` where the
    /// store cannot read a session before it finishes (S3): the hash is then taken from
    /// the finished blob.
    async fn rebuild_hasher(&self, session: &UploadSessionRecord) -> Result<Option<ContentHasher>> {
        let mut hasher = ContentHasher::default();
        let offset = session.upload_offset as u64;
        if offset > 0 {
            let store = self.stores.by_name(&session.store).await?;
            let mut bytes = match store.read_session(&session.id, 0..offset).await {
                Err(e) if e.kind() == std::io::ErrorKind::Unsupported => return Ok(None),
                other => other?,
            };
            while let Some(chunk) = bytes.next().await {
                hasher.update(&chunk?);
            }
            if hasher.size() != offset {
                return Err(Error::Internal(anyhow::anyhow!("upload session {} lost bytes", session.id)));
            }
        }
        Ok(Some(hasher))
    }

    /// Hashes a finished blob by reading it once (a session whose hash state was lost).
    async fn hash_blob(&self, store: &Arc<dyn BlobStore>, key: &str, length: u64) -> Result<ContentDigest> {
        let mut hasher = ContentHasher::default();
        let mut bytes = store.read(key, 0..length).await?;
        while let Some(chunk) = bytes.next().await {
            hasher.update(&chunk?);
        }
        if hasher.size() != length {
            return Err(Error::Internal(anyhow::anyhow!(
                "finished upload blob {key} has {} bytes, not {length}",
                hasher.size()
            )));
        }
        Ok(hasher.finish())
    }

    /// The quota a session may still grow into: its reservation, or for a deferred
    /// length what the owner has free.
    async fn room_for(&self, session: &UploadSessionRecord) -> Result<Room> {
        let limit = self.settings.max_upload_bytes;
        if let Some(length) = session.length {
            return Ok(Room { up_to: length as u64, declared: true, limit });
        }
        let user = self.meta.user_by_id(&session.owner_id).await?.ok_or(Error::NotFound)?;
        let free = (user.quota_bytes - user.used_bytes - user.reserved_bytes).max(0) as u64;
        Ok(Room { up_to: session.reserved_bytes as u64 + free, declared: false, limit })
    }

    /// Commits a complete session's bytes as its file, through the one upload commit.
    async fn finish_upload(&self, session: UploadSessionRecord) -> Result<UploadStatus> {
        let length = session.upload_offset as u64;
        let hasher = match self.live.take_hasher(&session.id, length) {
            Some(h) => Some(h),
            None => self.rebuild_hasher(&session).await?,
        };
        let known = hasher.map(ContentHasher::finish);
        let store = self.stores.by_name(&session.store).await?;
        let sha256 = known.as_ref().map(|d| d.sha256.as_str());
        let key = store.persist_session(&session.id, length, session.store_state.as_deref(), sha256).await?;
        let digest = match known {
            Some(d) => d,
            None => match self.hash_blob(&store, &key, length).await {
                Ok(d) => d,
                Err(e) => {
                    let _ = store.delete(&key).await;
                    let _ = self.meta.delete_upload(&session.id).await;
                    self.live.forget(&session.id);
                    return Err(e);
                }
            },
        };
        let staged = StagedUpload {
            path: FilePath::parse(&session.path)?,
            mode: WriteMode::from_stored(&session.mode).unwrap_or(WriteMode::Fail),
            content_type: session.content_type.clone().unwrap_or_else(|| "application/octet-stream".into()),
            sha256: digest.sha256.clone(),
            cid: digest.cid.clone(),
            size: length as i64,
            store: store.name().to_string(),
            blob_key: key.clone(),
            modified_at: session.modified_at,
            md5: Some(digest.md5.clone()).filter(|m| !m.is_empty()),
            leaves: Some(digest.leaves.clone()),
            attributes: Default::default(),
            inline_data: None,
        };
        let committed = match self.meta.finish_upload(&session.id, staged).await {
            Ok(c) => c,
            Err(e) => {
                // The bytes cannot become this file (a conflict, say): nothing stays.
                let _ = store.delete(&key).await;
                let _ = self.meta.delete_upload(&session.id).await;
                self.live.forget(&session.id);
                return Err(e);
            }
        };
        self.live.forget(&session.id);
        metrics::counter!("nimbus_upload_bytes_total").increment(length);
        if let Some(redundant) = &committed.redundant_blob {
            let _ = store.delete(redundant).await;
        }
        self.car_wakeup.notify_one();
        let session = self.meta.upload_by_id(&session.id).await?.ok_or(Error::NotFound)?;
        Ok(UploadStatus { session, file: Some(committed.file) })
    }

    /// Ends a session and removes its bytes; a finished one just goes.
    pub async fn abort_upload(&self, who: &Principal, id: &str) -> Result<()> {
        let session = self.own_upload(who, id).await?;
        self.remove_upload(&session).await
    }

    async fn remove_upload(&self, session: &UploadSessionRecord) -> Result<()> {
        let store = self.stores.by_name(&session.store).await?;
        store.delete_session(&session.id, session.store_state.as_deref()).await?;
        self.meta.delete_upload(&session.id).await?;
        self.live.forget(&session.id);
        Ok(())
    }

    /// Removes sessions idle past their expiry, bytes and all; returns how many.
    pub async fn expire_uploads(&self) -> Result<usize> {
        let expired = self.meta.expired_uploads(Timestamp::now(), 100).await?;
        for session in &expired {
            self.remove_upload(session).await?;
        }
        Ok(expired.len())
    }
}

/// One append's bytes: where they go, their checksum, and the body itself.
struct Chunk<S> {
    offset: u64,
    checksum: Option<ChunkChecksum>,
    body: S,
}

/// How far a session's bytes may go: its declared length, or (deferred) the quota.
struct Room {
    up_to: u64,
    declared: bool,
    limit: u64,
}

impl Room {
    fn admit(&self, total: u64) -> Result<()> {
        if total > self.limit {
            return Err(Error::PayloadTooLarge { limit: self.limit });
        }
        match (total > self.up_to, self.declared) {
            (false, _) => Ok(()),
            (true, true) => Err(Error::BadRequest("more bytes than the upload's declared length".into())),
            (true, false) => Err(Error::QuotaExceeded),
        }
    }
}

enum ChecksumState {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl ChecksumState {
    fn new(c: &ChunkChecksum) -> Self {
        use sha2::Digest;
        match c {
            ChunkChecksum::Sha1(_) => ChecksumState::Sha1(sha1::Sha1::new()),
            ChunkChecksum::Sha256(_) => ChecksumState::Sha256(sha2::Sha256::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        use sha2::Digest;
        match self {
            ChecksumState::Sha1(h) => h.update(data),
            ChecksumState::Sha256(h) => h.update(data),
        }
    }

    fn matches(self, expected: &ChunkChecksum) -> bool {
        use sha2::Digest;
        match (self, expected) {
            (ChecksumState::Sha1(h), ChunkChecksum::Sha1(e)) => h.finalize().as_slice() == e,
            (ChecksumState::Sha256(h), ChunkChecksum::Sha256(e)) => h.finalize().as_slice() == e,
            _ => false,
        }
    }
}
