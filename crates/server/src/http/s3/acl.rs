//! ACLs as far as they are true here: every bucket and object is private to its owner
//! (sharing goes through the API's shares and links), so reading an ACL gives the owner
//! full control, and setting one is accepted only when it says just that.

use super::NimbusS3;
use super::buckets::existing;
use super::keys::file_path;
use super::objects::stat;
use crate::services::Principal;
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

fn owner_only(who: &Principal) -> (Owner, Vec<Grant>) {
    let owner = Owner { display_name: Some(who.user.username.clone()), id: Some(who.user.id.clone()) };
    let grantee = Grantee {
        display_name: owner.display_name.clone(),
        id: owner.id.clone(),
        type_: Type::from_static(Type::CANONICAL_USER),
        email_address: None,
        uri: None,
    };
    let grant = Grant { grantee: Some(grantee), permission: Some(Permission::from_static(Permission::FULL_CONTROL)) };
    (owner, vec![grant])
}

/// Refuses a write's canned ACL unless it is `private`: a public object would be a promise
/// this server does not keep.
pub fn refuse_public(canned: Option<&str>) -> S3Result<()> {
    only_private(canned, &[])
}

/// Only "private" (no canned ACL, `private`, or no grants beyond the owner's) is true here.
fn only_private(canned: Option<&str>, grants: &[&Option<String>]) -> S3Result<()> {
    let canned_ok = canned.is_none_or(|c| c == "private");
    if canned_ok && grants.iter().all(|g| g.is_none()) {
        Ok(())
    } else {
        Err(S3Error::with_message(
            S3ErrorCode::NotImplemented,
            "only private ACLs: share files through the API's shares and public links",
        ))
    }
}

pub async fn get_bucket(s3: &NimbusS3, req: S3Request<GetBucketAclInput>) -> S3Result<S3Response<GetBucketAclOutput>> {
    let who = s3.principal(&req).await?;
    existing(s3, &who, &req.input.bucket).await?;
    let (owner, grants) = owner_only(&who);
    Ok(S3Response::new(GetBucketAclOutput { owner: Some(owner), grants: Some(grants) }))
}

pub async fn get_object(s3: &NimbusS3, req: S3Request<GetObjectAclInput>) -> S3Result<S3Response<GetObjectAclOutput>> {
    let who = s3.principal(&req).await?;
    let path = file_path(&req.input.bucket, &req.input.key)?;
    stat(s3, &who, &req.input.bucket, &path).await?;
    let (owner, grants) = owner_only(&who);
    Ok(S3Response::new(GetObjectAclOutput { owner: Some(owner), grants: Some(grants), ..Default::default() }))
}

pub async fn put_bucket(s3: &NimbusS3, req: S3Request<PutBucketAclInput>) -> S3Result<S3Response<PutBucketAclOutput>> {
    let who = s3.principal(&req).await?;
    let i = &req.input;
    existing(s3, &who, &i.bucket).await?;
    let grants = [&i.grant_full_control, &i.grant_read, &i.grant_read_acp, &i.grant_write, &i.grant_write_acp];
    only_private(i.acl.as_ref().map(|a| a.as_str()), &grants)?;
    if i.access_control_policy.is_some() {
        return Err(S3Error::with_message(S3ErrorCode::NotImplemented, "only canned private ACLs"));
    }
    Ok(S3Response::new(PutBucketAclOutput::default()))
}

pub async fn put_object(s3: &NimbusS3, req: S3Request<PutObjectAclInput>) -> S3Result<S3Response<PutObjectAclOutput>> {
    let who = s3.principal(&req).await?;
    let i = &req.input;
    let path = file_path(&i.bucket, &i.key)?;
    stat(s3, &who, &i.bucket, &path).await?;
    let grants = [&i.grant_full_control, &i.grant_read, &i.grant_read_acp, &i.grant_write_acp];
    only_private(i.acl.as_ref().map(|a| a.as_str()), &grants)?;
    if i.access_control_policy.is_some() {
        return Err(S3Error::with_message(S3ErrorCode::NotImplemented, "only canned private ACLs"));
    }
    Ok(S3Response::new(PutObjectAclOutput::default()))
}
