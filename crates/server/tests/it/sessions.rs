//! The sessions a user can see and end: each sign-in (browser, token, device) with where
//! it came from and when it was last used; ending one, or all but the current one, stops
//! their tokens on the very next request.

use crate::common::{PASSWORD, TestServer};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

async fn sign_in(s: &TestServer, origin: Option<&str>, agent: &str) -> nimbus_client::Client {
    let mut rb = s.anon.request(Method::POST, "/api/v1/auth/login").header(header::USER_AGENT, agent);
    if let Some(o) = origin {
        rb = rb.header(header::ORIGIN, o);
    }
    let r: Value =
        rb.json(&json!({"username": "amy", "password": PASSWORD})).send().await.unwrap().json().await.unwrap();
    s.anon.with_token(r["access_token"].as_str().unwrap().to_string())
}

async fn sessions(c: &nimbus_client::Client) -> Vec<Value> {
    let v: Value = c.request(Method::GET, "/api/v1/me/sessions").send().await.unwrap().json().await.unwrap();
    v["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sessions_are_listed_and_end_at_once() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let first = s.user("amy").await;
    let other_user = s.user("ben").await;
    let browser = sign_in(&s, Some(&s.base), "Mozilla/5.0 (X11; Linux x86_64) Chrome/156").await;
    let script = sign_in(&s, None, "curl/8.5").await;
    let secret = first.create_device("Phone", "phone-1").await.unwrap().secret.unwrap();
    let (phone, _) = s.anon.device_login("amy", "phone-1", &secret).await.unwrap();

    let list = sessions(&browser).await;
    assert_eq!(list.len(), 4, "{list:?}");
    let kinds: Vec<&str> = list.iter().map(|x| x["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "browser").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "device").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "token").count(), 2, "{kinds:?}");
    let current: Vec<&Value> = list.iter().filter(|x| x["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["kind"], "browser");
    assert!(current[0]["user_agent"].as_str().unwrap().contains("Chrome/156"));
    assert_eq!(current[0]["client_address"], "127.0.0.1");
    assert!(current[0]["last_used_at"].is_string());
    assert!(list.iter().all(|x| x.get("token_hash").is_none()), "no secrets");

    // A device may not see or end sessions (managing the account needs the password).
    assert_eq!(phone.request(Method::GET, "/api/v1/me/sessions").send().await.unwrap().status(), StatusCode::FORBIDDEN);

    // End the device's session: its token stops on the next request.
    let device_id = list.iter().find(|x| x["kind"] == "device").unwrap()["id"].as_str().unwrap().to_string();
    let r = other_user.request(Method::DELETE, &format!("/api/v1/me/sessions/{device_id}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "someone else's session does not exist for them");
    assert_eq!(phone.me().await.unwrap().username, "amy");
    let r = browser.request(Method::DELETE, &format!("/api/v1/me/sessions/{device_id}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(phone.me().await.is_err(), "the device's token stopped at once");
    assert_eq!(sessions(&browser).await.len(), 3);

    // End all the others: only the current one remains.
    let r = browser.request(Method::DELETE, "/api/v1/me/sessions").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(first.me().await.is_err() && script.me().await.is_err());
    assert_eq!(browser.me().await.unwrap().username, "amy");
    let left = sessions(&browser).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["current"], true);
    assert_eq!(other_user.me().await.unwrap().username, "ben", "other users are untouched");
}
