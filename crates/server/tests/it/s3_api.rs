//! The S3 API (`s3s` in front of the file service), driven by a small SigV4 client of
//! our own (its signer matches AWS's published examples; `s3s` verifies on the other
//! side): round trips with metadata and MD5 ETags, isolation between users' keys, wrong
//! secrets, expired presigned URLs, revoked keys, quota, bad digests and keys. (A
//! multipart upload continued on a second instance: `s3_scale.rs`.)

use crate::common::TestServer;
use nimbus_server::blob::sigv4::{self, Credentials};
use reqwest::{Method, Response};
use sha2::{Digest, Sha256};

/// Signs requests with one access key, path-style, against `base`.
pub struct S3Client {
    base: String,
    http: reqwest::Client,
    pub key_id: String,
    pub secret: String,
    /// A `Host` other than the URL's (virtual-hosted-style buckets).
    pub host_override: Option<String>,
}

fn amz_date_at(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    t.format(f).unwrap()
}

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(<md5::Md5 as md5::Digest>::digest(data))
}

impl S3Client {
    pub async fn for_user(base: &str, user: &nimbus_client::Client) -> S3Client {
        let key = user.create_access_key("tests").await.unwrap();
        S3Client::new(base, &key.access_key_id, &key.secret_access_key.unwrap())
    }

    pub fn new(base: &str, key_id: &str, secret: &str) -> S3Client {
        S3Client {
            base: base.into(),
            http: reqwest::Client::new(),
            key_id: key_id.into(),
            secret: secret.into(),
            host_override: None,
        }
    }

    fn host(&self) -> &str {
        self.host_override.as_deref().unwrap_or(self.base.trim_start_matches("http://"))
    }

    fn creds(&self) -> Credentials<'_> {
        Credentials { access_key_id: &self.key_id, secret_access_key: &self.secret, region: "us-east-1" }
    }

    /// `path` as sent (each segment encoded); `query` pairs unencoded.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Response {
        let path = sigv4::encode_key(path);
        let query: Vec<(String, String)> = query.iter().map(|(k, v)| (sigv4::encode(k), sigv4::encode(v))).collect();
        let amz_date = amz_date_at(time::OffsetDateTime::now_utc());
        let payload = hex::encode(Sha256::digest(&body));
        let mut signed: Vec<(String, String)> = vec![
            ("host".into(), self.host().into()),
            ("x-amz-date".into(), amz_date.clone()),
            ("x-amz-content-sha256".into(), payload.clone()),
        ];
        signed.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let req = sigv4::Request {
            method: method.as_str(),
            path: &path,
            query: &query,
            headers: &signed,
            payload_sha256: &payload,
        };
        let auth = sigv4::authorization(&self.creds(), &req, &amz_date);
        let qs = query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let url = if qs.is_empty() { format!("{}{path}", self.base) } else { format!("{}{path}?{qs}", self.base) };
        let mut rb = self.http.request(method, url).header("authorization", auth).body(body);
        for (k, v) in &signed {
            if k != "host" || self.host_override.is_some() {
                rb = rb.header(k.as_str(), v.as_str());
            }
        }
        rb.send().await.unwrap()
    }

    pub async fn put(&self, path: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> Response {
        self.send(Method::PUT, path, &[], headers, body).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, &[], &[], Vec::new()).await
    }

    /// A presigned GET URL for `path`, made at `at`, valid `expires` seconds.
    pub fn presigned_get(&self, path: &str, at: time::OffsetDateTime, expires: u64) -> String {
        let path = sigv4::encode_key(path);
        let q = sigv4::presigned_query(&self.creds(), "GET", self.host(), &path, &amz_date_at(at), expires);
        let qs = q.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        format!("{}{path}?{qs}", self.base)
    }
}

/// Status and the S3 error code of a response (`""` for a success).
pub async fn status_code(r: Response) -> (u16, String) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    let code = text.split("<Code>").nth(1).and_then(|s| s.split("</Code>").next()).unwrap_or("").to_string();
    (status, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_round_trip_with_metadata_and_md5_etags_and_users_are_isolated() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let a = S3Client::for_user(&s.base, &alice).await;
    let b = S3Client::for_user(&s.base, &bob).await;

    assert_eq!(status_code(a.put("/photos", Vec::new(), &[]).await).await.0, 200);
    let data = b"hello from the S3 API\n".to_vec();
    let md5 = base64_md5(&data);
    let r = a
        .put(
            "/photos/2024/cat.txt",
            data.clone(),
            &[("content-md5", &md5), ("x-amz-meta-colour", "tabby"), ("content-type", "text/plain")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], format!("\"{}\"", md5_hex(&data)).as_str());

    let r = a.get("/photos/2024/cat.txt").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-amz-meta-colour"], "tabby");
    assert_eq!(r.headers()["content-type"], "text/plain");
    assert_eq!(r.bytes().await.unwrap().as_ref(), data.as_slice());
    // The same file through the REST API: one file service under both.
    let rest = alice.get_path_bytes("photos/2024/cat.txt").await.unwrap();
    assert_eq!(rest, data);

    // Bob's key sees none of it: Alice's bucket is "no such bucket", never "access denied".
    assert_eq!(status_code(b.get("/photos/2024/cat.txt").await).await, (404, "NoSuchBucket".into()));
    // Errors name their request, in the header and the XML, to match a report with the log.
    let r = b.get("/photos/2024/cat.txt").await;
    let id = r.headers()["x-amz-request-id"].to_str().unwrap().to_string();
    assert!(r.text().await.unwrap().contains(&format!("<RequestId>{id}</RequestId>")));
    assert_eq!(
        status_code(b.send(Method::GET, "/photos", &[("list-type", "2")], &[], vec![]).await).await.1,
        "NoSuchBucket"
    );
    let listing = b.get("/").await.text().await.unwrap();
    assert!(!listing.contains("photos"), "{listing}");
    // Bob's buckets, a page at a time.
    for name in ["aaa", "bbb"] {
        assert_eq!(b.put(&format!("/{name}"), Vec::new(), &[]).await.status(), 200);
    }
    let page = b.send(Method::GET, "/", &[("max-buckets", "1")], &[], vec![]).await.text().await.unwrap();
    assert!(page.contains("<Name>aaa</Name>") && !page.contains("<Name>bbb</Name>"), "{page}");
    assert!(page.contains("<ContinuationToken>aaa</ContinuationToken>"), "{page}");
    let next = b.send(Method::GET, "/", &[("max-buckets", "1"), ("continuation-token", "aaa")], &[], vec![]).await;
    assert!(next.text().await.unwrap().contains("<Name>bbb</Name>"));
    // Bucket names are per user: Bob may have his own "photos".
    assert_eq!(b.put("/photos", Vec::new(), &[]).await.status(), 200);
    assert_eq!(status_code(b.get("/photos/2024/cat.txt").await).await, (404, "NoSuchKey".into()));

    // Listing with a delimiter rolls keys up into prefixes.
    a.put("/photos/2024/dog.txt", b"woof".to_vec(), &[]).await;
    a.put("/photos/top.txt", b"top".to_vec(), &[]).await;
    let text = a
        .send(Method::GET, "/photos", &[("list-type", "2"), ("delimiter", "/")], &[], vec![])
        .await
        .text()
        .await
        .unwrap();
    assert!(text.contains("<Prefix>2024/</Prefix>"), "{text}");
    assert!(text.contains("<Key>top.txt</Key>") && !text.contains("<Key>2024/cat.txt</Key>"), "{text}");

    // A bucket with objects cannot be deleted; emptied, it can.
    assert_eq!(status_code(a.send(Method::DELETE, "/photos", &[], &[], vec![]).await).await.1, "BucketNotEmpty");
    for key in ["/photos/2024/cat.txt", "/photos/2024/dog.txt", "/photos/top.txt"] {
        assert_eq!(a.send(Method::DELETE, key, &[], &[], vec![]).await.status(), 204);
    }
    assert_eq!(a.send(Method::DELETE, "/photos", &[], &[], vec![]).await.status(), 204);
}

fn base64_md5(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(<md5::Md5 as md5::Digest>::digest(data))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secrets_expired_presigned_urls_and_revoked_keys_are_refused() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let key = alice.create_access_key("laptop").await.unwrap();
    let a = S3Client::new(&s.base, &key.access_key_id, key.secret_access_key.as_deref().unwrap());
    a.put("/docs", Vec::new(), &[]).await;
    assert_eq!(a.put("/docs/a.txt", b"secret".to_vec(), &[]).await.status(), 200);

    let wrong = S3Client::new(&s.base, &key.access_key_id, "not-the-secret-at-all-0000000000000000000");
    assert_eq!(status_code(wrong.get("/docs/a.txt").await).await, (403, "SignatureDoesNotMatch".into()));
    let unknown = S3Client::new(&s.base, "NKAAAAAAAAAAAAAAAAAA", "whatever");
    assert_eq!(status_code(unknown.get("/docs/a.txt").await).await, (403, "InvalidAccessKeyId".into()));

    let http = reqwest::Client::new();
    let now = time::OffsetDateTime::now_utc();
    let fresh = a.presigned_get("/docs/a.txt", now, 300);
    let r = http.get(&fresh).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"secret");
    let expired = a.presigned_get("/docs/a.txt", now - time::Duration::hours(2), 60);
    assert_eq!(status_code(http.get(&expired).send().await.unwrap()).await.0, 403);
    // A presigned URL is for the one request it signs.
    let tampered = fresh.replace("/docs/a.txt", "/docs/b.txt");
    assert_eq!(status_code(http.get(&tampered).send().await.unwrap()).await.0, 403);

    // Listed without its secret; deleted, it stops working at once.
    let listed = alice.access_keys().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].secret_access_key.is_none() && listed[0].last_used_at.is_some());
    alice.delete_access_key(&key.id).await.unwrap();
    assert_eq!(status_code(a.get("/docs/a.txt").await).await, (403, "InvalidAccessKeyId".into()));
    assert_eq!(http.get(&fresh).send().await.unwrap().status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_bad_digests_and_unrepresentable_keys_store_nothing() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.default_quota_bytes = 64 << 10).await;
    let alice = s.user("alice").await;
    let a = S3Client::for_user(&s.base, &alice).await;
    a.put("/bk1", Vec::new(), &[]).await;

    let big = vec![7u8; 100 << 10];
    assert_eq!(status_code(a.put("/bk1/big.bin", big.clone(), &[]).await).await, (403, "QuotaExceeded".into()));
    let wrong_md5 = base64_md5(b"something else");
    let r = a.put("/bk1/small.bin", b"abc".to_vec(), &[("content-md5", &wrong_md5)]).await;
    assert_eq!(status_code(r).await, (400, "BadDigest".into()));
    assert_eq!(
        status_code(a.put("/bk1/x", b"abc".to_vec(), &[("content-md5", "nonsense")]).await).await.1,
        "InvalidDigest"
    );
    // (`.` and `..` segments are refused too, but HTTP clients resolve them before
    // sending; the key mapping's unit test covers them.)
    for bad in ["/bk1/a//b", "/bk1//lead"] {
        assert_eq!(status_code(a.put(bad, b"abc".to_vec(), &[]).await).await, (400, "InvalidArgument".into()), "{bad}");
    }
    // Multipart parts count against the quota as they arrive.
    let r = a.send(Method::POST, "/bk1/parts.bin", &[("uploads", "")], &[], vec![]).await;
    let text = r.text().await.unwrap();
    let upload = text.split("<UploadId>").nth(1).unwrap().split("</UploadId>").next().unwrap().to_string();
    let part = a.send(Method::PUT, "/bk1/parts.bin", &[("partNumber", "1"), ("uploadId", &upload)], &[], big).await;
    assert_eq!(status_code(part).await, (403, "QuotaExceeded".into()));

    let usage = alice.usage().await.unwrap();
    assert_eq!(usage.used_bytes, 0, "nothing was stored");
    let files = alice.list_files(None, None, None).await.unwrap();
    assert!(files.items.is_empty());
    assert_eq!(a.send(Method::DELETE, "/bk1/parts.bin", &[("uploadId", &upload)], &[], vec![]).await.status(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_sealed_at_rest_and_older_files_get_their_md5_in_the_background() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let a = S3Client::for_user(&s.base, &alice).await;
    a.put("/old", Vec::new(), &[]).await;
    let data = b"stored before MD5s were kept".to_vec();
    a.put("/old/file.txt", data.clone(), &[]).await;

    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(&s.config.database_url()).await.unwrap();
    let sealed: (String,) = sqlx::query_as("SELECT secret_sealed FROM access_keys").fetch_one(&mut db).await.unwrap();
    assert!(!sealed.0.contains(&a.secret), "the secret is not stored as is");
    // As if the content had been stored by a version that kept no MD5.
    sqlx::query("UPDATE contents SET md5 = NULL").execute(&mut db).await.unwrap();
    drop(db);

    let s = s.restart().await;
    let a = S3Client::new(&s.base, &a.key_id, &a.secret);
    let want = format!("\"{}\"", md5_hex(&data));
    let mut tag = String::new();
    for _ in 0..100 {
        let r = a.send(Method::HEAD, "/old/file.txt", &[], &[], vec![]).await;
        tag = r.headers()["etag"].to_str().unwrap().to_string();
        if tag == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(tag, want, "the background filler computed the MD5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_hosted_buckets_work_under_the_s3_domain_and_path_style_still_does() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.s3_domain = Some("s3.nimbus.test".into())).await;
    let alice = s.user("alice").await;
    let a = S3Client::for_user(&s.base, &alice).await;
    assert_eq!(a.put("/pics", Vec::new(), &[]).await.status(), 200, "path style");
    assert_eq!(a.put("/pics/a.txt", b"path".to_vec(), &[]).await.status(), 200);
    // The same bucket addressed as pics.s3.nimbus.test (the port kept, as clients send it).
    let port = s.base.rsplit(':').next().unwrap();
    let vhost = S3Client {
        host_override: Some(format!("pics.s3.nimbus.test:{port}")),
        ..S3Client::new(&s.base, &a.key_id, &a.secret)
    };
    assert_eq!(vhost.put("/b.txt", b"virtual".to_vec(), &[]).await.status(), 200);
    let got = vhost.get("/a.txt").await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"path");
    assert_eq!(alice.get_path_bytes("pics/b.txt").await.unwrap().as_ref(), b"virtual");
}
