//! Two-factor sign-in (TOTP): setting it up with a code computed here the way an
//! authenticator app does (HMAC-SHA-1 over the time step, RFC 6238), signing in with
//! it, codes that cannot be replayed, single-use recovery codes, throttling of wrong
//! codes, and turning it off.

use crate::common::{PASSWORD, TestServer};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// What an authenticator app shows for `secret` (base32) at `step`.
fn app_code(secret_b32: &str, step: i64) -> String {
    let key = nimbus_server::domain::totp::base32_decode(secret_b32).unwrap();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
    mac.update(&step.to_be_bytes());
    let d = mac.finalize().into_bytes();
    let o = (d[19] & 0xf) as usize;
    let n = u32::from_be_bytes([d[o] & 0x7f, d[o + 1], d[o + 2], d[o + 3]]) % 1_000_000;
    format!("{n:06}")
}

fn step_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 / 30
}

async fn login(s: &TestServer, code: Option<&str>) -> (StatusCode, Value) {
    let mut body = json!({"username": "amy", "password": PASSWORD});
    if let Some(c) = code {
        body["code"] = json!(c);
    }
    let r = s.anon.request(Method::POST, "/api/v1/auth/login").json(&body).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn two_factor_sign_in_end_to_end() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("amy").await;

    // Set up: a secret and its otpauth URI; a wrong code does not turn it on.
    let setup: Value = c.request(Method::POST, "/api/v1/me/2fa").send().await.unwrap().json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 32, "20 bytes in base32");
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Nimbus:amy?secret=") && uri.contains(&secret) && uri.contains("period=30"),
        "{uri}"
    );
    let qr = c.request(Method::GET, "/api/v1/me/2fa/qr").send().await.unwrap();
    assert_eq!(qr.status(), 200);
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert_eq!(qr.headers()["cache-control"], "no-store");
    assert!(qr.text().await.unwrap().contains("<svg"));
    let r = c.request(Method::POST, "/api/v1/me/2fa/confirm").json(&json!({"code": "000000"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(login(&s, None).await.0, StatusCode::OK, "still off");
    let confirm: Value = c
        .request(Method::POST, "/api/v1/me/2fa/confirm")
        .json(&json!({"code": app_code(&secret, step_now())}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let recovery: Vec<String> =
        confirm["recovery_codes"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(recovery.len(), 10);

    // Sign-in now needs the code.
    let (status, body) = login(&s, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("second_factor_required")));
    let (status, body) = login(&s, Some("123456")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")));
    // The code of the next step (the confirm used this one): accepted once, not twice.
    let next = app_code(&secret, step_now() + 1);
    assert_eq!(login(&s, Some(&next)).await.0, StatusCode::OK);
    let (status, body) = login(&s, Some(&next)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials")),
        "no replay"
    );

    // A recovery code works once (any case, with or without its dash).
    assert_eq!(login(&s, Some(&recovery[0].to_uppercase().replace('-', ""))).await.0, StatusCode::OK);
    assert_eq!(login(&s, Some(&recovery[0])).await.0, StatusCode::UNAUTHORIZED, "single use");
    assert_eq!(login(&s, Some(&recovery[1])).await.0, StatusCode::OK);

    // Once on, the secret is not shown again.
    assert_eq!(c.request(Method::GET, "/api/v1/me/2fa/qr").send().await.unwrap().status(), StatusCode::CONFLICT);
    // Setting up again while on is refused; turning off needs the password and a code.
    assert_eq!(c.request(Method::POST, "/api/v1/me/2fa").send().await.unwrap().status(), StatusCode::CONFLICT);
    let off = |password: &str, code: &str| {
        c.request(Method::DELETE, "/api/v1/me/2fa").json(&json!({"password": password, "code": code})).send()
    };
    assert_eq!(off("wrong password", &recovery[2]).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(off(PASSWORD, "999999").await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(off(PASSWORD, &recovery[2]).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(login(&s, None).await.0, StatusCode::OK, "off again");
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("amy").await;
    let setup: Value = c.request(Method::POST, "/api/v1/me/2fa").send().await.unwrap().json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap().to_string();
    let r = c
        .request(Method::POST, "/api/v1/me/2fa/confirm")
        .json(&json!({"code": app_code(&secret, step_now())}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut limited = false;
    for _ in 0..30 {
        let (status, _) = login(&s, Some("000000")).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert!(limited, "guessing codes runs into the same limit as guessing passwords");
    // Even the right code is refused while the limit holds.
    assert_eq!(login(&s, Some(&app_code(&secret, step_now() + 1))).await.0, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_device_may_not_touch_two_factor_settings() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("amy").await;
    let secret = c.create_device("Phone", "p1").await.unwrap().secret.unwrap();
    let (phone, _) = s.anon.device_login("amy", "p1", &secret).await.unwrap();
    assert_eq!(phone.request(Method::POST, "/api/v1/me/2fa").send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let r = phone
        .request(Method::DELETE, "/api/v1/me/2fa")
        .json(&json!({"password": PASSWORD, "code": "000000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
