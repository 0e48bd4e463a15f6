//! Buckets: the top-level folders of the signing user's namespace whose names are valid
//! bucket names. Another user's bucket is `NoSuchBucket`, never `AccessDenied`.

use super::errors::{Subject, on};
use super::keys::{bucket_path, is_bucket_name};
use super::{NimbusS3, s3_time};
use crate::error::Error;
use crate::meta::Entry;
use crate::services::{ListRequest, Principal};
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

/// The caller's bucket; `NoSuchBucket` if it has no such folder.
pub async fn existing(s3: &NimbusS3, who: &Principal, bucket: &str) -> S3Result<crate::meta::FolderRecord> {
    let path = bucket_path(bucket).map_err(|_| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    s3.services.files.folder(who, &path).await.map_err(on(Subject::Bucket))
}

pub async fn list(s3: &NimbusS3, req: S3Request<ListBucketsInput>) -> S3Result<S3Response<ListBucketsOutput>> {
    let who = s3.principal(&req).await?;
    let input = &req.input;
    let max = match input.max_buckets {
        Some(n) if !(1..=10_000).contains(&n) => {
            return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "max-buckets must be 1 to 10000"));
        }
        Some(n) => n as usize,
        None => usize::MAX,
    };
    let after = input.continuation_token.clone().unwrap_or_default();
    let prefix = input.prefix.clone().unwrap_or_default();
    let mut buckets = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = s3
            .services
            .files
            .list(
                &who,
                &ListRequest { one_level: true, limit: Some(1000), cursor: cursor.as_deref(), ..Default::default() },
            )
            .await
            .map_err(on(Subject::Bucket))?;
        let mut saw_file = false;
        for entry in page.items {
            match entry {
                Entry::Folder(f) if is_bucket_name(&f.path) && f.path > after && f.path.starts_with(&prefix) => buckets
                    .push(Bucket {
                        name: Some(f.path.clone()),
                        creation_date: Some(s3_time(f.created_at)),
                        bucket_region: None,
                    }),
                Entry::Folder(_) => {}
                // Folders come first: once files start, there are no more buckets.
                Entry::File(_) => saw_file = true,
            }
        }
        match page.next_cursor {
            Some(next) if !saw_file => cursor = Some(next),
            _ => break,
        }
    }
    let more = buckets.len() > max;
    buckets.truncate(max);
    let next = buckets.last().and_then(|b| b.name.clone()).filter(|_| more);
    let owner = Owner { display_name: Some(who.user.username.clone()), id: Some(who.user.id.clone()) };
    let output = ListBucketsOutput {
        buckets: Some(buckets),
        owner: Some(owner),
        continuation_token: next,
        prefix: input.prefix.clone(),
    };
    Ok(S3Response::new(output))
}

pub async fn create(s3: &NimbusS3, req: S3Request<CreateBucketInput>) -> S3Result<S3Response<CreateBucketOutput>> {
    let who = s3.principal(&req).await?;
    let path = bucket_path(&req.input.bucket)?;
    match s3.services.files.make_folder(&who, path.as_str()).await {
        Ok(_) => {}
        // As S3 in us-east-1: creating a bucket you already own succeeds and changes nothing.
        Err(Error::PathExists) if s3.services.files.folder(&who, &path).await.is_ok() => {}
        Err(Error::PathExists) => return Err(S3Error::new(S3ErrorCode::BucketAlreadyExists)),
        Err(e) => return Err(on(Subject::Bucket)(e)),
    }
    let output = CreateBucketOutput { location: Some(format!("/{}", req.input.bucket)) };
    Ok(S3Response::new(output))
}

pub async fn head(s3: &NimbusS3, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
    let who = s3.principal(&req).await?;
    existing(s3, &who, &req.input.bucket).await?;
    Ok(S3Response::new(HeadBucketOutput::default()))
}

pub async fn delete(s3: &NimbusS3, req: S3Request<DeleteBucketInput>) -> S3Result<S3Response<DeleteBucketOutput>> {
    let who = s3.principal(&req).await?;
    let folder = existing(s3, &who, &req.input.bucket).await?;
    let prefix = format!("{}/", folder.path);
    let list = ListRequest { prefix: Some(&prefix), one_level: true, limit: Some(1), ..Default::default() };
    let page = s3.services.files.list(&who, &list).await.map_err(on(Subject::Bucket))?;
    if !page.items.is_empty() {
        return Err(S3Error::new(S3ErrorCode::BucketNotEmpty));
    }
    let path = bucket_path(&req.input.bucket)?;
    s3.services.files.delete_folder(&who, &path).await.map_err(on(Subject::Bucket))?;
    Ok(S3Response::new(DeleteBucketOutput::default()))
}

pub async fn location(
    s3: &NimbusS3,
    req: S3Request<GetBucketLocationInput>,
) -> S3Result<S3Response<GetBucketLocationOutput>> {
    let who = s3.principal(&req).await?;
    existing(s3, &who, &req.input.bucket).await?;
    // us-east-1 is written as no constraint, which every client reads as the default.
    Ok(S3Response::new(GetBucketLocationOutput::default()))
}
