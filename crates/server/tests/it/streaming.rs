//! Streaming, limits and durability: a 2 GiB round trip with flat memory, 413s that
//! store nothing, cancelled uploads that leave nothing, and crash leftovers removed at
//! start-up.

use crate::common::{PASSWORD, TestServer, blob_files, eventually, files_under};
use crate::process::ServerProcess;
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use nimbus_api::OnConflict;
use nimbus_client::{PutOptions, UploadPart};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::AsyncWriteExt;

/// `total` bytes of a repeating, position-dependent pattern, produced chunk by chunk.
fn pattern_stream(
    total: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + Sync + 'static {
    const CHUNK: u64 = 1 << 20;
    stream::iter((0..total.div_ceil(CHUNK)).map(move |i| {
        let len = CHUNK.min(total - i * CHUNK) as usize;
        let chunk: Vec<u8> = (0..len)
            .map(|j| ((i * 7 + j as u64 * 13) % 256) as u8)
            .collect();
        Ok(Bytes::from(chunk))
    }))
}

async fn register(base: &str, name: &str) -> nimbus_client::Client {
    let anon = nimbus_client::Client::new(base);
    let req = nimbus_api::RegisterRequest {
        username: name.into(),
        password: PASSWORD.into(),
        ..Default::default()
    };
    anon.register(&req).await.unwrap();
    anon.login(name, PASSWORD).await.unwrap().0
}

/// The server runs as its own process so that its RSS is measured alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2_gib_round_trip_streams_with_flat_memory() {
    let total: u64 = std::env::var("NIMBUS_TEST_BIG_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2 << 30);
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(
        dir.path(),
        &[("NIMBUS_MAX_UPLOAD_BYTES", (4u64 << 30).to_string())],
    );
    let c = register(&server.base, "big").await;
    // Warm up allocator arenas and connection pools before taking the baseline.
    c.put("warm", vec![1u8; 4 << 20], &PutOptions::default())
        .await
        .unwrap();
    c.get_path_bytes("warm").await.unwrap();
    let baseline = server.rss_kib();
    assert!(baseline > 0, "can read the server's RSS");
    let pid = server.child.id();
    let peak = Arc::new(AtomicU64::new(baseline));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                let status =
                    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                let kib = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                    .unwrap_or(0);
                peak.fetch_max(kib, Ordering::Relaxed);
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
    };

    let mut expected = Sha256::new();
    let mut source = std::pin::pin!(pattern_stream(total));
    while let Some(chunk) = source.next().await {
        expected.update(chunk.unwrap());
    }
    let expected = hex::encode(expected.finalize());

    let (f, created) = c
        .put_stream("big.bin", total, pattern_stream(total))
        .await
        .unwrap();
    assert!(created);
    assert_eq!((f.size, f.sha256.as_str()), (total, expected.as_str()));

    let resp = c.get_path("big.bin").await.unwrap();
    let mut body = resp.bytes_stream();
    let mut got = Sha256::new();
    let mut n = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.unwrap();
        n += chunk.len() as u64;
        got.update(&chunk);
    }
    sampler.abort();
    assert_eq!(n, total);
    assert_eq!(hex::encode(got.finalize()), expected);
    let growth_mib = (peak.load(Ordering::Relaxed).saturating_sub(baseline)) / 1024;
    println!(
        "server RSS baseline {} MiB, peak growth {growth_mib} MiB over a {} MiB round trip",
        baseline / 1024,
        total >> 20
    );
    assert!(growth_mib < 64, "server RSS grew by {growth_mib} MiB");
}

/// SIGKILL in the middle of an upload, then a restart on the same data dir: no file,
/// no temporary, no leaked blob, and earlier files intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_upload_leaves_nothing_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(dir.path(), &[]);
    let c = register(&server.base, "crash").await;
    c.put("before.txt", "safe", &PutOptions::default())
        .await
        .unwrap();
    let tmp = dir.path().join("blobs").join("tmp");
    let blobs_before = files_under(&dir.path().join("blobs")).len();

    let upload = tokio::spawn({
        let c = c.clone();
        async move {
            c.put_stream("during.bin", 256 << 20, pattern_stream(256 << 20))
                .await
        }
    });
    assert!(
        eventually(20, || !files_under(&tmp).is_empty()).await,
        "upload started writing"
    );
    server.kill();
    assert!(
        upload.await.unwrap().is_err(),
        "the upload cannot have succeeded"
    );
    assert!(
        !files_under(&tmp).is_empty(),
        "the crash left a temporary behind"
    );

    let server = ServerProcess::start(dir.path(), &[]);
    let c = nimbus_client::Client::new(&server.base)
        .login("crash", PASSWORD)
        .await
        .unwrap()
        .0;
    assert!(
        files_under(&tmp).is_empty(),
        "start-up removed the temporary"
    );
    assert_eq!(
        files_under(&dir.path().join("blobs")).len(),
        blobs_before,
        "no leaked blob"
    );
    let names: Vec<String> = c
        .list_files(None, None, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(names, vec!["before.txt".to_string()]);
    assert_eq!(c.get_path_bytes("before.txt").await.unwrap(), &b"safe"[..]);
}

#[tokio::test]
async fn uploads_over_the_limit_get_413_and_store_nothing() {
    let s = TestServer::start_with(|c| c.max_upload_bytes = 1 << 20).await;
    let c = s.user("alice").await;
    let big = vec![9u8; (1 << 20) + 1];
    let (status, code) = crate::common::code(
        c.put("declared.bin", big.clone(), &PutOptions::default())
            .await,
    );
    assert_eq!((status, code.as_str()), (413, "payload_too_large"));
    // Without a Content-Length, the limit is enforced while streaming.
    let chunked = stream::iter(
        big.chunks(64 << 10)
            .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
            .collect::<Vec<_>>(),
    );
    let r = c
        .request(reqwest::Method::PUT, "/api/v1/fs/chunked.bin")
        .body(reqwest::Body::wrap_stream(chunked))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = c
        .upload(
            None,
            OnConflict::Fail,
            vec![UploadPart::bytes("multi.bin", big.clone())],
        )
        .await;
    assert_eq!(r.expect_err("too large").status().unwrap(), 413);
    c.put("exact.bin", vec![1u8; 1 << 20], &PutOptions::default())
        .await
        .expect("exactly the limit is fine");
    assert_eq!(c.list_files(None, None, None).await.unwrap().items.len(), 1);
    assert!(eventually(5, || files_under(&s.blob_dir().join("tmp")).is_empty()).await);
    assert!(eventually(5, || blob_files(&s).len() == 1).await);
}

#[tokio::test]
async fn a_cancelled_upload_leaves_no_file_and_no_temporary() {
    let s = TestServer::start().await;
    let c = s.user("bob").await;
    let token = c.token().unwrap();
    let mut sock = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
    let head = format!(
        "PUT /api/v1/fs/partial.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n",
        50 << 20
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![5u8; 1 << 20];
    for _ in 0..5 {
        sock.write_all(&chunk).await.unwrap();
    }
    sock.flush().await.unwrap();
    // Wait until the server has started writing the temporary, then hang up mid-body.
    assert!(eventually(10, || !files_under(&s.blob_dir().join("tmp")).is_empty()).await);
    drop(sock);
    assert!(
        eventually(10, || files_under(&s.blob_dir().join("tmp")).is_empty()).await,
        "temporary left behind: {:?}",
        files_under(&s.blob_dir().join("tmp"))
    );
    assert!(blob_files(&s).is_empty());
    assert_eq!(
        crate::common::code(c.get_path_bytes("partial.bin").await).0,
        404
    );
    assert!(
        c.list_files(None, None, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn crash_leftovers_are_removed_at_start_up() {
    let s = TestServer::start().await;
    let c = s.user("carl").await;
    c.put("keep.txt", "keep me", &PutOptions::default())
        .await
        .unwrap();
    // What a crash leaves: a half-written temporary, and a durable blob whose metadata
    // commit never happened.
    std::fs::write(s.blob_dir().join("tmp").join("deadbeef.part"), b"half").unwrap();
    std::fs::create_dir_all(s.blob_dir().join("ab")).unwrap();
    let orphan = s
        .blob_dir()
        .join("ab")
        .join(format!("{}-0123456789abcdef", "ab".repeat(32)));
    std::fs::write(&orphan, b"orphan").unwrap();
    assert_eq!(blob_files(&s).len(), 2);

    let s = s.restart().await;
    assert!(files_under(&s.blob_dir().join("tmp")).is_empty());
    assert!(!orphan.exists());
    assert_eq!(blob_files(&s).len(), 1, "the committed file's blob stays");
    let c = s
        .anon
        .login("carl", crate::common::PASSWORD)
        .await
        .unwrap()
        .0;
    assert_eq!(c.get_path_bytes("keep.txt").await.unwrap(), &b"keep me"[..]);
}
