//! AWS Signature Version 4 for the few S3 requests we send ourselves (the multipart
//! calls of resumable sessions, which OpenDAL does not expose), and presigned URLs for
//! clients of our own S3 API (tests). Everything else goes through OpenDAL, which signs
//! its own requests; our S3 API's verification is `s3s`'s.

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Everything but S3's unreserved characters is percent-encoded, in names and values.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// One path segment or query component, encoded as SigV4 wants it (and as we send it).
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// An object key as a URL path: each segment encoded, the slashes kept.
pub fn encode_key(key: &str) -> String {
    key.split('/').map(encode).collect::<Vec<_>>().join("/")
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Who signs, and for which region.
pub struct Credentials<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub region: &'a str,
}

/// A request to sign: `path` and `query` already encoded with [`encode`]/[`encode_key`]
/// (query pairs in any order), `headers` with lowercase names, including `host`,
/// `x-amz-date` and `x-amz-content-sha256`.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub headers: &'a [(String, String)],
    pub payload_sha256: &'a str,
}

/// The `Authorization` header value for `req`, signed at `amz_date` (`YYYYMMDDTHHMMSSZ`).
/// The `Authorization` header for `req` at `amz_date` (`YYYYMMDDTHHMMSSZ`).
pub fn authorization(creds: &Credentials<'_>, req: &Request<'_>, amz_date: &str) -> String {
    let (signed_headers, scope, signature) = sign(creds, req, amz_date);
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        creds.access_key_id
    )
}

/// The query of a presigned URL for `method` on `path` at `host`, valid `expires_secs`
/// from `amz_date` (names and values already encoded, signature last), as S3 clients
/// make them (`aws s3 presign`); `UNSIGNED-PAYLOAD`, only `host` signed.
pub fn presigned_query(
    creds: &Credentials<'_>,
    method: &str,
    host: &str,
    path: &str,
    amz_date: &str,
    expires_secs: u64,
) -> Vec<(String, String)> {
    let scope = format!("{}/{}/s3/aws4_request", &amz_date[..8], creds.region);
    let mut query = vec![
        ("X-Amz-Algorithm".to_string(), "AWS4-HMAC-SHA256".to_string()),
        ("X-Amz-Credential".to_string(), encode(&format!("{}/{scope}", creds.access_key_id))),
        ("X-Amz-Date".to_string(), amz_date.to_string()),
        ("X-Amz-Expires".to_string(), expires_secs.to_string()),
        ("X-Amz-SignedHeaders".to_string(), "host".to_string()),
    ];
    let headers = [("host".to_string(), host.to_string())];
    let req = Request { method, path, query: &query, headers: &headers, payload_sha256: "UNSIGNED-PAYLOAD" };
    let (_, _, signature) = sign(creds, &req, amz_date);
    query.push(("X-Amz-Signature".to_string(), signature));
    query
}

/// (signed header names, credential scope, signature) of a request.
fn sign(creds: &Credentials<'_>, req: &Request<'_>, amz_date: &str) -> (String, String, String) {
    let mut query: Vec<&(String, String)> = req.query.iter().collect();
    query.sort();
    let canonical_query = query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let mut headers: Vec<(String, String)> =
        req.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string())).collect();
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
    let canonical_request = format!(
        "{}\n{}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{}",
        req.method, req.path, req.payload_sha256
    );
    let date = &amz_date[..8];
    let scope = format!("{date}/{}/s3/aws4_request", creds.region);
    let string_to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()));
    let mut key = hmac(format!("AWS4{}", creds.secret_access_key).as_bytes(), date);
    for part in [creds.region, "s3", "aws4_request"] {
        key = hmac(&key, part);
    }
    (signed_headers, scope, hex::encode(hmac(&key, &string_to_sign)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of AWS's S3 SigV4 documentation ("GET Object").
    #[test]
    fn presigns_like_the_documented_example() {
        // AWS's "Authenticating Requests: Using Query Parameters" example.
        let creds = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
        };
        let q =
            presigned_query(&creds, "GET", "examplebucket.s3.amazonaws.com", "/test.txt", "20130524T000000Z", 86400);
        assert_eq!(q.last().unwrap().1, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    }

    #[test]
    fn matches_the_documented_example() {
        let creds = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
        };
        let empty = sha256_hex(b"");
        let headers = vec![
            ("host".to_string(), "examplebucket.s3.amazonaws.com".to_string()),
            ("range".to_string(), "bytes=0-9".to_string()),
            ("x-amz-content-sha256".to_string(), empty.clone()),
            ("x-amz-date".to_string(), "20130524T000000Z".to_string()),
        ];
        let req = Request { method: "GET", path: "/test.txt", query: &[], headers: &headers, payload_sha256: &empty };
        assert_eq!(
            authorization(&creds, &req, "20130524T000000Z"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn keys_keep_their_slashes_and_encode_the_rest() {
        assert_eq!(encode_key("b/a b+c~"), "b/a%20b%2Bc~");
        assert_eq!(encode(""), "");
    }
}
