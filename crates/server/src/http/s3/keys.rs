//! Bucket names and object keys as paths: a bucket is a top-level folder, a key the
//! path below it. What a path cannot hold (empty, `.` or `..` segments) is refused.

use crate::domain::FilePath;
use s3s::{S3Error, S3ErrorCode, S3Result};

/// Whether a top-level folder's name is a valid S3 bucket name (others are not listed).
pub fn is_bucket_name(name: &str) -> bool {
    let len_ok = (3..=63).contains(&name.len());
    let chars_ok = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let ends_ok = name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
    len_ok && chars_ok && ends_ok && !name.contains("..")
}

pub fn bucket_path(bucket: &str) -> S3Result<FilePath> {
    if !is_bucket_name(bucket) {
        return Err(S3Error::new(S3ErrorCode::InvalidBucketName));
    }
    FilePath::parse(bucket).map_err(|_| S3Error::new(S3ErrorCode::InvalidBucketName))
}

/// What a key names: a file, or (ending in `/`) a folder.
pub enum Target {
    File(FilePath),
    Folder(FilePath),
}

pub fn target(bucket: &str, key: &str) -> S3Result<Target> {
    bucket_path(bucket)?;
    let invalid = |why: &str| S3Error::with_message(S3ErrorCode::InvalidArgument, format!("object key {why}"));
    if key.is_empty() {
        return Err(invalid("must not be empty"));
    }
    let (inner, folder) = match key.strip_suffix('/') {
        Some(k) => (k, true),
        None => (key, false),
    };
    let path = FilePath::parse(&format!("{bucket}/{inner}")).map_err(|e| match e {
        crate::error::Error::Validation(m) => {
            invalid(m.values().next().map(String::as_str).unwrap_or("is not a valid path"))
        }
        _ => invalid("is not a valid path"),
    })?;
    Ok(if folder { Target::Folder(path) } else { Target::File(path) })
}

/// The path of a key that must name a file.
pub fn file_path(bucket: &str, key: &str) -> S3Result<FilePath> {
    match target(bucket, key)? {
        Target::File(p) => Ok(p),
        Target::Folder(_) => Err(S3Error::new(S3ErrorCode::NoSuchKey)),
    }
}

/// The key of a path in `bucket`.
pub fn key_of<'a>(bucket: &str, path: &'a str) -> &'a str {
    path.get(bucket.len() + 1..).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        assert!(is_bucket_name("photos-2024"));
        assert!(is_bucket_name("a.b.c"));
        for bad in ["ab", "Photos", "-x-", "a..b", "x_y", &"a".repeat(64)] {
            assert!(!is_bucket_name(bad), "{bad}");
        }
    }

    #[test]
    fn keys_map_to_paths_and_folders() {
        assert!(matches!(target("bkt", "x/y.txt").unwrap(), Target::File(p) if p.as_str() == "bkt/x/y.txt"));
        assert!(matches!(target("bkt", "x/").unwrap(), Target::Folder(p) if p.as_str() == "bkt/x"));
        assert!(target("b", "x").is_err(), "a bucket name of one letter");
        for bad in ["", "a//b", "./a", "a/../b", "/a"] {
            assert!(target("bkt", bad).is_err(), "{bad}");
        }
        assert_eq!(key_of("b", "b/x/y"), "x/y");
    }
}
