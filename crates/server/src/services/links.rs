//! Public links (token, optional expiry, password and download limit) and stateless
//! signed download URLs.

use super::failure_limiter::FailureLimiter;
use super::signing::Signer;
use super::{Files, Principal, passwords};
use crate::domain::{Timestamp, new_id, sha256_hex};
use crate::error::{Error, Result};
use crate::meta::{FileRecord, LinkRecord, MetaStore, NewLink};
use nimbus_api::CreateLinkRequest;
use std::sync::Arc;
use std::time::Duration;

pub const SIGNED_URL_DEFAULT_SECS: i64 = 300;
pub const SIGNED_URL_MAX_SECS: i64 = 7 * 24 * 3600;
const LINK_MAX_SECS: i64 = 10 * 365 * 24 * 3600;

#[derive(Clone)]
pub struct Links {
    meta: Arc<dyn MetaStore>,
    files: Files,
    signer: Signer,
    /// Wrong link passwords, per link and client address.
    password_failures: FailureLimiter,
}

impl Links {
    pub fn new(meta: Arc<dyn MetaStore>, files: Files, signer: Signer) -> Self {
        let password_failures = FailureLimiter::new(10, Duration::from_secs(15 * 60));
        Links { meta, files, signer, password_failures }
    }

    pub fn token_of(&self, link: &LinkRecord) -> String {
        self.signer.link_token(&link.id)
    }

    pub async fn create(&self, who: &Principal, file_id: &str, req: CreateLinkRequest) -> Result<LinkRecord> {
        let file = self.files.owned(who, file_id).await?;
        let now = Timestamp::now();
        let expires_at = match req.expires_in {
            None => None,
            Some(s) if s <= 0 || s > LINK_MAX_SECS => {
                return Err(Error::invalid("expires_in", "must be between 1 second and 10 years"));
            }
            Some(s) => Some(now.plus_secs(s)),
        };
        if req.max_downloads.is_some_and(|n| n <= 0) {
            return Err(Error::invalid("max_downloads", "must be positive"));
        }
        let password_hash = match req.password.as_deref() {
            None => None,
            Some(p) if p.is_empty() || p.len() > 1024 => {
                return Err(Error::invalid("password", "must be 1 to 1024 bytes"));
            }
            Some(p) => Some(passwords::hash(p).await?),
        };
        let id = new_id();
        let token = self.signer.link_token(&id);
        self.meta
            .create_link(NewLink {
                token_hash: sha256_hex(token.as_bytes()),
                id,
                file_id: file.id,
                owner_id: who.user.id.clone(),
                password_hash,
                expires_at,
                max_downloads: req.max_downloads,
                created_at: now,
            })
            .await
    }

    pub async fn list(&self, who: &Principal, file_id: &str) -> Result<Vec<LinkRecord>> {
        let file = self.files.owned(who, file_id).await?;
        self.meta.links_of_file(&file.id).await
    }

    /// Revokes a link at once. Only its owner may; anyone else sees 404.
    pub async fn revoke(&self, who: &Principal, link_id: &str) -> Result<()> {
        match self.meta.link_by_id(link_id).await? {
            Some(link) if link.owner_id == who.user.id => {
                self.meta.delete_link(&link.id).await?;
                Ok(())
            }
            _ => Err(Error::NotFound),
        }
    }

    /// A live link and its file: unknown, revoked, expired and exhausted look alike.
    pub async fn resolve(&self, token: &str) -> Result<(LinkRecord, FileRecord)> {
        let link = self.meta.link_by_token_hash(&sha256_hex(token.as_bytes())).await?.ok_or(Error::LinkNotFound)?;
        let now = Timestamp::now();
        let expired = link.expires_at.is_some_and(|t| t <= now);
        let exhausted = link.max_downloads.is_some_and(|m| link.download_count >= m);
        if expired || exhausted {
            return Err(Error::LinkNotFound);
        }
        let file = self.meta.file_by_id(&link.file_id).await?.ok_or(Error::LinkNotFound)?;
        Ok((link, file))
    }

    /// Checks the password (rate-limited per link and client) and counts the download
    /// against the limit. The returned file may then be streamed.
    pub async fn authorize_download(
        &self,
        token: &str,
        password: Option<&str>,
        client: &str,
        count: bool,
    ) -> Result<FileRecord> {
        let (link, file) = self.resolve(token).await?;
        if let Some(hash) = &link.password_hash {
            let key = format!("{}|{client}", link.id);
            self.password_failures.check(&key)?;
            let ok = match password {
                Some(p) => passwords::verify(p, Some(hash)).await?,
                None => false,
            };
            if !ok {
                self.password_failures.record_failure(&key);
                return Err(Error::InvalidCredentials);
            }
        }
        if count && !self.meta.consume_link_download(&link.id, Timestamp::now()).await? {
            return Err(Error::LinkNotFound);
        }
        Ok(file)
    }

    /// A signed URL token for a file the caller may read.
    pub async fn sign_download(
        &self,
        who: &Principal,
        file_id: &str,
        expires_in: Option<i64>,
    ) -> Result<(String, Timestamp)> {
        let secs = expires_in.unwrap_or(SIGNED_URL_DEFAULT_SECS);
        if secs <= 0 || secs > SIGNED_URL_MAX_SECS {
            return Err(Error::invalid("expires_in", "must be between 1 second and 7 days"));
        }
        let (file, _) = self.files.visible(who, file_id).await?;
        let expires_at = Timestamp::now().plus_secs(secs);
        Ok((self.signer.sign_download(&file.id, &who.user.id, &file.sha256, expires_at), expires_at))
    }

    /// The file of a signed URL, while it is unexpired, untampered, the content is
    /// unchanged and its creator may still read the file.
    pub async fn resolve_signed(&self, token: &str) -> Result<FileRecord> {
        let d = Signer::parse_download(token).ok_or(Error::LinkNotFound)?;
        if d.expires_at <= Timestamp::now() {
            return Err(Error::LinkNotFound);
        }
        let file = self.meta.file_by_id(&d.file_id).await?.ok_or(Error::LinkNotFound)?;
        if !self.signer.verify_download(&d, &file.sha256) {
            return Err(Error::LinkNotFound);
        }
        // The URL lives only as long as its creator may read the file.
        if self.files.permission_of(&file, &d.creator_id).await?.is_none() {
            return Err(Error::LinkNotFound);
        }
        Ok(file)
    }
}
