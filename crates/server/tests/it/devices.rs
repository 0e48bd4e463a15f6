//! Devices: registration, device login, revocation, throttling.

use crate::common::{TestServer, code};

#[tokio::test]
async fn device_lifecycle() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("dora").await;
    let d = c.create_device("laptop", "peer-123").await.unwrap();
    let secret = d.secret.clone().expect("the secret is shown once");
    assert!(secret.len() >= 32);
    let listed = c.devices().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].secret.is_none() && listed[0].last_seen_at.is_none());
    let raw = c.request(reqwest::Method::GET, "/api/v1/me/devices").send().await.unwrap().text().await.unwrap();
    assert!(!raw.contains(&secret), "never listed");
    assert_eq!(code(c.create_device("phone", "peer-123").await), (422, "validation_failed".into()));
    assert_eq!(code(c.create_device("", "peer-9").await), (422, "validation_failed".into()));

    let (dev, resp) = s.anon.device_login("DORA", "peer-123", &secret).await.unwrap();
    assert_eq!(resp.user.username, "dora");
    assert_eq!(dev.me().await.unwrap().username, "dora");
    assert!(c.devices().await.unwrap()[0].last_seen_at.is_some());
    for (user, peer, sec) in [
        ("dora", "peer-123", "nmd_wrong"),
        ("dora", "peer-999", secret.as_str()),
        ("nobody", "peer-123", secret.as_str()),
    ] {
        assert_eq!(code(s.anon.device_login(user, peer, sec).await), (401, "invalid_credentials".into()));
    }

    c.delete_device(&d.id).await.unwrap();
    assert_eq!(code(dev.me().await), (401, "unauthorized".into()), "the device's tokens die at once");
    c.me().await.expect("the password session stays");
    assert_eq!(code(s.anon.device_login("dora", "peer-123", &secret).await).0, 401);
    assert_eq!(code(c.delete_device(&d.id).await).0, 404);
}

#[tokio::test]
async fn wrong_device_secrets_are_throttled() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("eli").await;
    let d = c.create_device("nas", "peer-x").await.unwrap();
    for _ in 0..10 {
        assert_eq!(code(s.anon.device_login("eli", "peer-x", "nmd_guess").await).0, 401);
    }
    let (status, code_) = code(s.anon.device_login("eli", "peer-x", d.secret.as_deref().unwrap()).await);
    assert_eq!((status, code_.as_str()), (429, "rate_limited"));
}

#[tokio::test]
async fn another_users_device_is_invisible() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let a = s.user("fay").await;
    let b = s.user("gus").await;
    let d = a.create_device("tablet", "p1").await.unwrap();
    assert_eq!(code(b.delete_device(&d.id).await).0, 404);
    assert!(b.devices().await.unwrap().is_empty());
    assert_eq!(code(s.anon.device_login("gus", "p1", d.secret.as_deref().unwrap()).await).0, 401);
}
