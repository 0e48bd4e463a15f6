//! Use cases: the only code that combines metadata and blobs. Services take the
//! `MetaStore` and `BlobStore` traits, never a concrete backend.

mod accounts;
mod car;
mod files;
mod links;
mod messages;
pub mod passwords;
pub mod ratelimit;
mod sharing;
pub mod signing;
mod sweeper;
mod upload;

pub use accounts::{Accounts, Principal};
pub use car::CarIndexer;
pub use files::{FilePage, Files};
pub use links::Links;
pub use messages::{MessagePage, Messages};
pub use sharing::{ShareTarget, SharedPage, Sharing};
pub use signing::Signer;
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
    pub sharing: Sharing,
    pub links: Links,
    pub messages: Messages,
    pub car_indexer: CarIndexer,
    pub meta: Arc<dyn MetaStore>,
    pub blobs: Arc<dyn BlobStore>,
}

impl Services {
    pub fn new(meta: Arc<dyn MetaStore>, blobs: Arc<dyn BlobStore>, settings: Settings, signer: Signer) -> Self {
        let car_wakeup = Arc::new(tokio::sync::Notify::new());
        let files = Files::new(meta.clone(), blobs.clone(), settings.clone(), car_wakeup.clone());
        let sharing = Sharing::new(meta.clone(), files.clone());
        Services {
            accounts: Accounts::new(meta.clone(), settings),
            links: Links::new(meta.clone(), files.clone(), signer),
            messages: Messages::new(meta.clone(), files.clone(), sharing.clone()),
            sharing,
            files,
            car_indexer: CarIndexer::new(meta.clone(), blobs.clone(), car_wakeup),
            meta,
            blobs,
        }
    }
}
