//! `MetaStore`: every read and write of metadata, one trait per area, each implemented
//! in its own file (the SQL for files is in `files.rs`, for links in `links.rs`, …).
//!
//! Each method is one atomic unit of work, so services never hold a transaction across
//! calls. There is one implementation, [`SqlMetaStore`], whose portable SQL runs on both
//! SQLite (embedded default) and PostgreSQL (scale-out).

mod access_keys;
mod app_passwords;
mod avatars;
mod contents;
mod dav;
mod devices;
mod files;
mod group_commit;
mod links;
mod messages;
mod migrate;
mod multipart;
mod password_resets;
mod quota;
mod records;
mod secrets;
mod sessions;
mod sharing;
mod sql;
mod trash;
mod two_factor;
mod uploads;
mod usage;
mod user_buckets;
mod users;
mod versions;

pub use access_keys::AccessKeyMeta;
pub use app_passwords::AppPasswordMeta;
pub use avatars::AvatarMeta;
pub use contents::ContentMeta;
pub use dav::{DavMeta, LockConflict};
pub use devices::DeviceMeta;
pub use files::FileMeta;
pub use links::LinkMeta;
pub use messages::MessageMeta;
pub use multipart::MultipartMeta;
pub use password_resets::{MAX_RESET_ATTEMPTS, PasswordResetMeta};
pub use records::*;
pub use secrets::SecretMeta;
pub use sessions::SessionMeta;
pub use sharing::SharingMeta;
pub use sql::{SqlMetaStore, note_out_of_space};
pub use trash::TrashMeta;
pub use two_factor::{TotpState, TwoFactorMeta};
pub use uploads::{UploadAdvance, UploadMeta};
pub use usage::UsageMeta;
pub use user_buckets::UserBucketMeta;
pub use users::UserMeta;
pub use versions::VersionMeta;

use crate::error::Result;
use async_trait::async_trait;

/// The whole metadata store: every area's trait, plus a health check.
#[async_trait]
pub trait MetaStore:
    UserMeta
    + SessionMeta
    + FileMeta
    + ContentMeta
    + SharingMeta
    + LinkMeta
    + MessageMeta
    + UsageMeta
    + DeviceMeta
    + PasswordResetMeta
    + AvatarMeta
    + UserBucketMeta
    + SecretMeta
    + UploadMeta
    + AppPasswordMeta
    + DavMeta
    + AccessKeyMeta
    + MultipartMeta
    + TwoFactorMeta
    + VersionMeta
    + TrashMeta
    + Send
    + Sync
    + 'static
{
    /// Checks that the database answers.
    async fn ping(&self) -> Result<()>;
}
