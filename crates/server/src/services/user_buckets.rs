//! Users' own buckets: a user keeps their files in their own S3 bucket. Credentials are
//! proven with real requests before they are saved, and the secret is encrypted at rest.

use super::Principal;
use super::blob_stores::BlobStores;
use crate::blob::{S3BlobStore, S3Location};
use crate::domain::Timestamp;
use crate::error::{Error, Result};
use crate::meta::{MetaStore, StorageRecord};
use nimbus_api::StorageSettings;
use std::net::IpAddr;
use std::sync::Arc;

#[derive(Clone)]
pub struct UserBuckets {
    meta: Arc<dyn MetaStore>,
    stores: BlobStores,
    /// Whether endpoints on loopback or private networks are accepted (off by default:
    /// otherwise any user could make the server probe its internal network).
    allow_private_endpoints: bool,
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

fn required(value: &str, field: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.len() > 1024 || v.chars().any(char::is_control) {
        return Err(Error::invalid(field, "is required (at most 1024 characters)"));
    }
    Ok(v.to_string())
}

impl UserBuckets {
    pub fn new(meta: Arc<dyn MetaStore>, stores: BlobStores, allow_private_endpoints: bool) -> Self {
        UserBuckets { meta, stores, allow_private_endpoints }
    }

    async fn check_endpoint(&self, endpoint: &str) -> Result<()> {
        let rest = endpoint
            .strip_prefix("https://")
            .or_else(|| endpoint.strip_prefix("http://"))
            .ok_or_else(|| Error::invalid("endpoint", "must be an http:// or https:// URL"))?;
        let authority = rest.split('/').next().unwrap_or("");
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => authority.rsplit_once(':').map(|(h, _)| h).unwrap_or(authority),
        };
        if host.is_empty() {
            return Err(Error::invalid("endpoint", "has no host"));
        }
        if self.allow_private_endpoints {
            return Ok(());
        }
        let refuse =
            || Error::InvalidStorageCredentials("endpoints on private networks are not allowed on this server".into());
        if host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(is_private) {
            return Err(refuse());
        }
        // A name may point at a private address too; check what it resolves to now.
        // (A name that re-resolves later is not covered: that needs a pinned resolver.)
        if host.parse::<IpAddr>().is_err() {
            let addrs = tokio::net::lookup_host((host, 443))
                .await
                .map_err(|e| Error::InvalidStorageCredentials(format!("cannot resolve {host}: {e}")))?;
            if addrs.into_iter().any(|a| is_private(a.ip())) {
                return Err(refuse());
            }
        }
        Ok(())
    }

    /// Validates, proves with real requests, and saves the user's bucket.
    pub async fn set(&self, who: &Principal, req: StorageSettings) -> Result<StorageRecord> {
        if req.kind != "s3" {
            return Err(Error::invalid("type", "must be \"s3\""));
        }
        let loc = S3Location {
            endpoint: required(&req.endpoint, "endpoint")?,
            region: required(&req.region, "region")?,
            bucket: required(&req.bucket, "bucket")?,
            prefix: req.prefix.unwrap_or_default().trim().trim_matches('/').to_string(),
            access_key_id: required(&req.access_key_id, "access_key_id")?,
            secret_access_key: required(&req.secret_access_key, "secret_access_key")?,
        };
        self.check_endpoint(&loc.endpoint).await?;
        if let Some(old) = self.meta.user_storage(&who.user.id).await?
            && self.meta.store_in_use(&old.store_name()).await?
        {
            return Err(Error::StorageInUse);
        }
        let probe = S3BlobStore::new("probe", &loc).map_err(|e| Error::InvalidStorageCredentials(e.to_string()))?;
        probe.probe().await.map_err(Error::InvalidStorageCredentials)?;
        let record = StorageRecord {
            id: crate::domain::new_id(),
            user_id: who.user.id.clone(),
            kind: req.kind,
            endpoint: loc.endpoint,
            region: loc.region,
            bucket: loc.bucket,
            prefix: loc.prefix,
            access_key_id: loc.access_key_id,
            secret_ciphertext: self.stores.secrets().seal(&loc.secret_access_key)?,
            created_at: Timestamp::now(),
        };
        self.meta.set_user_storage(&record).await?;
        Ok(record)
    }

    pub async fn get(&self, who: &Principal) -> Result<StorageRecord> {
        self.meta.user_storage(&who.user.id).await?.ok_or(Error::NotFound)
    }

    /// Removes the settings; refused while files live in the bucket.
    pub async fn remove(&self, who: &Principal) -> Result<()> {
        let record = self.get(who).await?;
        if self.meta.store_in_use(&record.store_name()).await? {
            return Err(Error::StorageInUse);
        }
        self.meta.delete_user_storage(&who.user.id).await?;
        self.stores.forget(&record.store_name());
        Ok(())
    }
}
