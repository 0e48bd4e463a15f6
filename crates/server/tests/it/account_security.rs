//! Password reset by mailed code (against a real SMTP server), login throttling,
//! avatars and public profiles.

use crate::common::{PASSWORD, SmtpSink, TestServer, code};
use reqwest::{Method, StatusCode, header};
use serde_json::json;
use std::time::Duration;

fn code_in(mail: &str) -> String {
    let at = mail.find("reset code is ").expect("the mail carries the code") + "reset code is ".len();
    mail[at..].chars().take_while(char::is_ascii_digit).collect()
}

async fn post(s: &TestServer, path: &str, body: serde_json::Value) -> (StatusCode, serde_json::Value) {
    let r = s.anon.request(Method::POST, path).json(&body).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

async fn with_smtp(tweak: impl FnOnce(&mut nimbus_server::Config)) -> Option<(TestServer, SmtpSink)> {
    let sink = SmtpSink::start()?;
    let url = sink.url.clone();
    let s = TestServer::start_with(|c| {
        c.smtp_url = Some(url);
        c.mail_from = "Nimbus <noreply@nimbus.test>".into();
        tweak(c);
    })
    .await;
    Some((s, sink))
}

#[tokio::test]
async fn the_mailed_code_resets_the_password_once_and_revokes_sessions() {
    crate::needs_backend!();
    let Some((s, sink)) = with_smtp(|_| {}).await else { return };
    let c = s.user("alice").await;
    let (status, body) = post(&s, "/api/v1/auth/password-reset", json!({"email": "ALICE@example.org"})).await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, json!({})));
    let (to, mail) = sink.wait_for(1).await;
    assert_eq!(to, vec!["alice@example.org".to_string()]);
    assert!(mail.contains("noreply@nimbus.test"));
    let code_ = code_in(&mail);
    assert_eq!(code_.len(), 8, "{mail}");

    let confirm = json!({"email": "alice@example.org", "code": code_, "new_password": "brand new password"});
    let (status, _) = post(&s, "/api/v1/auth/password-reset/confirm", confirm.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(code(c.me().await), (401, "unauthorized".into()), "every session is revoked");
    assert_eq!(code(s.anon.login("alice", PASSWORD).await).0, 401);
    s.anon.login("alice", "brand new password").await.unwrap();
    let (status, body) = post(&s, "/api/v1/auth/password-reset/confirm", confirm).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (422, Some("invalid_code")), "single use");
}

#[tokio::test]
async fn wrong_burned_and_expired_codes_are_invalid_code() {
    crate::needs_backend!();
    let Some((s, sink)) = with_smtp(|c| c.password_reset_ttl_secs = 2).await else { return };
    s.user("bob").await;
    post(&s, "/api/v1/auth/password-reset", json!({"email": "bob@example.org"})).await;
    let real = code_in(&sink.wait_for(1).await.1);
    let wrong = if real == "00000000" { "00000001" } else { "00000000" };
    let attempt = |c: &str| json!({"email": "bob@example.org", "code": c, "new_password": "another password"});
    let (status, _) = post(
        &s,
        "/api/v1/auth/password-reset/confirm",
        json!({"email": "bob@example.org", "code": real, "new_password": "short"}),
    )
    .await;
    assert_eq!(status.as_u16(), 422, "a bad new password is refused without spending the code");
    for _ in 0..5 {
        let (status, body) = post(&s, "/api/v1/auth/password-reset/confirm", attempt(wrong)).await;
        assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (422, Some("invalid_code")));
    }
    let (status, body) = post(&s, "/api/v1/auth/password-reset/confirm", attempt(&real)).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (422, Some("invalid_code")),
        "burned after 5 wrong tries"
    );

    // A new code replaces the burned one; left unused past its lifetime it expires.
    post(&s, "/api/v1/auth/password-reset", json!({"email": "bob@example.org"})).await;
    let fresh = code_in(&sink.wait_for(2).await.1);
    // The code is made after the 202 (in the background), and before it is mailed: its
    // lifetime (2 s here) has surely run out 2 s after the mail arrived. Every try would
    // spend one of its five, so this waits for that instead of polling.
    let mailed = tokio::time::Instant::now();
    tokio::time::sleep_until(mailed + Duration::from_millis(2100)).await;
    let (status, body) = post(&s, "/api/v1/auth/password-reset/confirm", attempt(&fresh)).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (422, Some("invalid_code")), "expired");
    let (status, _) = post(
        &s,
        "/api/v1/auth/password-reset/confirm",
        json!({"email": "nobody@example.org", "code": fresh, "new_password": "another password"}),
    )
    .await;
    assert_eq!(status.as_u16(), 422);
    s.anon.login("bob", PASSWORD).await.expect("the password never changed");
}

#[tokio::test]
async fn unknown_addresses_get_the_same_answer_and_no_mail() {
    crate::needs_backend!();
    let Some((s, sink)) = with_smtp(|_| {}).await else { return };
    s.user("carol").await;
    let unknown = post(&s, "/api/v1/auth/password-reset", json!({"email": "nobody@example.org"})).await;
    let malformed = post(&s, "/api/v1/auth/password-reset", json!({"email": "not an address"})).await;
    let known = post(&s, "/api/v1/auth/password-reset", json!({"email": "carol@example.org"})).await;
    assert_eq!(unknown, known);
    assert_eq!(malformed, known);
    sink.wait_for(1).await;
    // An absence cannot be polled for: give a stray mail for the unknown addresses the
    // time the known one took, and then some, to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = sink.mails();
    assert_eq!(mails.len(), 1, "only the known address gets mail");
    assert_eq!(mails[0].0, vec!["carol@example.org".to_string()]);
}

#[tokio::test]
async fn reset_requests_are_rate_limited_per_address() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    for _ in 0..5 {
        assert_eq!(post(&s, "/api/v1/auth/password-reset", json!({"email": "x@example.org"})).await.0, 202);
    }
    let r = s
        .anon
        .request(Method::POST, "/api/v1/auth/password-reset")
        .json(&json!({"email": "X@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        post(&s, "/api/v1/auth/password-reset", json!({"email": "y@example.org"})).await.0,
        202,
        "other addresses go on"
    );
}

async fn login_from(s: &TestServer, user: &str, password: &str, from: &str) -> reqwest::Response {
    s.anon
        .request(Method::POST, "/api/v1/auth/login")
        .header("X-Forwarded-For", from)
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn login_throttling_never_locks_the_owner_out_from_elsewhere() {
    crate::needs_backend!();
    // Behind a trusted proxy (the test client), X-Forwarded-For names the client.
    let s = TestServer::start_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    s.user("dave").await;
    for _ in 0..5 {
        assert_eq!(login_from(&s, "dave", "guess", "203.0.113.5").await.status(), 401);
    }
    let r = login_from(&s, "dave", PASSWORD, "203.0.113.5").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "the guessing address is throttled");
    assert!(r.headers()[header::RETRY_AFTER].to_str().unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(login_from(&s, "dave", PASSWORD, "198.51.100.7").await.status(), 200, "the owner elsewhere gets in");

    // Many addresses guessing one account: each that failed is blocked, clean ones are not.
    for i in 0..5 {
        for _ in 0..4 {
            login_from(&s, "dave", "guess", &format!("192.0.2.{i}")).await;
        }
    }
    assert_eq!(login_from(&s, "dave", "guess", "192.0.2.0").await.status(), 429);
    assert_eq!(login_from(&s, "dave", PASSWORD, "198.51.100.8").await.status(), 200);
}

#[tokio::test]
async fn forwarded_for_is_ignored_without_a_trusted_proxy() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    s.user("erin").await;
    for i in 0..5 {
        login_from(&s, "erin", "guess", &format!("203.0.113.{i}")).await;
    }
    let r = login_from(&s, "erin", PASSWORD, "198.51.100.9").await;
    assert_eq!(r.status(), 429, "a spoofed header does not buy a fresh address");
}

const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d,
    0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];
const GIF_1X1: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

#[tokio::test]
async fn avatars_are_checked_by_content_and_served_with_their_type() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("fiona").await;
    let me = c.me().await.unwrap();
    assert!(me.avatar_url.is_none());
    let jpeg = [&[0xffu8, 0xd8, 0xff, 0xe0][..], &[0u8; 100][..]].concat();
    let webp = [&b"RIFF\x24\0\0\0WEBPVP8 "[..], &[0u8; 40][..]].concat();
    for (bytes, ctype) in
        [(PNG_1X1.to_vec(), "image/png"), (jpeg, "image/jpeg"), (GIF_1X1.to_vec(), "image/gif"), (webp, "image/webp")]
    {
        // The declared type is ignored: the bytes decide.
        let r = c
            .request(Method::PUT, "/api/v1/me/avatar")
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{ctype}");
        let url = c.me().await.unwrap().avatar_url.expect("avatar_url is set");
        let got = s.anon.request(Method::GET, &url).send().await.unwrap();
        assert_eq!(got.headers()[header::CONTENT_TYPE], ctype);
        assert_eq!(got.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(got.bytes().await.unwrap().as_ref(), bytes.as_slice());
    }
    let disguised = c
        .request(Method::PUT, "/api/v1/me/avatar")
        .header(header::CONTENT_TYPE, "image/png")
        .body("<svg onload=alert(1)>")
        .send()
        .await
        .unwrap();
    assert_eq!(disguised.status(), 415);
    let body: serde_json::Value = disguised.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    let mut huge = PNG_1X1.to_vec();
    huge.resize((5 << 20) + 1, 0);
    let r = c.request(Method::PUT, "/api/v1/me/avatar").body(huge).send().await.unwrap();
    assert_eq!(r.status(), 413);
    let mut max = PNG_1X1.to_vec();
    max.resize(5 << 20, 0);
    assert_eq!(
        c.request(Method::PUT, "/api/v1/me/avatar").body(max).send().await.unwrap().status(),
        204,
        "exactly 5 MiB fits"
    );

    c.delete_avatar().await.unwrap();
    assert!(c.me().await.unwrap().avatar_url.is_none());
    assert_eq!(code(s.anon.avatar(&me.id).await).0, 404);
}

#[tokio::test]
async fn public_profiles_show_only_public_fields() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let a = s.user("gina").await;
    a.update_me(&nimbus_api::UpdateMeRequest { first_name: Some("Gina".into()), ..Default::default() }).await.unwrap();
    let b = s.user("hugo").await;
    let r = b.request(Method::GET, "/api/v1/users/GINA").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    let mut keys: Vec<&str> = body["user"].as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["avatar_url", "first_name", "id", "last_name", "username"]);
    assert_eq!(body["user"]["first_name"], "Gina");
    assert_eq!(b.profile("gina").await.unwrap().first_name.as_deref(), Some("Gina"));
    assert_eq!(code(b.profile("nobody").await), (404, "user_not_found".into()));
    assert_eq!(code(s.anon.profile("gina").await).0, 401);
}
