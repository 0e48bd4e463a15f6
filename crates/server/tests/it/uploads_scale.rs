//! Resumable uploads on the scale-out stack: a session begun on one instance is finished
//! on another (PostgreSQL + an S3 store that checks SigV4), its bytes kept as tusd keeps
//! them (parts of one multipart upload plus a tail object), and idle or aborted
//! sessions leave nothing in the bucket, incomplete multipart uploads included.

use crate::common::{Cluster, S3Server, TestServer, eventually};
use sha2::{Digest, Sha256};

const MIB: usize = 1 << 20;

fn session_objects(s3: &S3Server) -> Vec<String> {
    s3.objects("blobs").iter().map(|p| p.display().to_string()).filter(|p| p.contains("/sessions/")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_begun_on_one_instance_is_finished_on_another() {
    let Some(cluster) = Cluster::start().await else { return };
    let (a, b, s3) = (&cluster.a, &cluster.b, &cluster.s3);
    let on_a = a.user("alice").await;
    let on_b = nimbus_client::Client::new(&b.base).with_token(on_a.token().unwrap());

    let data: Vec<u8> = (0..20 * MIB).map(|i| (i % 241) as u8).collect();
    let loc = on_a.create_upload(Some(data.len() as u64), &[("filename", "moved.bin")]).await.unwrap();
    let o = on_a.append_upload(&loc, 0, data[..5 * MIB].to_vec(), None).await.unwrap();
    // Less than a part: the acknowledged bytes are a tail object, no multipart upload yet.
    assert_eq!(session_objects(s3).len(), 1);
    assert_eq!(s3.pending_multipart_uploads(), 0);
    // B knows the session from the database and continues it; the tail and B's bytes
    // fill the first part of the blob's multipart upload.
    assert_eq!(on_b.upload_offset(&loc).await.unwrap().0, 5 * MIB as u64);
    let o = on_b.append_upload(&loc, o, data[5 * MIB..11 * MIB].to_vec(), None).await.unwrap();
    assert_eq!(o, 11 * MIB as u64);
    assert_eq!(s3.pending_multipart_uploads(), 1);
    // A wrong offset on A after B moved it: refused, nothing changes.
    assert_eq!(on_a.append_upload(&loc, 5 * MIB as u64, vec![0u8; 10], None).await.unwrap_err().status().unwrap(), 409);
    assert_eq!(on_b.upload_offset(&loc).await.unwrap().0, 11 * MIB as u64);
    let o = on_a.append_upload(&loc, o, data[11 * MIB..19 * MIB].to_vec(), None).await.unwrap();
    on_b.append_upload(&loc, o, data[19 * MIB..].to_vec(), None).await.unwrap();

    // Neither instance saw every byte: the hash comes from reading the finished blob.
    let file = on_a.upload_info(&loc).await.unwrap().file.expect("finished");
    assert_eq!(file.sha256, hex::encode(Sha256::digest(&data)));
    assert_eq!(file.size, data.len() as u64);
    assert_eq!(on_b.get_path_bytes("moved.bin").await.unwrap(), data);
    assert!(session_objects(s3).is_empty(), "the tails went once the blob was complete");
    assert_eq!(s3.pending_multipart_uploads(), 0, "the multipart upload was completed");
    // The same bytes uploaded in one request have the same CID: the deferred hash is whole.
    let (again, _) = on_a.put("again.bin", data.clone(), &Default::default()).await.unwrap();
    assert_eq!(again.cid, file.cid);
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
    let loc = c.create_upload(Some(30 * MIB as u64), &[("filename", "idle.bin")]).await.unwrap();
    let o = c.append_upload(&loc, 0, vec![1u8; 9 * MIB], None).await.unwrap();
    c.append_upload(&loc, o, vec![2u8; MIB], None).await.unwrap();
    assert_eq!(s3.pending_multipart_uploads(), 1);
    assert!(!session_objects(&s3).is_empty());
    let aborted = c.create_upload(Some(30 * MIB as u64), &[("filename", "gone.bin")]).await.unwrap();
    c.append_upload(&aborted, 0, vec![1u8; 10 * MIB], None).await.unwrap();
    assert_eq!(s3.pending_multipart_uploads(), 2);
    let before = session_objects(&s3).len();
    c.abort_upload(&aborted).await.unwrap();
    assert_eq!(s3.pending_multipart_uploads(), 1, "an aborted session's multipart upload is aborted");
    assert_eq!(session_objects(&s3).len(), before - 1, "and its tail deleted");
    assert!(
        eventually(15, || session_objects(&s3).is_empty() && s3.pending_multipart_uploads() == 0).await,
        "{:?}, {} multipart uploads",
        session_objects(&s3),
        s3.pending_multipart_uploads()
    );
    assert_eq!(c.upload_offset(&loc).await.unwrap_err().status().unwrap(), 404);
}

/// Whether an append holds the session's lease right now (read from the database).
async fn leased(db_url: &str) -> bool {
    let pool = sqlx::PgPool::connect(db_url).await.unwrap();
    let held: Option<String> =
        sqlx::query_scalar("SELECT lease_token FROM upload_sessions").fetch_one(&pool).await.unwrap();
    pool.close().await;
    held.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_append_in_flight_holds_the_session_against_other_instances() {
    let Some(cluster) = Cluster::start().await else { return };
    let (a, b, s3, db) = (&cluster.a, &cluster.b, &cluster.s3, &cluster.db);
    let on_a = a.user("alice").await;
    let on_b = nimbus_client::Client::new(&b.base).with_token(on_a.token().unwrap());
    let loc = on_a.create_upload(Some(12 * MIB as u64), &[("filename", "held.bin")]).await.unwrap();

    // An append to A that has sent 1 MiB of the 2 it announced and is still sending.
    use tokio::io::AsyncWriteExt;
    let patch = |offset: usize, len: usize| {
        format!(
            "PATCH {loc} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nTus-Resumable: 1.0.0\r\n\
             Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\nContent-Length: {len}\r\n\r\n",
            on_a.token().unwrap()
        )
    };
    let mut sock = tokio::net::TcpStream::connect(a.addr()).await.unwrap();
    sock.write_all(patch(0, 2 * MIB).as_bytes()).await.unwrap();
    sock.write_all(&vec![1u8; MIB]).await.unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !leased(&db.url).await {
        assert!(tokio::time::Instant::now() < deadline, "the append never took the lease");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // B may not write the same session meanwhile (it would send the same part number).
    let busy = on_b.append_upload(&loc, 0, vec![9u8; MIB], None).await.unwrap_err();
    assert_eq!(busy.status().unwrap(), 409);
    sock.write_all(&vec![1u8; MIB]).await.unwrap();
    let mut answer = [0u8; 12];
    tokio::io::AsyncReadExt::read_exact(&mut sock, &mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 204");
    drop(sock);
    // Done: the lease is free at once, and B goes on.
    assert!(!leased(&db.url).await);
    let o = on_b.append_upload(&loc, 2 * MIB as u64, vec![2u8; MIB], None).await.unwrap();

    // A client that hangs up mid-append does not leave the session locked for the
    // lease's lifetime: what arrived is kept and the next append proceeds at once.
    let mut sock = tokio::net::TcpStream::connect(a.addr()).await.unwrap();
    sock.write_all(patch(o as usize, 4 * MIB).as_bytes()).await.unwrap();
    sock.write_all(&vec![3u8; MIB]).await.unwrap();
    sock.flush().await.unwrap();
    drop(sock);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut offset = o;
    while (offset == o || leased(&db.url).await) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        offset = on_b.upload_offset(&loc).await.unwrap().0;
    }
    assert!(offset > o && !leased(&db.url).await, "offset {offset}");
    let rest = 12 * MIB as u64 - offset;
    on_b.append_upload(&loc, offset, vec![4u8; rest as usize], None).await.unwrap();
    let file = on_a.upload_info(&loc).await.unwrap().file.expect("finished");
    assert_eq!(file.size, 12 * MIB as u64);
    let got = on_a.get_path_bytes("held.bin").await.unwrap();
    assert!(got[..2 * MIB].iter().all(|&b| b == 1) && got[2 * MIB..3 * MIB].iter().all(|&b| b == 2));
    assert!(got[3 * MIB..offset as usize].iter().all(|&b| b == 3) && got[offset as usize..].iter().all(|&b| b == 4));
    assert_eq!(s3.pending_multipart_uploads(), 0);
}
