//! Two `nimbus serve` processes sharing one PostgreSQL database and one S3 bucket
//! behave as one service.

use crate::common::{PASSWORD, PgTestDb, S3_ACCESS_KEY, S3_SECRET_KEY, S3Server, code};
use crate::process::ServerProcess;
use nimbus_api::CreateLinkRequest;
use nimbus_client::{Client, PutOptions};
use reqwest::Method;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_database_and_bucket_are_one_service() {
    if !crate::common::pg_available() {
        return;
    }
    let Some(s3) = S3Server::start(&["shared"]).await else { return };
    let db = PgTestDb::create().await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let env = vec![
        ("NIMBUS_DATABASE_URL", db.url.clone()),
        ("NIMBUS_BLOB_STORE", "s3://shared/nimbus".to_string()),
        ("NIMBUS_S3_ENDPOINT", s3.endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY.to_string()),
        ("NIMBUS_SECRET_KEY", "11".repeat(32)),
        ("NIMBUS_DEFAULT_QUOTA_BYTES", (5u64 << 20).to_string()),
    ];
    let a = ServerProcess::start(dir_a.path(), &env);
    let b = ServerProcess::start(dir_b.path(), &env);
    let anon_b = Client::new(&b.base);

    // A token from one instance works on the other; a logout on one revokes on both.
    let anon_a = Client::new(&a.base);
    let req = nimbus_api::RegisterRequest { username: "alice".into(), password: PASSWORD.into(), ..Default::default() };
    anon_a.register(&req).await.unwrap();
    let on_a = anon_a.login("alice", PASSWORD).await.unwrap().0;
    let on_b = Client::new(&b.base).with_token(on_a.token().unwrap());
    assert_eq!(on_b.me().await.unwrap().username, "alice");

    // An upload through one downloads through the other.
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let (f, _) = on_a.put("shared.bin", data.clone(), &PutOptions::default()).await.unwrap();
    assert!(on_b.get_path_bytes("shared.bin").await.unwrap().as_ref() == data.as_slice());

    // Links and signed URLs made on one work on the other.
    let link = on_a.create_link(&f.id, &CreateLinkRequest::default()).await.unwrap();
    let via_b = format!("{}/s/{}/content", b.base, link.token);
    assert_eq!(reqwest::get(&via_b).await.unwrap().status(), 200);
    let signed = on_a.download_url(&f.id, None).await.unwrap();
    let via_b = signed.url.replace(&a.base, &b.base);
    assert!(reqwest::get(&via_b).await.unwrap().bytes().await.unwrap().as_ref() == data.as_slice());

    // Counters flushed by one instance show on the other.
    let mut down = 0;
    for _ in 0..100 {
        down = on_b.usage().await.unwrap().downloaded_bytes;
        if down >= 2 * data.len() as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(down >= 2 * data.len() as u64, "A's downloads, seen from B: {down}");

    // The quota holds across both under concurrent uploads: 2 MiB left, 1 MiB each.
    let uploads = (0..12).map(|i| {
        let c = if i % 2 == 0 { on_a.clone() } else { on_b.clone() };
        tokio::spawn(async move { c.put(&format!("q{i}"), vec![i as u8; 1 << 20], &PutOptions::default()).await })
    });
    let results = futures_util::future::join_all(uploads).await;
    let ok = results.iter().filter(|r| r.as_ref().unwrap().is_ok()).count();
    assert_eq!(ok, 2, "exactly what fits");
    let usage = on_b.usage().await.unwrap();
    let files = on_a.list_files(None, None, None).await.unwrap().items;
    assert_eq!(usage.used_bytes, files.iter().map(|f| f.size).sum::<u64>());

    on_a.logout().await.unwrap();
    assert_eq!(code(on_b.me().await), (401, "unauthorized".into()));
    let again = anon_b.login("alice", PASSWORD).await.unwrap().0;
    assert_eq!(again.request(Method::GET, "/api/v1/me").send().await.unwrap().status(), 200);
}
