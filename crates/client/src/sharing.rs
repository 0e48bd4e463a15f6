//! Shares, public links, signed URLs and messages.

use crate::{Client, Result, check, empty, json, page_query};
use nimbus_api::*;
use reqwest::{Method, StatusCode};

impl Client {
    // ---- sharing ----

    /// Shares a file by username; returns the share and whether it was new (201).
    pub async fn share(&self, file_id: &str, username: &str) -> Result<(Share, bool)> {
        let req = CreateShareRequest { username: Some(username.into()), user_id: None };
        self.share_with(file_id, &req).await
    }

    pub async fn share_with(&self, file_id: &str, req: &CreateShareRequest) -> Result<(Share, bool)> {
        let url = format!("/api/v1/files/{file_id}/shares");
        let resp = check(self.request(Method::POST, &url).json(req).send().await?).await?;
        let created = resp.status() == StatusCode::CREATED;
        let env: ShareEnvelope = resp.json().await?;
        Ok((env.share, created))
    }

    pub async fn shares(&self, file_id: &str) -> Result<Vec<Share>> {
        let page: Page<Share> = json(self.request(Method::GET, &format!("/api/v1/files/{file_id}/shares"))).await?;
        Ok(page.items)
    }

    pub async fn unshare(&self, file_id: &str, user_id: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &format!("/api/v1/files/{file_id}/shares/{user_id}"))).await
    }

    pub async fn shared(&self, limit: Option<u32>, cursor: Option<&str>) -> Result<Page<File>> {
        json(self.request(Method::GET, "/api/v1/shared").query(&page_query(limit, cursor))).await
    }

    // ---- links and signed URLs ----

    pub async fn create_link(&self, file_id: &str, req: &CreateLinkRequest) -> Result<Link> {
        let env: LinkEnvelope =
            json(self.request(Method::POST, &format!("/api/v1/files/{file_id}/links")).json(req)).await?;
        Ok(env.link)
    }

    pub async fn links(&self, file_id: &str) -> Result<Vec<Link>> {
        let page: Page<Link> = json(self.request(Method::GET, &format!("/api/v1/files/{file_id}/links"))).await?;
        Ok(page.items)
    }

    pub async fn delete_link(&self, link_id: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &format!("/api/v1/links/{link_id}"))).await
    }

    pub async fn download_url(&self, file_id: &str, expires_in: Option<i64>) -> Result<DownloadUrl> {
        let req = DownloadUrlRequest { expires_in };
        json(self.request(Method::POST, &format!("/api/v1/files/{file_id}/download-url")).json(&req)).await
    }

    // ---- messages ----

    pub async fn send_message(&self, req: &SendMessageRequest) -> Result<Message> {
        let env: MessageEnvelope = json(self.request(Method::POST, "/api/v1/messages").json(req)).await?;
        Ok(env.message)
    }

    /// `mailbox` is `"inbox"` or `"sent"`.
    pub async fn messages(&self, mailbox: &str, limit: Option<u32>, cursor: Option<&str>) -> Result<Page<Message>> {
        let mut q = page_query(limit, cursor);
        q.push(("box", mailbox.to_string()));
        json(self.request(Method::GET, "/api/v1/messages").query(&q)).await
    }

    pub async fn mark_read(&self, message_id: &str) -> Result<()> {
        empty(self.request(Method::POST, &format!("/api/v1/messages/{message_id}/read"))).await
    }

    pub async fn delete_message(&self, message_id: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &format!("/api/v1/messages/{message_id}"))).await
    }
}
