//! The lease an append (and the finish after it) holds on an upload session whose bytes
//! live in a store that several instances write. Within one process a lock orders the
//! appends; across instances two appends at the same offset would otherwise both send
//! the session's next part, and the later would replace the earlier's bytes under the
//! state the earlier recorded. The lease is a row update, renewed while bytes flow, and
//! runs out by itself if its holder dies.

use crate::domain::{Timestamp, new_id};
use crate::error::{Error, Result};
use crate::meta::MetaStore;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a lease lasts without renewal: what a crashed holder costs the next append.
const LEASE: Duration = Duration::from_secs(30);
/// How often a holder renews while it streams.
const RENEW_EVERY: Duration = Duration::from_secs(10);

pub(super) struct UploadLease {
    meta: Arc<dyn MetaStore>,
    session: String,
    pub(super) token: String,
    renewed: Instant,
    released: bool,
}

fn until() -> Timestamp {
    Timestamp::now().plus_secs(LEASE.as_secs() as i64)
}

impl UploadLease {
    /// Takes the session's lease, or `Conflict` while another request holds it.
    pub(super) async fn take(meta: &Arc<dyn MetaStore>, session: &str) -> Result<Self> {
        let token = new_id();
        if !meta.lease_upload(session, &token, Timestamp::now(), until()).await? {
            return Err(Error::Conflict("another request is writing to this upload; try again shortly".into()));
        }
        Ok(UploadLease {
            meta: meta.clone(),
            session: session.to_string(),
            token,
            renewed: Instant::now(),
            released: false,
        })
    }

    /// Renews the lease if it is due; `Conflict` if it ran out and another took it.
    pub(super) async fn keep(&mut self) -> Result<()> {
        if self.renewed.elapsed() < RENEW_EVERY {
            return Ok(());
        }
        if !self.meta.lease_upload(&self.session, &self.token, Timestamp::now(), until()).await? {
            return Err(Error::Conflict("this upload was taken over by another request".into()));
        }
        self.renewed = Instant::now();
        Ok(())
    }

    pub(super) async fn release(mut self) {
        self.released = true;
        if let Err(e) = self.meta.release_upload_lease(&self.session, &self.token).await {
            tracing::warn!(error = %e, "could not release an upload lease; it runs out by itself");
        }
    }
}

impl Drop for UploadLease {
    fn drop(&mut self) {
        // A request cancelled mid-append: give the lease back rather than make the
        // client's retry wait for it to run out.
        if !self.released
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let (meta, session, token) = (self.meta.clone(), self.session.clone(), self.token.clone());
            rt.spawn(async move {
                let _ = meta.release_upload_lease(&session, &token).await;
            });
        }
    }
}
