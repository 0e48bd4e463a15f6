//! Background housekeeping: reclaims content no file references any more, removes
//! blobs a crash left behind, and purges expired sessions.

use crate::domain::Timestamp;
use crate::meta::MetaStore;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

#[derive(Clone)]
pub struct Sweeper {
    meta: Arc<dyn MetaStore>,
    stores: super::BlobStores,
}

impl Sweeper {
    pub fn new(meta: Arc<dyn MetaStore>, stores: super::BlobStores) -> Self {
        Sweeper { meta, stores }
    }

    /// Start-up recovery: temporaries of interrupted uploads, and blobs that were made
    /// durable but whose metadata commit never happened (older than `cutoff`).
    pub async fn clean_up_after_crash(&self, started: SystemTime) -> anyhow::Result<(usize, usize)> {
        let blobs = self.stores.default_store();
        let temps = blobs.remove_temporaries().await?;
        let cutoff = started - blobs.orphan_grace();
        let mut orphans = 0;
        for (key, modified) in blobs.list_keys().await? {
            if modified < cutoff && !self.meta.blob_key_in_use(&key).await? {
                blobs.delete(&key).await?;
                orphans += 1;
            }
        }
        Ok((temps, orphans))
    }

    /// Reclaims unreferenced content; returns how many blobs were deleted.
    pub async fn sweep_once(&self) -> anyhow::Result<usize> {
        let mut reclaimed = 0;
        loop {
            let ids = self.meta.unreferenced_contents(100).await?;
            if ids.is_empty() {
                return Ok(reclaimed);
            }
            for id in &ids {
                if let Some(blob) = self.meta.reclaim_content(id).await? {
                    match self.stores.by_name(&blob.store).await {
                        Ok(store) => {
                            store.delete(&blob.blob_key).await?;
                            reclaimed += 1;
                        }
                        // A user's bucket whose settings are gone: its bytes stay theirs.
                        Err(e) => tracing::warn!(error = %e, "cannot reach the store of reclaimed content"),
                    }
                }
            }
            if ids.len() < 100 {
                return Ok(reclaimed);
            }
        }
    }

    /// Runs forever, every `interval`; errors are logged and retried next round.
    pub async fn run(self, interval: Duration) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match self.sweep_once().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reclaimed = n, "reclaimed unreferenced content"),
                Err(e) => tracing::warn!(error = %e, "content sweep failed"),
            }
            if let Err(e) = self.meta.purge_expired_sessions(Timestamp::now()).await {
                tracing::warn!(error = %e, "purging expired sessions failed");
            }
        }
    }
}
