//! A file's earlier versions and the trash.

use crate::{Client, Result, check, empty, json};
use bytes::Bytes;
use nimbus_api::{File, FileEnvelope, Page, RestoreRequest, TrashItem, TrashItemEnvelope, Version};
use reqwest::Method;

impl Client {
    /// `GET /api/v1/files/{id}/versions` (first page, newest first).
    pub async fn versions(&self, id: &str) -> Result<Page<Version>> {
        json(self.request(Method::GET, &format!("/api/v1/files/{id}/versions"))).await
    }

    /// The bytes of one earlier version.
    pub async fn version_bytes(&self, id: &str, version_id: &str) -> Result<Bytes> {
        let url = format!("/api/v1/files/{id}/versions/{version_id}/content");
        Ok(check(self.request(Method::GET, &url).send().await?).await?.bytes().await?)
    }

    /// Makes an earlier version current; returns the file.
    pub async fn restore_version(&self, id: &str, version_id: &str) -> Result<File> {
        let url = format!("/api/v1/files/{id}/versions/{version_id}/restore");
        let env: FileEnvelope = json(self.request(Method::POST, &url)).await?;
        Ok(env.file)
    }

    pub async fn delete_version(&self, id: &str, version_id: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &format!("/api/v1/files/{id}/versions/{version_id}"))).await
    }

    /// `GET /api/v1/trash` (first page, newest first).
    pub async fn trash(&self) -> Result<Page<TrashItem>> {
        json(self.request(Method::GET, "/api/v1/trash")).await
    }

    /// Puts an item back where it was, or at `path`; returns it with its new path.
    pub async fn restore_trash(&self, id: &str, path: Option<&str>) -> Result<TrashItem> {
        let req = RestoreRequest { path: path.map(str::to_string) };
        let env: TrashItemEnvelope =
            json(self.request(Method::POST, &format!("/api/v1/trash/{id}/restore")).json(&req)).await?;
        Ok(env.item)
    }

    pub async fn purge_trash(&self, id: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &format!("/api/v1/trash/{id}"))).await
    }

    pub async fn empty_trash(&self) -> Result<()> {
        empty(self.request(Method::DELETE, "/api/v1/trash")).await
    }
}
