//! Cross-site requests with the session cookie are refused; the same requests from our
//! own origin, with the CSRF token, or with a bearer token go through.

use crate::common::{PASSWORD, TestServer};
use reqwest::{Method, StatusCode, header};

/// Signs in as a browser would: the session cookie and the readable CSRF cookie.
async fn browser_login(s: &TestServer, name: &str) -> (String, String) {
    s.user(name).await;
    let r = s
        .anon
        .request(Method::POST, "/api/v1/auth/login")
        .json(&serde_json::json!({"username": name, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect();
    let csrf = cookies.iter().find(|c| c.starts_with("nimbus_csrf=")).expect("a CSRF cookie").clone();
    (cookies.join("; "), csrf.trim_start_matches("nimbus_csrf=").to_string())
}

#[tokio::test]
async fn cross_site_writes_with_the_cookie_are_refused() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (cookies, token) = browser_login(&s, "alice").await;
    s.user("bob").await;
    let message = serde_json::json!({"to": "bob", "text": "hi"}).to_string();
    let send = |origin: Option<&str>, content_type: &str| {
        let mut rb = s
            .anon
            .request(Method::POST, "/api/v1/messages")
            .header(header::COOKIE, &cookies)
            .header(header::CONTENT_TYPE, content_type)
            .body(message.clone());
        if let Some(o) = origin {
            rb = rb.header(header::ORIGIN, o);
        }
        rb.send()
    };
    // The reported attack: text/plain JSON from another origin.
    assert_eq!(
        send(Some("http://evil.example"), "text/plain").await.unwrap().status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let r = send(Some("http://evil.example"), "application/json").await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("cross-site"));
    assert_eq!(send(None, "application/json").await.unwrap().status(), StatusCode::FORBIDDEN, "no origin, no token");
    assert_eq!(
        send(Some(&s.base), "application/json").await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "our origin without the token is not enough"
    );
    let from_evil_with_token = s
        .anon
        .request(Method::POST, "/api/v1/messages")
        .header(header::COOKIE, &cookies)
        .header(header::ORIGIN, "http://evil.example")
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({"to": "bob", "text": "stolen token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(from_evil_with_token.status(), StatusCode::FORBIDDEN, "the token from another origin is not enough");
    // The token from our own origin (or with no Origin at all), or a bearer token: allowed.
    let own_origin_with_token = s
        .anon
        .request(Method::POST, "/api/v1/messages")
        .header(header::COOKIE, &cookies)
        .header(header::ORIGIN, &s.base)
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({"to": "bob", "text": "from our page"}))
        .send()
        .await
        .unwrap();
    assert_eq!(own_origin_with_token.status(), StatusCode::CREATED);
    let with_token = s
        .anon
        .request(Method::POST, "/api/v1/messages")
        .header(header::COOKIE, &cookies)
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({"to": "bob", "text": "with the token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), StatusCode::CREATED);
    let wrong_token = s
        .anon
        .request(Method::POST, "/api/v1/messages")
        .header(header::COOKIE, &cookies)
        .header("x-csrf-token", "csrf_guess")
        .json(&serde_json::json!({"to": "bob", "text": "guess"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_token.status(), StatusCode::FORBIDDEN);
    let bearer = s.anon.login("alice", PASSWORD).await.unwrap().0;
    let r = bearer
        .request(Method::POST, "/api/v1/messages")
        .header(header::ORIGIN, "http://evil.example")
        .json(&serde_json::json!({"to": "bob", "text": "scripted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "bearer tokens are not sent by browsers on their own");
    let sent = bearer.messages("sent", None, None).await.unwrap();
    assert_eq!(sent.items.len(), 3, "only the three allowed messages exist");

    // A multipart upload from another origin stores nothing; reads stay open.
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.txt"));
    let r = s
        .anon
        .request(Method::POST, "/api/v1/files")
        .header(header::COOKIE, &cookies)
        .header(header::ORIGIN, "http://evil.example")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(bearer.list_files(None, None, None).await.unwrap().items.is_empty());
    let me = s
        .anon
        .request(Method::GET, "/api/v1/me")
        .header(header::COOKIE, &cookies)
        .header(header::ORIGIN, "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
}
