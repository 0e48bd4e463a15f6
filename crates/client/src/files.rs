//! Files: uploads, listing, downloads, moves and deletes.

use crate::{Client, Result, check, empty, json};
use crate::{ListOptions, PutOptions, UploadPart, folder_url, fs_url};
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
            if let Some(mtime) = p.mtime {
                form = form.text("mtime", mtime.to_string());
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
        if let Some(mtime) = opts.mtime {
            rb = rb.header("x-nimbus-mtime", mtime.to_string());
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
        check(self.request(Method::GET, &fs_url(path)).send().await?).await
    }

    /// `GET /api/v1/fs/{path}`, whole body in memory.
    pub async fn get_path_bytes(&self, path: &str) -> Result<Bytes> {
        Ok(self.get_path(path).await?.bytes().await?)
    }

    pub async fn delete_path(&self, path: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &fs_url(path))).await
    }

    /// The flat listing: every file below `prefix`, by path.
    pub async fn list_files(
        &self,
        prefix: Option<&str>,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<File>> {
        let opts = ListOptions {
            prefix: prefix.map(str::to_string),
            limit,
            cursor: cursor.map(str::to_string),
            ..Default::default()
        };
        let page = self.list(&opts).await?;
        let items = page.items.into_iter().filter_map(|e| e.file().cloned()).collect();
        Ok(Page { items, next_cursor: page.next_cursor })
    }

    /// `GET /api/v1/files`: a flat listing, one folder's level, or a search by name.
    pub async fn list(&self, opts: &ListOptions) -> Result<Page<Entry>> {
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Some(p) = &opts.prefix {
            q.push(("prefix", p.clone()));
        }
        if opts.one_level {
            q.push(("delimiter", "/".into()));
        }
        if let Some(text) = &opts.q {
            q.push(("q", text.clone()));
        }
        if let Some(l) = opts.limit {
            q.push(("limit", l.to_string()));
        }
        if let Some(c) = &opts.cursor {
            q.push(("cursor", c.clone()));
        }
        json(self.request(Method::GET, "/api/v1/files").query(&q)).await
    }

    /// `POST /api/v1/files/{id}/copy`; returns the copy and whether it is new.
    pub async fn copy_file(&self, id: &str, to: &str, overwrite: bool) -> Result<(File, bool)> {
        let req = CopyFileRequest { path: to.into(), overwrite };
        let resp =
            check(self.request(Method::POST, &format!("/api/v1/files/{id}/copy")).json(&req).send().await?).await?;
        let created = resp.status() == StatusCode::CREATED;
        let env: FileEnvelope = resp.json().await?;
        Ok((env.file, created))
    }

    // ---- folders ----

    pub async fn create_folder(&self, path: &str) -> Result<Folder> {
        let req = CreateFolderRequest { path: path.into() };
        let env: FolderEnvelope = json(self.request(Method::POST, "/api/v1/folders").json(&req)).await?;
        Ok(env.folder)
    }

    pub async fn folder(&self, path: &str) -> Result<Folder> {
        let env: FolderEnvelope = json(self.request(Method::GET, &folder_url(path))).await?;
        Ok(env.folder)
    }

    pub async fn move_folder(&self, path: &str, to: &str) -> Result<Folder> {
        let req = MoveFolderRequest { path: to.into() };
        let env: FolderEnvelope = json(self.request(Method::PATCH, &folder_url(path)).json(&req)).await?;
        Ok(env.folder)
    }

    pub async fn delete_folder(&self, path: &str) -> Result<()> {
        empty(self.request(Method::DELETE, &folder_url(path))).await
    }

    pub async fn file(&self, id: &str) -> Result<File> {
        let env: FileEnvelope = json(self.request(Method::GET, &format!("/api/v1/files/{id}"))).await?;
        Ok(env.file)
    }

    /// `GET /api/v1/files/{id}/content`: the raw response.
    pub async fn download(&self, id: &str) -> Result<Response> {
        let url = format!("/api/v1/files/{id}/content");
        check(self.request(Method::GET, &url).send().await?).await
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
