//! Another user's files are invisible: 404 on every route and method, never 403.

use crate::common::{TestServer, code};
use nimbus_client::PutOptions;
use reqwest::Method;

#[tokio::test]
async fn a_stranger_gets_404_on_every_file_route() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let a = s.user("alice").await;
    let b = s.user("mallory").await;
    let (f, _) = a.put("secret/plan.txt", "attack at dawn", &PutOptions::default()).await.unwrap();
    let id = &f.id;

    let by_id = [
        (Method::GET, format!("/api/v1/files/{id}")),
        (Method::GET, format!("/api/v1/files/{id}/content")),
        (Method::PATCH, format!("/api/v1/files/{id}")),
        (Method::DELETE, format!("/api/v1/files/{id}")),
    ];
    for (method, url) in by_id {
        let r = b.request(method.clone(), &url).json(&serde_json::json!({"path": "stolen.txt"})).send().await.unwrap();
        assert_eq!(r.status(), 404, "{method} {url}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    }
    // The same answer as for an id that never existed.
    assert_eq!(code(b.file("0123456789abcdef0123456789abcdef").await), (404, "not_found".into()));

    // Paths are per-user namespaces: Mallory's view of the same path is her own.
    assert_eq!(code(b.get_path_bytes("secret/plan.txt").await).0, 404);
    assert_eq!(b.request(Method::HEAD, "/api/v1/fs/secret/plan.txt").send().await.unwrap().status(), 404);
    assert_eq!(code(b.delete_path("secret/plan.txt").await).0, 404);
    let (mine, created) = b.put("secret/plan.txt", "decoy", &PutOptions::default()).await.unwrap();
    assert!(created);
    assert_ne!(mine.id, f.id);
    assert!(b.list_files(None, None, None).await.unwrap().items.iter().all(|x| x.owner.username == "mallory"));

    // Alice's file is untouched.
    assert_eq!(a.get_path_bytes("secret/plan.txt").await.unwrap(), &b"attack at dawn"[..]);
    assert_eq!(a.file(id).await.unwrap().path, "secret/plan.txt");
}
