//! Public links and signed download URLs.

use crate::common::{TestServer, code};
use nimbus_api::CreateLinkRequest;
use nimbus_client::{Client, PutOptions};
use reqwest::{StatusCode, header};
use std::time::Duration;

/// Polls `url` with HEAD until it answers 404, for up to `limit`.
async fn gone_within(limit: Duration, url: &str) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if anon().head(url).send().await.unwrap().status() == StatusCode::NOT_FOUND {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn anon() -> reqwest::Client {
    reqwest::Client::new()
}

async fn owner_with_file(s: &TestServer) -> (Client, nimbus_api::File) {
    let c = s.user("owen").await;
    let opts = PutOptions { content_type: Some("text/plain".into()), ..Default::default() };
    let (f, _) = c.put("share me/<notes>.txt", "0123456789", &opts).await.unwrap();
    (c, f)
}

async fn error_code(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    (status, body["error"]["code"].as_str().unwrap_or("").to_string())
}

#[tokio::test]
async fn a_plain_link_serves_a_page_and_the_content() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (c, f) = owner_with_file(&s).await;
    let link = c.create_link(&f.id, &CreateLinkRequest::default()).await.unwrap();
    assert!(link.token.len() >= 32, "at least 128 bits");
    assert_eq!(link.url, format!("{}/s/{}", s.base, link.token));
    assert!(!link.has_password && link.expires_at.is_none() && link.max_downloads.is_none());

    let page = anon().get(&link.url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "no other site may frame the link page: {csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains("&lt;notes&gt;.txt"), "the name, escaped: {html}");
    assert!(!html.contains("<notes>"));
    assert!(html.contains("10 bytes") && html.contains("Download"));
    assert!(!html.contains("type=\"password\""));

    let r = anon().get(format!("{}/content", link.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::ETAG], format!("\"{}\"", f.sha256).as_str());
    assert!(r.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(r.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"0123456789");
    let r = anon().get(format!("{}/content", link.url)).header(header::RANGE, "bytes=-3").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"789");
    assert_eq!(c.links(&f.id).await.unwrap()[0].download_count, 2);
}

#[tokio::test]
async fn a_password_link_needs_the_password_and_throttles_guessing() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (c, f) = owner_with_file(&s).await;
    let req = CreateLinkRequest { password: Some("open sesame".into()), ..Default::default() };
    let link = c.create_link(&f.id, &req).await.unwrap();
    assert!(link.has_password);
    let html = anon().get(&link.url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("type=\"password\""));
    let content = format!("{}/content", link.url);
    assert_eq!(error_code(anon().get(&content).send().await.unwrap()).await, (401, "invalid_credentials".into()));
    let right = anon().get(&content).header("X-Link-Password", "open sesame").send().await.unwrap();
    assert_eq!(right.status(), 200);
    // Ten failures in all (the missing password was the first) use up the allowance.
    for _ in 0..9 {
        let r = anon().get(&content).header("X-Link-Password", "guess").send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = anon().get(&content).header("X-Link-Password", "open sesame").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "guessing is throttled, for a while even the right password");
    assert!(r.headers()[header::RETRY_AFTER].to_str().unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(error_code(r).await.1, "rate_limited");
}

#[tokio::test]
async fn dead_links_are_indistinguishable() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (c, f) = owner_with_file(&s).await;
    let expiring =
        c.create_link(&f.id, &CreateLinkRequest { expires_in: Some(1), ..Default::default() }).await.unwrap();
    let once = c.create_link(&f.id, &CreateLinkRequest { max_downloads: Some(1), ..Default::default() }).await.unwrap();
    let revoked = c.create_link(&f.id, &CreateLinkRequest::default()).await.unwrap();
    assert_eq!(anon().get(format!("{}/content", once.url)).send().await.unwrap().status(), 200);
    c.delete_link(&revoked.id).await.unwrap();
    assert_eq!(anon().get(format!("{}/content", expiring.url)).send().await.unwrap().status(), 200);
    // Poll (HEAD moves no bytes) until the one-second link has expired.
    assert!(gone_within(Duration::from_secs(5), &format!("{}/content", expiring.url)).await);
    let unknown = format!("{}/s/{}", s.base, "ab".repeat(32));
    let mut bodies = Vec::new();
    for url in [&expiring.url, &once.url, &revoked.url, &unknown] {
        for suffix in ["", "/content"] {
            let r = anon().get(format!("{url}{suffix}")).send().await.unwrap();
            assert_eq!(r.status(), 404, "{url}{suffix}");
            bodies.push(r.text().await.unwrap());
        }
    }
    assert!(bodies.iter().all(|b| b == &bodies[0] && b.contains("link_not_found")), "{bodies:?}");
    assert_eq!(code(c.delete_link(&revoked.id).await).0, 404);
}

#[tokio::test]
async fn a_one_download_link_serves_exactly_one_of_two_concurrent_downloads() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (c, f) = owner_with_file(&s).await;
    for _ in 0..5 {
        let link =
            c.create_link(&f.id, &CreateLinkRequest { max_downloads: Some(1), ..Default::default() }).await.unwrap();
        let url = format!("{}/content", link.url);
        let (a, b) = tokio::join!(anon().get(&url).send(), anon().get(&url).send());
        let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 404]);
        assert_eq!(c.links(&f.id).await.unwrap().iter().find(|l| l.id == link.id).unwrap().download_count, 1);
    }
}

#[tokio::test]
async fn link_validation_and_permissions() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (c, f) = owner_with_file(&s).await;
    for req in [
        CreateLinkRequest { expires_in: Some(0), ..Default::default() },
        CreateLinkRequest { expires_in: Some(-5), ..Default::default() },
        CreateLinkRequest { max_downloads: Some(0), ..Default::default() },
        CreateLinkRequest { password: Some(String::new()), ..Default::default() },
    ] {
        assert_eq!(code(c.create_link(&f.id, &req).await), (422, "validation_failed".into()));
    }
    let other = s.user("mia").await;
    let link = c.create_link(&f.id, &CreateLinkRequest::default()).await.unwrap();
    assert_eq!(code(other.create_link(&f.id, &CreateLinkRequest::default()).await).0, 404);
    assert_eq!(code(other.delete_link(&link.id).await).0, 404);
    c.share(&f.id, "mia").await.unwrap();
    assert_eq!(code(other.create_link(&f.id, &CreateLinkRequest::default()).await).0, 403);
    // Deleting the file kills its links.
    c.delete_file(&f.id).await.unwrap();
    assert_eq!(anon().get(format!("{}/content", link.url)).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn signed_urls_work_without_a_token_until_expiry_tampering_or_change() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (c, f) = owner_with_file(&s).await;
    let signed = c.download_url(&f.id, None).await.unwrap();
    assert!(signed.url.starts_with(&s.base));
    let r = anon().get(&signed.url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"0123456789");
    let r = anon().get(&signed.url).header(header::RANGE, "bytes=2-3").send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"23");

    // Tampering with any part gives the same 404.
    let token = signed.url.rsplit('/').next().unwrap().to_string();
    let parts: Vec<&str> = token.split('.').collect();
    let mut flipped_sig = parts[3].to_string();
    let last = if flipped_sig.ends_with('0') { "1" } else { "0" };
    flipped_sig.replace_range(flipped_sig.len() - 1.., last);
    let tampered = [
        format!("{}.{}.{}.{}", parts[0], parts[1], parts[2], flipped_sig),
        format!("{}.{}.{}.{}", parts[0], parts[1], parts[2].parse::<i64>().unwrap() + 3600, parts[3]),
        format!("{}.{}.{}.{}", "0".repeat(32), parts[1], parts[2], parts[3]),
        "garbage".to_string(),
    ];
    for t in tampered {
        let r = anon().get(format!("{}/api/v1/signed/{t}", s.base)).send().await.unwrap();
        assert_eq!(error_code(r).await, (404, "link_not_found".into()), "{t}");
    }
    for bad in [Some(0), Some(-1), Some(7 * 24 * 3600 + 1)] {
        assert_eq!(code(c.download_url(&f.id, bad).await), (422, "validation_failed".into()));
    }
    let short = c.download_url(&f.id, Some(1)).await.unwrap();
    assert!(gone_within(Duration::from_secs(5), &short.url).await, "expired");

    // New content: the old URL dies.
    c.put(&f.path, "new content", &PutOptions::default()).await.unwrap();
    assert_eq!(anon().get(&signed.url).send().await.unwrap().status(), 404);
    let fresh = c.download_url(&f.id, None).await.unwrap();
    assert_eq!(anon().get(&fresh.url).send().await.unwrap().status(), 200);
    c.delete_file(&f.id).await.unwrap();
    assert_eq!(anon().get(&fresh.url).send().await.unwrap().status(), 404, "deleted");
}

#[tokio::test]
async fn signed_urls_and_links_survive_a_restart() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (c, f) = owner_with_file(&s).await;
    let signed = c.download_url(&f.id, Some(600)).await.unwrap();
    let link = c.create_link(&f.id, &CreateLinkRequest::default()).await.unwrap();
    let old_base = s.base.clone();
    let s = s.restart().await;
    for url in [signed.url.replace(&old_base, &s.base), format!("{}/content", link.url.replace(&old_base, &s.base))] {
        assert_eq!(anon().get(&url).send().await.unwrap().status(), 200, "{url}");
    }
}

#[tokio::test]
async fn a_recipients_signed_url_dies_with_the_share() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (c, f) = owner_with_file(&s).await;
    let reader = s.user("rae").await;
    let (share, _) = c.share(&f.id, "rae").await.unwrap();
    let signed = reader.download_url(&f.id, None).await.unwrap();
    assert_eq!(anon().get(&signed.url).send().await.unwrap().status(), 200);
    c.unshare(&f.id, &share.user.id).await.unwrap();
    assert_eq!(anon().get(&signed.url).send().await.unwrap().status(), 404);
}

/// Every field of a link or a signed URL is optional, so no body at all means defaults.
#[tokio::test]
async fn links_and_signed_urls_need_no_body() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let (f, _) = c.put("a.txt", "hello", &PutOptions::default()).await.unwrap();
    let r = c.request(reqwest::Method::POST, &format!("/api/v1/files/{}/links", f.id)).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let link: serde_json::Value = r.json().await.unwrap();
    assert!(link["link"]["expires_at"].is_null() && link["link"]["max_downloads"].is_null());
    let r = c.request(reqwest::Method::POST, &format!("/api/v1/files/{}/download-url", f.id)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let url: serde_json::Value = r.json().await.unwrap();
    let body = reqwest::get(url["url"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    assert_eq!(body, "hello");
    // A route with a required field names it instead of complaining about JSON syntax.
    let r = c.request(reqwest::Method::PATCH, &format!("/api/v1/files/{}", f.id)).send().await.unwrap();
    assert_eq!(r.status(), 422);
}

/// Link and signed URLs are built from the configured root or the listen address,
/// never from the Host header a client sends.
#[tokio::test]
async fn link_urls_never_come_from_the_host_header() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let (f, _) = c.put("a.txt", "hello", &PutOptions::default()).await.unwrap();
    for path in [format!("/api/v1/files/{}/links", f.id), format!("/api/v1/files/{}/download-url", f.id)] {
        let r = c.request(reqwest::Method::POST, &path).header(header::HOST, "evil.example").send().await.unwrap();
        let text = r.text().await.unwrap();
        assert!(!text.contains("evil.example"), "{text}");
        assert!(text.contains(&s.base), "{text}");
    }
    let configured = TestServer::start_with(|c| c.public_url = Some("https://files.example.org/".into())).await;
    let c = configured.user("bob").await;
    let (f, _) = c.put("b.txt", "hi", &PutOptions::default()).await.unwrap();
    let link = c.create_link(&f.id, &CreateLinkRequest::default()).await.unwrap();
    assert!(link.url.starts_with("https://files.example.org/s/"), "{}", link.url);
}

/// A signed URL is accepted only as issued: the same signature in upper case is not one.
#[tokio::test]
async fn signed_urls_are_compared_exactly() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let (f, _) = c.put("a.txt", "hello", &PutOptions::default()).await.unwrap();
    let url = c.download_url(&f.id, None).await.unwrap().url;
    assert_eq!(anon().get(&url).send().await.unwrap().status(), 200);
    let (head, sig) = url.rsplit_once('.').unwrap();
    let upper = format!("{head}.{}", sig.to_uppercase());
    assert_ne!(upper, url);
    assert_eq!(anon().get(&upper).send().await.unwrap().status(), 404);
}
