//! Listings (ListObjects v1 and v2, ListObjectVersions): the bucket's files and empty
//! folders in key order, rolled up into common prefixes at the delimiter. A rolled-up
//! prefix is skipped in one step (the next query starts past it), so a listing with a
//! delimiter costs a query per prefix, not a row per key below it.

use super::buckets::existing;
use super::errors::{Subject, on};
use super::{NimbusS3, s3_time};
use crate::services::{Object, Principal};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

/// What `encoding-type=url` encodes: all but unreserved characters and `/`.
const KEY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');

/// Past every key that starts with a prefix: paths never hold U+10FFFF.
const PAST: char = char::MAX;

const BATCH: u32 = 1000;

/// One page of a listing.
struct Listed {
    objects: Vec<(String, Object)>,
    prefixes: Vec<String>,
    truncated: bool,
    /// The last key or prefix returned (S3's NextMarker).
    last: Option<String>,
    /// Where the next page starts (the continuation token's content).
    resume: Option<String>,
}

struct Walk<'a> {
    bucket: &'a str,
    prefix: &'a str,
    delimiter: Option<&'a str>,
    /// Keys up to and including this one are not listed (markers, start-after, tokens).
    after: &'a str,
    max: usize,
}

async fn walk(s3: &NimbusS3, who: &Principal, w: &Walk<'_>) -> S3Result<Listed> {
    let mut out = Listed { objects: Vec::new(), prefixes: Vec::new(), truncated: false, last: None, resume: None };
    if w.prefix.chars().any(|c| c.is_control() || c == PAST) {
        // No key can start with it: nothing to list (as S3 answers, not an error).
        return Ok(out);
    }
    let base = format!("{}/", w.bucket);
    let path_prefix = format!("{base}{}", w.prefix);
    let mut after = if w.after.is_empty() { String::new() } else { format!("{base}{}", w.after) };
    let count = |o: &Listed| o.objects.len() + o.prefixes.len();
    if w.max == 0 {
        // Asked for nothing: nothing is left out (S3 says not truncated).
        return Ok(out);
    }
    'pages: loop {
        let batch =
            s3.services.files.list_objects(who, &path_prefix, &after, BATCH).await.map_err(on(Subject::Bucket))?;
        let full = batch.len() == BATCH as usize;
        for object in batch {
            let path_key = object.key();
            let key = path_key[base.len()..].to_string();
            if key.is_empty() {
                // The bucket's own folder, empty: it is the bucket, not an object in it.
                after = path_key;
                continue;
            }
            let rolled = w.delimiter.filter(|d| !d.is_empty()).and_then(|d| {
                let rest = &key[w.prefix.len()..];
                rest.find(d).map(|i| key[..w.prefix.len() + i + d.len()].to_string())
            });
            if let Some(common) = rolled {
                after = format!("{base}{common}{PAST}");
                if common.as_str() > w.after {
                    if count(&out) == w.max {
                        out.truncated = true;
                        break 'pages;
                    }
                    out.resume = Some(format!("{common}{PAST}"));
                    out.last = Some(common.clone());
                    out.prefixes.push(common);
                }
                // What follows in this batch may lie below the prefix: ask again past it.
                continue 'pages;
            }
            if count(&out) == w.max {
                out.truncated = true;
                break 'pages;
            }
            after = path_key;
            out.resume = Some(key.clone());
            out.last = Some(key.clone());
            out.objects.push((key, object));
        }
        if !full {
            break;
        }
    }
    if !out.truncated {
        out.resume = None;
    }
    Ok(out)
}

fn max_keys(value: Option<i32>) -> S3Result<usize> {
    match value {
        None => Ok(1000),
        Some(n) if n < 0 => Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "max-keys must not be negative")),
        Some(n) => Ok((n as usize).min(1000)),
    }
}

fn url_encoded(encode: bool) -> impl Fn(String) -> String {
    move |s| if encode { utf8_percent_encode(&s, KEY_ENCODE).to_string() } else { s }
}

fn wants_url(encoding: &Option<EncodingType>) -> S3Result<bool> {
    match encoding {
        None => Ok(false),
        Some(e) if e.as_str().eq_ignore_ascii_case(EncodingType::URL) => Ok(true),
        Some(_) => Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "encoding-type must be 'url'")),
    }
}

fn to_object(key: String, object: &Object, owner: Option<&Owner>) -> s3s::dto::Object {
    let (size, tag, modified) = match object {
        Object::File(f) => (f.size, super::objects::etag_value(f), f.updated_at),
        Object::EmptyFolder(d) => (0, "d41d8cd98f00b204e9800998ecf8427e".to_string(), d.updated_at),
    };
    s3s::dto::Object {
        key: Some(key),
        size: Some(size),
        e_tag: Some(ETag::Strong(tag)),
        last_modified: Some(s3_time(modified)),
        storage_class: Some(ObjectStorageClass::from_static(ObjectStorageClass::STANDARD)),
        owner: owner.cloned(),
        ..Default::default()
    }
}

fn owner_of(who: &Principal) -> Owner {
    Owner { display_name: Some(who.user.username.clone()), id: Some(who.user.id.clone()) }
}

pub async fn list_v2(s3: &NimbusS3, req: S3Request<ListObjectsV2Input>) -> S3Result<S3Response<ListObjectsV2Output>> {
    let who = s3.principal(&req).await?;
    let input = req.input;
    existing(s3, &who, &input.bucket).await?;
    let url = wants_url(&input.encoding_type)?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let after = match &input.continuation_token {
        Some(token) => hex::decode(token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| S3Error::with_message(S3ErrorCode::InvalidArgument, "invalid continuation token"))?,
        None => input.start_after.clone().unwrap_or_default(),
    };
    let max = max_keys(input.max_keys)?;
    let walk_spec =
        Walk { bucket: &input.bucket, prefix: &prefix, delimiter: input.delimiter.as_deref(), after: &after, max };
    let listed = walk(s3, &who, &walk_spec).await?;
    let enc = url_encoded(url);
    let owner = input.fetch_owner.unwrap_or(false).then(|| owner_of(&who));
    let key_count = (listed.objects.len() + listed.prefixes.len()) as i32;
    let output = ListObjectsV2Output {
        name: Some(input.bucket.clone()),
        prefix: Some(enc(prefix)),
        delimiter: input.delimiter.filter(|d| !d.is_empty()).map(&enc),
        start_after: input.start_after.map(&enc),
        max_keys: Some(max as i32),
        key_count: Some(key_count),
        continuation_token: input.continuation_token,
        is_truncated: Some(listed.truncated),
        next_continuation_token: listed.resume.filter(|_| listed.truncated).map(|r| hex::encode(r.as_bytes())),
        contents: Some(listed.objects.iter().map(|(k, o)| to_object(enc(k.clone()), o, owner.as_ref())).collect()),
        common_prefixes: Some(listed.prefixes.into_iter().map(|p| CommonPrefix { prefix: Some(enc(p)) }).collect()),
        encoding_type: input.encoding_type,
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub async fn list_v1(s3: &NimbusS3, req: S3Request<ListObjectsInput>) -> S3Result<S3Response<ListObjectsOutput>> {
    let who = s3.principal(&req).await?;
    let input = req.input;
    existing(s3, &who, &input.bucket).await?;
    let url = wants_url(&input.encoding_type)?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let marker = input.marker.clone().unwrap_or_default();
    let max = max_keys(input.max_keys)?;
    let walk_spec =
        Walk { bucket: &input.bucket, prefix: &prefix, delimiter: input.delimiter.as_deref(), after: &marker, max };
    let listed = walk(s3, &who, &walk_spec).await?;
    let enc = url_encoded(url);
    let owner = owner_of(&who);
    let output = ListObjectsOutput {
        name: Some(input.bucket.clone()),
        // Version 1 leaves Prefix as sent (as RGW does, and botocore decodes v1 that way).
        prefix: Some(prefix),
        marker: Some(enc(marker)),
        delimiter: input.delimiter.clone().filter(|d| !d.is_empty()).map(&enc),
        max_keys: Some(max as i32),
        is_truncated: Some(listed.truncated),
        // S3 sends NextMarker only with a delimiter; clients use the last key otherwise.
        next_marker: listed.last.filter(|_| listed.truncated && input.delimiter.is_some()).map(&enc),
        contents: Some(listed.objects.iter().map(|(k, o)| to_object(enc(k.clone()), o, Some(&owner))).collect()),
        common_prefixes: Some(listed.prefixes.into_iter().map(|p| CommonPrefix { prefix: Some(enc(p)) }).collect()),
        encoding_type: input.encoding_type,
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

/// Every object has one version, the current one, whose id is `null`.
pub async fn list_versions(
    s3: &NimbusS3,
    req: S3Request<ListObjectVersionsInput>,
) -> S3Result<S3Response<ListObjectVersionsOutput>> {
    let who = s3.principal(&req).await?;
    let input = req.input;
    existing(s3, &who, &input.bucket).await?;
    let url = wants_url(&input.encoding_type)?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let marker = input.key_marker.clone().unwrap_or_default();
    let max = max_keys(input.max_keys)?;
    let walk_spec =
        Walk { bucket: &input.bucket, prefix: &prefix, delimiter: input.delimiter.as_deref(), after: &marker, max };
    let listed = walk(s3, &who, &walk_spec).await?;
    let enc = url_encoded(url);
    let owner = owner_of(&who);
    // Each object (its current content is version "null"), then its earlier versions,
    // newest first, as S3 lists a key's versions together.
    let ids: Vec<String> = listed
        .objects
        .iter()
        .filter_map(|(_, o)| match o {
            Object::File(f) => Some(f.id.clone()),
            Object::EmptyFolder(_) => None,
        })
        .collect();
    let mut earlier = s3.services.files.versions_of_files(&who, &ids).await.map_err(on(Subject::Object))?;
    let mut versions = Vec::new();
    for (k, o) in &listed.objects {
        let obj = to_object(enc(k.clone()), o, Some(&owner));
        let key = obj.key.clone();
        versions.push(ObjectVersion {
            key: obj.key,
            size: obj.size,
            e_tag: obj.e_tag,
            last_modified: obj.last_modified,
            owner: obj.owner,
            is_latest: Some(true),
            version_id: Some("null".into()),
            storage_class: Some(ObjectVersionStorageClass::from_static(ObjectVersionStorageClass::STANDARD)),
            ..Default::default()
        });
        let Object::File(file) = o else { continue };
        for v in earlier.remove(&file.id).unwrap_or_default() {
            versions.push(ObjectVersion {
                key: key.clone(),
                size: Some(v.size),
                e_tag: Some(ETag::Strong(v.s3_etag().trim_matches('"').to_string())),
                last_modified: Some(s3_time(v.created_at)),
                owner: Some(owner.clone()),
                is_latest: Some(false),
                version_id: Some(v.id),
                storage_class: Some(ObjectVersionStorageClass::from_static(ObjectVersionStorageClass::STANDARD)),
                ..Default::default()
            });
        }
    }
    let output = ListObjectVersionsOutput {
        name: Some(input.bucket.clone()),
        prefix: Some(enc(prefix)),
        key_marker: Some(enc(marker)),
        delimiter: input.delimiter.filter(|d| !d.is_empty()).map(&enc),
        max_keys: Some(max as i32),
        is_truncated: Some(listed.truncated),
        next_key_marker: listed.last.filter(|_| listed.truncated).map(&enc),
        next_version_id_marker: listed.truncated.then(|| "null".to_string()),
        versions: Some(versions),
        common_prefixes: Some(listed.prefixes.into_iter().map(|p| CommonPrefix { prefix: Some(enc(p)) }).collect()),
        encoding_type: input.encoding_type,
        ..Default::default()
    };
    Ok(S3Response::new(output))
}
