//! Who may create an account: `registration = open` (the default), `invite` (with a
//! single-use, expiring code from an admin) or `closed` (only `nimbus admin
//! create-user`); the first account on a server is the admin in every mode.

use crate::common::{PASSWORD, TestServer};
use nimbus_api::RegisterRequest;
use nimbus_server::config::Registration;
use reqwest::{Method, StatusCode};

fn req(name: &str, invite: Option<&str>) -> RegisterRequest {
    RegisterRequest {
        username: name.into(),
        password: PASSWORD.into(),
        invite: invite.map(str::to_string),
        ..Default::default()
    }
}

async fn register(s: &TestServer, name: &str, invite: Option<&str>) -> (u16, String) {
    let r = s.anon.request(Method::POST, "/api/v1/auth/register").json(&req(name, invite)).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

/// An invite code from the admin, valid for `secs` seconds.
async fn invite(admin: &nimbus_client::Client, secs: i64) -> String {
    let r = admin
        .request(Method::POST, "/api/v1/admin/invites")
        .json(&serde_json::json!({"expires_in": secs}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: serde_json::Value = r.json().await.unwrap();
    body["invite"]["code"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn with_invites_each_code_admits_one_account_before_it_expires() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.registration = Registration::Invite).await;
    assert_eq!(register(&s, "root", None).await.0, 201, "the first account needs no invite");
    let admin = s.anon.login("root", PASSWORD).await.unwrap().0;
    assert!(admin.me().await.unwrap().is_admin);

    let (status, body) = register(&s, "nobody", None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("forbidden") && body.contains("invite"), "{body}");
    assert_eq!(register(&s, "guesser", Some("inv_0000")).await.0, 403);

    let code = invite(&admin, 3600).await;
    assert!(code.len() >= 32, "{code}");
    // A refused registration (the name is taken) does not use the invite up.
    assert_eq!(register(&s, "ROOT", Some(&code)).await.0, 409);
    assert_eq!(register(&s, "amy", Some(&code)).await.0, 201);
    s.anon.login("amy", PASSWORD).await.expect("amy signs in");
    assert_eq!(register(&s, "ben", Some(&code)).await.0, 403, "single use");

    // An expired invite admits nobody.
    let short = invite(&admin, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(register(&s, "late", Some(&short)).await.0, 403);

    // Only admins invite, with a sane expiry.
    let amy = s.anon.login("amy", PASSWORD).await.unwrap().0;
    let r = amy.request(Method::POST, "/api/v1/admin/invites").json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for bad in [0, -5, 91 * 24 * 3600] {
        let r = admin
            .request(Method::POST, "/api/v1/admin/invites")
            .json(&serde_json::json!({"expires_in": bad}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

#[tokio::test]
async fn closed_registration_admits_only_the_first_account_and_the_operator() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.registration = Registration::Closed).await;
    assert_eq!(register(&s, "root", None).await.0, 201);
    let (status, body) = register(&s, "amy", None).await;
    assert_eq!(status, 403);
    assert!(body.contains("closed"), "{body}");
    // The operator still creates accounts from the shell.
    let (ok, text) = s.admin(&["create-user", "--username", "amy", "--password", PASSWORD]);
    assert!(ok, "{text}");
    s.anon.login("amy", PASSWORD).await.expect("amy signs in");
}

#[tokio::test]
async fn open_registration_needs_no_invite() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    assert_eq!(register(&s, "root", None).await.0, 201);
    assert_eq!(register(&s, "amy", None).await.0, 201);
    assert_eq!(register(&s, "ben", Some("ignored")).await.0, 201);
}
