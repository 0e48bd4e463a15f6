//! Use cases: the only code that combines metadata and blobs. Services take the
//! `MetaStore` and `BlobStore` traits, never a concrete backend.

mod accounts;
mod car;
mod files;
pub mod passwords;
mod sweeper;
mod upload;

pub use accounts::{Accounts, Principal};
pub use car::CarIndexer;
pub use files::{FilePage, Files};
pub use sweeper::Sweeper;
pub use upload::{PendingUpload, StagedBlob};

use crate::blob::BlobStore;
use crate::meta::MetaStore;
use std::sync::Arc;

/// Limits and defaults the services enforce, taken from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_upload_bytes: u64,
    pub default_quota_bytes: u64,
    pub session_ttl_secs: u64,
}

/// Every service, sharing one metadata store and one blob store.
#[derive(Clone)]
pub struct Services {
    pub accounts: Accounts,
    pub files: Files,
    pub car_indexer: CarIndexer,
    pub meta: Arc<dyn MetaStore>,
    pub blobs: Arc<dyn BlobStore>,
}

impl Services {
    pub fn new(meta: Arc<dyn MetaStore>, blobs: Arc<dyn BlobStore>, settings: Settings) -> Self {
        let car_wakeup = Arc::new(tokio::sync::Notify::new());
        Services {
            accounts: Accounts::new(meta.clone(), settings.clone()),
            files: Files::new(meta.clone(), blobs.clone(), settings, car_wakeup.clone()),
            car_indexer: CarIndexer::new(meta.clone(), blobs.clone(), car_wakeup),
            meta,
            blobs,
        }
    }
}
