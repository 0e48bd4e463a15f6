//! Multipart uploads (S3's CreateMultipartUpload/UploadPart/Complete/Abort): parts
//! arrive in any order, in parallel, from any instance, each stored durably as content of
//! its own with its bytes reserved against the quota; completing streams them in order
//! through the one upload path (`Files::put`), so the file gets its SHA-256, MD5 and CID
//! and the same commit as every other write.

use super::upload::{Inline, delete_in_background};
use super::{Files, Principal, PutRequest, Written};
use crate::domain::{FilePath, PrefixRange, Timestamp, new_id};
use crate::error::{Error, Result};
use crate::meta::MetaStore;
use crate::meta::{MultipartPartRecord, MultipartUploadRecord, ObjectAttributes, StagedPart, WriteMode};
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt, TryStreamExt};
use std::sync::Arc;

/// S3's limit on part numbers.
pub const MAX_PART_NUMBER: i64 = 10_000;

/// A new multipart upload's target.
#[derive(Debug, Clone)]
pub struct NewMultipart {
    pub path: FilePath,
    pub content_type: Option<String>,
    pub user_metadata: Option<String>,
}

/// A stored part, as the client is told.
#[derive(Debug, Clone)]
pub struct PartStored {
    pub md5: String,
    pub size: u64,
}

impl Files {
    pub async fn create_multipart(&self, who: &Principal, req: NewMultipart) -> Result<MultipartUploadRecord> {
        let record = MultipartUploadRecord {
            id: new_id(),
            owner_id: who.user.id.clone(),
            path: req.path.as_str().to_string(),
            content_type: req.content_type,
            user_metadata: req.user_metadata,
            reserved_bytes: 0,
            created_at: Timestamp::now(),
        };
        self.meta.create_multipart(&record).await?;
        Ok(record)
    }

    /// The caller's upload `id`; anyone else's is `NotFound`, as if it did not exist.
    pub async fn multipart(&self, who: &Principal, id: &str) -> Result<MultipartUploadRecord> {
        self.meta.multipart_by_id(&who.user.id, id).await?.ok_or(Error::NotFound)
    }

    /// Stores part `number` of upload `id` from `body` (replacing an earlier one with
    /// that number). A stated MD5 that the bytes do not have stores nothing.
    pub async fn upload_part<S>(
        &self,
        who: &Principal,
        id: &str,
        number: i64,
        declared_len: Option<u64>,
        expected_md5: Option<&str>,
        body: S,
    ) -> Result<PartStored>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        if !(1..=MAX_PART_NUMBER).contains(&number) {
            return Err(Error::invalid("partNumber", "must be 1 to 10000"));
        }
        let owner = &who.user.id;
        self.multipart(who, id).await?;
        let limit = self.settings.max_upload_bytes;
        if declared_len.is_some_and(|n| n > limit) {
            return Err(Error::PayloadTooLarge { limit });
        }
        let user = self.meta.user_by_id(owner).await?.ok_or(Error::Unauthorized)?;
        let replaced = self.meta.multipart_parts(id, number - 1, 1).await?;
        let replaced = replaced.first().filter(|p| p.part_number == number).map(|p| p.size).unwrap_or(0);
        let room = (user.quota_bytes - user.used_bytes - user.reserved_bytes + replaced).max(0) as u64;
        if declared_len.is_some_and(|n| n > room) {
            return Err(Error::QuotaExceeded);
        }
        let store = self.stores.for_upload(&who.user).await?;
        self.ensure_disk_room(store.as_ref(), declared_len.unwrap_or(0)).await?;
        let blob = self.stage(store, body, owner, room, Inline::Never).await?;
        if blob.digest.md5.is_empty() {
            // Its ETag is its MD5, which could not be computed: the client sends it again.
            return Err(Error::Internal(anyhow::anyhow!("the MD5 of a part could not be computed")));
        }
        if expected_md5.is_some_and(|e| !e.eq_ignore_ascii_case(&blob.digest.md5)) {
            return Err(Error::ChecksumMismatch);
        }
        let part = StagedPart {
            store: blob.store.name().to_string(),
            sha256: blob.digest.sha256.clone(),
            cid: blob.digest.cid.clone(),
            md5: blob.digest.md5.clone(),
            size: blob.digest.size as i64,
            blob_key: blob.key().to_string(),
        };
        // On error the staged blob's guard deletes it.
        let redundant = self.meta.put_multipart_part(owner, id, number, &part).await?;
        let store = blob.store.clone();
        blob.disarm();
        if let Some(key) = redundant {
            delete_in_background(store, key);
        }
        Ok(PartStored { md5: part.md5, size: part.size as u64 })
    }

    /// The upload's parts numbered above `after`, in order.
    pub async fn multipart_parts(
        &self,
        who: &Principal,
        id: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<MultipartPartRecord>> {
        self.multipart(who, id).await?;
        self.meta.multipart_parts(id, after, limit).await
    }

    /// The caller's unfinished uploads under a path prefix, after a (path, id) marker.
    pub async fn multipart_uploads(
        &self,
        who: &Principal,
        prefix: &str,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<MultipartUploadRecord>> {
        let range = PrefixRange::parse(Some(prefix))?;
        self.meta.multipart_uploads(&who.user.id, &range, after, limit).await
    }

    pub async fn abort_multipart(&self, who: &Principal, id: &str) -> Result<()> {
        if self.meta.abort_multipart(&who.user.id, id).await? { Ok(()) } else { Err(Error::NotFound) }
    }

    /// The path and ETag of the caller's upload `id` if it completed in the last day (a
    /// repeated completion gets the same answer).
    pub async fn completed_multipart(&self, who: &Principal, id: &str) -> Result<Option<(String, String)>> {
        self.meta.completed_multipart(&who.user.id, id).await
    }

    /// Makes the file from `parts` (their numbers, in order; the caller has checked them
    /// against the client's list) in `mode` and ends the upload. `attributes` carry the
    /// ETag.
    pub async fn complete_multipart(
        &self,
        who: &Principal,
        id: &str,
        parts: Vec<MultipartPartRecord>,
        mode: WriteMode,
        attributes: ObjectAttributes,
    ) -> Result<Written> {
        let upload = self.multipart(who, id).await?;
        let total: i64 = parts.iter().map(|p| p.size).sum();
        // Each part is read back verified against its SHA-256, so a rotten part fails
        // the completion instead of becoming part of the file.
        let (stores, meta) = (self.stores.clone(), self.meta.clone());
        let body: BoxStream<'static, Result<Bytes>> = futures_util::stream::iter(parts)
            .then(move |part| read_part(stores.clone(), meta.clone(), part))
            .try_flatten()
            .boxed();
        let req = PutRequest {
            content_type: upload.content_type.clone(),
            declared_len: Some(total as u64),
            attributes: ObjectAttributes { user_metadata: upload.user_metadata.clone(), ..attributes },
            completes_multipart: Some(upload.id.clone()),
            ..PutRequest::new(FilePath::parse(&upload.path)?, mode)
        };
        self.put(who, req, body).await
    }
}

/// A stored part's bytes, checked against its SHA-256 as they stream.
async fn read_part(
    stores: super::BlobStores,
    meta: Arc<dyn MetaStore>,
    part: MultipartPartRecord,
) -> Result<BoxStream<'static, Result<Bytes>>> {
    let store = stores.by_name(&part.store).await?;
    let bytes = store.read(&part.blob_key, 0..part.size as u64).await?;
    let id = format!("part {} of upload {}", part.part_number, part.upload_id);
    let report = super::verify::report_to(meta, &part.content_id);
    Ok(super::verify::verified(bytes, &part.sha256, &id, report).map_err(Error::from).boxed())
}
