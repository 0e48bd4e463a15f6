//! Register, login, logout, the current user, password change and account deletion.

use crate::common::{PASSWORD, TestServer, code};
use nimbus_api::{RegisterRequest, UpdateMeRequest};
use nimbus_client::PutOptions;
use reqwest::{Method, header};

fn reg(username: &str, password: &str, email: Option<&str>) -> RegisterRequest {
    RegisterRequest {
        username: username.into(),
        password: password.into(),
        email: email.map(Into::into),
        ..Default::default()
    }
}

#[tokio::test]
async fn register_returns_the_user_and_never_a_password() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let resp = s
        .anon
        .request(Method::POST, "/api/v1/auth/register")
        .json(&serde_json::json!({"username": "Alice", "password": PASSWORD, "email": "alice@example.org", "first_name": "Alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let body: serde_json::Value = resp.json().await.unwrap();
    let user = &body["user"];
    assert_eq!(user["username"], "Alice");
    assert_eq!(user["email"], "alice@example.org");
    assert_eq!(user["first_name"], "Alice");
    assert_eq!(user["is_admin"], true, "the first account is the admin");
    assert!(user["id"].is_string());
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    let text = body.to_string();
    assert!(!text.contains(PASSWORD) && !text.contains("argon2") && !text.contains("password"));

    let second = s.anon.register(&reg("bob", PASSWORD, None)).await.unwrap();
    assert!(!second.is_admin);
}

#[tokio::test]
async fn register_validates_every_field() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    for (req, field) in [
        (reg("ab", PASSWORD, None), "username"),
        (reg(&"x".repeat(33), PASSWORD, None), "username"),
        (reg("bad name", PASSWORD, None), "username"),
        (reg("bad/name", PASSWORD, None), "username"),
        (reg("carol", "short", None), "password"),
        (reg("carol", PASSWORD, Some("not-an-email")), "email"),
    ] {
        let err = s.anon.register(&req).await.expect_err("must be refused");
        assert_eq!(err.status().unwrap(), 422, "{field}");
        assert_eq!(err.code(), Some("validation_failed"));
        let nimbus_client::ClientError::Api { body, .. } = err else { panic!() };
        assert!(body.error.fields.unwrap().contains_key(field), "{field}");
    }
    // Nothing half-created: the valid username is still free.
    s.anon.register(&reg("carol", PASSWORD, None)).await.unwrap();
}

#[tokio::test]
async fn usernames_and_emails_are_unique_case_insensitively() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    s.anon.register(&reg("Dave", PASSWORD, Some("dave@example.org"))).await.unwrap();
    assert_eq!(code(s.anon.register(&reg("dave", PASSWORD, None)).await), (409, "username_taken".into()));
    assert_eq!(
        code(s.anon.register(&reg("dave2", PASSWORD, Some("DAVE@example.org"))).await),
        (409, "email_taken".into())
    );
}

#[tokio::test]
async fn malformed_and_mistyped_json_get_400_and_422() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let r = s.anon.request(Method::POST, "/api/v1/auth/register").body("{not json").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    let r = s
        .anon
        .request(Method::POST, "/api/v1/auth/register")
        .json(&serde_json::json!({"username": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = s.anon.request(Method::POST, "/api/v1/auth/login").json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn login_by_username_or_email_and_wrong_credentials() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    s.anon.register(&reg("erin", PASSWORD, Some("erin@example.org"))).await.unwrap();
    let (c, resp) = s.anon.login("ERIN", PASSWORD).await.unwrap();
    assert_eq!(resp.token_type, "Bearer");
    assert!(resp.access_token.len() >= 32);
    assert_eq!(resp.user.username, "erin");
    assert_eq!(c.me().await.unwrap().username, "erin");
    s.anon.login("erin@example.org", PASSWORD).await.unwrap();
    assert_eq!(code(s.anon.login("erin", "wrong password").await), (401, "invalid_credentials".into()));
    assert_eq!(code(s.anon.login("nobody", PASSWORD).await), (401, "invalid_credentials".into()));
}

#[tokio::test]
async fn requests_without_valid_tokens_are_401() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    assert_eq!(code(s.anon.me().await), (401, "unauthorized".into()));
    assert_eq!(code(s.anon.with_token("nmb_forged").me().await), (401, "unauthorized".into()));
    let r = s.anon.request(Method::GET, "/api/v1/files").header("Authorization", "Basic abc").send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn logout_revokes_the_token_at_once() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("frank").await;
    let other = s.anon.login("frank", PASSWORD).await.unwrap().0;
    c.logout().await.unwrap();
    assert_eq!(code(c.me().await), (401, "unauthorized".into()));
    assert_eq!(code(c.logout().await), (401, "unauthorized".into()));
    other.me().await.expect("other sessions stay valid");
}

#[tokio::test]
async fn session_cookie_is_httponly_lax_and_authenticates() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    s.anon.register(&reg("gina", PASSWORD, None)).await.unwrap();
    let r = s
        .anon
        .request(Method::POST, "/api/v1/auth/login")
        .json(&serde_json::json!({"username": "gina", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    let csrf = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("nimbus_csrf="))
        .unwrap();
    let me = s.anon.request(Method::GET, "/api/v1/me").header(header::COOKIE, &pair).send().await.unwrap();
    assert_eq!(me.status(), 200);
    // The app sends its page's origin and echoes the CSRF cookie with every POST.
    let out = s
        .anon
        .request(Method::POST, "/api/v1/auth/logout")
        .header(header::COOKIE, format!("{pair}; {csrf}"))
        .header(header::ORIGIN, &s.base)
        .header("x-csrf-token", csrf.trim_start_matches("nimbus_csrf="))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let me = s.anon.request(Method::GET, "/api/v1/me").header(header::COOKIE, &pair).send().await.unwrap();
    assert_eq!(me.status(), 401);
}

#[tokio::test]
async fn patch_me_validates_and_keeps_uniqueness() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let h = s.user("hank").await;
    s.user("ivy").await;
    let u = h
        .update_me(&UpdateMeRequest {
            first_name: Some("Hank".into()),
            email: Some("h@example.org".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((u.first_name.as_deref(), u.email.as_deref()), (Some("Hank"), Some("h@example.org")));
    let taken = UpdateMeRequest { email: Some("IVY@example.org".into()), ..Default::default() };
    assert_eq!(code(h.update_me(&taken).await), (409, "email_taken".into()));
    let taken = UpdateMeRequest { username: Some("Ivy".into()), ..Default::default() };
    assert_eq!(code(h.update_me(&taken).await), (409, "username_taken".into()));
    let bad = UpdateMeRequest { username: Some("a".into()), ..Default::default() };
    assert_eq!(code(h.update_me(&bad).await), (422, "validation_failed".into()));
    let renamed = h.update_me(&UpdateMeRequest { username: Some("henry".into()), ..Default::default() }).await.unwrap();
    assert_eq!(renamed.username, "henry");
    s.anon.login("henry", PASSWORD).await.unwrap();
}

#[tokio::test]
async fn password_change_revokes_other_sessions_only() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let a = s.user("jack").await;
    let b = s.anon.login("jack", PASSWORD).await.unwrap().0;
    assert_eq!(code(a.change_password("wrong password", "new password 1").await), (403, "invalid_credentials".into()));
    a.me().await.expect("a wrong current password keeps the session");
    assert_eq!(code(a.change_password(PASSWORD, "short").await), (422, "validation_failed".into()));
    a.change_password(PASSWORD, "new password 1").await.unwrap();
    a.me().await.expect("the current session stays");
    assert_eq!(code(b.me().await), (401, "unauthorized".into()));
    assert_eq!(code(s.anon.login("jack", PASSWORD).await), (401, "invalid_credentials".into()));
    s.anon.login("jack", "new password 1").await.unwrap();
}

#[tokio::test]
async fn deleting_the_account_removes_files_and_tokens() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let k = s.user("kate").await;
    k.put("notes/a.txt", "hello", &PutOptions::default()).await.unwrap();
    let other = s.anon.login("kate", PASSWORD).await.unwrap().0;
    let r = k
        .request(Method::DELETE, "/api/v1/me")
        .json(&serde_json::json!({"password": "nope nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    k.delete_me(PASSWORD).await.unwrap();
    assert_eq!(code(k.me().await), (401, "unauthorized".into()));
    assert_eq!(code(other.me().await), (401, "unauthorized".into()));
    assert_eq!(code(s.anon.login("kate", PASSWORD).await), (401, "invalid_credentials".into()));
    // The name is free again, and the new account starts empty.
    let again = s.user("kate").await;
    assert!(again.list_files(None, None, None).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn an_expired_session_answers_token_expired() {
    crate::needs_backend!();
    // A zero lifetime makes every session expired by its first use.
    let s = TestServer::start_with(|c| c.session_ttl_secs = 0).await;
    s.anon.register(&reg("lena", PASSWORD, None)).await.unwrap();
    let (c, _) = s.anon.login("lena", PASSWORD).await.unwrap();
    assert_eq!(code(c.me().await), (401, "token_expired".into()));
}
