//! Multipart uploads: the file service's multipart uploads (parts stored durably as they
//! arrive, from any instance; completion streams them into the file through the one
//! upload path). Here: S3's rules for part lists and the ETags clients check.

use super::buckets::existing;
use super::errors::{Subject, on, s3_error};
use super::keys::file_path;
use super::objects::{check_conditions_for_copy, content_md5, copy_source, stat, stored_metadata_of};
use super::{NimbusS3, s3_time};
use crate::meta::{MultipartUploadRecord, ObjectAttributes};
use crate::services::{MAX_PART_NUMBER, NewMultipart, Principal, ReadOutcome, ReadRequest};
use futures_util::{StreamExt, TryStreamExt};
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

/// S3's smallest part, except the last.
const MIN_PART_BYTES: i64 = 5 << 20;

/// The caller's upload `id` for this bucket and key; any other is `NoSuchUpload`.
async fn upload_of(
    s3: &NimbusS3,
    who: &Principal,
    bucket: &str,
    key: &str,
    id: &str,
) -> S3Result<MultipartUploadRecord> {
    let path = file_path(bucket, key)?;
    let upload = s3.services.files.multipart(who, id).await.map_err(on(Subject::Upload))?;
    if upload.path != path.as_str() {
        return Err(S3Error::new(S3ErrorCode::NoSuchUpload));
    }
    Ok(upload)
}

pub async fn create(
    s3: &NimbusS3,
    req: S3Request<CreateMultipartUploadInput>,
) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
    let who = s3.principal(&req).await?;
    let input = req.input;
    super::acl::refuse_public(input.acl.as_ref().map(|a| a.as_str()))?;
    existing(s3, &who, &input.bucket).await?;
    let path = file_path(&input.bucket, &input.key)?;
    let user_metadata = stored_metadata_of!(input)?;
    let new = NewMultipart { path, content_type: input.content_type.map(|m| m.to_string()), user_metadata };
    let upload = s3.services.files.create_multipart(&who, new).await.map_err(on(Subject::Object))?;
    let output = CreateMultipartUploadOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(upload.id),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub async fn upload_part(s3: &NimbusS3, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
    let who = s3.principal(&req).await?;
    let input = req.input;
    let upload = upload_of(s3, &who, &input.bucket, &input.key, &input.upload_id).await?;
    let md5 = content_md5(input.content_md5.as_deref())?;
    let body = futures_util::stream::iter(input.body)
        .flatten()
        .map_err(|e| crate::error::Error::BadRequest(format!("upload interrupted: {e}")));
    let stored = s3
        .services
        .files
        .upload_part(
            &who,
            &upload.id,
            i64::from(input.part_number),
            input.content_length.and_then(|n| u64::try_from(n).ok()),
            md5.as_deref(),
            body,
        )
        .await
        .map_err(on(Subject::Upload))?;
    Ok(S3Response::new(UploadPartOutput { e_tag: Some(ETag::Strong(stored.md5)), ..Default::default() }))
}

pub async fn upload_part_copy(
    s3: &NimbusS3,
    req: S3Request<UploadPartCopyInput>,
) -> S3Result<S3Response<UploadPartCopyOutput>> {
    let who = s3.principal(&req).await?;
    let input = req.input;
    let upload = upload_of(s3, &who, &input.bucket, &input.key, &input.upload_id).await?;
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
    let size = u64::try_from(source.size).unwrap_or(0);
    let range = match input.copy_source_range.as_deref() {
        None => None,
        Some(r) => {
            let parsed = Range::parse(r).map_err(|_| S3Error::new(S3ErrorCode::InvalidArgument))?;
            // A copy range must lie within the source, unlike a read's.
            let Range::Int { first, last: Some(last) } = parsed else {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    "x-amz-copy-source-range: bytes=first-last",
                ));
            };
            if first > last || last >= size {
                return Err(S3Error::new(S3ErrorCode::InvalidRange));
            }
            Some(format!("bytes={first}-{last}"))
        }
    };
    let read = ReadRequest { range, ..Default::default() };
    let outcome = s3.services.files.read(source, nimbus_api::Permission::Owner, &read, &who.user.id).await;
    let content = match outcome.map_err(on(Subject::Object))? {
        ReadOutcome::Content(c) => c,
        ReadOutcome::NotModified(_) => return Err(S3Error::new(S3ErrorCode::PreconditionFailed)),
    };
    let length = content.range.end - content.range.start;
    let body = content.body.ok_or_else(|| S3Error::new(S3ErrorCode::InternalError))?.map_err(crate::error::Error::from);
    let stored = s3
        .services
        .files
        .upload_part(&who, &upload.id, i64::from(input.part_number), Some(length), None, body)
        .await
        .map_err(on(Subject::Upload))?;
    let result = CopyPartResult {
        e_tag: Some(ETag::Strong(stored.md5)),
        last_modified: Some(s3_time(crate::domain::Timestamp::now())),
        ..Default::default()
    };
    Ok(S3Response::new(UploadPartCopyOutput { copy_part_result: Some(result), ..Default::default() }))
}

/// `"<md5 of the parts' binary MD5s>-<count>"`, as S3 computes a multipart ETag.
pub fn multipart_etag(part_md5s: &[String]) -> String {
    let mut md5 = <md5::Md5 as md5::Digest>::new();
    for hex_md5 in part_md5s {
        md5::Digest::update(&mut md5, hex::decode(hex_md5).unwrap_or_default());
    }
    format!("{}-{}", hex::encode(md5::Digest::finalize(md5)), part_md5s.len())
}

pub async fn complete(
    s3: &NimbusS3,
    req: S3Request<CompleteMultipartUploadInput>,
) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
    let who = s3.principal(&req).await?;
    let input = req.input;
    let path = file_path(&input.bucket, &input.key)?;
    let upload = match upload_of(s3, &who, &input.bucket, &input.key, &input.upload_id).await {
        Ok(u) => u,
        Err(e) if *e.code() == S3ErrorCode::NoSuchUpload => {
            // A retried completion (its answer was lost) gets the same answer again.
            let done =
                s3.services.files.completed_multipart(&who, &input.upload_id).await.map_err(on(Subject::Upload))?;
            return match done {
                Some((done_path, etag)) if done_path == path.as_str() => {
                    Ok(S3Response::new(CompleteMultipartUploadOutput {
                        bucket: Some(input.bucket.clone()),
                        key: Some(input.key.clone()),
                        e_tag: Some(ETag::Strong(etag)),
                        location: Some(format!("/{}/{}", input.bucket, input.key)),
                        ..Default::default()
                    }))
                }
                _ => Err(e),
            };
        }
        Err(e) => return Err(e),
    };
    let wanted = input.multipart_upload.and_then(|m| m.parts).unwrap_or_default();
    if wanted.is_empty() {
        return Err(S3Error::with_message(S3ErrorCode::MalformedXML, "name at least one part"));
    }
    let stored = s3
        .services
        .files
        .multipart_parts(&who, &upload.id, 0, MAX_PART_NUMBER as u32)
        .await
        .map_err(on(Subject::Upload))?;
    let mut chosen = Vec::with_capacity(wanted.len());
    let mut previous = 0;
    for (i, part) in wanted.iter().enumerate() {
        let number = i64::from(part.part_number.unwrap_or(0));
        if number <= previous {
            return Err(S3Error::new(S3ErrorCode::InvalidPartOrder));
        }
        previous = number;
        let Some(have) = stored.iter().find(|p| p.part_number == number) else {
            return Err(S3Error::new(S3ErrorCode::InvalidPart));
        };
        if part.e_tag.as_ref().is_some_and(|t| t.value() != have.md5) {
            return Err(S3Error::new(S3ErrorCode::InvalidPart));
        }
        if i + 1 < wanted.len() && have.size < MIN_PART_BYTES {
            return Err(S3Error::new(S3ErrorCode::EntityTooSmall));
        }
        chosen.push(have.clone());
    }
    let md5s: Vec<String> = chosen.iter().map(|p| p.md5.clone()).collect();
    let tag = multipart_etag(&md5s);
    let attributes = ObjectAttributes { s3_etag: Some(tag.clone()), user_metadata: None };
    let mode = super::objects::write_mode(
        s3,
        &who,
        &input.bucket,
        &path,
        input.if_match.as_ref(),
        input.if_none_match.as_ref(),
    )
    .await?;
    let written = s3
        .services
        .files
        .complete_multipart(&who, &upload.id, chosen, mode, attributes)
        .await
        .map_err(|e| s3_error(e, Subject::Upload))?;
    let output = CompleteMultipartUploadOutput {
        bucket: Some(input.bucket.clone()),
        key: Some(input.key.clone()),
        e_tag: Some(ETag::Strong(super::objects::etag_value(&written.file))),
        location: Some(format!("/{}/{}", input.bucket, input.key)),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub async fn abort(
    s3: &NimbusS3,
    req: S3Request<AbortMultipartUploadInput>,
) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
    let who = s3.principal(&req).await?;
    let input = req.input;
    let upload = upload_of(s3, &who, &input.bucket, &input.key, &input.upload_id).await?;
    s3.services.files.abort_multipart(&who, &upload.id).await.map_err(on(Subject::Upload))?;
    Ok(S3Response::new(AbortMultipartUploadOutput::default()))
}

pub async fn list_parts(s3: &NimbusS3, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
    let who = s3.principal(&req).await?;
    let input = req.input;
    let upload = upload_of(s3, &who, &input.bucket, &input.key, &input.upload_id).await?;
    let max = input.max_parts.unwrap_or(1000).clamp(0, 1000);
    let after = input.part_number_marker.map(i64::from).unwrap_or(0);
    let mut parts = s3
        .services
        .files
        .multipart_parts(&who, &upload.id, after, max as u32 + 1)
        .await
        .map_err(on(Subject::Upload))?;
    let truncated = parts.len() > max as usize;
    parts.truncate(max as usize);
    let owner = Owner { display_name: Some(who.user.username.clone()), id: Some(who.user.id.clone()) };
    let output = ListPartsOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(upload.id),
        max_parts: Some(max),
        part_number_marker: input.part_number_marker,
        is_truncated: Some(truncated),
        next_part_number_marker: parts.last().filter(|_| truncated).map(|p| p.part_number as i32),
        initiator: Some(Initiator { display_name: owner.display_name.clone(), id: owner.id.clone() }),
        owner: Some(owner),
        storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
        parts: Some(
            parts
                .into_iter()
                .map(|p| Part {
                    part_number: Some(p.part_number as i32),
                    size: Some(p.size),
                    e_tag: Some(ETag::Strong(p.md5)),
                    last_modified: Some(s3_time(p.created_at)),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub async fn list_uploads(
    s3: &NimbusS3,
    req: S3Request<ListMultipartUploadsInput>,
) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
    let who = s3.principal(&req).await?;
    let input = req.input;
    existing(s3, &who, &input.bucket).await?;
    let max = input.max_uploads.unwrap_or(1000).clamp(0, 1000);
    let prefix = format!("{}/{}", input.bucket, input.prefix.as_deref().unwrap_or(""));
    let key_marker = input.key_marker.as_deref().map(|k| format!("{}/{k}", input.bucket));
    // A key marker without an upload id marker means: after every upload of that key.
    let after = key_marker.as_deref().map(|k| (k, input.upload_id_marker.as_deref().unwrap_or("\u{10FFFF}")));
    let mut uploads =
        s3.services.files.multipart_uploads(&who, &prefix, after, max as u32 + 1).await.map_err(on(Subject::Bucket))?;
    let truncated = uploads.len() > max as usize;
    uploads.truncate(max as usize);
    let key_of = |u: &MultipartUploadRecord| super::keys::key_of(&input.bucket, &u.path).to_string();
    let owner = Owner { display_name: Some(who.user.username.clone()), id: Some(who.user.id.clone()) };
    let output = ListMultipartUploadsOutput {
        bucket: Some(input.bucket.clone()),
        prefix: input.prefix.clone(),
        key_marker: input.key_marker.clone(),
        upload_id_marker: input.upload_id_marker.clone(),
        max_uploads: Some(max),
        is_truncated: Some(truncated),
        next_key_marker: uploads.last().filter(|_| truncated).map(key_of),
        next_upload_id_marker: uploads.last().filter(|_| truncated).map(|u| u.id.clone()),
        uploads: Some(
            uploads
                .iter()
                .map(|u| MultipartUpload {
                    key: Some(key_of(u)),
                    upload_id: Some(u.id.clone()),
                    initiated: Some(s3_time(u.created_at)),
                    initiator: Some(Initiator { display_name: owner.display_name.clone(), id: owner.id.clone() }),
                    owner: Some(owner.clone()),
                    storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_etag_is_the_md5_of_the_part_md5s() {
        // Two parts "a" and "b": md5(md5("a") ‖ md5("b")), as S3 and the aws CLI compute it.
        let a = "0cc175b9c0f1b6a831c399e269772661".to_string();
        let b = "92eb5ffee6ae2fec3ad71c777531578f".to_string();
        let tag = multipart_etag(&[a, b]);
        assert!(tag.ends_with("-2"));
        assert_eq!(tag.len(), 34);
    }
}
