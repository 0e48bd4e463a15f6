//! Resumable uploads on the scale-out stack: a session begun on one instance is finished
//! on another (PostgreSQL + an S3 store that checks SigV4), and idle sessions' objects
//! are removed from the bucket.

use crate::common::{PgTestDb, S3Server, TestServer, eventually, pg_available};
use sha2::{Digest, Sha256};

const MIB: usize = 1 << 20;

fn session_objects(s3: &S3Server) -> Vec<String> {
    s3.objects("blobs").iter().map(|p| p.display().to_string()).filter(|p| p.contains("/sessions/")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_begun_on_one_instance_is_finished_on_another() {
    if !pg_available() {
        return;
    }
    let Some(s3) = S3Server::start(&["blobs"]).await else { return };
    let db = PgTestDb::create().await;
    let shared = |c: &mut nimbus_server::Config| {
        c.database_url = Some(db.url.clone());
        s3.configure(c, "blobs", "nimbus");
        c.secret_key = Some("22".repeat(32));
    };
    let a = TestServer::start_with(shared).await;
    let b = TestServer::start_with(shared).await;
    let on_a = a.user("alice").await;
    let on_b = nimbus_client::Client::new(&b.base).with_token(on_a.token().unwrap());

    let data: Vec<u8> = (0..12 * MIB).map(|i| (i % 241) as u8).collect();
    let loc = on_a.create_upload(Some(data.len() as u64), &[("filename", "moved.bin")]).await.unwrap();
    let o = on_a.append_upload(&loc, 0, data[..5 * MIB].to_vec(), None).await.unwrap();
    assert_eq!(session_objects(&s3).len(), 1, "the acknowledged append is its own object");
    // B knows the session from the database, and rebuilds the hash from the bucket.
    assert_eq!(on_b.upload_offset(&loc).await.unwrap().0, 5 * MIB as u64);
    let o = on_b.append_upload(&loc, o, data[5 * MIB..9 * MIB].to_vec(), None).await.unwrap();
    // A wrong offset on A after B moved it: refused, nothing changes.
    assert_eq!(on_a.append_upload(&loc, 5 * MIB as u64, vec![0u8; 10], None).await.unwrap_err().status().unwrap(), 409);
    on_a.append_upload(&loc, o, data[9 * MIB..].to_vec(), None).await.unwrap();

    let file = on_b.upload_info(&loc).await.unwrap().file.expect("finished");
    assert_eq!(file.sha256, hex::encode(Sha256::digest(&data)));
    assert_eq!(on_b.get_path_bytes("moved.bin").await.unwrap(), data);
    assert!(session_objects(&s3).is_empty(), "the segments went once the blob was complete");
}

#[tokio::test]
async fn idle_sessions_in_a_bucket_expire_with_their_objects() {
    crate::needs_backend!();
    let Some(s3) = S3Server::start(&["blobs"]).await else { return };
    let s = TestServer::start_with(|c| {
        s3.configure(c, "blobs", "nimbus");
        c.upload_ttl_secs = 2;
        c.sweep_interval_secs = 1;
    })
    .await;
    let c = s.user("alice").await;
    let loc = c.create_upload(Some(3 * MIB as u64), &[("filename", "idle.bin")]).await.unwrap();
    let o = c.append_upload(&loc, 0, vec![1u8; MIB], None).await.unwrap();
    c.append_upload(&loc, o, vec![2u8; MIB], None).await.unwrap();
    assert_eq!(session_objects(&s3).len(), 2);
    let aborted = c.create_upload(Some(3 * MIB as u64), &[("filename", "gone.bin")]).await.unwrap();
    c.append_upload(&aborted, 0, vec![1u8; MIB], None).await.unwrap();
    c.abort_upload(&aborted).await.unwrap();
    assert_eq!(session_objects(&s3).len(), 2, "an aborted session leaves nothing");
    assert!(eventually(15, || session_objects(&s3).is_empty()).await, "{:?}", session_objects(&s3));
    assert_eq!(c.upload_offset(&loc).await.unwrap_err().status().unwrap(), 404);
}
