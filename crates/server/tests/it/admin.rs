//! Administration over HTTP and from the shell.

use crate::common::{PASSWORD, TestServer, code};
use nimbus_api::AdminUserPatch;
use nimbus_client::PutOptions;
use reqwest::Method;
use std::process::Command;

#[tokio::test]
async fn non_admins_get_403_everywhere_under_admin() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let admin = s.user("root").await;
    let user = s.user("ursula").await;
    let uid = user.me().await.unwrap().id;
    for (method, url) in
        [(Method::GET, "/api/v1/admin/users".to_string()), (Method::PATCH, format!("/api/v1/admin/users/{uid}"))]
    {
        let r = user.request(method.clone(), &url).json(&serde_json::json!({"is_admin": true})).send().await.unwrap();
        assert_eq!(r.status(), 403, "{method} {url}");
        let r = s.anon.request(method.clone(), &url).send().await.unwrap();
        assert_eq!(r.status(), 401, "{method} {url} anonymous");
    }
    assert!(!user.me().await.unwrap().is_admin);
    assert!(admin.me().await.unwrap().is_admin, "the first account is the admin");
}

#[tokio::test]
async fn admins_list_users_with_usage_and_change_quota_disable_promote() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let admin = s.user("root").await;
    let user = s.user("victor").await;
    user.put("v.bin", vec![0u8; 5000], &PutOptions::default()).await.unwrap();
    let page = admin.admin_users(None, None).await.unwrap();
    let v = page.items.iter().find(|u| u.user.username == "victor").unwrap();
    assert!(!v.disabled);
    assert_eq!((v.usage.used_bytes, v.usage.file_count, v.usage.uploaded_bytes), (5000, 1, 5000));
    // Each user's own daily figures, once the meter has written them (the page's days
    // are read for all its users in one query).
    let wendy = s.user("wendy").await;
    wendy.put("w.bin", vec![1u8; 7000], &PutOptions::default()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let page = admin.admin_users(None, None).await.unwrap();
    let today = |name: &str| {
        let u = page.items.iter().find(|u| u.user.username == name).unwrap();
        (u.usage.daily.len(), u.usage.daily.last().unwrap().uploaded_bytes, u.usage.used_bytes)
    };
    assert_eq!(today("victor"), (30, 5000, 5000));
    assert_eq!(today("wendy"), (30, 7000, 7000));
    assert_eq!(today("root"), (30, 0, 0));
    let raw = admin.request(Method::GET, "/api/v1/admin/users").send().await.unwrap().text().await.unwrap();
    assert!(!raw.contains("argon2") && !raw.contains("password"));
    let paged = admin.admin_users(Some(1), None).await.unwrap();
    assert_eq!(paged.items.len(), 1);
    let rest = admin.admin_users(Some(1), paged.next_cursor.as_deref()).await.unwrap();
    assert_ne!(rest.items[0].user.id, paged.items[0].user.id);

    let vid = v.user.id.clone();
    admin.admin_patch_user(&vid, &AdminUserPatch { quota_bytes: Some(6000), ..Default::default() }).await.unwrap();
    assert_eq!(user.usage().await.unwrap().quota_bytes, 6000);
    assert_eq!(code(user.put("w.bin", vec![0u8; 2000], &PutOptions::default()).await).0, 507);

    admin.admin_patch_user(&vid, &AdminUserPatch { disabled: Some(true), ..Default::default() }).await.unwrap();
    assert_eq!(code(user.me().await), (401, "unauthorized".into()), "tokens stop at once");
    assert_eq!(code(s.anon.login("victor", PASSWORD).await).0, 403, "login refused");
    admin.admin_patch_user(&vid, &AdminUserPatch { disabled: Some(false), ..Default::default() }).await.unwrap();
    let user = s.anon.login("victor", PASSWORD).await.unwrap().0;

    let me = admin.me().await.unwrap();
    let demote_self = AdminUserPatch { is_admin: Some(false), ..Default::default() };
    assert_eq!(
        code(admin.admin_patch_user(&me.id, &demote_self).await),
        (422, "validation_failed".into()),
        "last admin"
    );
    let disable_self = AdminUserPatch { disabled: Some(true), ..Default::default() };
    assert_eq!(code(admin.admin_patch_user(&me.id, &disable_self).await).0, 422);
    admin.admin_patch_user(&vid, &AdminUserPatch { is_admin: Some(true), ..Default::default() }).await.unwrap();
    assert!(user.me().await.unwrap().is_admin);
    admin.admin_patch_user(&me.id, &demote_self).await.expect("another admin remains");
    assert_eq!(admin.admin_users(None, None).await.map_err(|e| e.status().unwrap().as_u16()).unwrap_err(), 403);
    assert_eq!(code(user.admin_patch_user("0".repeat(32).as_str(), &demote_self).await).0, 404);
    let bad = AdminUserPatch { quota_bytes: Some(-1), ..Default::default() };
    assert_eq!(code(user.admin_patch_user(&vid, &bad).await).0, 422);
}

fn nimbus_admin(s: &TestServer, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nimbus"))
        .arg("admin")
        .arg("--database-url")
        .arg(s.config.database_url())
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("NIMBUS_CONFIG")
        .output()
        .unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test]
async fn the_admin_cli_manages_users_on_the_configured_database() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    s.user("first").await;
    let (ok, out) =
        nimbus_admin(&s, &["create-user", "--username", "wendy", "--password", "wendy password", "--admin"]);
    assert!(ok, "{out}");
    assert!(out.contains("wendy") && out.contains("admin"));
    let (w, _) = s.anon.login("wendy", "wendy password").await.unwrap();
    assert!(w.me().await.unwrap().is_admin);
    let (ok, _) = nimbus_admin(&s, &["set-quota", "wendy", "1234"]);
    assert!(ok);
    assert_eq!(w.usage().await.unwrap().quota_bytes, 1234);
    let (ok, out) = nimbus_admin(&s, &["set-quota", "wendy", "1.5TiB"]);
    assert!(ok && out.contains("of    1.5 TiB"), "sizes are printed with units: {out}");
    assert_eq!(w.usage().await.unwrap().quota_bytes, 3 << 39);
    let (ok, _) = nimbus_admin(&s, &["set-quota", "wendy", "50GB"]);
    assert!(ok);
    assert_eq!(w.usage().await.unwrap().quota_bytes, 50_000_000_000);
    let (ok, out) = nimbus_admin(&s, &["set-quota", "wendy", "lots"]);
    assert!(!ok && out.contains("not a size"), "{out}");
    let (ok, _) = nimbus_admin(&s, &["disable", "wendy"]);
    assert!(ok);
    assert_eq!(code(w.me().await).0, 401);
    assert_eq!(code(s.anon.login("wendy", "wendy password").await).0, 403);
    assert!(nimbus_admin(&s, &["enable", "wendy"]).0);
    assert!(nimbus_admin(&s, &["demote", "wendy"]).0);
    assert!(nimbus_admin(&s, &["promote", "wendy"]).0);
    let (ok, out) = nimbus_admin(&s, &["list"]);
    assert!(ok && out.contains("first") && out.contains("wendy"), "{out}");
    let (ok, out) = nimbus_admin(&s, &["disable", "nobody"]);
    assert!(!ok && out.contains("no user named nobody"), "{out}");
    let (ok, _) = nimbus_admin(&s, &["create-user", "--username", "x", "--password", "short"]);
    assert!(!ok, "validation applies from the shell too");
}

#[test]
fn the_admin_cli_names_the_database_it_could_not_find() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not-a-data-dir");
    let out = Command::new(env!("CARGO_BIN_EXE_nimbus"))
        .args(["admin", "--data-dir"])
        .arg(&missing)
        .arg("list")
        .env_remove("NIMBUS_CONFIG")
        .env_remove("NIMBUS_DATABASE_URL")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains(&missing.join("nimbus.db").display().to_string()), "{text}");
    assert!(!missing.exists(), "nothing was created at the wrong place");
}

#[test]
fn serve_help_shows_defaults_and_environment_variables() {
    let out = Command::new(env!("CARGO_BIN_EXE_nimbus")).args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in ["[default: 127.0.0.1:8080]", "NIMBUS_LISTEN", "NIMBUS_DATA_DIR", "NIMBUS_BLOB_STORE", "s3://"] {
        assert!(text.contains(expected), "serve --help lacks {expected:?}:\n{text}");
    }
}
