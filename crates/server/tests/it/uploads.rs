//! Resumable uploads (tus 1.0): sessions that survive disconnects and restarts, refuse
//! wrong offsets and bad checksums without changing anything, hold quota, expire, and
//! end in the same commit as every other upload. The real tus clients are driven in
//! `tus_clients.rs`.

use crate::common::{TestServer, code, eventually, files_under};
use nimbus_client::Client;
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

const MIB: usize = 1 << 20;

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn session_files(s: &TestServer) -> Vec<std::path::PathBuf> {
    files_under(&s.blob_dir().join("sessions"))
}

/// Uploads `data` in `chunk`-sized appends to a new session and returns its location.
async fn upload_in_chunks(c: &Client, name: &str, data: &[u8], chunk: usize) -> String {
    let loc = c.create_upload(Some(data.len() as u64), &[("filename", name)]).await.unwrap();
    let mut offset = 0u64;
    for piece in data.chunks(chunk) {
        offset = c.append_upload(&loc, offset, piece.to_vec(), None).await.unwrap();
    }
    assert_eq!(offset, data.len() as u64);
    loc
}

#[tokio::test]
async fn a_session_becomes_a_file_only_with_its_last_byte() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let data = pattern(3 * MIB + 123, 1);
    let loc = c.create_upload(Some(data.len() as u64), &[("filename", "big.bin"), ("dir", "in")]).await.unwrap();
    assert!(loc.starts_with("/api/v1/uploads/"), "{loc}");
    let first = c.append_upload(&loc, 0, data[..MIB].to_vec(), None).await.unwrap();
    assert_eq!(first, MIB as u64);
    assert_eq!(c.upload_offset(&loc).await.unwrap(), (MIB as u64, Some(data.len() as u64)));
    assert!(c.list_files(None, None, None).await.unwrap().items.is_empty(), "nothing visible yet");
    let info = c.upload_info(&loc).await.unwrap();
    assert_eq!((info.offset, info.path.as_str(), info.file.is_none()), (MIB as u64, "in/big.bin", true));
    c.append_upload(&loc, first, data[MIB..].to_vec(), None).await.unwrap();

    let info = c.upload_info(&loc).await.unwrap();
    let file = info.file.expect("the finished file");
    assert_eq!((file.path.as_str(), file.size), ("in/big.bin", data.len() as u64));
    assert_eq!(file.sha256, hex::encode(Sha256::digest(&data)));
    let put = c.put("same-by-put.bin", data.clone(), &Default::default()).await.unwrap().0;
    assert_eq!(file.cid, put.cid, "the same CID as any other upload of these bytes");
    assert_eq!(c.get_path_bytes("in/big.bin").await.unwrap(), data);
    let usage = c.usage().await.unwrap();
    assert_eq!(usage.used_bytes, 2 * data.len() as u64, "charged like any upload");
    assert!(session_files(&s).is_empty(), "the session's file became the blob");
    // Finished: more bytes are refused.
    assert_eq!(code(c.append_upload(&loc, data.len() as u64, vec![1u8], None).await).0, 409);
}

#[tokio::test]
async fn a_wrong_offset_is_409_and_changes_nothing() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let loc = c.create_upload(Some(10), &[("filename", "a.txt")]).await.unwrap();
    c.append_upload(&loc, 0, b"hello".to_vec(), None).await.unwrap();
    for wrong in [0u64, 3, 6] {
        let r = c
            .request(Method::PATCH, &loc)
            .header("tus-resumable", "1.0.0")
            .header("content-type", "application/offset+octet-stream")
            .header("upload-offset", wrong)
            .body("XXXXX")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT, "offset {wrong}");
        assert_eq!(r.headers()["upload-offset"], "5");
    }
    c.append_upload(&loc, 5, b"world".to_vec(), None).await.unwrap();
    assert_eq!(c.get_path_bytes("a.txt").await.unwrap(), &b"helloworld"[..]);
}

#[tokio::test]
async fn bad_requests_get_clear_answers() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.max_upload_bytes = 1000).await;
    let c = s.user("alice").await;
    let tus = |m: Method, url: &str| c.request(m, url).header("tus-resumable", "1.0.0");
    // Discovery needs no account.
    let r = s.anon.request(Method::OPTIONS, "/api/v1/uploads").send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["tus-version"], "1.0.0");
    assert!(r.headers()["tus-extension"].to_str().unwrap().contains("creation-defer-length"));
    assert_eq!(r.headers()["tus-max-size"], "1000");
    // No length, too long, no name, bad path, bad metadata, another protocol version.
    let r = tus(Method::POST, "/api/v1/uploads").header("upload-metadata", "filename YS50eHQ=").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(code(c.create_upload(Some(1001), &[("filename", "a")]).await), (413, "payload_too_large".into()));
    assert_eq!(code(c.create_upload(Some(10), &[]).await).0, 422);
    assert_eq!(code(c.create_upload(Some(10), &[("path", "../etc/passwd")]).await).0, 422);
    let r = tus(Method::POST, "/api/v1/uploads")
        .header("upload-length", "1")
        .header("upload-metadata", "filename !!")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .request(Method::POST, "/api/v1/uploads")
        .header("tus-resumable", "0.2.2")
        .header("upload-length", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    assert_eq!(r.headers()["tus-version"], "1.0.0");
    // A PATCH needs its content type and offset.
    let loc = c.create_upload(Some(4), &[("filename", "a.txt")]).await.unwrap();
    let r = tus(Method::PATCH, &loc).header("upload-offset", "0").body("abcd").send().await.unwrap();
    assert_eq!(r.status(), 415);
    let r = tus(Method::PATCH, &loc)
        .header("content-type", "application/offset+octet-stream")
        .body("abcd")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // More bytes than declared: refused, nothing kept.
    assert_eq!(code(c.append_upload(&loc, 0, b"abcdef".to_vec(), None).await).0, 400);
    assert_eq!(c.upload_offset(&loc).await.unwrap().0, 0);
    // Unauthenticated, or another user's: the upload does not exist for them.
    assert_eq!(s.anon.request(Method::HEAD, &loc).send().await.unwrap().status(), 401);
    let bob = s.user("bob").await;
    assert_eq!(code(bob.upload_offset(&loc).await).0, 404);
    assert_eq!(code(bob.append_upload(&loc, 0, b"abcd".to_vec(), None).await).0, 404);
    assert_eq!(code(bob.abort_upload(&loc).await).0, 404);
    assert_eq!(code(bob.upload_info(&loc).await).0, 404);
    assert_eq!(c.upload_offset(&loc).await.unwrap().0, 0, "untouched");
}

#[tokio::test]
async fn checksums_are_verified_and_a_bad_chunk_is_not_kept() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let loc = c.create_upload(Some(8), &[("filename", "sum.txt")]).await.unwrap();
    let good = sha1::Sha1::digest(b"abcd");
    let bad = Sha256::digest(b"not abcd");
    let r = c.append_upload(&loc, 0, b"abcd".to_vec(), Some(("sha256", bad.as_slice()))).await;
    assert_eq!(code(r), (460, "checksum_mismatch".into()));
    assert_eq!(c.upload_offset(&loc).await.unwrap().0, 0, "nothing of it was kept");
    let r = c.append_upload(&loc, 0, b"abcd".to_vec(), Some(("md5", b"0123456789abcdef".as_slice()))).await;
    assert_eq!(code(r).0, 400, "unsupported algorithm");
    assert_eq!(c.append_upload(&loc, 0, b"abcd".to_vec(), Some(("sha1", good.as_slice()))).await.unwrap(), 4);
    let good256 = Sha256::digest(b"efgh");
    c.append_upload(&loc, 4, b"efgh".to_vec(), Some(("sha256", good256.as_slice()))).await.unwrap();
    let f = c.upload_info(&loc).await.unwrap().file.unwrap();
    assert_eq!(f.sha256, hex::encode(Sha256::digest(b"abcdefgh")), "the rejected chunk left no trace in the hash");
}

#[tokio::test]
async fn sessions_survive_a_restart_and_rebuild_their_hash() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let data = pattern(2 * MIB + 7, 9);
    let loc =
        c.create_upload(Some(data.len() as u64), &[("filename", "r.bin"), ("mtime", "1500000000")]).await.unwrap();
    let half = data.len() / 2;
    c.append_upload(&loc, 0, data[..half].to_vec(), None).await.unwrap();

    let s = s.restart().await;
    let c = s.anon.login("alice", crate::common::PASSWORD).await.unwrap().0;
    assert_eq!(c.upload_offset(&loc).await.unwrap().0, half as u64);
    c.append_upload(&loc, half as u64, data[half..].to_vec(), None).await.unwrap();
    let f = c.upload_info(&loc).await.unwrap().file.unwrap();
    assert_eq!(f.sha256, hex::encode(Sha256::digest(&data)));
    assert_eq!(f.modified_at, "2017-07-14T02:40:00Z");
    assert_eq!(c.get_path_bytes("r.bin").await.unwrap(), data);
}

#[tokio::test]
async fn a_broken_off_append_keeps_what_arrived() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let loc = c.create_upload(Some(4 * MIB as u64), &[("filename", "cut.bin")]).await.unwrap();
    let token = c.token().unwrap().to_string();
    // Send headers for 4 MiB, then 1 MiB, then hang up.
    use tokio::io::AsyncWriteExt;
    let mut sock = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
    let head = format!(
        "PATCH {loc} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n\
         Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: {}\r\n\r\n",
        4 * MIB
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&pattern(MIB, 3)).await.unwrap();
    sock.flush().await.unwrap();
    drop(sock);
    // Poll until the server has noticed the hang-up and kept what arrived.
    let mut offset = 0;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while offset == 0 && tokio::time::Instant::now() < deadline {
        offset = c.upload_offset(&loc).await.unwrap().0;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let kept = offset > 0;
    // What arrived is kept (all of it, or up to a buffer's worth less on a slow path).
    assert!(kept && offset <= MIB as u64, "offset {offset}");
    let rest = pattern(MIB, 3)[offset as usize..].to_vec();
    let mut full = pattern(MIB, 3);
    full.extend(pattern(3 * MIB, 4));
    let o = c.append_upload(&loc, offset, rest, None).await.unwrap();
    c.append_upload(&loc, o, pattern(3 * MIB, 4), None).await.unwrap();
    assert_eq!(c.get_path_bytes("cut.bin").await.unwrap(), full);
}

#[tokio::test]
async fn open_sessions_hold_quota_so_parallel_ones_cannot_overrun_it() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.default_quota_bytes = 10 * MIB as u64).await;
    let c = s.user("alice").await;
    let a = c.create_upload(Some(6 * MIB as u64), &[("filename", "a.bin")]).await.unwrap();
    assert_eq!(
        code(c.create_upload(Some(6 * MIB as u64), &[("filename", "b.bin")]).await),
        (507, "quota_exceeded".into())
    );
    assert_eq!(
        code(c.put("c.bin", vec![0u8; 5 * MIB], &Default::default()).await).0,
        507,
        "a plain upload sees it too"
    );
    // Deferred lengths take quota as bytes arrive.
    let d = c.create_upload(None, &[("filename", "d.bin")]).await.unwrap();
    c.append_upload(&d, 0, vec![1u8; 3 * MIB], None).await.unwrap();
    assert_eq!(code(c.append_upload(&d, 3 * MIB as u64, vec![1u8; 2 * MIB], None).await).0, 507);
    assert_eq!(c.upload_offset(&d).await.unwrap().0, 3 * MIB as u64, "the refused chunk was not kept");
    // Giving the length finishes it once the bytes are there.
    let r = c
        .request(Method::PATCH, &d)
        .header("tus-resumable", "1.0.0")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", 3 * MIB)
        .header("upload-length", 3 * MIB)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(c.upload_info(&d).await.unwrap().file.unwrap().size, 3 * MIB as u64);
    // Aborting gives the reservation back.
    c.abort_upload(&a).await.unwrap();
    assert_eq!(code(c.upload_offset(&a).await).0, 404);
    c.put("c.bin", vec![0u8; 5 * MIB], &Default::default()).await.unwrap();
    assert_eq!(c.usage().await.unwrap().used_bytes, 8 * MIB as u64);
}

#[tokio::test]
async fn termination_and_expiry_remove_the_bytes() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| {
        c.upload_ttl_secs = 2;
        c.sweep_interval_secs = 1;
    })
    .await;
    let c = s.user("alice").await;
    let gone = c.create_upload(Some(100), &[("filename", "t.bin")]).await.unwrap();
    c.append_upload(&gone, 0, vec![5u8; 50], None).await.unwrap();
    assert_eq!(session_files(&s).len(), 1);
    c.abort_upload(&gone).await.unwrap();
    assert!(session_files(&s).is_empty(), "terminated: its bytes are gone at once");
    assert_eq!(code(c.upload_offset(&gone).await).0, 404);

    let idle = c.create_upload(Some(100), &[("filename", "idle.bin")]).await.unwrap();
    c.append_upload(&idle, 0, vec![5u8; 50], None).await.unwrap();
    assert!(eventually(15, || session_files(&s).is_empty()).await, "expired: its bytes are removed");
    assert_eq!(code(c.upload_offset(&idle).await).0, 404);
    assert!(c.list_files(None, None, None).await.unwrap().items.is_empty());
    // Its quota is released too.
    assert_eq!(c.usage().await.unwrap().used_bytes, 0);
}

#[tokio::test]
async fn creation_with_upload_and_a_conflicting_path() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let r = c
        .request(Method::POST, "/api/v1/uploads")
        .header("tus-resumable", "1.0.0")
        .header("upload-length", "5")
        .header("upload-metadata", "filename aGkudHh0")
        .header("content-type", "application/offset+octet-stream")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["upload-offset"], "5");
    assert_eq!(c.get_path_bytes("hi.txt").await.unwrap(), &b"hello"[..]);
    // The path is taken by the time the last byte comes: the commit refuses, nothing stays.
    let loc = upload_in_chunks(&c, "x.txt", b"one", 3).await;
    assert!(c.upload_info(&loc).await.unwrap().file.is_some());
    let late = c.create_upload(Some(3), &[("filename", "x.txt")]).await.unwrap();
    assert_eq!(code(c.append_upload(&late, 0, b"two".to_vec(), None).await), (409, "path_exists".into()));
    assert_eq!(c.get_path_bytes("x.txt").await.unwrap(), &b"one"[..]);
    assert!(session_files(&s).is_empty());
    // With on_conflict=overwrite it replaces the file, keeping its id.
    let over = c.create_upload(Some(3), &[("filename", "x.txt"), ("on_conflict", "overwrite")]).await.unwrap();
    c.append_upload(&over, 0, b"two".to_vec(), None).await.unwrap();
    assert_eq!(c.get_path_bytes("x.txt").await.unwrap(), &b"two"[..]);
}

#[tokio::test]
async fn an_empty_upload_is_a_file_at_once() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let loc = c.create_upload(Some(0), &[("filename", "empty.txt")]).await.unwrap();
    let f = c.upload_info(&loc).await.unwrap().file.expect("finished at creation");
    assert_eq!((f.size, f.sha256.as_str()), (0, hex::encode(Sha256::digest(b"")).as_str()));
    assert_eq!(c.get_path_bytes("empty.txt").await.unwrap().len(), 0);
}
