//! Download semantics: validators, conditional requests, single ranges, dispositions.

use crate::common::TestServer;
use nimbus_client::{Client, PutOptions};
use reqwest::{Method, StatusCode, header};

async fn setup() -> (TestServer, Client, nimbus_api::File) {
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let body: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let opts = PutOptions { content_type: Some("application/octet-stream".into()), ..Default::default() };
    let (f, _) = c.put("docs/résumé 2024.bin", body, &opts).await.unwrap();
    (s, c, f)
}

fn byte(i: u64) -> u8 {
    (i % 251) as u8
}

#[tokio::test]
async fn full_download_carries_the_contract_headers() {
    crate::needs_backend!();
    let (_s, c, f) = setup().await;
    for url in [format!("/api/v1/files/{}/content", f.id), nimbus_client::fs_url(&f.path)] {
        let r = c.request(Method::GET, &url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let h = r.headers().clone();
        assert_eq!(h[header::CONTENT_TYPE], "application/octet-stream");
        assert_eq!(h[header::CONTENT_LENGTH], "1000");
        assert_eq!(h[header::ETAG], format!("\"{}\"", f.sha256).as_str());
        assert_eq!(h[header::ACCEPT_RANGES], "bytes");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(h[header::LAST_MODIFIED].to_str().unwrap().ends_with(" GMT"));
        let cd = h[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(cd.starts_with("attachment;"), "{cd}");
        assert!(cd.contains("filename*=UTF-8''r%C3%A9sum%C3%A9%202024%2Ebin"), "{cd}");
        let body = r.bytes().await.unwrap();
        assert_eq!(body.len(), 1000);
        assert!(body.iter().enumerate().all(|(i, b)| *b == byte(i as u64)));
    }
}

#[tokio::test]
async fn ranges_first_last_suffix_open_and_beyond() {
    crate::needs_backend!();
    let (_s, c, f) = setup().await;
    let url = format!("/api/v1/files/{}/content", f.id);
    for (range, start, end) in [
        ("bytes=0-0", 0u64, 0u64),
        ("bytes=999-999", 999, 999),
        ("bytes=-10", 990, 999),
        ("bytes=500-", 500, 999),
        ("bytes=100-199", 100, 199),
        ("bytes=990-5000", 990, 999),
    ] {
        let r = c.request(Method::GET, &url).header(header::RANGE, range).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(r.headers()[header::CONTENT_RANGE], format!("bytes {start}-{end}/1000").as_str(), "{range}");
        assert_eq!(r.headers()[header::CONTENT_LENGTH], (end - start + 1).to_string().as_str());
        let body = r.bytes().await.unwrap();
        let expected: Vec<u8> = (start..=end).map(byte).collect();
        assert_eq!(body.as_ref(), expected.as_slice(), "{range}");
    }
    for range in ["bytes=1000-", "bytes=1000-1001", "bytes=-0"] {
        let r = c.request(Method::GET, &url).header(header::RANGE, range).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(r.headers()[header::CONTENT_RANGE], "bytes */1000");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "range_not_satisfiable");
    }
    // A malformed or multi-range header is ignored: the whole file.
    for range in ["bytes=5-1", "lines=1-2", "bytes=0-1,5-6"] {
        let r = c.request(Method::GET, &url).header(header::RANGE, range).send().await.unwrap();
        assert_eq!(r.status(), 200, "{range}");
    }
}

#[tokio::test]
async fn conditional_requests() {
    crate::needs_backend!();
    let (_s, c, f) = setup().await;
    let url = format!("/api/v1/files/{}/content", f.id);
    let etag = format!("\"{}\"", f.sha256);
    let r = c.request(Method::GET, &url).header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()[header::ETAG], etag.as_str());
    assert!(r.bytes().await.unwrap().is_empty());
    let r = c.request(Method::GET, &url).header(header::IF_NONE_MATCH, "\"other\"").send().await.unwrap();
    assert_eq!(r.status(), 200);

    // If-Range: the range applies only while the validator still matches.
    let r = c
        .request(Method::GET, &url)
        .header(header::RANGE, "bytes=0-9")
        .header(header::IF_RANGE, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    let r = c
        .request(Method::GET, &url)
        .header(header::RANGE, "bytes=0-9")
        .header(header::IF_RANGE, "\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().len(), 1000);
    let last_modified = c.request(Method::GET, &url).send().await.unwrap().headers()[header::LAST_MODIFIED]
        .to_str()
        .unwrap()
        .to_string();
    let r = c
        .request(Method::GET, &url)
        .header(header::RANGE, "bytes=0-9")
        .header(header::IF_RANGE, &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
}

#[tokio::test]
async fn inline_only_for_types_safe_to_render() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("bob").await;
    let text = PutOptions { content_type: Some("text/plain".into()), ..Default::default() };
    let html = PutOptions { content_type: Some("text/html".into()), ..Default::default() };
    c.put("a.txt", "plain", &text).await.unwrap();
    c.put("a.html", "<script>alert(1)</script>", &html).await.unwrap();
    let disp = |r: &reqwest::Response| r.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().to_string();
    let r = c.request(Method::GET, "/api/v1/fs/a.txt?inline=1").send().await.unwrap();
    assert!(disp(&r).starts_with("inline;"));
    let r = c.request(Method::GET, "/api/v1/fs/a.html?inline=1").send().await.unwrap();
    assert!(disp(&r).starts_with("attachment;"), "HTML is never rendered from our origin");
    assert!(r.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("sandbox"));
    let r = c.request(Method::GET, "/api/v1/fs/a.txt").send().await.unwrap();
    assert!(disp(&r).starts_with("attachment;"), "attachment by default");
}

#[tokio::test]
async fn empty_files_download_and_refuse_ranges() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("carol").await;
    let (f, _) = c.put("empty", Vec::new(), &PutOptions::default()).await.unwrap();
    assert_eq!(f.size, 0);
    assert_eq!(f.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    let r = c.download(&f.id).await.unwrap();
    assert_eq!(r.headers()[header::CONTENT_LENGTH], "0");
    let r = c.request(Method::GET, "/api/v1/fs/empty").header(header::RANGE, "bytes=0-").send().await.unwrap();
    assert_eq!(r.status(), 416);
}
