//! Objects: files below a bucket. Every write, read and delete is one file-service call;
//! S3's conditions are judged on the S3 ETag (the content's MD5, or a multipart
//! upload's), and a write conditioned on it becomes a write conditioned on the content's
//! SHA-256, so the check and the write are one atomic step.

use super::buckets::existing;
use super::errors::{Subject, on, s3_error};
use super::keys::{Target, file_path, target};
use super::{NimbusS3, s3_time};
use crate::blob::ByteStream;
use crate::domain::FilePath;
use crate::error::Error;
use crate::meta::{FileRecord, NewAttributes, ObjectAttributes, WriteMode};
use crate::services::{FileRef, Principal, PutRequest, ReadOutcome, ReadRequest};
use base64::Engine;
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The MD5 of no bytes: the ETag of a folder read as an empty object.
const EMPTY_MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// What is kept with an object besides its bytes and content type: `x-amz-meta-*` and
/// the representation headers S3 returns as they were given.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct StoredMetadata {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// `StoredMetadata::from_request` with the six fields every writing request (PutObject,
/// CopyObject with REPLACE, CreateMultipartUpload) carries under the same names.
macro_rules! stored_metadata_of {
    ($input:expr) => {
        $crate::http::s3::objects::StoredMetadata::from_request(
            $input.metadata,
            $input.cache_control,
            $input.content_disposition,
            $input.content_encoding,
            $input.content_language,
            $input.expires,
        )
    };
}
pub(super) use stored_metadata_of;

impl StoredMetadata {
    pub(super) fn from_request(
        metadata: Option<Metadata>,
        cache_control: Option<String>,
        content_disposition: Option<String>,
        content_encoding: Option<String>,
        content_language: Option<String>,
        expires: Option<Timestamp>,
    ) -> S3Result<Option<String>> {
        let mut m = StoredMetadata::default();
        for (k, v) in metadata.unwrap_or_default() {
            m.meta.insert(k.to_ascii_lowercase(), v);
        }
        let headers = [
            ("cache-control", cache_control),
            ("content-disposition", content_disposition),
            // `aws-chunked` describes how the body was sent, not the object.
            ("content-encoding", content_encoding.map(without_aws_chunked).filter(|v| !v.is_empty())),
            ("content-language", content_language),
        ];
        for (name, value) in headers {
            if let Some(v) = value {
                m.headers.insert(name.into(), v);
            }
        }
        if let Some(t) = expires {
            let t: time::OffsetDateTime = t.into();
            m.headers.insert("expires".into(), t.unix_timestamp().to_string());
        }
        let size: usize = m.meta.iter().map(|(k, v)| k.len() + v.len()).sum();
        if size > 2048 {
            return Err(S3Error::with_message(S3ErrorCode::MetadataTooLarge, "user metadata is limited to 2 KB"));
        }
        if m.meta.is_empty() && m.headers.is_empty() {
            return Ok(None);
        }
        serde_json::to_string(&m).map(Some).map_err(|e| s3_error(Error::Internal(e.into()), Subject::Object))
    }

    pub fn of(file: &FileRecord) -> Self {
        file.user_metadata.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).cloned()
    }

    fn expires(&self) -> Option<Timestamp> {
        let secs: i64 = self.headers.get("expires")?.parse().ok()?;
        time::OffsetDateTime::from_unix_timestamp(secs).ok().map(Timestamp::from)
    }
}

fn without_aws_chunked(value: String) -> String {
    let kept: Vec<&str> =
        value.split(',').map(str::trim).filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("aws-chunked")).collect();
    kept.join(", ")
}

/// The S3 ETag without its quotes.
pub fn etag_value(file: &FileRecord) -> String {
    file.s3_etag().trim_matches('"').to_string()
}

fn etag(file: &FileRecord) -> ETag {
    ETag::Strong(etag_value(file))
}

fn matches(condition: &ETagCondition, value: &str) -> bool {
    match condition {
        ETagCondition::Any => true,
        ETagCondition::ETag(tag) => tag.value() == value,
    }
}

fn unix(t: &Timestamp) -> i64 {
    time::OffsetDateTime::from(t.clone()).unix_timestamp()
}

/// S3's read conditions (RFC 9110 order): a failed If-Match or If-Unmodified-Since is
/// 412, a matching If-None-Match or an unchanged If-Modified-Since is 304.
fn check_read_conditions(
    file: &FileRecord,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    let tag = etag_value(file);
    let modified = file.updated_at.unix_secs();
    match if_match {
        Some(c) if !matches(c, &tag) => return Err(S3Error::new(S3ErrorCode::PreconditionFailed)),
        None if if_unmodified_since.is_some_and(|t| modified > unix(t)) => {
            return Err(S3Error::new(S3ErrorCode::PreconditionFailed));
        }
        _ => {}
    }
    let not_modified = match if_none_match {
        Some(c) => matches(c, &tag),
        None => if_modified_since.is_some_and(|t| modified <= unix(t)),
    };
    if not_modified {
        // A 304 still names the version the client has (RFC 9110 §15.4.5).
        let mut e = S3Error::new(S3ErrorCode::NotModified);
        let mut headers = axum::http::HeaderMap::new();
        if let Ok(v) = axum::http::HeaderValue::from_str(&format!("\"{tag}\"")) {
            headers.insert(axum::http::header::ETAG, v);
        }
        e.set_headers(headers);
        return Err(e);
    }
    Ok(())
}

/// A copy's conditions on its source: any that fails is 412, whichever kind it was.
pub fn check_conditions_for_copy(
    file: &FileRecord,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    check_read_conditions(file, if_match, if_none_match, if_modified_since, if_unmodified_since).map_err(|e| {
        if *e.code() == S3ErrorCode::NotModified { S3Error::new(S3ErrorCode::PreconditionFailed) } else { e }
    })
}

/// A request body as the file service reads it.
fn body_stream(body: Option<StreamingBlob>) -> impl Stream<Item = crate::error::Result<Bytes>> + Send {
    let body = body.map(|b| b.map_err(|e| Error::BadRequest(format!("upload interrupted: {e}"))));
    futures_util::stream::iter(body).flatten()
}

/// `Content-MD5` (base64) as hex; a value that is not an MD5 is `InvalidDigest`.
pub fn content_md5(value: Option<&str>) -> S3Result<Option<String>> {
    let Some(v) = value else { return Ok(None) };
    match base64::engine::general_purpose::STANDARD.decode(v.trim()) {
        Ok(bytes) if bytes.len() == 16 => Ok(Some(hex::encode(bytes))),
        _ => Err(S3Error::new(S3ErrorCode::InvalidDigest)),
    }
}

/// A file's bytes as `s3s` sends them (it needs a `Sync` stream).
struct SyncBody(std::sync::Mutex<ByteStream>);

impl Stream for SyncBody {
    type Item = std::io::Result<Bytes>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let inner = self.get_mut().0.get_mut().unwrap_or_else(|e| e.into_inner());
        inner.as_mut().poll_next(cx)
    }
}

pub fn streaming(body: ByteStream) -> StreamingBlob {
    StreamingBlob::wrap(SyncBody(std::sync::Mutex::new(body)))
}

/// The caller's file at `path`; `NoSuchBucket` when the bucket itself is missing.
pub async fn stat(s3: &NimbusS3, who: &Principal, bucket: &str, path: &FilePath) -> S3Result<FileRecord> {
    match s3.services.files.stat(who, FileRef::Path(path)).await {
        Ok((file, _)) => Ok(file),
        Err(Error::NotFound) => {
            existing(s3, who, bucket).await?;
            Err(S3Error::new(S3ErrorCode::NoSuchKey))
        }
        Err(e) => Err(s3_error(e, Subject::Object)),
    }
}

pub async fn put(s3: &NimbusS3, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
    let who = s3.principal(&req).await?;
    let input = req.input;
    super::acl::refuse_public(input.acl.as_ref().map(|a| a.as_str()))?;
    existing(s3, &who, &input.bucket).await?;
    let path = match target(&input.bucket, &input.key)? {
        Target::File(p) => p,
        Target::Folder(p) => return put_folder(s3, &who, &p, input.content_length, input.body).await,
    };
    let mode =
        write_mode(s3, &who, &input.bucket, &path, input.if_match.as_ref(), input.if_none_match.as_ref()).await?;
    let user_metadata = stored_metadata_of!(input)?;
    let put = PutRequest {
        content_type: input.content_type.map(|m| m.to_string()),
        declared_len: input.content_length.and_then(|n| u64::try_from(n).ok()),
        expected_md5: content_md5(input.content_md5.as_deref())?,
        attributes: ObjectAttributes { s3_etag: None, user_metadata },
        ..PutRequest::new(path, mode)
    };
    let written = s3.services.files.put(&who, put, body_stream(input.body)).await.map_err(on(Subject::Object))?;
    let output =
        PutObjectOutput { e_tag: Some(etag(&written.file)), size: Some(written.file.size), ..Default::default() };
    Ok(S3Response::new(output))
}

/// The write mode for S3's write conditions, judged on the S3 ETag: `If-None-Match: *`
/// writes only a new object, `If-None-Match: <tag>` anything but that version, `If-Match`
/// only that version (a missing object is `NoSuchKey`). A write conditioned on an
/// existing version becomes a write conditioned on its SHA-256, so the check and the
/// write stay one atomic step.
pub async fn write_mode(
    s3: &NimbusS3,
    who: &Principal,
    bucket: &str,
    path: &FilePath,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
) -> S3Result<WriteMode> {
    if matches!(if_none_match, Some(ETagCondition::Any)) {
        return Ok(WriteMode::CreateOnly);
    }
    if if_match.is_none() && if_none_match.is_none() {
        return Ok(WriteMode::Overwrite);
    }
    let current = match stat(s3, who, bucket, path).await {
        Ok(file) => Some(file),
        Err(e) if *e.code() == S3ErrorCode::NoSuchKey => None,
        Err(e) => return Err(e),
    };
    match (current, if_match, if_none_match) {
        (None, Some(_), _) => Err(S3Error::new(S3ErrorCode::NoSuchKey)),
        (None, None, _) => Ok(WriteMode::CreateOnly),
        (Some(file), Some(c), _) if !matches(c, &etag_value(&file)) => {
            Err(S3Error::new(S3ErrorCode::PreconditionFailed))
        }
        (Some(file), _, Some(c)) if matches(c, &etag_value(&file)) => {
            Err(S3Error::new(S3ErrorCode::PreconditionFailed))
        }
        (Some(file), _, _) => Ok(WriteMode::IfMatch(file.sha256)),
    }
}

/// A key ending in `/` with no bytes: a folder (a "directory marker").
async fn put_folder(
    s3: &NimbusS3,
    who: &Principal,
    path: &FilePath,
    length: Option<i64>,
    body: Option<StreamingBlob>,
) -> S3Result<S3Response<PutObjectOutput>> {
    let mut body = std::pin::pin!(body_stream(body));
    let has_bytes =
        length.is_some_and(|n| n > 0) || body.try_next().await.ok().flatten().is_some_and(|c| !c.is_empty());
    if has_bytes {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "a key ending in '/' is a folder: send no bytes",
        ));
    }
    match s3.services.files.make_folder(who, path.as_str()).await {
        Ok(_) | Err(Error::PathExists) if s3.services.files.folder(who, path).await.is_ok() => {}
        Ok(_) => {}
        Err(e) => return Err(s3_error(e, Subject::Object)),
    }
    let output = PutObjectOutput { e_tag: Some(ETag::Strong(EMPTY_MD5.into())), size: Some(0), ..Default::default() };
    Ok(S3Response::new(output))
}

/// A folder read as an object: empty, with no metadata.
async fn folder_as_object(
    s3: &NimbusS3,
    who: &Principal,
    bucket: &str,
    key: &str,
) -> S3Result<crate::meta::FolderRecord> {
    let Target::Folder(path) = target(bucket, key)? else { unreachable!("called for keys ending in '/'") };
    match s3.services.files.folder(who, &path).await {
        Ok(f) => Ok(f),
        Err(Error::NotFound) => {
            existing(s3, who, bucket).await?;
            Err(S3Error::new(S3ErrorCode::NoSuchKey))
        }
        Err(e) => Err(s3_error(e, Subject::Object)),
    }
}

fn range_header(range: Option<Range>) -> Option<String> {
    range.map(|r| match r {
        Range::Int { first, last: Some(last) } => format!("bytes={first}-{last}"),
        Range::Int { first, last: None } => format!("bytes={first}-"),
        Range::Suffix { length } => format!("bytes=-{length}"),
    })
}

pub async fn get(s3: &NimbusS3, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
    let who = s3.principal(&req).await?;
    Ok(S3Response::new(read_object(s3, &who, req.input, false).await?))
}

/// HeadObject is GetObject without its body: the same conditions, range and headers.
pub async fn head(s3: &NimbusS3, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
    let who = s3.principal(&req).await?;
    let i = req.input;
    let as_get = GetObjectInput {
        bucket: i.bucket,
        key: i.key,
        if_match: i.if_match,
        if_none_match: i.if_none_match,
        if_modified_since: i.if_modified_since,
        if_unmodified_since: i.if_unmodified_since,
        range: i.range,
        response_cache_control: i.response_cache_control,
        response_content_disposition: i.response_content_disposition,
        response_content_encoding: i.response_content_encoding,
        response_content_language: i.response_content_language,
        response_content_type: i.response_content_type,
        response_expires: i.response_expires,
        ..Default::default()
    };
    let o = read_object(s3, &who, as_get, true).await?;
    Ok(S3Response::new(HeadObjectOutput {
        content_length: o.content_length,
        content_range: o.content_range,
        accept_ranges: o.accept_ranges,
        e_tag: o.e_tag,
        last_modified: o.last_modified,
        content_type: o.content_type,
        cache_control: o.cache_control,
        content_disposition: o.content_disposition,
        content_encoding: o.content_encoding,
        content_language: o.content_language,
        expires: o.expires,
        metadata: o.metadata,
        ..Default::default()
    }))
}

/// Reads an object through the file service (one `read`), or only its headers.
async fn read_object(
    s3: &NimbusS3,
    who: &Principal,
    input: GetObjectInput,
    head_only: bool,
) -> S3Result<GetObjectOutput> {
    if input.key.ends_with('/') {
        let folder = folder_as_object(s3, who, &input.bucket, &input.key).await?;
        return Ok(GetObjectOutput {
            body: (!head_only).then(|| StreamingBlob::from(s3s::Body::empty())),
            content_length: Some(0),
            e_tag: Some(ETag::Strong(EMPTY_MD5.into())),
            last_modified: Some(s3_time(folder.updated_at)),
            content_type: Some("application/x-directory".into()),
            ..Default::default()
        });
    }
    let path = file_path(&input.bucket, &input.key)?;
    let mut file = stat(s3, who, &input.bucket, &path).await?;
    // An earlier version by its id (ListObjectVersions); "null" is the current one.
    if let Some(version) = input.version_id.as_deref().filter(|v| *v != "null") {
        file = match s3.services.files.version_as_file(who, &file.id, version).await {
            Ok(v) => v,
            Err(Error::NotFound) => return Err(S3Error::new(S3ErrorCode::NoSuchVersion)),
            Err(e) => return Err(s3_error(e, Subject::Object)),
        };
    }
    check_read_conditions(
        &file,
        input.if_match.as_ref(),
        input.if_none_match.as_ref(),
        input.if_modified_since.as_ref(),
        input.if_unmodified_since.as_ref(),
    )?;
    let read = ReadRequest { range: range_header(input.range), head_only, ..Default::default() };
    let outcome = s3.services.files.read(file, nimbus_api::Permission::Owner, &read, &who.user.id).await;
    let content = match outcome.map_err(on(Subject::Object))? {
        ReadOutcome::Content(c) => c,
        ReadOutcome::NotModified(_) => return Err(S3Error::new(S3ErrorCode::NotModified)),
    };
    let file = &content.file;
    let stored = StoredMetadata::of(file);
    let size = u64::try_from(file.size).unwrap_or(0);
    Ok(GetObjectOutput {
        content_length: Some((content.range.end - content.range.start) as i64),
        content_range: content
            .partial
            .then(|| format!("bytes {}-{}/{size}", content.range.start, content.range.end.saturating_sub(1))),
        accept_ranges: Some("bytes".into()),
        e_tag: Some(etag(file)),
        last_modified: Some(s3_time(file.updated_at)),
        content_type: Some(input.response_content_type.unwrap_or_else(|| file.content_type.clone())),
        cache_control: input.response_cache_control.or_else(|| stored.header("cache-control")),
        content_disposition: input.response_content_disposition.or_else(|| stored.header("content-disposition")),
        content_encoding: input.response_content_encoding.or_else(|| stored.header("content-encoding")),
        content_language: input.response_content_language.or_else(|| stored.header("content-language")),
        expires: input.response_expires.or_else(|| stored.expires()),
        metadata: (!stored.meta.is_empty()).then(|| stored.meta.clone().into_iter().collect()),
        body: content.body.map(streaming),
        ..Default::default()
    })
}

/// Deletes a folder if nothing is in it; true if it is gone.
async fn delete_if_empty(s3: &NimbusS3, who: &Principal, path: &FilePath) -> crate::error::Result<bool> {
    let prefix = format!("{}/", path.as_str());
    let list =
        crate::services::ListRequest { prefix: Some(&prefix), one_level: true, limit: Some(1), ..Default::default() };
    if !s3.services.files.list(who, &list).await?.items.is_empty() {
        return Ok(false);
    }
    match s3.services.files.delete_folder(who, path).await {
        Ok(()) | Err(Error::NotFound) => Ok(true),
        Err(e) => Err(e),
    }
}

/// Deletes one key; a key that does not exist is fine (S3 answers 204 either way). The
/// folders it leaves empty go too, up to the bucket: in S3 a prefix exists only while
/// keys below it do, and tools that empty a bucket (`aws s3 rb --force`) rely on it.
async fn delete_key(s3: &NimbusS3, who: &Principal, bucket: &str, key: &str) -> S3Result<()> {
    let path = match target(bucket, key)? {
        Target::File(path) => match s3.services.files.delete(who, FileRef::Path(&path)).await {
            Ok(()) | Err(Error::NotFound) => path,
            Err(e) => return Err(s3_error(e, Subject::Object)),
        },
        // Only an empty folder: a "directory marker" never takes objects with it.
        Target::Folder(path) => match delete_if_empty(s3, who, &path).await {
            Ok(true) => path,
            Ok(false) => return Ok(()),
            Err(e) => return Err(s3_error(e, Subject::Object)),
        },
    };
    let parents: Vec<&str> = path.ancestors().skip(1).collect();
    for parent in parents.into_iter().rev() {
        let parent = FilePath::parse(parent).map_err(on(Subject::Object))?;
        if !delete_if_empty(s3, who, &parent).await.map_err(on(Subject::Object))? {
            break;
        }
    }
    Ok(())
}

pub async fn delete(s3: &NimbusS3, req: S3Request<DeleteObjectInput>) -> S3Result<S3Response<DeleteObjectOutput>> {
    let who = s3.principal(&req).await?;
    existing(s3, &who, &req.input.bucket).await?;
    // With an earlier version's id, that version is deleted for good; the object stays.
    if let Some(version) = req.input.version_id.as_deref().filter(|v| *v != "null") {
        let path = file_path(&req.input.bucket, &req.input.key)?;
        let file = stat(s3, &who, &req.input.bucket, &path).await?;
        return match s3.services.files.delete_version(&who, &file.id, version).await {
            Ok(()) => {
                Ok(S3Response::new(DeleteObjectOutput { version_id: Some(version.to_string()), ..Default::default() }))
            }
            Err(Error::NotFound) => Err(S3Error::new(S3ErrorCode::NoSuchVersion)),
            Err(e) => Err(s3_error(e, Subject::Object)),
        };
    }
    delete_key(s3, &who, &req.input.bucket, &req.input.key).await?;
    Ok(S3Response::new(DeleteObjectOutput::default()))
}

pub async fn delete_many(
    s3: &NimbusS3,
    req: S3Request<DeleteObjectsInput>,
) -> S3Result<S3Response<DeleteObjectsOutput>> {
    let who = s3.principal(&req).await?;
    let input = req.input;
    existing(s3, &who, &input.bucket).await?;
    if input.delete.objects.len() > 1000 {
        return Err(S3Error::with_message(S3ErrorCode::MalformedXML, "at most 1000 keys per request"));
    }
    let quiet = input.delete.quiet.unwrap_or(false);
    let (mut deleted, mut errors) = (Vec::new(), Vec::new());
    for object in input.delete.objects {
        match delete_key(s3, &who, &input.bucket, &object.key).await {
            Ok(()) if quiet => {}
            Ok(()) => deleted.push(DeletedObject { key: Some(object.key), ..Default::default() }),
            Err(e) => errors.push(s3s::dto::Error {
                code: Some(e.code().as_str().to_string()),
                key: Some(object.key),
                message: e.message().map(str::to_string),
                version_id: None,
            }),
        }
    }
    let output = DeleteObjectsOutput { deleted: Some(deleted), errors: Some(errors), ..Default::default() };
    Ok(S3Response::new(output))
}

/// The bucket and key a copy reads from.
pub fn copy_source(source: &CopySource) -> S3Result<(String, String)> {
    match source {
        CopySource::Bucket { bucket, key, .. } => Ok((bucket.to_string(), key.to_string())),
        _ => Err(S3Error::with_message(S3ErrorCode::NotImplemented, "copies only from buckets")),
    }
}

pub async fn copy(s3: &NimbusS3, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
    let who = s3.principal(&req).await?;
    let input = req.input;
    let (src_bucket, src_key) = copy_source(&input.copy_source)?;
    let src_path = file_path(&src_bucket, &src_key)?;
    let source = stat(s3, &who, &src_bucket, &src_path).await?;
    check_conditions_for_copy(
        &source,
        input.copy_source_if_match.as_ref(),
        input.copy_source_if_none_match.as_ref(),
        input.copy_source_if_modified_since.as_ref(),
        input.copy_source_if_unmodified_since.as_ref(),
    )?;
    existing(s3, &who, &input.bucket).await?;
    let to = file_path(&input.bucket, &input.key)?;
    let replace = input.metadata_directive.as_ref().is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
    if to == src_path && !replace {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "copying an object onto itself needs x-amz-metadata-directive: REPLACE",
        ));
    }
    let new = if replace {
        let user_metadata = stored_metadata_of!(input)?;
        Some(NewAttributes {
            content_type: input.content_type.unwrap_or_else(|| source.content_type.clone()),
            attributes: ObjectAttributes { s3_etag: None, user_metadata },
        })
    } else {
        None
    };
    let copied = s3
        .services
        .files
        .copy_with(&who, FileRef::Path(&src_path), &to, true, new.as_ref())
        .await
        .map_err(on(Subject::Object))?;
    let result = CopyObjectResult {
        e_tag: Some(etag(&copied.file)),
        last_modified: Some(s3_time(copied.file.updated_at)),
        ..Default::default()
    };
    Ok(S3Response::new(CopyObjectOutput { copy_object_result: Some(result), ..Default::default() }))
}
