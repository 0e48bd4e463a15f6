//! Resumable uploads: the tus 1.0 requests (create, offset, append, terminate) and the
//! JSON view of an upload.

use crate::{Client, ClientError, Result, check, empty, json};
use base64::Engine;
use nimbus_api::*;
use reqwest::{Method, header};

const TUS: (&str, &str) = ("tus-resumable", "1.0.0");

fn number(resp: &reqwest::Response, name: &str) -> Option<u64> {
    resp.headers().get(name)?.to_str().ok()?.parse().ok()
}

impl Client {
    /// `POST /api/v1/uploads`: starts an upload of `length` bytes (`None`: deferred) with
    /// tus `Upload-Metadata` pairs; returns its URL path (`/api/v1/uploads/{id}`).
    pub async fn create_upload(&self, length: Option<u64>, metadata: &[(&str, &str)]) -> Result<String> {
        let b64 = |v: &str| base64::engine::general_purpose::STANDARD.encode(v);
        let meta: Vec<String> = metadata.iter().map(|(k, v)| format!("{k} {}", b64(v))).collect();
        let mut rb = self
            .request(Method::POST, "/api/v1/uploads")
            .header(TUS.0, TUS.1)
            .header("upload-metadata", meta.join(","));
        rb = match length {
            Some(n) => rb.header("upload-length", n),
            None => rb.header("upload-defer-length", "1"),
        };
        let resp = check(rb.send().await?).await?;
        let location = resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
        location.ok_or_else(|| ClientError::Unexpected { status: resp.status(), text: "no Location header".into() })
    }

    /// `HEAD` of an upload: its offset and (unless deferred) its length.
    pub async fn upload_offset(&self, location: &str) -> Result<(u64, Option<u64>)> {
        let resp = check(self.request(Method::HEAD, location).header(TUS.0, TUS.1).send().await?).await?;
        Ok((number(&resp, "upload-offset").unwrap_or(0), number(&resp, "upload-length")))
    }

    /// `PATCH`: appends `body` at `offset` (with an optional `sha1`/`sha256` checksum of
    /// it, base64) and returns the new offset.
    pub async fn append_upload(
        &self,
        location: &str,
        offset: u64,
        body: impl Into<reqwest::Body>,
        checksum: Option<(&str, &[u8])>,
    ) -> Result<u64> {
        let mut rb = self
            .request(Method::PATCH, location)
            .header(TUS.0, TUS.1)
            .header(header::CONTENT_TYPE, "application/offset+octet-stream")
            .header("upload-offset", offset)
            .body(body);
        if let Some((algo, digest)) = checksum {
            rb = rb.header(
                "upload-checksum",
                format!("{algo} {}", base64::engine::general_purpose::STANDARD.encode(digest)),
            );
        }
        let resp = check(rb.send().await?).await?;
        Ok(number(&resp, "upload-offset").unwrap_or(offset))
    }

    /// `DELETE`: ends the upload and removes its bytes.
    pub async fn abort_upload(&self, location: &str) -> Result<()> {
        empty(self.request(Method::DELETE, location).header(TUS.0, TUS.1)).await
    }

    /// `GET /api/v1/uploads/{id}`: progress and, once finished, the file.
    pub async fn upload_info(&self, location: &str) -> Result<Upload> {
        let env: UploadEnvelope = json(self.request(Method::GET, location)).await?;
        Ok(env.upload)
    }
}
