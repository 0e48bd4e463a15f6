//! Computes the MD5 of contents stored before MD5s were kept (S3 ETags need them):
//! reads each such blob once in the background, oldest first, a batch at a time.

use crate::meta::MetaStore;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct Md5Filler {
    meta: Arc<dyn MetaStore>,
    stores: super::BlobStores,
}

impl Md5Filler {
    pub fn new(meta: Arc<dyn MetaStore>, stores: super::BlobStores) -> Self {
        Md5Filler { meta, stores }
    }

    /// Fills up to `limit` contents; returns how many were filled.
    pub async fn fill_once(&self, limit: u32) -> anyhow::Result<usize> {
        let jobs = self.meta.contents_missing_md5(limit).await?;
        let mut filled = 0;
        for job in jobs {
            let store = self.stores.by_name(&job.store).await?;
            let source = store.read(&job.blob_key, 0..job.size.max(0) as u64).await?;
            // Checked against the SHA-256 it was stored with: a damaged blob gets no MD5.
            let report = super::verify::report_to(self.meta.clone(), &job.content_id);
            let mut bytes = super::verify::verified(source, &job.sha256, &job.content_id, report);
            let mut md5 = <md5::Md5 as md5::Digest>::new();
            while let Some(chunk) = bytes.next().await {
                md5::Digest::update(&mut md5, &chunk?);
            }
            self.meta.set_md5(&job.content_id, &hex::encode(md5::Digest::finalize(md5))).await?;
            filled += 1;
        }
        Ok(filled)
    }

    /// Runs until no content lacks an MD5 (new uploads always have one), retrying after
    /// errors.
    pub async fn run(self) {
        loop {
            match self.fill_once(100).await {
                Ok(n) if n < 100 => {
                    if n > 0 {
                        tracing::info!(filled = n, "computed MD5s of older contents");
                    }
                    return;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "computing MD5s of older contents failed; retrying");
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
            }
        }
    }
}
