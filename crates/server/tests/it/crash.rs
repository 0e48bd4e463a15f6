//! The server as a real process: a 2 GiB round trip whose server RSS stays flat, and a
//! SIGKILL in the middle of an upload. (SQLite only: these test the process, not SQL.)

use crate::common::{PASSWORD, eventually, eventually_async, files_under};
use crate::process::ServerProcess;
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use nimbus_client::PutOptions;
use sha2::{Digest, Sha256};

/// `total` bytes of a repeating, position-dependent pattern, produced chunk by chunk.
fn pattern_stream(
    total: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + Sync + 'static {
    const CHUNK: u64 = 1 << 20;
    stream::iter((0..total.div_ceil(CHUNK)).map(move |i| {
        let len = CHUNK.min(total - i * CHUNK) as usize;
        let chunk: Vec<u8> = (0..len).map(|j| ((i * 7 + j as u64 * 13) % 256) as u8).collect();
        Ok(Bytes::from(chunk))
    }))
}

async fn register(base: &str, name: &str) -> nimbus_client::Client {
    let anon = nimbus_client::Client::new(base);
    let req = nimbus_api::RegisterRequest { username: name.into(), password: PASSWORD.into(), ..Default::default() };
    anon.register(&req).await.unwrap();
    anon.login(name, PASSWORD).await.unwrap().0
}

/// The server runs as its own process so that its RSS is measured alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2_gib_round_trip_streams_with_flat_memory() {
    crate::needs_backend!();
    let total: u64 = std::env::var("NIMBUS_TEST_BIG_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(2 << 30);
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path(), &[("NIMBUS_MAX_UPLOAD_BYTES", (4u64 << 30).to_string())]);
    let c = register(&server.base, "big").await;
    // Warm up allocator arenas and connection pools before taking the baseline.
    c.put("warm", vec![1u8; 4 << 20], &PutOptions::default()).await.unwrap();
    c.get_path_bytes("warm").await.unwrap();
    let rss = server.sample_rss();

    let mut expected = Sha256::new();
    let mut source = std::pin::pin!(pattern_stream(total));
    while let Some(chunk) = source.next().await {
        expected.update(chunk.unwrap());
    }
    let expected = hex::encode(expected.finalize());

    let (f, created) = c.put_stream("big.bin", total, pattern_stream(total)).await.unwrap();
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
    let (baseline, growth_mib) = rss.finish();
    assert_eq!(n, total);
    assert_eq!(hex::encode(got.finalize()), expected);
    println!("server RSS baseline {baseline} MiB, peak growth {growth_mib} MiB over a {} MiB round trip", total >> 20);
    assert!(growth_mib < 64, "server RSS grew by {growth_mib} MiB");
}

/// A resumable upload of the same size, in 256 MiB appends (each streamed, each made
/// durable), keeps the server's memory as flat as a single PUT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2_gib_resumable_upload_keeps_memory_flat() {
    crate::needs_backend!();
    let total: u64 = std::env::var("NIMBUS_TEST_BIG_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(2 << 30);
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path(), &[("NIMBUS_MAX_UPLOAD_BYTES", (4u64 << 30).to_string())]);
    let c = register(&server.base, "big").await;
    let warm = c.create_upload(Some(4 << 20), &[("filename", "warm")]).await.unwrap();
    c.append_upload(&warm, 0, vec![1u8; 4 << 20], None).await.unwrap();
    let rss = server.sample_rss();

    let loc = c.create_upload(Some(total), &[("filename", "big.bin")]).await.unwrap();
    let piece = 256u64 << 20;
    let mut offset = 0;
    while offset < total {
        let len = piece.min(total - offset);
        let body = reqwest::Body::wrap_stream(pattern_stream(len));
        offset = c.append_upload(&loc, offset, body, None).await.unwrap();
    }
    let (baseline, growth_mib) = rss.finish();
    let mut expected = Sha256::new();
    let mut done = 0;
    while done < total {
        let len = piece.min(total - done);
        let mut source = std::pin::pin!(pattern_stream(len));
        while let Some(chunk) = source.next().await {
            expected.update(chunk.unwrap());
        }
        done += len;
    }
    let f = c.upload_info(&loc).await.unwrap().file.expect("finished");
    assert_eq!((f.size, f.sha256), (total, hex::encode(expected.finalize())));
    println!(
        "server RSS baseline {baseline} MiB, peak growth {growth_mib} MiB over a {} MiB resumable upload",
        total >> 20
    );
    assert!(growth_mib < 64, "server RSS grew by {growth_mib} MiB");
}

/// SIGKILL in the middle of an upload, then a restart on the same data dir: no file,
/// no temporary, no leaked blob, and earlier files intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_upload_leaves_nothing_after_restart() {
    crate::needs_backend!();
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(dir.path(), &[]);
    let c = register(&server.base, "crash").await;
    c.put("before.txt", "safe", &PutOptions::default()).await.unwrap();
    let tmp = dir.path().join("blobs").join("tmp");
    let blobs_before = files_under(&dir.path().join("blobs")).len();

    let upload = tokio::spawn({
        let c = c.clone();
        async move { c.put_stream("during.bin", 256 << 20, pattern_stream(256 << 20)).await }
    });
    assert!(eventually(20, || !files_under(&tmp).is_empty()).await, "upload started writing");
    server.kill();
    assert!(upload.await.unwrap().is_err(), "the upload cannot have succeeded");
    assert!(!files_under(&tmp).is_empty(), "the crash left a temporary behind");

    let server = ServerProcess::start(dir.path(), &[]);
    let c = nimbus_client::Client::new(&server.base).login("crash", PASSWORD).await.unwrap().0;
    assert!(files_under(&tmp).is_empty(), "start-up removed the temporary");
    assert_eq!(files_under(&dir.path().join("blobs")).len(), blobs_before, "no leaked blob");
    let names: Vec<String> = c.list_files(None, None, None).await.unwrap().items.into_iter().map(|f| f.path).collect();
    assert_eq!(names, vec!["before.txt".to_string()]);
    assert_eq!(c.get_path_bytes("before.txt").await.unwrap(), &b"safe"[..]);
}

/// Request logs name the route template, never tokens, passwords or file names.
#[tokio::test]
async fn logs_carry_no_secrets_or_paths() {
    crate::needs_backend!();
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path(), &[]);
    let c = register(&server.base, "logger").await;
    let token = c.token().unwrap().to_string();
    c.put("very-private-name.txt", "x", &PutOptions::default()).await.unwrap();
    c.get_path_bytes("very-private-name.txt").await.unwrap();
    c.logout().await.unwrap();
    let _ = nimbus_client::Client::new(&server.base).login("logger", "wrong password").await;
    let seen = eventually(5, || server.log.lock().unwrap().iter().any(|l| l.contains("/api/v1/auth/logout"))).await;
    assert!(seen, "request lines are logged with their route template");
    let log = server.log.lock().unwrap().join("\n");
    assert!(log.contains("/api/v1/fs/{*path}"), "{log}");
    for secret in [token.as_str(), &token[4..], PASSWORD, "wrong password", "very-private-name"] {
        assert!(!log.contains(secret), "log contains {secret:?}");
    }
}

/// Without SMTP, a reset code is written to the server log, so the embedded default
/// can still recover accounts.
#[tokio::test]
async fn without_smtp_the_reset_mail_goes_to_the_log() {
    crate::needs_backend!();
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path(), &[]);
    let anon = nimbus_client::Client::new(&server.base);
    let req = nimbus_api::RegisterRequest {
        username: "logmail".into(),
        password: PASSWORD.into(),
        email: Some("logmail@example.org".into()),
        ..Default::default()
    };
    anon.register(&req).await.unwrap();
    let r = anon
        .request(reqwest::Method::POST, "/api/v1/auth/password-reset")
        .json(&serde_json::json!({"email": "logmail@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let found = eventually(10, || server.log.lock().unwrap().iter().any(|l| l.contains("reset code is"))).await;
    assert!(found, "the mail, code included, is in the log");
}

/// The S3 store streams too: a 256 MiB upload and download through an `s3://` blob
/// store (8 MiB multipart parts) leaves the server's memory flat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_uploads_and_downloads_stream_with_flat_memory() {
    crate::needs_backend!();
    let Some(s3) = crate::common::S3Server::start(&["big"]).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("NIMBUS_BLOB_STORE", "s3://big/x".to_string()),
        ("NIMBUS_S3_ENDPOINT", s3.endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", crate::common::S3_ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", crate::common::S3_SECRET_KEY.to_string()),
    ];
    let server = ServerProcess::start(dir.path(), &env);
    let c = register(&server.base, "s3big").await;
    c.put("warm", vec![1u8; 20 << 20], &PutOptions::default()).await.unwrap();
    c.get_path_bytes("warm").await.unwrap();
    let total: u64 = 256 << 20;
    let rss = server.sample_rss();
    let (f, _) = c.put_stream("big.bin", total, pattern_stream(total)).await.unwrap();
    assert_eq!(f.size, total);
    let mut body = c.get_path("big.bin").await.unwrap().bytes_stream();
    let mut n = 0u64;
    while let Some(chunk) = body.next().await {
        n += chunk.unwrap().len() as u64;
    }
    let (baseline, growth_mib) = rss.finish();
    assert_eq!(n, total);
    println!("S3 store: server RSS baseline {baseline} MiB, peak growth {growth_mib} MiB over a 256 MiB round trip");
    assert!(growth_mib < 64, "server RSS grew by {growth_mib} MiB");
}

/// The blob files of a data dir (not temporaries or resumable sessions).
fn stored_blobs(dir: &std::path::Path) -> usize {
    let blobs = dir.join("blobs");
    files_under(&blobs)
        .into_iter()
        .filter(|p| p.strip_prefix(&blobs).is_ok_and(|rel| !rel.starts_with("tmp") && !rel.starts_with("sessions")))
        .count()
}

/// Stored copies of contents: blob files plus contents kept inline in the database.
async fn stored_copies(dir: &std::path::Path) -> usize {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", dir.join("nimbus.db").display());
    let mut db = sqlx::AnyConnection::connect(&url).await.unwrap();
    let (inline,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM contents WHERE inline_data IS NOT NULL").fetch_one(&mut db).await.unwrap();
    stored_blobs(dir) + inline as usize
}

/// SIGKILL while files are being deleted, moved (alone and as whole folders) and their
/// content reclaimed by the sweeper, five times over: after every restart each listed
/// file reads back with its SHA-256, the account is charged exactly its files, and once
/// the sweeper has run there is one blob per distinct content, none leaked or lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashes_during_deletes_moves_and_sweeps_leave_a_consistent_store() {
    crate::needs_backend!();
    let dir = tempfile::tempdir().unwrap();
    // Deletes are final and replaced contents go (no trash, no versions), so every blob
    // left must belong to a live file.
    let env = [
        ("NIMBUS_SWEEP_INTERVAL_SECS", "1".to_string()),
        ("NIMBUS_TRASH_TTL_SECS", "0".to_string()),
        ("NIMBUS_VERSIONS_PER_FILE", "0".to_string()),
    ];
    let mut server = ServerProcess::start(dir.path(), &env);
    let mut c = register(&server.base, "crash").await;
    // 120 files in 6 folders; every content twice (dedup), so deletes drop references
    // both to zero and not. Most are small enough to be kept inline, one in five is a blob.
    for i in 0..120u32 {
        let times = if (i / 2) % 5 == 0 { 2000 } else { 50 + (i as usize / 2 % 7) * 40 };
        let body = format!("content {} ", i / 2).repeat(times);
        c.put(&format!("d{}/f{i}.txt", i % 6), body, &PutOptions::default()).await.unwrap();
    }
    for round in 0..5u32 {
        let work = tokio::spawn({
            let c = c.clone();
            async move {
                let files = c.list_files(None, Some(1000), None).await.map(|p| p.items).unwrap_or_default();
                for (n, f) in files.iter().enumerate() {
                    let _ = match n % 4 {
                        0 => c.delete_file(&f.id).await.map(|_| ()),
                        1 => c.move_file(&f.id, &format!("moved{round}/{n}.txt")).await.map(|_| ()),
                        2 if n % 8 == 2 => {
                            c.move_folder(&format!("d{}", n % 6), &format!("r{round}-d{n}")).await.map(|_| ())
                        }
                        _ => Ok(()),
                    };
                }
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(150 + 70 * round as u64)).await;
        server.kill();
        let _ = work.await;

        server = ServerProcess::start(dir.path(), &env);
        let c2 = nimbus_client::Client::new(&server.base).login("crash", PASSWORD).await.unwrap().0;
        let files = c2.list_files(None, Some(1000), None).await.unwrap().items;
        let mut contents = std::collections::HashSet::new();
        for f in &files {
            let bytes = c2.get_path_bytes(&f.path).await.unwrap();
            assert_eq!(hex::encode(Sha256::digest(&bytes)), f.sha256, "round {round}: {} reads back", f.path);
            contents.insert(f.sha256.clone());
        }
        let usage = c2.usage().await.unwrap();
        assert_eq!(usage.file_count, files.len() as u64, "round {round}: file count");
        assert_eq!(usage.used_bytes, files.iter().map(|f| f.size).sum::<u64>(), "round {round}: charged exactly");
        let want = contents.len();
        assert!(
            eventually_async(10, || async { stored_copies(dir.path()).await == want }).await,
            "round {round}: {} stored copies for {want} distinct contents",
            stored_copies(dir.path()).await
        );
        c = c2;
    }
    // The workload did run between the kills: files were deleted and moved.
    let left = c.list_files(None, Some(1000), None).await.unwrap().items;
    assert!(left.len() < 120, "some deletes committed");
    assert!(left.iter().any(|f| f.path.starts_with("moved") || f.path.starts_with('r')), "some moves committed");
}
