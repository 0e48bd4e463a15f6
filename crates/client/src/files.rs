//! Files: uploads, listing, downloads, moves and deletes.

use crate::{Client, Result, check, empty, json};
use crate::{PutOptions, UploadPart, fs_url};
use bytes::Bytes;
use futures_util::Stream;
use nimbus_api::*;
use reqwest::Response;
use reqwest::{Method, StatusCode, header};

impl Client {
    // ---- files ----

    /// `POST /api/v1/files` with one part named `file` per entry.
    pub async fn upload(
        &self,
        dir: Option<&str>,
        on_conflict: OnConflict,
        parts: Vec<UploadPart>,
    ) -> Result<Vec<File>> {
        let mut form = reqwest::multipart::Form::new();
        for p in parts {
            let mut part = reqwest::multipart::Part::stream(p.body).file_name(p.file_name);
            if let Some(ct) = p.content_type {
                part = part.mime_str(&ct)?;
            }
            form = form.part("file", part);
        }
        let conflict = match on_conflict {
            OnConflict::Fail => "fail",
            OnConflict::Rename => "rename",
            OnConflict::Overwrite => "overwrite",
        };
        let mut query = vec![("on_conflict", conflict.to_string())];
        if let Some(d) = dir {
            query.push(("dir", d.to_string()));
        }
        let page: Page<File> = json(self.request(Method::POST, "/api/v1/files").query(&query).multipart(form)).await?;
        Ok(page.items)
    }

    /// `PUT /api/v1/fs/{path}`; returns the file and whether it was newly created.
    pub async fn put(&self, path: &str, body: impl Into<reqwest::Body>, opts: &PutOptions) -> Result<(File, bool)> {
        let mut rb = self.request(Method::PUT, &fs_url(path)).body(body);
        if let Some(ct) = &opts.content_type {
            rb = rb.header(header::CONTENT_TYPE, ct);
        }
        if opts.if_none_match_any {
            rb = rb.header(header::IF_NONE_MATCH, "*");
        }
        if let Some(tag) = &opts.if_match {
            rb = rb.header(header::IF_MATCH, tag);
        }
        let resp = check(rb.send().await?).await?;
        let created = resp.status() == StatusCode::CREATED;
        let env: FileEnvelope = resp.json().await?;
        Ok((env.file, created))
    }

    /// Streams a body of `len` bytes to `PUT /api/v1/fs/{path}`.
    pub async fn put_stream<S>(&self, path: &str, len: u64, stream: S) -> Result<(File, bool)>
    where
        S: Stream<Item = std::result::Result<Bytes, std::io::Error>> + Send + Sync + 'static,
    {
        let rb = self
            .request(Method::PUT, &fs_url(path))
            .header(header::CONTENT_LENGTH, len)
            .body(reqwest::Body::wrap_stream(stream));
        let resp = check(rb.send().await?).await?;
        let created = resp.status() == StatusCode::CREATED;
        let env: FileEnvelope = resp.json().await?;
        Ok((env.file, created))
    }

    /// `GET /api/v1/fs/{path}`: the raw response, for streaming and header checks.
    pub async fn get_path(&self, path: &str) -> Result<Response> {
        Ok(check(self.request(Method::GET, &fs_url(path)).send().await?).await?)
    }

    /// `GET /api/v1/fs/{path}`, whole body in memory.
    pub async fn get_path_bytes(&self, path: &str) -> Result<Bytes> {
        Ok(self.get_path(path).await?.bytes().await?)
    }

    pub async fn delete_path(&self, path: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &fs_url(path))).await
    }

    pub async fn list_files(
        &self,
        prefix: Option<&str>,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<File>> {
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Some(p) = prefix {
            q.push(("prefix", p.into()));
        }
        if let Some(l) = limit {
            q.push(("limit", l.to_string()));
        }
        if let Some(c) = cursor {
            q.push(("cursor", c.into()));
        }
        json(self.request(Method::GET, "/api/v1/files").query(&q)).await
    }

    pub async fn file(&self, id: &str) -> Result<File> {
        let env: FileEnvelope = json(self.request(Method::GET, &format!("/api/v1/files/{id}"))).await?;
        Ok(env.file)
    }

    /// `GET /api/v1/files/{id}/content`: the raw response.
    pub async fn download(&self, id: &str) -> Result<Response> {
        let url = format!("/api/v1/files/{id}/content");
        Ok(check(self.request(Method::GET, &url).send().await?).await?)
    }

    pub async fn move_file(&self, id: &str, new_path: &str) -> Result<File> {
        let req = MoveFileRequest { path: new_path.into() };
        let env: FileEnvelope = json(self.request(Method::PATCH, &format!("/api/v1/files/{id}")).json(&req)).await?;
        Ok(env.file)
    }

    pub async fn delete_file(&self, id: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &format!("/api/v1/files/{id}"))).await
    }
}
