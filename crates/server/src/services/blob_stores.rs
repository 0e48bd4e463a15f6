//! Which blob store holds what: the server's default store, and each user's own
//! bucket (`user:<storage id>`), opened on first use from its encrypted settings.

use super::secrets::SecretBox;
use crate::blob::{BlobStore, S3BlobStore, S3Location};
use crate::error::{Error, Result};
use crate::meta::{MetaStore, StorageRecord, UserRecord};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct BlobStores {
    default: Arc<dyn BlobStore>,
    meta: Arc<dyn MetaStore>,
    secrets: SecretBox,
    open: Arc<Mutex<HashMap<String, Arc<dyn BlobStore>>>>,
}

impl BlobStores {
    pub fn new(default: Arc<dyn BlobStore>, meta: Arc<dyn MetaStore>, secrets: SecretBox) -> Self {
        BlobStores { default, meta, secrets, open: Arc::default() }
    }

    pub fn default_store(&self) -> Arc<dyn BlobStore> {
        self.default.clone()
    }

    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    /// The S3 location of a user's bucket, with its secret decrypted.
    pub fn location(&self, s: &StorageRecord) -> Result<S3Location> {
        Ok(S3Location {
            endpoint: s.endpoint.clone(),
            region: s.region.clone(),
            bucket: s.bucket.clone(),
            prefix: s.prefix.clone(),
            access_key_id: s.access_key_id.clone(),
            secret_access_key: self.secrets.open(&s.secret_ciphertext)?,
        })
    }

    /// The store recorded as `name` with some content.
    pub async fn by_name(&self, name: &str) -> Result<Arc<dyn BlobStore>> {
        if name == self.default.name() {
            return Ok(self.default.clone());
        }
        if let Some(store) = self.open.lock().expect("stores lock").get(name) {
            return Ok(store.clone());
        }
        let id =
            name.strip_prefix("user:").ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown blob store {name}")))?;
        let record = self
            .meta
            .user_storage_by_id(id)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("blob store {name} is no longer configured")))?;
        let store: Arc<dyn BlobStore> = Arc::new(S3BlobStore::new(name, &self.location(&record)?)?);
        self.open.lock().expect("stores lock").insert(name.to_string(), store.clone());
        Ok(store)
    }

    /// Where a new upload of `user` goes: their own bucket if they set one (their
    /// record, read with this request's session, says whether to look).
    pub async fn for_upload(&self, user: &UserRecord) -> Result<Arc<dyn BlobStore>> {
        if !user.has_own_storage {
            return Ok(self.default.clone());
        }
        match self.meta.user_storage(&user.id).await? {
            Some(s) => self.by_name(&s.store_name()).await,
            None => Ok(self.default.clone()),
        }
    }

    /// Forgets an opened store (its settings were removed).
    pub fn forget(&self, name: &str) {
        self.open.lock().expect("stores lock").remove(name);
    }
}
