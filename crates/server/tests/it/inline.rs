//! Small contents kept inline in the metadata database (`inline_max_bytes`, 16 KiB by
//! default): no blob file is written for them, and every guarantee a blob has still
//! holds — byte-exact reads with ranges, one stored copy of identical bytes, the same
//! CID and CAR as a blob-stored copy, S3 MD5 ETags, reclamation of the row when the
//! last file goes, and damage found by reads and by the scrub, then healed.

use crate::common::{TestServer, blob_files, code};
use crate::s3_api::{S3Client, md5_hex, status_code};
use nimbus_client::PutOptions;
use reqwest::Method;
use sqlx::Connection;

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_mul(31).wrapping_add(seed) % 251) as u8).collect()
}

async fn db(s: &TestServer) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&s.config.database_url()).await.unwrap()
}

/// (contents kept inline, their total refcount, contents kept as blobs).
async fn content_rows(s: &TestServer) -> (i64, i64, i64) {
    let mut db = db(s).await;
    let (inline, refs): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(refcount), 0) AS BIGINT) FROM contents WHERE inline_data IS NOT NULL",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    let (blobs,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM contents WHERE inline_data IS NULL").fetch_one(&mut db).await.unwrap();
    (inline, refs, blobs)
}

#[tokio::test]
async fn small_files_are_kept_inline_and_read_back_exactly_with_ranges() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let threshold = s.config.inline_max_bytes as usize;
    assert_eq!(threshold, 16 << 10, "the default threshold");
    let sizes = [0, 1, 4096, threshold];
    for (i, &n) in sizes.iter().enumerate() {
        c.put(&format!("small-{n}.bin"), pattern(n, i as u32), &PutOptions::default()).await.unwrap();
    }
    assert!(blob_files(&s).is_empty(), "no blob file for a file of at most {threshold} bytes");
    assert_eq!(content_rows(&s).await, (sizes.len() as i64, sizes.len() as i64, 0));
    // One byte more is a blob, as before.
    c.put("just-over.bin", pattern(threshold + 1, 9), &PutOptions::default()).await.unwrap();
    assert_eq!(blob_files(&s).len(), 1);
    assert_eq!(content_rows(&s).await.2, 1);

    for (i, &n) in sizes.iter().enumerate() {
        let data = pattern(n, i as u32);
        let path = format!("/api/v1/fs/small-{n}.bin");
        assert_eq!(c.get_path_bytes(&path["/api/v1/fs/".len()..]).await.unwrap().as_ref(), data.as_slice(), "{n}");
        if n < 2 {
            continue;
        }
        for (range, from, to) in [
            (format!("bytes=1-{}", n.min(100)), 1, n.min(101)),
            ("bytes=-3".to_string(), n - 3, n),
            (format!("bytes={}-", n / 2), n / 2, n),
        ] {
            let r = c.request(Method::GET, &path).header("range", &range).send().await.unwrap();
            assert_eq!(r.status(), 206, "{n} {range}");
            let want = format!("bytes {from}-{}/{n}", to - 1);
            assert_eq!(r.headers()["content-range"], want.as_str());
            assert_eq!(r.bytes().await.unwrap().as_ref(), &data[from..to], "{n} {range}");
        }
        let r = c.request(Method::GET, &path).header("range", format!("bytes={n}-")).send().await.unwrap();
        assert_eq!(r.status(), 416, "past the end of an inline content");
    }
    // They survive a restart (they were committed with their file rows).
    let s = s.restart().await;
    let c = s.anon.login("alice", crate::common::PASSWORD).await.unwrap().0;
    assert_eq!(c.get_path_bytes("small-4096.bin").await.unwrap().as_ref(), pattern(4096, 2).as_slice());
}

#[tokio::test]
async fn identical_small_files_are_stored_once_and_freed_with_the_last_one() {
    crate::needs_backend!();
    // Deletes are final (no trash, no versions), so the last delete frees the content.
    let s = TestServer::start_with(|c| {
        c.trash_ttl_secs = 0;
        c.versions_per_file = 0;
        c.sweep_interval_secs = 1;
    })
    .await;
    let users = [s.user("erin").await, s.user("fay").await];
    let data = pattern(4096, 7);
    for (i, u) in users.iter().enumerate() {
        for j in 0..3 {
            u.put(&format!("copy-{i}-{j}.bin"), data.clone(), &PutOptions::default()).await.unwrap();
        }
    }
    assert_eq!(content_rows(&s).await, (1, 6, 0), "six files, one stored copy");
    for u in &users {
        assert_eq!(u.usage().await.unwrap().used_bytes, 3 * 4096, "each user is charged for their files");
    }
    // A copy on the server side shares it too.
    let (f, _) = users[0].put("other.bin", pattern(100, 1), &PutOptions::default()).await.unwrap();
    users[0].copy_file(&f.id, "other-copy.bin", false).await.unwrap();
    assert_eq!(content_rows(&s).await, (2, 8, 0));

    for (i, u) in users.iter().enumerate() {
        for j in 0..3 {
            u.delete_path(&format!("copy-{i}-{j}.bin")).await.unwrap();
        }
    }
    users[0].delete_path("other.bin").await.unwrap();
    let mut rows = (0, 0, 0);
    for _ in 0..100 {
        rows = content_rows(&s).await;
        if rows.0 == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(rows, (1, 1, 0), "the unreferenced inline content was reclaimed, the copied one kept");
    assert_eq!(users[0].get_path_bytes("other-copy.bin").await.unwrap().as_ref(), pattern(100, 1).as_slice());
    assert!(blob_files(&s).is_empty());
}

#[tokio::test]
async fn inline_contents_have_the_cid_and_car_of_a_blob_stored_copy() {
    crate::needs_backend!();
    let inline = TestServer::start().await;
    let blobs = TestServer::start_with(|c| c.inline_max_bytes = 0).await;
    let users = [inline.user("alice").await, blobs.user("alice").await];
    for (n, seed) in [(0usize, 0u32), (5, 1), (4096, 2), (16 << 10, 3)] {
        let data = pattern(n, seed);
        let mut seen = Vec::new();
        for c in &users {
            let (f, _) = c.put(&format!("f-{n}.bin"), data.clone(), &PutOptions::default()).await.unwrap();
            let mut file = c.file(&f.id).await.unwrap();
            for _ in 0..100 {
                if file.car_cid.is_some() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                file = c.file(&f.id).await.unwrap();
            }
            let car = c.car(&f.id).await.unwrap();
            assert_eq!(car.status(), 200);
            let car = car.bytes().await.unwrap();
            let by_cid = c.by_cid(file.cid.as_deref().unwrap()).await.unwrap().bytes().await.unwrap();
            assert_eq!(by_cid.as_ref(), data.as_slice(), "fetched by CID");
            seen.push((file.cid.clone().unwrap(), file.car_cid.clone().unwrap(), car));
        }
        assert_eq!(content_rows(&inline).await.2, 0, "kept inline on the first server");
        assert_eq!(seen[0], seen[1], "{n} bytes: the same CID, CAR CID and CAR bytes either way");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_objects_kept_inline_have_md5_etags_and_multipart_parts_may_share_them() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let a = S3Client::for_user(&s.base, &alice).await;
    assert_eq!(a.put("/bk1", Vec::new(), &[]).await.status(), 200);
    let data = pattern(4096, 5);
    let r = a.put("/bk1/small.bin", data.clone(), &[]).await;
    assert_eq!(r.status(), 200);
    let etag = format!("\"{}\"", md5_hex(&data));
    assert_eq!(r.headers()["etag"], etag.as_str());
    let head = a.send(Method::HEAD, "/bk1/small.bin", &[], &[], vec![]).await;
    assert_eq!(head.headers()["etag"], etag.as_str());
    let got = a.get("/bk1/small.bin").await;
    assert_eq!(got.headers()["etag"], etag.as_str());
    assert_eq!(got.bytes().await.unwrap().as_ref(), data.as_slice());
    assert!(blob_files(&s).is_empty());

    // A multipart upload whose one part has the same bytes: the part shares the inline
    // content (its own blob is dropped as redundant), and completing it reads them back.
    let r = a.send(Method::POST, "/bk1/joined.bin", &[("uploads", "")], &[], vec![]).await;
    let text = r.text().await.unwrap();
    let upload = text.split("<UploadId>").nth(1).unwrap().split("</UploadId>").next().unwrap().to_string();
    let part =
        a.send(Method::PUT, "/bk1/joined.bin", &[("partNumber", "1"), ("uploadId", &upload)], &[], data.clone()).await;
    assert_eq!(part.status(), 200);
    let part_tag = part.headers()["etag"].to_str().unwrap().to_string();
    let done = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part_tag}</ETag></Part></CompleteMultipartUpload>"
    );
    let r = a.send(Method::POST, "/bk1/joined.bin", &[("uploadId", &upload)], &[], done.into_bytes()).await;
    assert_eq!(status_code(r).await, (200, String::new()));
    assert_eq!(a.get("/bk1/joined.bin").await.bytes().await.unwrap().as_ref(), data.as_slice());
    assert_eq!(alice.get_path_bytes("bk1/joined.bin").await.unwrap().as_ref(), data.as_slice());
}

/// The fault suite's bit-rot checks, for inline contents: a damaged row is refused with
/// 409 before any byte and quarantined, the scrub finds one nobody read, and uploading
/// the same bytes again heals both.
#[tokio::test]
async fn a_rotten_inline_content_is_refused_found_by_the_scrub_and_healed() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.scrub_bytes_per_sec = 0).await;
    let c = s.user("alice").await;
    let read = pattern(4096, 11);
    let unread = pattern(9000, 12);
    let (f, _) = c.put("note.bin", read.clone(), &PutOptions::default()).await.unwrap();
    let (g, _) = c.put("photos/thumb.bin", unread.clone(), &PutOptions::default()).await.unwrap();
    c.put("fine.txt", b"nothing wrong here".to_vec(), &PutOptions::default()).await.unwrap();
    assert_eq!(c.get_path_bytes("note.bin").await.unwrap().as_ref(), read.as_slice(), "intact, it is served");

    let mut db = db(&s).await;
    for (data, at) in [(&read, 4000usize), (&unread, 123)] {
        let mut rotten = data.clone();
        rotten[at] ^= 0x01;
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(data));
        let done = sqlx::query("UPDATE contents SET inline_data = $1 WHERE sha256 = $2")
            .bind(rotten)
            .bind(sha)
            .execute(&mut db)
            .await
            .unwrap();
        assert_eq!(sqlx::any::AnyQueryResult::rows_affected(&done), 1);
    }
    drop(db);

    let (status, body) = code(c.get_path("note.bin").await);
    assert_eq!((status, body.contains("content_damaged")), (409, true), "{body}");
    assert!(c.file(&f.id).await.unwrap().damaged, "quarantined before the answer");
    let ranged = c.request(Method::GET, "/api/v1/fs/note.bin").header("range", "bytes=0-9").send().await.unwrap();
    assert_eq!(ranged.status(), 409, "no range of it either");

    let (ok, text) = s.admin(&["scrub"]);
    assert!(ok, "{text}");
    assert!(text.contains("1 newly damaged"), "{text}");
    assert!(text.contains("damaged: alice/photos/thumb.bin"), "{text}");
    assert!(c.file(&g.id).await.unwrap().damaged);
    assert_eq!(c.get_path_bytes("fine.txt").await.unwrap().as_ref(), b"nothing wrong here");

    // The same bytes uploaded again (anywhere) replace the damaged row's.
    c.put("backup/note.bin", read.clone(), &PutOptions::default()).await.unwrap();
    c.put("backup/thumb.bin", unread.clone(), &PutOptions::default()).await.unwrap();
    assert!(!c.file(&f.id).await.unwrap().damaged && !c.file(&g.id).await.unwrap().damaged);
    assert_eq!(c.get_path_bytes("note.bin").await.unwrap().as_ref(), read.as_slice());
    assert_eq!(c.get_path_bytes("photos/thumb.bin").await.unwrap().as_ref(), unread.as_slice());
    assert!(blob_files(&s).is_empty());
}
