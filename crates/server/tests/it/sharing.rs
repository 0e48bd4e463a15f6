//! Shares between users: who sees what, and the owner / recipient / stranger matrix.

use crate::common::{TestServer, code};
use nimbus_api::{CreateLinkRequest, CreateShareRequest, Permission};
use nimbus_client::{Client, PutOptions};
use reqwest::Method;

async fn trio(s: &TestServer) -> (Client, Client, Client, nimbus_api::File) {
    let owner = s.user("olivia").await;
    let reader = s.user("rita").await;
    let stranger = s.user("sam").await;
    let (f, _) = owner.put("docs/report.txt", "quarterly numbers", &PutOptions::default()).await.unwrap();
    (owner, reader, stranger, f)
}

#[tokio::test]
async fn sharing_by_username_or_id_is_idempotent_and_listed() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (owner, reader, _stranger, f) = trio(&s).await;
    let (share, created) = owner.share(&f.id, "RITA").await.unwrap();
    assert!(created);
    assert_eq!((share.user.username.as_str(), share.permission.as_str()), ("rita", "read"));
    let by_id = CreateShareRequest { user_id: Some(share.user.id.clone()), username: None };
    let (again, created) = owner.share_with(&f.id, &by_id).await.unwrap();
    assert!(!created, "sharing twice answers 200");
    assert_eq!(again.created_at, share.created_at);
    assert_eq!(owner.shares(&f.id).await.unwrap(), vec![share.clone()]);

    let shared = reader.shared(None, None).await.unwrap().items;
    assert_eq!(shared.len(), 1);
    assert_eq!((shared[0].owner.username.as_str(), shared[0].permission), ("olivia", Permission::Read));
    let meta = reader.file(&f.id).await.unwrap();
    assert_eq!(meta.permission, Permission::Read);
    let body = reader.download(&f.id).await.unwrap().bytes().await.unwrap();
    assert_eq!(body.as_ref(), b"quarterly numbers");
    assert!(reader.list_files(None, None, None).await.unwrap().items.is_empty(), "not in the reader's own files");
}

#[tokio::test]
async fn bad_share_targets() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (owner, _reader, _stranger, f) = trio(&s).await;
    assert_eq!(code(owner.share(&f.id, "nobody").await), (404, "user_not_found".into()));
    let by_id = CreateShareRequest { user_id: Some("0".repeat(32)), username: None };
    assert_eq!(code(owner.share_with(&f.id, &by_id).await), (404, "user_not_found".into()));
    assert_eq!(code(owner.share(&f.id, "olivia").await), (422, "cannot_share_with_self".into()));
    assert_eq!(code(owner.share_with(&f.id, &CreateShareRequest::default()).await).0, 422);
    assert_eq!(code(owner.share("0123456789abcdef0123456789abcdef", "rita").await), (404, "not_found".into()));
}

#[tokio::test]
async fn revoking_a_share_takes_effect_on_the_next_request() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (owner, reader, _stranger, f) = trio(&s).await;
    let (share, _) = owner.share(&f.id, "rita").await.unwrap();
    reader.file(&f.id).await.unwrap();
    owner.unshare(&f.id, &share.user.id).await.unwrap();
    assert_eq!(code(reader.file(&f.id).await), (404, "not_found".into()));
    assert_eq!(code(reader.download(&f.id).await).0, 404);
    assert!(reader.shared(None, None).await.unwrap().items.is_empty());
    assert_eq!(code(owner.unshare(&f.id, &share.user.id).await).0, 404);
}

#[tokio::test]
async fn deleting_the_file_or_either_account_removes_shares() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (owner, reader, stranger, f) = trio(&s).await;
    owner.share(&f.id, "rita").await.unwrap();
    owner.share(&f.id, "sam").await.unwrap();
    // The recipient's account goes: the share goes with it.
    stranger.delete_me(crate::common::PASSWORD).await.unwrap();
    assert_eq!(owner.shares(&f.id).await.unwrap().len(), 1);
    owner.delete_file(&f.id).await.unwrap();
    assert!(reader.shared(None, None).await.unwrap().items.is_empty());
    // The owner's account goes: files shared from it disappear for the recipient.
    let (g, _) = owner.put("other.txt", "x", &PutOptions::default()).await.unwrap();
    owner.share(&g.id, "rita").await.unwrap();
    assert_eq!(reader.shared(None, None).await.unwrap().items.len(), 1);
    owner.delete_me(crate::common::PASSWORD).await.unwrap();
    assert!(reader.shared(None, None).await.unwrap().items.is_empty());
    assert_eq!(code(reader.file(&g.id).await).0, 404);
}

#[tokio::test]
async fn shared_listing_pages_newest_first() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let owner = s.user("paula").await;
    let reader = s.user("quinn").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (f, _) = owner.put(&format!("f{i}"), "x", &PutOptions::default()).await.unwrap();
        owner.share(&f.id, "quinn").await.unwrap();
        ids.push(f.id);
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = reader.shared(Some(2), cursor.as_deref()).await.unwrap();
        seen.extend(page.items.into_iter().map(|f| f.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids);
    let r = reader.request(Method::GET, "/api/v1/shared?cursor=nothex").send().await.unwrap();
    assert_eq!(r.status(), 400);
}

/// Every file route × owner / recipient / stranger.
#[tokio::test]
async fn permission_matrix() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (owner, reader, stranger, f) = trio(&s).await;
    owner.share(&f.id, "rita").await.unwrap();
    let id = &f.id;
    let link = serde_json::to_value(CreateLinkRequest::default()).unwrap();
    s.user("tina").await;
    let share = serde_json::json!({"username": "tina"});
    let rename = serde_json::json!({"path": "moved.txt"});
    // (method, url, body, owner, recipient, stranger)
    let routes: Vec<(Method, String, Option<serde_json::Value>, u16, u16, u16)> = vec![
        (Method::GET, format!("/api/v1/files/{id}"), None, 200, 200, 404),
        (Method::GET, format!("/api/v1/files/{id}/content"), None, 200, 200, 404),
        (Method::GET, format!("/api/v1/files/{id}/car"), None, 200, 200, 404),
        (Method::POST, format!("/api/v1/files/{id}/download-url"), Some(serde_json::json!({})), 200, 200, 404),
        (Method::GET, format!("/api/v1/files/{id}/shares"), None, 200, 403, 404),
        (Method::GET, format!("/api/v1/files/{id}/links"), None, 200, 403, 404),
        (Method::POST, format!("/api/v1/files/{id}/links"), Some(link), 201, 403, 404),
        (Method::POST, format!("/api/v1/files/{id}/shares"), Some(share), 201, 403, 404),
        (Method::PATCH, format!("/api/v1/files/{id}"), Some(rename), 200, 403, 404),
    ];
    for (method, url, body, want_owner, want_reader, want_stranger) in routes {
        // Strangers and readers first, so the owner's changes do not hide their answers.
        for (who, name, want) in
            [(&stranger, "stranger", want_stranger), (&reader, "recipient", want_reader), (&owner, "owner", want_owner)]
        {
            let mut rb = who.request(method.clone(), &url);
            if let Some(b) = &body {
                rb = rb.json(b);
            }
            let got = rb.send().await.unwrap().status().as_u16();
            assert_eq!(got, want, "{name}: {method} {url}");
        }
    }
    let delete = format!("/api/v1/files/{id}/shares/{}", reader.me().await.unwrap().id);
    assert_eq!(stranger.request(Method::DELETE, &delete).send().await.unwrap().status(), 404);
    assert_eq!(reader.request(Method::DELETE, &delete).send().await.unwrap().status(), 403);
    assert_eq!(stranger.request(Method::DELETE, &format!("/api/v1/files/{id}")).send().await.unwrap().status(), 404);
    assert_eq!(reader.request(Method::DELETE, &format!("/api/v1/files/{id}")).send().await.unwrap().status(), 403);
    assert_eq!(owner.request(Method::DELETE, &format!("/api/v1/files/{id}")).send().await.unwrap().status(), 204);
}
