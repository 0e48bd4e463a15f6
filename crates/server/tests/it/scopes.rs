//! Scoped credentials: a device's session may use files, sharing, links, messages, usage
//! and activity, but every route that manages the account (password, profile, picture,
//! plan, bucket, devices, app passwords, access keys, deleting it) and the admin API
//! answer it 403. App passwords are WebDAV credentials: the JSON API does not take them.

use crate::common::{PASSWORD, TestServer};
use nimbus_client::PutOptions;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_device_session_uses_files_but_cannot_manage_the_account() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let admin = s.user("root").await; // the first account: an admin
    s.user("bob").await;
    let device = admin.create_device("Phone", "phone-1").await.unwrap();
    let secret = device.secret.clone().unwrap();
    let (phone, _) = s.anon.device_login("root", "phone-1", &secret).await.unwrap();

    // What a device is for.
    let (f, _) = phone.put("from-phone/photo.jpg", b"jpeg bytes".to_vec(), &PutOptions::default()).await.unwrap();
    assert_eq!(phone.list_files(None, None, None).await.unwrap().items.len(), 1);
    assert_eq!(phone.get_path_bytes("from-phone/photo.jpg").await.unwrap().as_ref(), b"jpeg bytes");
    phone.share(&f.id, "bob").await.unwrap();
    let ok = |r: reqwest::Response, what: &str| assert!(r.status().is_success(), "{what}: {}", r.status());
    ok(
        phone.request(Method::POST, &format!("/api/v1/files/{}/links", f.id)).json(&json!({})).send().await.unwrap(),
        "link",
    );
    ok(
        phone.request(Method::POST, "/api/v1/messages").json(&json!({"to": "bob", "text": "hi"})).send().await.unwrap(),
        "message",
    );
    ok(phone.request(Method::GET, "/api/v1/me/usage").send().await.unwrap(), "usage");
    ok(phone.request(Method::GET, "/api/v1/me").send().await.unwrap(), "me");

    // What it may not do, even for an admin's device.
    let forbidden: &[(Method, &str, serde_json::Value)] = &[
        (Method::PUT, "/api/v1/me/password", json!({"current_password": PASSWORD, "new_password": "taken over!"})),
        (Method::PATCH, "/api/v1/me", json!({"email": "thief@example.org"})),
        (Method::DELETE, "/api/v1/me", json!({"password": PASSWORD})),
        (Method::PUT, "/api/v1/me/plan", json!({"quota_bytes": 1})),
        (Method::DELETE, "/api/v1/me/avatar", json!(null)),
        (
            Method::PUT,
            "/api/v1/me/storage",
            json!({"type": "s3", "endpoint": "https://s3.example.org", "region": "x", "bucket": "b", "access_key_id": "a", "secret_access_key": "s"}),
        ),
        (Method::DELETE, "/api/v1/me/storage", json!(null)),
        (Method::GET, "/api/v1/me/devices", json!(null)),
        (Method::POST, "/api/v1/me/devices", json!({"name": "another", "peer_id": "p2"})),
        (Method::DELETE, &format!("/api/v1/me/devices/{}", device.id), json!(null)),
        (Method::GET, "/api/v1/me/app-passwords", json!(null)),
        (Method::POST, "/api/v1/me/app-passwords", json!({"name": "backdoor"})),
        (Method::DELETE, "/api/v1/me/app-passwords/x", json!(null)),
        (Method::GET, "/api/v1/me/access-keys", json!(null)),
        (Method::POST, "/api/v1/me/access-keys", json!({"name": "backdoor"})),
        (Method::DELETE, "/api/v1/me/access-keys/x", json!(null)),
        (Method::GET, "/api/v1/admin/users", json!(null)),
        (Method::PATCH, "/api/v1/admin/users/x", json!({"is_admin": true})),
    ];
    for (method, path, body) in forbidden {
        let mut rb = phone.request(method.clone(), path);
        if !body.is_null() {
            rb = rb.json(body);
        }
        let r = rb.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "forbidden", "{method} {path}");
        assert!(body["error"]["message"].as_str().unwrap().contains("password"), "{method} {path}: {body}");
    }
    // Nothing of that happened; the owner, signed in with the password, still may.
    assert_eq!(admin.me().await.unwrap().email.as_deref(), Some("root@example.org"));
    assert_eq!(admin.request(Method::GET, "/api/v1/me/devices").send().await.unwrap().status(), 200);
    assert_eq!(admin.request(Method::GET, "/api/v1/admin/users").send().await.unwrap().status(), 200);
    s.anon.login("root", PASSWORD).await.expect("the password is unchanged");
}

#[tokio::test]
async fn app_passwords_are_for_webdav_not_the_json_api() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("amy").await;
    let app = c.create_app_password("laptop").await.unwrap();
    let password = app.password.unwrap();
    let basic = |path: &str, method: Method| s.anon.request(method, path).basic_auth("amy", Some(&password));
    let r = basic("/dav/", Method::from_bytes(b"PROPFIND").unwrap()).header("depth", "0").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 207, "WebDAV takes it");
    for (method, path) in
        [(Method::GET, "/api/v1/me/devices"), (Method::PUT, "/api/v1/me/password"), (Method::GET, "/api/v1/files")]
    {
        let r = basic(path, method.clone()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}
