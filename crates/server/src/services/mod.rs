//! Use cases: the only code that combines metadata and blobs. Services take the
//! `MetaStore` and `BlobStore` traits, never a concrete backend.

mod access_keys;
mod accounts;
mod admin;
mod app_passwords;
mod archive;
mod avatars;
mod blob_stores;
mod car;
mod devices;
pub mod disk_space;
pub mod failure_limiter;
mod files;
mod inline_contents;
mod links;
mod login_throttle;
mod md5_filler;
mod messages;
mod multipart;
pub mod paging;
pub mod passwords;
mod reserve;
mod reset;
mod retention;
mod scrub;
pub mod secrets;
mod sharing;
pub mod signing;
mod sweeper;
mod thumbnails;
mod two_factor;
mod upload;
mod upload_lease;
mod uploads;
mod usage;
mod user_buckets;
mod verify;

pub use access_keys::AccessKeys;
pub use accounts::{Accounts, NewLogin, Principal, Scope, SignInFrom};
pub use admin::{Admin, UserPage};
pub use archive::{ArchivePlan, MAX_ARCHIVE_PATHS};
pub use avatars::{Avatars, MAX_AVATAR_BYTES};
pub use blob_stores::BlobStores;
pub use car::CarIndexer;
pub use devices::Devices;
pub use files::{Content, FileRef, Files, ListRequest, Object, ReadOutcome, ReadRequest};
pub use inline_contents::{INLINE_LIMIT, InlineContents, is_inline_key};
pub use links::Links;
pub use md5_filler::Md5Filler;
pub use messages::{MessagePage, Messages};
pub use multipart::{MAX_PART_NUMBER, NewMultipart, PartStored};
pub use paging::Page;
pub use reset::PasswordReset;
pub use scrub::{ScrubReport, Scrubber};
pub use sharing::{ShareTarget, SharedPage, Sharing};
pub use signing::Signer;
pub use sweeper::Sweeper;
pub use thumbnails::{THUMBNAIL_SIZE, Thumbnails};
pub use two_factor::{RECOVERY_CODES, TotpSetup};
pub use upload::{IncomingPart, PartSource, PutManyRequest, PutRequest, Written, guess_type};
pub use uploads::{ChunkChecksum, LiveUploads, NewUpload, UploadStatus};
pub use usage::{Usage, UsageMeter, UsageReport};
pub use user_buckets::UserBuckets;

use crate::blob::BlobStore;
use crate::meta::MetaStore;
use std::sync::Arc;

/// Limits and defaults the services enforce, taken from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_upload_bytes: u64,
    pub max_multipart_files: u32,
    pub default_quota_bytes: u64,
    pub max_quota_bytes: u64,
    pub session_ttl_secs: u64,
    pub password_reset_ttl_secs: u64,
    pub allow_private_storage_endpoints: bool,
    /// How long an idle resumable upload lives, in seconds.
    pub upload_ttl_secs: u64,
    /// The low-space watermark of local disks (see `Config::min_free_bytes`).
    pub min_free_bytes: u64,
    pub min_free_percent: u8,
    /// Where the space reserve for deletes lives (the data dir), and its size.
    pub reserve_dir: Option<std::path::PathBuf>,
    pub reserve_bytes: u64,
    pub registration: crate::config::Registration,
    /// How long replaced versions and trashed items are kept, in seconds (the trash's
    /// 0: deletes are final; the metadata store is told the rest, see `Retention`).
    pub version_ttl_secs: u64,
    pub trash_ttl_secs: u64,
    /// Versions kept per file (as the metadata store was told; a restore needs it).
    pub versions_per_file: u32,
}

impl Settings {
    pub fn from_config(c: &crate::config::Config) -> Self {
        Settings {
            max_upload_bytes: c.max_upload_bytes,
            max_multipart_files: c.max_multipart_files,
            default_quota_bytes: c.default_quota_bytes,
            max_quota_bytes: c.max_quota_bytes,
            session_ttl_secs: c.session_ttl_secs,
            password_reset_ttl_secs: c.password_reset_ttl_secs,
            allow_private_storage_endpoints: c.allow_private_storage_endpoints,
            upload_ttl_secs: c.upload_ttl_secs,
            min_free_bytes: c.min_free_bytes,
            min_free_percent: c.min_free_percent,
            reserve_dir: Some(c.data_dir.clone()),
            reserve_bytes: c.space_reserve_bytes,
            registration: c.registration,
            version_ttl_secs: c.version_ttl_secs,
            trash_ttl_secs: c.trash_ttl_secs,
            versions_per_file: c.versions_per_file,
        }
    }
}

/// Every service, sharing one metadata store and one blob store.
#[derive(Clone)]
pub struct Services {
    pub accounts: Accounts,
    pub access_keys: AccessKeys,
    pub files: Files,
    pub sharing: Sharing,
    pub links: Links,
    pub messages: Messages,
    pub usage: Usage,
    pub meter: UsageMeter,
    pub devices: Devices,
    pub admin: Admin,
    pub reset: PasswordReset,
    pub user_buckets: UserBuckets,
    pub avatars: Avatars,
    pub car_indexer: CarIndexer,
    pub md5_filler: Md5Filler,
    pub scrubber: Scrubber,
    pub thumbnails: Thumbnails,
    pub meta: Arc<dyn MetaStore>,
    pub blobs: Arc<dyn BlobStore>,
}

impl Services {
    pub fn new(
        meta: Arc<dyn MetaStore>,
        stores: BlobStores,
        settings: Settings,
        signer: Signer,
        mailer: crate::mail::Mailer,
    ) -> Self {
        let car_wakeup = Arc::new(tokio::sync::Notify::new());
        let meter = UsageMeter::new(meta.clone());
        let blobs = stores.default_store();
        let files = Files::new(meta.clone(), stores.clone(), settings.clone(), car_wakeup.clone(), meter.clone());
        let sharing = Sharing::new(meta.clone(), files.clone());
        let accounts = Accounts::new(meta.clone(), settings.clone()).with_secrets(stores.secrets().clone());
        let thumbnails = Thumbnails::new(meta.clone(), files.clone());
        Services {
            usage: Usage::new(meta.clone(), meter.clone(), settings.max_quota_bytes),
            devices: Devices::new(meta.clone(), accounts.clone()),
            admin: Admin::new(meta.clone()),
            reset: PasswordReset::new(meta.clone(), mailer, settings.password_reset_ttl_secs),
            avatars: Avatars::new(meta.clone()),
            meter,
            accounts,
            links: Links::new(meta.clone(), files.clone(), signer),
            messages: Messages::new(meta.clone(), files.clone(), sharing.clone()),
            sharing,
            files,
            car_indexer: CarIndexer::new(meta.clone(), stores.clone(), car_wakeup),
            md5_filler: Md5Filler::new(meta.clone(), stores.clone()),
            scrubber: Scrubber::new(meta.clone(), stores.clone()),
            thumbnails,
            access_keys: AccessKeys::new(meta.clone(), stores.secrets().clone()),
            user_buckets: UserBuckets::new(meta.clone(), stores.clone(), settings.allow_private_storage_endpoints),
            meta,
            blobs,
        }
    }
}
