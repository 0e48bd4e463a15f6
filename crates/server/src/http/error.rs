//! Maps the domain `Error` to the contract's status codes and error bodies.

use crate::error::Error;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nimbus_api::{ErrorBody, ErrorDetail};

/// A domain error on its way out as an HTTP response.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl<E: Into<Error>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        use StatusCode as S;
        let msg = self.0.to_string();
        match &self.0 {
            Error::NotFound => (S::NOT_FOUND, "not_found", msg),
            Error::UserNotFound => (S::NOT_FOUND, "user_not_found", msg),
            Error::LinkNotFound => (S::NOT_FOUND, "link_not_found", msg),
            Error::CannotShareWithSelf => (S::UNPROCESSABLE_ENTITY, "cannot_share_with_self", msg),
            Error::InvalidCode => (S::UNPROCESSABLE_ENTITY, "invalid_code", msg),
            Error::StorageInUse => (S::CONFLICT, "storage_in_use", msg),
            Error::InvalidStorageCredentials(_) => (S::UNPROCESSABLE_ENTITY, "invalid_storage_credentials", msg),
            Error::Forbidden => (S::FORBIDDEN, "forbidden", "you may not do this".into()),
            Error::CrossSiteRequest => (S::FORBIDDEN, "forbidden", msg),
            Error::OutOfScope => (S::FORBIDDEN, "forbidden", msg),
            Error::SecondFactorRequired => (S::UNAUTHORIZED, "second_factor_required", msg),
            Error::RegistrationRefused(_) => (S::FORBIDDEN, "forbidden", msg),
            Error::Unauthorized => (S::UNAUTHORIZED, "unauthorized", msg),
            Error::TokenExpired => (S::UNAUTHORIZED, "token_expired", msg),
            Error::InvalidCredentials => (S::UNAUTHORIZED, "invalid_credentials", msg),
            Error::WrongPassword => (S::FORBIDDEN, "invalid_credentials", msg),
            Error::UsernameTaken => (S::CONFLICT, "username_taken", msg),
            Error::EmailTaken => (S::CONFLICT, "email_taken", msg),
            Error::PathExists => (S::CONFLICT, "path_exists", msg),
            Error::PreconditionFailed => (S::PRECONDITION_FAILED, "precondition_failed", msg),
            Error::OffsetMismatch { .. } => (S::CONFLICT, "offset_mismatch", msg),
            Error::Conflict(_) => (S::CONFLICT, "conflict", msg),
            // 460 is tus's own status for a failed checksum.
            Error::ChecksumMismatch => (S::from_u16(460).unwrap_or(S::BAD_REQUEST), "checksum_mismatch", msg),
            Error::PayloadTooLarge { .. } => (S::PAYLOAD_TOO_LARGE, "payload_too_large", msg),
            Error::RangeNotSatisfiable { .. } => (S::RANGE_NOT_SATISFIABLE, "range_not_satisfiable", msg),
            Error::Validation(_) => (S::UNPROCESSABLE_ENTITY, "validation_failed", msg),
            Error::BadRequest(_) => (S::BAD_REQUEST, "bad_request", msg),
            Error::UnsupportedMediaType => (S::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", msg),
            Error::ImageTooLarge(_) => (S::UNPROCESSABLE_ENTITY, "image_too_large", msg),
            Error::QuotaExceeded => (S::INSUFFICIENT_STORAGE, "quota_exceeded", msg),
            // The file's state, not the request, stands in the way: 409, and the message
            // says how to get out of it.
            Error::ContentDamaged => (S::CONFLICT, "content_damaged", msg),
            Error::InsufficientStorage => (S::INSUFFICIENT_STORAGE, "insufficient_storage", msg),
            Error::RateLimited { .. } => (S::TOO_MANY_REQUESTS, "rate_limited", msg),
            Error::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal", "internal error".into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Error::Internal(e) = &self.0 {
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
        let (status, code, message) = self.parts();
        let fields = match &self.0 {
            Error::Validation(f) => Some(f.clone()),
            _ => None,
        };
        let body = ErrorBody { error: ErrorDetail { code: code.into(), message, fields } };
        let mut resp = (status, Json(body)).into_response();
        match &self.0 {
            Error::RateLimited { retry_after_secs } => {
                resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            Error::RangeNotSatisfiable { size } => {
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    resp.headers_mut().insert(header::CONTENT_RANGE, v);
                }
            }
            Error::OffsetMismatch { current } => {
                resp.headers_mut().insert("upload-offset", HeaderValue::from(*current));
            }
            Error::Unauthorized | Error::TokenExpired | Error::InvalidCredentials => {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        resp
    }
}
