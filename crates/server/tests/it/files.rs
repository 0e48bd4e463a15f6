//! Multipart and raw uploads, conflicts, listing with cursors, moves and deletes.

use crate::common::{TestServer, blob_files, code, eventually};
use nimbus_api::OnConflict;
use nimbus_client::{PutOptions, UploadPart};
use reqwest::{Method, header};
use sha2::{Digest, Sha256};

#[tokio::test]
async fn multipart_upload_of_several_files_into_a_dir() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let mut cat = UploadPart::bytes("cat.jpg", &b"meow"[..]);
    cat.content_type = Some("image/jpeg".into());
    let files = c
        .upload(Some("pets/2024"), OnConflict::Fail, vec![cat, UploadPart::bytes("dog.txt", &b"woof!"[..])])
        .await
        .unwrap();
    assert_eq!(files.len(), 2);
    let f = &files[0];
    assert_eq!((f.path.as_str(), f.name.as_str(), f.size), ("pets/2024/cat.jpg", "cat.jpg", 4));
    assert_eq!(f.content_type, "image/jpeg");
    assert_eq!(f.sha256, hex::encode(Sha256::digest(b"meow")));
    assert_eq!(f.owner.username, "alice");
    assert_eq!(files[1].content_type, "text/plain", "guessed from the extension");
    assert_eq!(c.get_path_bytes("pets/2024/dog.txt").await.unwrap(), &b"woof!"[..]);
    // car_cid is filled in by a background task; everything else reads back as uploaded.
    let mut read_back = c.file(&f.id).await.unwrap();
    read_back.car_cid = f.car_cid.clone();
    assert_eq!(read_back, *f);
}

#[tokio::test]
async fn multipart_conflicts_fail_rename_overwrite() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("bob").await;
    let first = c.upload(None, OnConflict::Fail, vec![UploadPart::bytes("cat.jpg", &b"v1"[..])]).await.unwrap();
    let err = c.upload(None, OnConflict::Fail, vec![UploadPart::bytes("cat.jpg", &b"v2"[..])]).await;
    assert_eq!(code(err), (409, "path_exists".into()));
    assert_eq!(c.get_path_bytes("cat.jpg").await.unwrap(), &b"v1"[..], "a failed upload changes nothing");

    let renamed = c.upload(None, OnConflict::Rename, vec![UploadPart::bytes("cat.jpg", &b"v2"[..])]).await.unwrap();
    assert_eq!(renamed[0].path, "cat (1).jpg");
    let renamed = c.upload(None, OnConflict::Rename, vec![UploadPart::bytes("cat.jpg", &b"v3"[..])]).await.unwrap();
    assert_eq!(renamed[0].path, "cat (2).jpg");

    let over = c.upload(None, OnConflict::Overwrite, vec![UploadPart::bytes("cat.jpg", &b"v4!"[..])]).await.unwrap();
    assert_eq!(over[0].id, first[0].id, "overwrite keeps the file's identity");
    assert_eq!(over[0].size, 3);
    assert_eq!(c.get_path_bytes("cat.jpg").await.unwrap(), &b"v4!"[..]);
    assert_eq!(c.list_files(None, None, None).await.unwrap().items.len(), 3);
}

#[tokio::test]
async fn a_batch_with_one_bad_part_stores_nothing() {
    crate::needs_backend!();
    // It counts blob files, so small contents stay blobs (inline ones: inline.rs).
    let s = TestServer::start_with(|c| c.inline_max_bytes = 0).await;
    let c = s.user("carl").await;
    c.put("taken.txt", "x", &PutOptions::default()).await.unwrap();
    let parts = vec![UploadPart::bytes("fresh.txt", &b"a"[..]), UploadPart::bytes("taken.txt", &b"b"[..])];
    assert_eq!(code(c.upload(None, OnConflict::Fail, parts).await), (409, "path_exists".into()));
    assert_eq!(code(c.get_path_bytes("fresh.txt").await), (404, "not_found".into()));
    let parts = vec![UploadPart::bytes("ok.txt", &b"a"[..]), UploadPart::bytes("../evil", &b"b"[..])];
    assert_eq!(code(c.upload(None, OnConflict::Fail, parts).await).0, 422);
    assert_eq!(c.list_files(None, None, None).await.unwrap().items.len(), 1);
    let blobs_settled = eventually(5, || blob_files(&s).len() == 1).await;
    assert!(blobs_settled, "staged blobs of failed batches are deleted: {:?}", blob_files(&s));
}

#[tokio::test]
async fn malformed_multipart_is_400() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("dina").await;
    let r = c
        .request(Method::POST, "/api/v1/files")
        .header(header::CONTENT_TYPE, "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .request(Method::POST, "/api/v1/files")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XX")
        .body("--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nunterminated")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .request(Method::POST, "/api/v1/files?on_conflict=sometimes")
        .multipart(reqwest::multipart::Form::new().text("file", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let form = reqwest::multipart::Form::new().text("other", "x");
    let r = c.request(Method::POST, "/api/v1/files").multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 422, "no part named file");
    assert!(c.list_files(None, None, None).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn put_creates_then_replaces_and_honours_preconditions() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("emma").await;
    let opts = PutOptions { content_type: Some("text/markdown".into()), ..Default::default() };
    let (f, created) = c.put("docs/readme.md", "# one", &opts).await.unwrap();
    assert!(created);
    assert_eq!(f.content_type, "text/markdown");
    let (g, created) = c.put("docs/readme.md", "# two", &opts).await.unwrap();
    assert!(!created);
    assert_eq!(g.id, f.id);

    let only_new = PutOptions { if_none_match_any: true, ..Default::default() };
    assert_eq!(code(c.put("docs/readme.md", "# three", &only_new).await), (412, "precondition_failed".into()));
    c.put("docs/new.md", "new", &only_new).await.unwrap();

    let stale = PutOptions { if_match: Some(format!("\"{}\"", f.sha256)), ..Default::default() };
    assert_eq!(code(c.put("docs/readme.md", "# four", &stale).await), (412, "precondition_failed".into()));
    let fresh = PutOptions { if_match: Some(format!("\"{}\"", g.sha256)), ..Default::default() };
    c.put("docs/readme.md", "# four", &fresh).await.unwrap();
    assert_eq!(c.get_path_bytes("docs/readme.md").await.unwrap(), &b"# four"[..]);
}

#[tokio::test]
async fn head_and_delete_by_path() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("fred").await;
    c.put("a/b.bin", vec![7u8; 1000], &PutOptions::default()).await.unwrap();
    let r = c.request(Method::HEAD, "/api/v1/fs/a/b.bin").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::CONTENT_LENGTH], "1000");
    assert!(r.bytes().await.unwrap().is_empty());
    c.delete_path("a/b.bin").await.unwrap();
    assert_eq!(code(c.delete_path("a/b.bin").await), (404, "not_found".into()));
    let r = c.request(Method::HEAD, "/api/v1/fs/a/b.bin").send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn listing_by_prefix_pages_with_opaque_cursors() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("gail").await;
    for i in 0..7 {
        c.put(&format!("photos/{i}.jpg"), format!("p{i}"), &PutOptions::default()).await.unwrap();
    }
    c.put("photosynthesis.txt", "x", &PutOptions::default()).await.unwrap();
    c.put("music/a.mp3", "x", &PutOptions::default()).await.unwrap();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = c.list_files(Some("photos/"), Some(3), cursor.as_deref()).await.unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.into_iter().map(|f| f.path));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).map(|i| format!("photos/{i}.jpg")).collect();
    assert_eq!(seen, expected);
    assert_eq!(c.list_files(Some("photo"), None, None).await.unwrap().items.len(), 8);
    let all = c.list_files(None, None, None).await.unwrap();
    assert_eq!(all.items.len(), 9);
    assert!(all.next_cursor.is_none());
    for bad in ["limit=0", "limit=abc", "cursor=zz-not-hex", "limit=-1"] {
        let r = c.request(Method::GET, &format!("/api/v1/files?{bad}")).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    let r = c.request(Method::GET, "/api/v1/files?limit=5000").send().await.unwrap();
    assert_eq!(r.status(), 200, "limits above the maximum are clamped");
}

#[tokio::test]
async fn move_rename_and_delete_by_id() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("hugo").await;
    let (a, _) = c.put("a.txt", "A", &PutOptions::default()).await.unwrap();
    c.put("b.txt", "B", &PutOptions::default()).await.unwrap();
    let moved = c.move_file(&a.id, "archive/2024/a.txt").await.unwrap();
    assert_eq!(
        (moved.id.as_str(), moved.path.as_str(), moved.name.as_str()),
        (a.id.as_str(), "archive/2024/a.txt", "a.txt")
    );
    assert_eq!(c.get_path_bytes("archive/2024/a.txt").await.unwrap(), &b"A"[..]);
    assert_eq!(code(c.get_path_bytes("a.txt").await).0, 404);
    assert_eq!(code(c.move_file(&a.id, "b.txt").await), (409, "path_exists".into()));
    assert_eq!(code(c.move_file(&a.id, "../b.txt").await), (422, "validation_failed".into()));
    c.delete_file(&a.id).await.unwrap();
    assert_eq!(code(c.file(&a.id).await), (404, "not_found".into()));
    assert_eq!(code(c.delete_file(&a.id).await), (404, "not_found".into()));
}

#[tokio::test]
async fn identical_content_is_stored_once_and_reclaimed_when_unreferenced() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.sweep_interval_secs = 1).await;
    let a = s.user("ida").await;
    let b = s.user("jon").await;
    let data = vec![42u8; 300_000];
    let (fa, _) = a.put("x.bin", data.clone(), &PutOptions::default()).await.unwrap();
    let (fb, _) = b.put("y.bin", data.clone(), &PutOptions::default()).await.unwrap();
    a.put("copy.bin", data.clone(), &PutOptions::default()).await.unwrap();
    assert!(eventually(5, || blob_files(&s).len() == 1).await, "one blob for three identical files");
    a.delete_file(&fa.id).await.unwrap();
    a.delete_path("copy.bin").await.unwrap();
    assert_eq!(b.get_path_bytes("y.bin").await.unwrap().len(), data.len(), "other references keep the bytes");
    b.delete_file(&fb.id).await.unwrap();
    assert_eq!(blob_files(&s).len(), 1, "trashed files keep their bytes");
    a.empty_trash().await.unwrap();
    b.empty_trash().await.unwrap();
    assert!(eventually(10, || blob_files(&s).is_empty()).await, "the sweeper reclaims unreferenced bytes");
}

/// A multipart upload with more files than allowed is refused before the rest is read,
/// and stores nothing; a taken path in `fail` mode is refused at its own part.
#[tokio::test]
async fn multipart_part_count_is_bounded() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.max_multipart_files = 5).await;
    let c = s.user("alice").await;
    let parts = (0..6).map(|i| UploadPart::bytes(&format!("f{i}.txt"), &b"x"[..])).collect();
    let (status, _) = code(c.upload(None, OnConflict::Fail, parts).await);
    assert_eq!(status, 400);
    assert!(c.list_files(None, None, None).await.unwrap().items.is_empty());
    let parts = (0..5).map(|i| UploadPart::bytes(&format!("f{i}.txt"), &b"x"[..])).collect();
    assert_eq!(c.upload(None, OnConflict::Fail, parts).await.unwrap().len(), 5);
    let again = vec![UploadPart::bytes("new.txt", &b"x"[..]), UploadPart::bytes("f0.txt", &b"y"[..])];
    assert_eq!(code(c.upload(None, OnConflict::Fail, again).await), (409, "path_exists".into()));
    assert_eq!(c.list_files(None, None, None).await.unwrap().items.len(), 5, "all or nothing");
}
