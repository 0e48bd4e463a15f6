//! Limits and durability: 413s that store nothing, cancelled uploads that leave
//! nothing, and crash leftovers removed at start-up.

use crate::common::{TestServer, blob_files, eventually, files_under};
use bytes::Bytes;
use futures_util::stream;
use nimbus_api::OnConflict;
use nimbus_client::{PutOptions, UploadPart};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn uploads_over_the_limit_get_413_and_store_nothing() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.max_upload_bytes = 1 << 20).await;
    let c = s.user("alice").await;
    let big = vec![9u8; (1 << 20) + 1];
    // Refused from its declared length (the client may still be sending when the
    // answer comes, and see a broken pipe instead of it).
    let r = c.put("declared.bin", big.clone(), &PutOptions::default()).await;
    assert!(matches!(crate::common::refused_client_status(r), Some(413) | None));
    // Without a Content-Length, the limit is enforced while streaming.
    let chunked = stream::iter(
        big.chunks(64 << 10).map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c))).collect::<Vec<_>>(),
    );
    let r = c
        .request(reqwest::Method::PUT, "/api/v1/fs/chunked.bin")
        .body(reqwest::Body::wrap_stream(chunked))
        .send()
        .await;
    assert!(matches!(crate::common::refused_status(r), Some(413) | None));
    let r = c.upload(None, OnConflict::Fail, vec![UploadPart::bytes("multi.bin", big.clone())]).await;
    assert!(matches!(crate::common::refused_client_status(r), Some(413) | None));
    c.put("exact.bin", vec![1u8; 1 << 20], &PutOptions::default()).await.expect("exactly the limit is fine");
    assert_eq!(c.list_files(None, None, None).await.unwrap().items.len(), 1);
    assert!(eventually(5, || files_under(&s.blob_dir().join("tmp")).is_empty()).await);
    assert!(eventually(5, || blob_files(&s).len() == 1).await);
}

#[tokio::test]
async fn a_cancelled_upload_leaves_no_file_and_no_temporary() {
    crate::needs_backend!();
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
    assert_eq!(crate::common::code(c.get_path_bytes("partial.bin").await).0, 404);
    assert!(c.list_files(None, None, None).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn crash_leftovers_are_removed_at_start_up() {
    crate::needs_backend!();
    // It counts blob files, so small contents stay blobs (inline ones: inline.rs).
    let s = TestServer::start_with(|c| c.inline_max_bytes = 0).await;
    let c = s.user("carl").await;
    c.put("keep.txt", "keep me", &PutOptions::default()).await.unwrap();
    // What a crash leaves: a half-written temporary, and a durable blob whose metadata
    // commit never happened.
    std::fs::write(s.blob_dir().join("tmp").join("deadbeef.part"), b"half").unwrap();
    std::fs::create_dir_all(s.blob_dir().join("ab")).unwrap();
    let orphan = s.blob_dir().join("ab").join(format!("{}-0123456789abcdef", "ab".repeat(32)));
    std::fs::write(&orphan, b"orphan").unwrap();
    assert_eq!(blob_files(&s).len(), 2);

    let s = s.restart().await;
    assert!(files_under(&s.blob_dir().join("tmp")).is_empty());
    assert!(!orphan.exists());
    assert_eq!(blob_files(&s).len(), 1, "the committed file's blob stays");
    let c = s.anon.login("carl", crate::common::PASSWORD).await.unwrap().0;
    assert_eq!(c.get_path_bytes("keep.txt").await.unwrap(), &b"keep me"[..]);
}

#[tokio::test]
async fn an_upload_over_quota_gets_507_and_stores_nothing() {
    crate::needs_backend!();
    // It counts blob files, so small contents stay blobs (inline ones: inline.rs).
    let s = TestServer::start_with(|c| {
        c.default_quota_bytes = 1000;
        c.inline_max_bytes = 0;
    })
    .await;
    let c = s.user("dora").await;
    c.put("a.bin", vec![1u8; 600], &PutOptions::default()).await.unwrap();
    let (status, code) = crate::common::code(c.put("b.bin", vec![2u8; 600], &PutOptions::default()).await);
    assert_eq!((status, code.as_str()), (507, "quota_exceeded"));
    // Overwrites are charged only the difference.
    c.put("a.bin", vec![3u8; 1000], &PutOptions::default()).await.expect("replacing 600 with 1000 fits");
    assert_eq!(c.list_files(None, None, None).await.unwrap().items.len(), 1);
    assert!(eventually(5, || blob_files(&s).len() == 1).await, "no bytes of the refused upload remain");
}

/// A flipped byte in a stored blob is not served as the file: the full download fails
/// short of its length instead of delivering damaged bytes.
#[tokio::test]
async fn a_rotten_blob_is_not_served_whole() {
    crate::needs_backend!();
    let s = crate::common::TestServer::start().await;
    let c = s.user("alice").await;
    let data: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
    c.put("precious.bin", data.clone(), &nimbus_client::PutOptions::default()).await.unwrap();
    let blobs = crate::common::blob_files(&s);
    assert_eq!(blobs.len(), 1);
    let mut stored = std::fs::read(&blobs[0]).unwrap();
    stored[650_000] ^= 0x01;
    std::fs::write(&blobs[0], &stored).unwrap();
    let r = c.get_path("precious.bin").await.unwrap();
    let result = r.bytes().await;
    match result {
        Ok(b) => assert_ne!(b.as_ref(), stored.as_slice(), "the damaged bytes were delivered as a whole file"),
        Err(e) => assert!(e.is_body() || e.is_decode(), "{e}"),
    }

    // The content is now quarantined: marked damaged in the file's metadata, and no
    // download of any of it (whole or a range) is served any more.
    let id = c.list_files(None, None, None).await.unwrap().items[0].id.clone();
    let mut damaged = false;
    for _ in 0..100 {
        damaged = c.file(&id).await.unwrap().damaged;
        if damaged {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(damaged, "the file is reported damaged");
    let whole = s.anon.request(reqwest::Method::GET, "/api/v1/fs/precious.bin").send().await.unwrap();
    assert_eq!(whole.status(), 401, "(a stranger still learns nothing)");
    let (status, body) = crate::common::code(c.get_path("precious.bin").await);
    assert_eq!((status, body.contains("content_damaged")), (409, true), "{body}");
    let ranged =
        c.request(reqwest::Method::GET, "/api/v1/fs/precious.bin").header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!(ranged.status(), 409);

    // Uploading the same bytes again (anywhere) heals it: the file is served again.
    c.put("copy-from-backup.bin", data.clone(), &nimbus_client::PutOptions::default()).await.unwrap();
    assert!(!c.file(&id).await.unwrap().damaged);
    assert_eq!(c.get_path_bytes("precious.bin").await.unwrap().as_ref(), data.as_slice());
}

/// A small file (read whole before it is sent) with a flipped byte is refused outright:
/// the first download already gets 409 `content_damaged` with no byte of it, and the
/// content is quarantined by then.
#[tokio::test]
async fn a_rotten_small_blob_is_refused_before_any_byte() {
    crate::needs_backend!();
    // Kept as a blob file (inline contents have their own test in inline.rs).
    let s = crate::common::TestServer::start_with(|c| c.inline_max_bytes = 0).await;
    let c = s.user("alice").await;
    let data: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8).collect();
    let (f, _) = c.put("note.bin", data.clone(), &nimbus_client::PutOptions::default()).await.unwrap();
    assert_eq!(c.get_path_bytes("note.bin").await.unwrap().as_ref(), data.as_slice(), "intact, it is served");
    let blobs = crate::common::blob_files(&s);
    let mut stored = std::fs::read(&blobs[0]).unwrap();
    stored[4000] ^= 0x01;
    std::fs::write(&blobs[0], &stored).unwrap();
    let (status, body) = crate::common::code(c.get_path("note.bin").await);
    assert_eq!((status, body.contains("content_damaged")), (409, true), "{body}");
    assert!(c.file(&f.id).await.unwrap().damaged, "quarantined before the answer");
    let by_id = c.request(reqwest::Method::GET, &format!("/api/v1/files/{}/content", f.id)).send().await.unwrap();
    assert_eq!(by_id.status(), 409);
}

/// A range is checked as well: the 256 KiB chunks it covers are hashed against the
/// chunk hashes kept with the content, so a range that touches a rotten chunk is cut
/// off before any of that chunk's bytes go out, and the content is quarantined; ranges
/// in intact chunks are served until then.
#[tokio::test]
async fn a_range_of_a_rotten_blob_is_refused_too() {
    crate::needs_backend!();
    let s = crate::common::TestServer::start_with(|c| c.scrub_bytes_per_sec = 0).await;
    let c = s.user("alice").await;
    let data: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
    let (f, _) = c.put("precious.bin", data.clone(), &nimbus_client::PutOptions::default()).await.unwrap();
    let blobs = crate::common::blob_files(&s);
    let mut stored = std::fs::read(&blobs[0]).unwrap();
    stored[300_000] ^= 0x01; // in the second chunk (262,144..524,288)
    std::fs::write(&blobs[0], &stored).unwrap();
    let range = |r: &'static str| c.request(reqwest::Method::GET, "/api/v1/fs/precious.bin").header("range", r).send();
    for (r, from, to) in
        [("bytes=0-99", 0, 100), ("bytes=600000-600099", 600_000, 600_100), ("bytes=262000-262143", 262_000, 262_144)]
    {
        let resp = range(r).await.unwrap();
        assert_eq!(resp.status(), 206, "{r}");
        assert_eq!(resp.bytes().await.unwrap().as_ref(), &data[from..to], "{r} is in an intact chunk");
    }
    // The connection is cut when the rotten chunk fails its hash: the client sees either a
    // short 206 body or, if that came before the head was flushed, no response at all.
    match range("bytes=262000-300100").await {
        Ok(resp) => {
            assert_eq!(resp.status(), 206);
            match resp.bytes().await {
                Ok(b) => {
                    assert!(b.len() < 38_101, "the range was cut short ({} bytes)", b.len());
                    assert_eq!(b.as_ref(), &data[262_000..262_000 + b.len()], "only the intact chunk's bytes");
                }
                Err(e) => assert!(e.is_body() || e.is_decode(), "{e}"),
            }
        }
        Err(e) => assert!(e.is_request(), "the response broke off: {e}"),
    }
    let mut damaged = false;
    for _ in 0..100 {
        damaged = c.file(&f.id).await.unwrap().damaged;
        if damaged {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(damaged, "quarantined");
    assert_eq!(range("bytes=0-99").await.unwrap().status(), 409, "then no range is served");
}

/// The scrub finds damage nobody has read yet: `nimbus admin scrub` re-hashes every
/// stored content and lists the damaged files, which the API then reports.
#[tokio::test]
async fn the_scrub_finds_a_rotten_blob_before_anyone_reads_it() {
    crate::needs_backend!();
    let s = crate::common::TestServer::start_with(|c| c.scrub_bytes_per_sec = 0).await;
    let c = s.user("alice").await;
    c.put("fine.txt", b"nothing wrong here".to_vec(), &nimbus_client::PutOptions::default()).await.unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
    let (rotten, _) = c.put("photos/rotten.bin", data.clone(), &nimbus_client::PutOptions::default()).await.unwrap();
    let blob = crate::common::blob_files(&s)
        .into_iter()
        .find(|p| std::fs::metadata(p).unwrap().len() == data.len() as u64)
        .unwrap();
    let mut stored = std::fs::read(&blob).unwrap();
    stored[123_456] ^= 0x80;
    std::fs::write(&blob, &stored).unwrap();

    let (ok, text) = s.admin(&["scrub"]);
    assert!(ok, "{text}");
    assert!(text.contains("checked 2 contents") && text.contains("1 newly damaged"), "{text}");
    assert!(text.contains("damaged: alice/photos/rotten.bin"), "{text}");
    assert!(c.file(&rotten.id).await.unwrap().damaged);
    assert_eq!(crate::common::code(c.get_path("photos/rotten.bin").await).0, 409);
    assert_eq!(c.get_path_bytes("fine.txt").await.unwrap().as_ref(), b"nothing wrong here");
}
