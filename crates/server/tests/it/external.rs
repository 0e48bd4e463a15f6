//! External storage: a user's own S3 bucket (a second s3s-fs with other keys).

use crate::common::{PASSWORD, S3Server, TestServer, blob_files, code, eventually};
use nimbus_api::StorageSettings;
use nimbus_client::{Client, PutOptions};
use reqwest::Method;

const USER_KEY: &str = "user-access-key";
const USER_SECRET: &str = "user-very-secret-key";

fn settings(s3: &S3Server, bucket: &str, secret: &str) -> StorageSettings {
    StorageSettings {
        kind: "s3".into(),
        endpoint: s3.endpoint.clone(),
        region: "us-east-1".into(),
        bucket: bucket.into(),
        access_key_id: USER_KEY.into(),
        secret_access_key: secret.into(),
        prefix: Some("nimbus/".into()),
    }
}

async fn put_storage(c: &Client, body: &StorageSettings) -> reqwest::Response {
    c.request(Method::PUT, "/api/v1/me/storage").json(body).send().await.unwrap()
}

async fn error(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let v: serde_json::Value = r.json().await.unwrap();
    (status, v["error"]["code"].as_str().unwrap_or("").into(), v["error"]["message"].as_str().unwrap_or("").into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_own_bucket_holds_their_new_uploads() {
    crate::needs_backend!();
    let Some(theirs) = S3Server::start_with_keys(&["mine"], USER_KEY, USER_SECRET).await else { return };
    let s = TestServer::start_with(|c| {
        c.allow_private_storage_endpoints = true;
        c.sweep_interval_secs = 1;
    })
    .await;
    let c = s.user("vera").await;
    let other = s.user("walt").await;
    assert_eq!(code(c.storage().await).0, 404);

    // Credentials are proven with a real request first.
    let (status, code_, message) = error(put_storage(&c, &settings(&theirs, "mine", "wrong secret")).await).await;
    assert_eq!((status, code_.as_str()), (422, "invalid_storage_credentials"));
    assert!(message.len() > "the storage refused these settings: ".len(), "the store's reason: {message}");
    let (status, code_, _) = error(put_storage(&c, &settings(&theirs, "no-such-bucket", USER_SECRET)).await).await;
    assert_eq!((status, code_.as_str()), (422, "invalid_storage_credentials"));
    let mut closed = settings(&theirs, "mine", USER_SECRET);
    closed.endpoint = "http://127.0.0.1:9".into();
    assert_eq!(error(put_storage(&c, &closed).await).await.1, "invalid_storage_credentials");
    let mut wrong_type = settings(&theirs, "mine", USER_SECRET);
    wrong_type.kind = "ftp".into();
    assert_eq!(error(put_storage(&c, &wrong_type).await).await.0, 422);
    assert!(theirs.objects("mine").is_empty(), "probes clean up after themselves");

    let r = put_storage(&c, &settings(&theirs, "mine", USER_SECRET)).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(!text.contains(USER_SECRET) && text.contains("\"bucket\":\"mine\""), "{text}");
    let got = serde_json::to_string(&c.storage().await.unwrap()).unwrap();
    assert!(!got.contains(USER_SECRET) && got.contains(USER_KEY));

    // New uploads go to the user's bucket; the server's store is untouched.
    let data = b"stored in my own bucket".repeat(1000);
    let server_blobs = blob_files(&s).len();
    let (f, _) = c.put("mine.txt", data.clone(), &PutOptions::default()).await.unwrap();
    assert_eq!(theirs.objects("mine").len(), 1);
    assert_eq!(blob_files(&s).len(), server_blobs);
    assert!(c.get_path_bytes("mine.txt").await.unwrap().as_ref() == data.as_slice());

    // Dedup never crosses into or out of a user's bucket.
    other.put("same.txt", data.clone(), &PutOptions::default()).await.unwrap();
    assert_eq!(blob_files(&s).len(), server_blobs + 1, "the other user's copy is the server's");
    assert_eq!(theirs.objects("mine").len(), 1);

    // The settings cannot go while files live there.
    assert_eq!(code(c.delete_storage().await), (409, "storage_in_use".into()));
    assert_eq!(error(put_storage(&c, &settings(&theirs, "mine", USER_SECRET)).await).await.1, "storage_in_use");
    c.delete_file(&f.id).await.unwrap();
    c.empty_trash().await.unwrap();
    assert!(eventually(10, || theirs.objects("mine").is_empty()).await, "reclaimed from the user's bucket");
    let mut deleted = false;
    for _ in 0..100 {
        if c.delete_storage().await.is_ok() {
            deleted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(deleted);
    c.put("back-home.txt", "x", &PutOptions::default()).await.unwrap();
    assert!(theirs.objects("mine").is_empty(), "uploads go to the server again");
}

#[tokio::test]
async fn the_secret_is_encrypted_at_rest_and_files_read_back_after_a_restart() {
    crate::needs_backend!();
    let Some(theirs) = S3Server::start_with_keys(&["mine"], USER_KEY, USER_SECRET).await else { return };
    let s = TestServer::start_with(|c| c.allow_private_storage_endpoints = true).await;
    let c = s.user("xena").await;
    assert_eq!(put_storage(&c, &settings(&theirs, "mine", USER_SECRET)).await.status(), 200);
    c.put("doc.txt", "in my bucket", &PutOptions::default()).await.unwrap();

    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(&s.config.database_url()).await.unwrap();
    let row: (String,) = sqlx::query_as("SELECT secret_ciphertext FROM user_storage").fetch_one(&mut db).await.unwrap();
    assert!(!row.0.contains(USER_SECRET) && !row.0.contains(&hex::encode(USER_SECRET)), "sealed, not stored as is");
    drop(db);

    let s = s.restart().await;
    let c = s.anon.login("xena", PASSWORD).await.unwrap().0;
    assert_eq!(c.get_path_bytes("doc.txt").await.unwrap().as_ref(), b"in my bucket");
}

#[tokio::test]
async fn private_endpoints_are_refused_unless_allowed() {
    crate::needs_backend!();
    let Some(theirs) = S3Server::start_with_keys(&["mine"], USER_KEY, USER_SECRET).await else { return };
    let s = TestServer::start().await;
    let c = s.user("yuri").await;
    let (status, code_, _) = error(put_storage(&c, &settings(&theirs, "mine", USER_SECRET)).await).await;
    assert_eq!((status, code_.as_str()), (422, "invalid_storage_credentials"));
    assert!(theirs.objects("mine").is_empty(), "not even probed");
    // A name that resolves to loopback is refused the same way.
    let mut named = settings(&theirs, "mine", USER_SECRET);
    named.endpoint = theirs.endpoint.replace("127.0.0.1", "localhost.");
    assert_eq!(error(put_storage(&c, &named).await).await.1, "invalid_storage_credentials");
}
