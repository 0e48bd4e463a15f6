//! The S3 API, on the main listener: a request signed the S3 way (SigV4 or SigV2, in a
//! header or a presigned URL) is an S3 request whatever its path; everything else goes
//! to the other fronts. `s3s` parses requests, checks signatures and writes XML;
//! [`NimbusS3`] maps each operation onto the file service, so quota, dedup, CIDs,
//! metering and isolation are the same as everywhere. A bucket is a top-level folder of
//! the signing user's namespace; an object key is the path below it.

mod acl;
mod buckets;
mod errors;
mod keys;
mod listing;
mod multipart;
mod objects;

use super::AppState;
use crate::services::{Principal, Services};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use s3s::auth::{S3Auth, SecretKey};
use s3s::dto::*;
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};

/// The S3 front: the file service behind the S3 operations.
#[derive(Clone)]
pub struct NimbusS3 {
    services: Services,
}

impl NimbusS3 {
    /// The user whose key signed the request. `s3s` has verified the signature with the
    /// secret [`KeyLookup`] gave it; the key is looked up again here, so a key deleted
    /// in between is refused too.
    async fn principal<T>(&self, req: &S3Request<T>) -> S3Result<Principal> {
        let Some(creds) = &req.credentials else {
            return Err(s3_error!(AccessDenied, "sign the request with an access key"));
        };
        match self.services.access_keys.secret_of(&creds.access_key).await {
            Ok(Some((_, who))) => Ok(who),
            Ok(None) => Err(s3_error!(InvalidAccessKeyId)),
            Err(e) => Err(errors::s3_error(e, errors::Subject::Bucket)),
        }
    }
}

/// Access key lookup for `s3s`'s signature checks.
struct KeyLookup {
    services: Services,
}

#[async_trait::async_trait]
impl S3Auth for KeyLookup {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.services.access_keys.secret_of(access_key).await {
            Ok(Some((secret, _))) => Ok(SecretKey::from(secret)),
            Ok(None) => Err(s3_error!(InvalidAccessKeyId)),
            Err(crate::error::Error::Forbidden) => Err(s3_error!(AccessDenied, "this account is disabled")),
            Err(e) => Err(errors::s3_error(e, errors::Subject::Bucket)),
        }
    }
}

/// Builds the S3 service over `services`; `domain` enables virtual-hosted-style
/// requests (`bucket.domain`).
pub fn service(services: Services, domain: Option<&str>) -> anyhow::Result<S3Service> {
    let mut builder = S3ServiceBuilder::new(NimbusS3 { services: services.clone() });
    builder.set_auth(KeyLookup { services });
    if let Some(domain) = domain {
        if domain.is_empty() || domain.contains([':', '/']) {
            anyhow::bail!("s3_domain must be a bare domain name such as s3.example.org");
        }
        builder.set_host(VirtualHosts { domain: domain.to_ascii_lowercase() });
    }
    Ok(builder.build())
}

/// Virtual-hosted-style addressing under one domain: `bucket.<domain>` names a bucket;
/// any other host (the domain itself, `localhost`, an address) is path style. (`s3s`'s
/// own `SingleDomain` would take any other host name for a bucket name.)
struct VirtualHosts {
    domain: String,
}

impl s3s::host::S3Host for VirtualHosts {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<s3s::host::VirtualHost<'a>> {
        let name = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
        let bucket = name
            .len()
            .checked_sub(self.domain.len() + 1)
            .filter(|&n| n > 0 && name[n + 1..].eq_ignore_ascii_case(&self.domain) && name.as_bytes()[n] == b'.')
            .map(|n| &name[..n]);
        let vh = s3s::host::VirtualHost::new(self.domain.as_str());
        Ok(match bucket {
            Some(b) => vh.with_bucket(b),
            None => vh,
        })
    }
}

/// Whether a request is signed the S3 way (or addressed to a virtual-hosted bucket).
pub fn is_s3_request(req: &Request, domain: Option<&str>) -> bool {
    let signed_header = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 ") || (v.starts_with("AWS ") && v.contains(':')));
    let presigned = req.uri().query().is_some_and(|q| {
        q.split('&').map(|kv| kv.split('=').next().unwrap_or("")).any(|k| {
            k.eq_ignore_ascii_case("X-Amz-Signature")
                || k.eq_ignore_ascii_case("X-Amz-Credential")
                || k == "Signature"
                || k == "AWSAccessKeyId"
        })
    });
    let virtual_host = domain.is_some_and(|d| {
        let host = req.headers().get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let host = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
        host.len() > d.len() + 1 && host.ends_with(d) && host.as_bytes()[host.len() - d.len() - 1] == b'.'
    });
    signed_header || presigned || virtual_host
}

/// Middleware in front of every route: S3 requests go to the S3 service.
pub async fn dispatch(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let s3 = match &s.s3 {
        Some(s3) if is_s3_request(&req, s.config.s3_domain.as_deref()) => s3.clone(),
        _ => return next.run(req).await,
    };
    let started = std::time::Instant::now();
    let method = req.method().to_string();
    let has_body = req.headers().contains_key(axum::http::header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v != "0");
    let request_id = crate::domain::new_id()[..16].to_uppercase();
    let mut resp = match s3.call(req.map(s3s::Body::http_body_unsync)).await {
        Ok(resp) => with_request_id(resp, &request_id),
        Err(e) => {
            tracing::warn!(error = ?e, %request_id, "S3 request failed");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    if has_body && resp.status().as_u16() >= 400 {
        // A write refused before its body was read (quota, size, a bad signature) leaves
        // the rest of the body on the connection: close it, so the client does not send
        // its next request after bytes the server will never read.
        resp.headers_mut().insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("close"));
    }
    let status = resp.status().as_u16();
    metrics::counter!("nimbus_http_requests_total", "method" => method.clone(), "route" => "s3", "status" => status.to_string()).increment(1);
    let elapsed_ms = started.elapsed().as_millis() as u64;
    tracing::info!(%method, route = "s3", status, elapsed_ms, %request_id, "handled");
    resp
}

/// Every S3 answer carries `x-amz-request-id`, and an error's XML names it too, so a
/// client's report can be matched with the server's log line.
fn with_request_id(resp: s3s::HttpResponse, id: &str) -> Response {
    let (mut parts, body) = resp.into_parts();
    if let Ok(v) = axum::http::HeaderValue::from_str(id) {
        parts.headers.insert("x-amz-request-id", v);
    }
    let error_xml = parts.status.as_u16() >= 400
        && body.bytes().is_some_and(|b| b.ends_with(b"</Error>") && !b.windows(11).any(|w| w == b"<RequestId>"));
    if error_xml {
        let bytes = body.bytes().unwrap_or_default();
        let mut out = bytes[..bytes.len() - "</Error>".len()].to_vec();
        out.extend_from_slice(format!("<RequestId>{id}</RequestId></Error>").as_bytes());
        parts.headers.remove(axum::http::header::CONTENT_LENGTH);
        return Response::from_parts(parts, axum::body::Body::from(out));
    }
    Response::from_parts(parts, axum::body::Body::new(body))
}

/// A stored timestamp as S3's.
fn s3_time(t: crate::domain::Timestamp) -> Timestamp {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Timestamp::from(t)
}

#[async_trait::async_trait]
impl S3 for NimbusS3 {
    async fn list_buckets(&self, req: S3Request<ListBucketsInput>) -> S3Result<S3Response<ListBucketsOutput>> {
        buckets::list(self, req).await
    }
    async fn create_bucket(&self, req: S3Request<CreateBucketInput>) -> S3Result<S3Response<CreateBucketOutput>> {
        buckets::create(self, req).await
    }
    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        buckets::head(self, req).await
    }
    async fn delete_bucket(&self, req: S3Request<DeleteBucketInput>) -> S3Result<S3Response<DeleteBucketOutput>> {
        buckets::delete(self, req).await
    }
    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        buckets::location(self, req).await
    }
    async fn list_objects(&self, req: S3Request<ListObjectsInput>) -> S3Result<S3Response<ListObjectsOutput>> {
        listing::list_v1(self, req).await
    }
    async fn list_objects_v2(&self, req: S3Request<ListObjectsV2Input>) -> S3Result<S3Response<ListObjectsV2Output>> {
        listing::list_v2(self, req).await
    }
    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        listing::list_versions(self, req).await
    }
    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        objects::put(self, req).await
    }
    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        objects::get(self, req).await
    }
    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        objects::head(self, req).await
    }
    async fn delete_object(&self, req: S3Request<DeleteObjectInput>) -> S3Result<S3Response<DeleteObjectOutput>> {
        objects::delete(self, req).await
    }
    async fn delete_objects(&self, req: S3Request<DeleteObjectsInput>) -> S3Result<S3Response<DeleteObjectsOutput>> {
        objects::delete_many(self, req).await
    }
    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        objects::copy(self, req).await
    }
    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        multipart::create(self, req).await
    }
    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        multipart::upload_part(self, req).await
    }
    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        multipart::upload_part_copy(self, req).await
    }
    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        multipart::complete(self, req).await
    }
    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        multipart::abort(self, req).await
    }
    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        multipart::list_parts(self, req).await
    }
    async fn get_bucket_acl(&self, req: S3Request<GetBucketAclInput>) -> S3Result<S3Response<GetBucketAclOutput>> {
        acl::get_bucket(self, req).await
    }
    async fn get_object_acl(&self, req: S3Request<GetObjectAclInput>) -> S3Result<S3Response<GetObjectAclOutput>> {
        acl::get_object(self, req).await
    }
    async fn put_bucket_acl(&self, req: S3Request<PutBucketAclInput>) -> S3Result<S3Response<PutBucketAclOutput>> {
        acl::put_bucket(self, req).await
    }
    async fn put_object_acl(&self, req: S3Request<PutObjectAclInput>) -> S3Result<S3Response<PutObjectAclOutput>> {
        acl::put_object(self, req).await
    }
    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        multipart::list_uploads(self, req).await
    }
}
