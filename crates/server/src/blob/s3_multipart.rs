//! The S3 multipart-upload calls, sent and signed by us: create, upload a part,
//! complete, abort. OpenDAL runs multipart uploads only inside one writer in one
//! process; a resumable session needs an upload that any instance can add a part to
//! later, knowing only its id and the parts so far (kept in the database).

use super::S3Location;
use super::sigv4::{self, Credentials, encode, encode_key, sha256_hex};
use bytes::Bytes;
use s3_http::{Client, Method, StatusCode};
use std::io;
use std::time::Duration;

/// How often a request that failed in transit, or got a 5xx, is sent again.
const ATTEMPTS: u32 = 5;

/// One uploaded part, as `CompleteMultipartUpload` wants it back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Part {
    pub number: u32,
    pub size: u64,
    pub etag: String,
}

pub struct MultipartClient {
    http: Client,
    loc: S3Location,
    /// `scheme://host[:port]`, without a trailing slash.
    base: String,
    host: String,
}

impl MultipartClient {
    pub fn new(loc: &S3Location) -> io::Result<Self> {
        let url = s3_http::Url::parse(&loc.endpoint)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("bad S3 endpoint: {e}")))?;
        let host_name =
            url.host_str().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "S3 endpoint has no host"))?;
        // The Host header as the client will send it: the port only when not the default.
        let host = match url.port() {
            Some(p) => format!("{host_name}:{p}"),
            None => host_name.to_string(),
        };
        let http = Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(io::Error::other)?;
        let base = loc.endpoint.trim_end_matches('/').to_string();
        Ok(MultipartClient { http, loc: loc.clone(), base, host })
    }

    /// The object key in the bucket: the store's key below the configured prefix.
    fn full_key(&self, key: &str) -> String {
        match self.loc.prefix.trim_matches('/') {
            "" => key.to_string(),
            p => format!("{p}/{key}"),
        }
    }

    pub async fn create(&self, key: &str) -> io::Result<String> {
        let body = self.send(Method::POST, key, &[("uploads", "")], Bytes::new(), "application/octet-stream").await?;
        xml_field(&body, "UploadId")
            .ok_or_else(|| io::Error::other("CreateMultipartUpload answered without an UploadId"))
    }

    pub async fn upload_part(&self, key: &str, upload_id: &str, number: u32, data: Bytes) -> io::Result<Part> {
        let size = data.len() as u64;
        let n = number.to_string();
        let (_, etag) = self
            .send_with_etag(
                Method::PUT,
                key,
                &[("partNumber", &n), ("uploadId", upload_id)],
                data,
                "application/octet-stream",
            )
            .await?;
        let etag = etag.ok_or_else(|| io::Error::other("UploadPart answered without an ETag"))?;
        Ok(Part { number, size, etag })
    }

    /// Completes the upload; the object exists, durably, once this returns.
    pub async fn complete(&self, key: &str, upload_id: &str, parts: &[Part]) -> io::Result<()> {
        let mut xml = String::from(r#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#);
        for p in parts {
            xml.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
                p.number,
                xml_escape(&p.etag)
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        match self.send(Method::POST, key, &[("uploadId", upload_id)], Bytes::from(xml), "application/xml").await {
            // S3 may answer 200 and put the error in the body.
            Ok(body) if body.contains("<Error>") => {
                Err(io::Error::other(format!("CompleteMultipartUpload failed: {}", snippet(&body))))
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Aborts the upload and frees its parts; an upload that is already gone is fine.
    pub async fn abort(&self, key: &str, upload_id: &str) -> io::Result<()> {
        match self.send(Method::DELETE, key, &[("uploadId", upload_id)], Bytes::new(), "application/octet-stream").await
        {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }

    async fn send(
        &self,
        method: Method,
        key: &str,
        query: &[(&str, &str)],
        body: Bytes,
        ctype: &str,
    ) -> io::Result<String> {
        self.send_with_etag(method, key, query, body, ctype).await.map(|(b, _)| b)
    }

    /// Sends one signed request, again after transient failures; returns the body and ETag.
    async fn send_with_etag(
        &self,
        method: Method,
        key: &str,
        query: &[(&str, &str)],
        body: Bytes,
        ctype: &str,
    ) -> io::Result<(String, Option<String>)> {
        let path = format!("/{}/{}", encode(&self.loc.bucket), encode_key(&self.full_key(key)));
        let query: Vec<(String, String)> = query.iter().map(|(k, v)| (encode(k), encode(v))).collect();
        let query_string = query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let url = format!("{}{path}?{query_string}", self.base);
        let payload_sha256 = sha256_hex(&body);
        let mut last_error = None;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                let jitter = u64::from(rand_u8()) % 100;
                tokio::time::sleep(Duration::from_millis(100 * (1 << attempt) + jitter)).await;
            }
            let amz_date = amz_date_now();
            let headers = vec![
                ("host".to_string(), self.host.clone()),
                ("x-amz-content-sha256".to_string(), payload_sha256.clone()),
                ("x-amz-date".to_string(), amz_date.clone()),
            ];
            let creds = Credentials {
                access_key_id: &self.loc.access_key_id,
                secret_access_key: &self.loc.secret_access_key,
                region: &self.loc.region,
            };
            let req = sigv4::Request {
                method: method.as_str(),
                path: &path,
                query: &query,
                headers: &headers,
                payload_sha256: &payload_sha256,
            };
            let auth = sigv4::authorization(&creds, &req, &amz_date);
            let sent = self
                .http
                .request(method.clone(), &url)
                .header("x-amz-content-sha256", &payload_sha256)
                .header("x-amz-date", &amz_date)
                .header("authorization", auth)
                .header("content-type", ctype)
                .body(body.clone())
                .send()
                .await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    last_error = Some(io::Error::other(format!("S3 request failed: {e}")));
                    continue;
                }
            };
            let status = resp.status();
            let etag = resp.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_string);
            let text = resp.text().await.unwrap_or_default();
            if status.is_success() {
                return Ok((text, etag));
            }
            let error = s3_error(status, &text);
            if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                last_error = Some(error);
                continue;
            }
            return Err(error);
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("S3 request failed")))
    }
}

fn s3_error(status: StatusCode, body: &str) -> io::Error {
    let code = xml_field(body, "Code").unwrap_or_default();
    let kind = match (status, code.as_str()) {
        (_, "NoSuchUpload") | (StatusCode::NOT_FOUND, _) => io::ErrorKind::NotFound,
        (StatusCode::FORBIDDEN, _) => io::ErrorKind::PermissionDenied,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, format!("S3 answered {status}: {}", if code.is_empty() { snippet(body) } else { code }))
}

fn snippet(body: &str) -> String {
    body.chars().take(300).collect()
}

fn rand_u8() -> u8 {
    crate::domain::new_id().as_bytes()[0]
}

/// `YYYYMMDDTHHMMSSZ`, the time format SigV4 signs.
fn amz_date_now() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The text of the first `<name>` element (S3's answers are small, flat XML).
fn xml_field(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(xml_unescape(&xml[start..end]))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn xml_unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_round_trips_escapes() {
        let xml = "<InitiateMultipartUploadResult><Bucket>b</Bucket><UploadId>a&amp;b</UploadId></InitiateMultipartUploadResult>";
        assert_eq!(xml_field(xml, "UploadId").as_deref(), Some("a&b"));
        assert_eq!(xml_field(xml, "Key"), None);
        assert_eq!(xml_unescape(&xml_escape("\"x\"&<y>")), "\"x\"&<y>");
    }

    #[test]
    fn no_such_upload_is_not_found() {
        let e = s3_error(StatusCode::NOT_FOUND, "<Error><Code>NoSuchUpload</Code></Error>");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(e.to_string().contains("NoSuchUpload"));
    }
}
