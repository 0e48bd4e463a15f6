//! The file service's errors in S3's terms. What "not found" means depends on what the
//! request was about (a bucket, an object, an upload), so each call says.

use crate::error::Error;
use axum::http::StatusCode;
use s3s::{S3Error, S3ErrorCode};

/// What a request was about, for the "not found" it gets.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    Bucket,
    Object,
    Upload,
}

/// A custom code with its status: S3 has none for these.
fn custom(code: &'static str, status: StatusCode, message: String) -> S3Error {
    let mut e = S3Error::with_message(S3ErrorCode::Custom(code.into()), message);
    e.set_status_code(status);
    e
}

pub fn s3_error(e: Error, subject: Subject) -> S3Error {
    let message = e.to_string();
    match e {
        Error::NotFound => match subject {
            Subject::Bucket => S3Error::new(S3ErrorCode::NoSuchBucket),
            Subject::Object => S3Error::new(S3ErrorCode::NoSuchKey),
            Subject::Upload => S3Error::new(S3ErrorCode::NoSuchUpload),
        },
        Error::Forbidden
        | Error::OutOfScope
        | Error::RegistrationRefused(_)
        | Error::SecondFactorRequired
        | Error::Unauthorized => S3Error::new(S3ErrorCode::AccessDenied),
        Error::PathExists => custom(
            "PathConflict",
            StatusCode::CONFLICT,
            "an object and a prefix cannot share a name here (a file and a folder cannot have one path)".into(),
        ),
        Error::PreconditionFailed => S3Error::new(S3ErrorCode::PreconditionFailed),
        Error::ChecksumMismatch => S3Error::with_message(S3ErrorCode::BadDigest, message),
        Error::PayloadTooLarge { .. } => S3Error::with_message(S3ErrorCode::EntityTooLarge, message),
        Error::RangeNotSatisfiable { .. } => S3Error::new(S3ErrorCode::InvalidRange),
        // Documented in docs/API.md: 403, as storage services answer a full account.
        Error::QuotaExceeded => {
            custom("QuotaExceeded", StatusCode::FORBIDDEN, "the upload would exceed your quota".into())
        }
        Error::InsufficientStorage => custom("InsufficientStorage", StatusCode::INSUFFICIENT_STORAGE, message),
        Error::RateLimited { .. } => S3Error::new(S3ErrorCode::SlowDown),
        Error::ContentDamaged => custom("ContentDamaged", StatusCode::CONFLICT, message),
        Error::Validation(fields) => {
            let detail: Vec<String> = fields.iter().map(|(k, v)| format!("{k} {v}")).collect();
            S3Error::with_message(S3ErrorCode::InvalidArgument, detail.join("; "))
        }
        Error::BadRequest(m) | Error::Conflict(m) | Error::ImageTooLarge(m) => {
            S3Error::with_message(S3ErrorCode::InvalidArgument, m)
        }
        Error::Internal(e) => {
            tracing::error!(error = ?e, "S3 request failed");
            S3Error::new(S3ErrorCode::InternalError)
        }
        other => S3Error::with_message(S3ErrorCode::InvalidRequest, other.to_string()),
    }
}

/// `map_err` helper: `.map_err(on(Subject::Object))`.
pub fn on(subject: Subject) -> impl Fn(Error) -> S3Error {
    move |e| s3_error(e, subject)
}
