//! The domain error: what a service can answer besides success. `http::error` maps
//! each variant to the contract's status and code; nothing here knows about HTTP.

use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Absent, or not visible to the caller: both look the same from outside.
    #[error("not found")]
    NotFound,
    #[error("no such user")]
    UserNotFound,
    /// A public link or signed URL that is unknown, revoked, expired, exhausted or
    /// tampered with: all look the same.
    #[error("this link does not exist or no longer works")]
    LinkNotFound,
    #[error("you cannot share a file with yourself")]
    CannotShareWithSelf,
    /// A password-reset code that is wrong, expired, used or burned: all look alike.
    #[error("the code is wrong or no longer valid")]
    InvalidCode,
    #[error("files still live in this storage")]
    StorageInUse,
    /// The user's bucket refused the credentials; the store's reason is kept.
    #[error("the storage refused these settings: {0}")]
    InvalidStorageCredentials(String),
    /// A cookie-authenticated change that did not come from our own pages.
    #[error("cross-site request refused: send it from this server's pages, or with a bearer token")]
    CrossSiteRequest,
    /// The password was right, but the account has two-factor sign-in on: send `code`.
    #[error("this account needs a code from its authenticator app (send it as code)")]
    SecondFactorRequired,
    /// Registration is closed, or needs an invite that was missing, used or expired.
    #[error("{0}")]
    RegistrationRefused(&'static str),
    /// A device session, app password or access key asked to manage the account.
    #[error("this credential may use files but not manage the account; sign in with your password for that")]
    OutOfScope,
    /// The caller can see the resource but may not do this.
    #[error("forbidden")]
    Forbidden,
    /// No, invalid or revoked credentials on a request.
    #[error("authentication required")]
    Unauthorized,
    #[error("the session has expired")]
    TokenExpired,
    /// Wrong username or password at login (401).
    #[error("wrong username or password")]
    InvalidCredentials,
    /// Wrong current password on a signed-in request (403; the session stays valid).
    #[error("wrong password")]
    WrongPassword,
    #[error("username is taken")]
    UsernameTaken,
    #[error("email is taken")]
    EmailTaken,
    #[error("a file already exists at this path")]
    PathExists,
    #[error("precondition failed")]
    PreconditionFailed,
    /// An append to a resumable upload at another offset than where it stands.
    #[error("the upload is at offset {current}, not at the offset given")]
    OffsetMismatch { current: u64 },
    /// A state conflict not covered by a more specific variant.
    #[error("{0}")]
    Conflict(String),
    /// A chunk whose checksum does not match the one the client sent; nothing is kept.
    #[error("the chunk does not match its checksum")]
    ChecksumMismatch,
    #[error("body exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: u64 },
    #[error("range not satisfiable")]
    RangeNotSatisfiable { size: u64 },
    /// Well-formed but unacceptable input, field by field.
    #[error("validation failed")]
    Validation(BTreeMap<String, String>),
    /// Malformed input: bad JSON, bad multipart, bad query value.
    #[error("{0}")]
    BadRequest(String),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// An image too large to decode safely (a decompression bomb, or just huge): it is
    /// refused from its header, never decoded.
    #[error("the image is too large to preview ({0})")]
    ImageTooLarge(String),
    #[error("the upload would exceed the quota")]
    QuotaExceeded,
    /// The stored bytes no longer match their SHA-256 (found by a read or the scrub):
    /// they are not served. Uploading the same bytes again heals the file.
    #[error("this file's stored bytes are damaged and cannot be served; upload it again to restore it")]
    ContentDamaged,
    /// The server's own storage is full (ENOSPC, EDQUOT, SQLite's "disk is full"): an
    /// answer to give (507), not a crash; it passes when space is freed.
    #[error("the server is out of storage space")]
    InsufficientStorage,
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    /// A bug or an outage; the cause is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// A validation error on one field.
    pub fn invalid(field: &str, problem: impl Into<String>) -> Self {
        let mut m = BTreeMap::new();
        m.insert(field.to_string(), problem.into());
        Error::Validation(m)
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            // SQLite: SQLITE_FULL (13); PostgreSQL: disk_full (53100).
            if matches!(db.code().as_deref(), Some("13") | Some("53100")) {
                tracing::error!(error = %db, "the metadata store is out of space");
                crate::meta::note_out_of_space();
                return Error::InsufficientStorage;
            }
        }
        if let sqlx::Error::Io(io) = &e
            && is_out_of_space(io)
        {
            return Error::InsufficientStorage;
        }
        Error::Internal(anyhow::Error::new(e).context("metadata store"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        if is_out_of_space(&e) {
            tracing::error!(error = %e, "the blob store is out of space");
            return Error::InsufficientStorage;
        }
        Error::Internal(anyhow::Error::new(e).context("blob store"))
    }
}

/// ENOSPC or EDQUOT, however the error reached us.
pub fn is_out_of_space(e: &std::io::Error) -> bool {
    const ENOSPC: i32 = 28;
    const EDQUOT: i32 = 122;
    matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded)
        || matches!(e.raw_os_error(), Some(ENOSPC) | Some(EDQUOT))
        || e.get_ref().and_then(|inner| inner.downcast_ref::<std::io::Error>()).is_some_and(is_out_of_space)
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
