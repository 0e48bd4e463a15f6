//! Versions: replacing a file from any front keeps its previous content, which can be
//! listed, read like any download, restored and deleted; identical content is stored
//! once; the per-file limit and the age limit trim them.

use crate::common::{TestServer, blob_files, eventually, eventually_async};
use crate::s3_api::S3Client;
use nimbus_api::OnConflict;
use nimbus_client::{Client, PutOptions, UploadPart};
use reqwest::{Method, StatusCode, header};

fn body(seed: u8, n: usize) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

async fn put(c: &Client, path: &str, data: &[u8]) -> nimbus_api::File {
    c.put(path, data.to_vec(), &PutOptions::default()).await.unwrap().0
}

async fn version_ids(c: &Client, id: &str) -> Vec<(String, String)> {
    c.versions(id).await.unwrap().items.into_iter().map(|v| (v.id, v.sha256)).collect()
}

fn sha(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

#[tokio::test]
async fn overwrites_keep_versions_that_read_and_restore_byte_exact() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.sweep_interval_secs = 1).await;
    let amy = s.user("amy").await;
    let (v1, v2, v3) = (body(1, 70_000), body(2, 50_000), body(3, 30_000));
    let first = put(&amy, "notes/plan.txt", &v1).await;
    let second = put(&amy, "notes/plan.txt", &v2).await;
    let third = put(&amy, "notes/plan.txt", &v3).await;
    assert_eq!(first.id, second.id, "the file keeps its id across versions");
    assert_eq!(first.id, third.id);
    let id = first.id.clone();

    // Newest first, each with its own hash; the current content is not a version.
    let versions = amy.versions(&id).await.unwrap().items;
    assert_eq!(versions.iter().map(|v| v.sha256.clone()).collect::<Vec<_>>(), [sha(&v2), sha(&v1)]);
    assert_eq!(versions[1].size, v1.len() as u64);
    assert!(versions[1].cid.as_deref().is_some_and(|c| c.starts_with("b")));
    assert_eq!(amy.version_bytes(&id, &versions[1].id).await.unwrap(), v1);
    // A version is read like any download: ranges and ETags.
    let url = format!("/api/v1/files/{id}/versions/{}/content", versions[1].id);
    let r = amy.request(Method::GET, &url).header(header::RANGE, "bytes=100-199").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.headers()[header::ETAG], format!("\"{}\"", sha(&v1)));
    assert_eq!(r.bytes().await.unwrap(), v1[100..200]);

    let usage = amy.usage().await.unwrap();
    assert_eq!(usage.used_bytes, v3.len() as u64);
    assert_eq!(usage.versions_bytes, (v1.len() + v2.len()) as u64, "versions count, shown apart");
    assert_eq!(blob_files(&s).len(), 3);

    // Restoring the first makes it current (same id); the third becomes a version.
    let restored = amy.restore_version(&id, &versions[1].id).await.unwrap();
    assert_eq!(restored.id, id);
    assert_eq!(restored.sha256, sha(&v1));
    assert_eq!(amy.download(&id).await.unwrap().bytes().await.unwrap(), v1);
    assert_eq!(version_ids(&amy, &id).await.iter().map(|v| v.1.clone()).collect::<Vec<_>>(), [sha(&v3), sha(&v2)]);
    assert_eq!(blob_files(&s).len(), 3, "a restore stores no new blob");
    let usage = amy.usage().await.unwrap();
    assert_eq!((usage.used_bytes, usage.versions_bytes), (v1.len() as u64, (v2.len() + v3.len()) as u64));

    // Uploading the same bytes again makes no version and no blob.
    put(&amy, "notes/plan.txt", &v1).await;
    assert_eq!(version_ids(&amy, &id).await.len(), 2);
    assert_eq!(blob_files(&s).len(), 3);

    // Deleting a version frees its bytes.
    let (v2_id, _) = version_ids(&amy, &id).await.into_iter().find(|v| v.1 == sha(&v2)).unwrap();
    amy.delete_version(&id, &v2_id).await.unwrap();
    assert_eq!(version_ids(&amy, &id).await.len(), 1);
    assert_eq!(amy.usage().await.unwrap().versions_bytes, v3.len() as u64);
    assert!(eventually(10, || blob_files(&s).len() == 2).await, "the bytes are reclaimed");

    // Unknown versions, and other people's files, are 404; a reader of a shared file
    // may not see its history.
    let e = amy.version_bytes(&id, &v2_id).await.unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));
    assert_eq!(amy.delete_version(&id, &v2_id).await.unwrap_err().status(), Some(StatusCode::NOT_FOUND));
    let ben = s.user("ben").await;
    assert_eq!(ben.versions(&id).await.unwrap_err().status(), Some(StatusCode::NOT_FOUND));
    amy.share(&id, "ben").await.unwrap();
    assert_eq!(ben.versions(&id).await.unwrap_err().status(), Some(StatusCode::FORBIDDEN));
    let (v3_id, _) = version_ids(&amy, &id).await.remove(0);
    assert_eq!(ben.restore_version(&id, &v3_id).await.unwrap_err().status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(amy.download(&id).await.unwrap().bytes().await.unwrap(), v1);
}

#[tokio::test]
async fn every_front_keeps_the_replaced_content() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let amy = s.user("amy").await;
    amy.create_folder("box").await.unwrap();
    let original = body(9, 1000);
    let file = put(&amy, "box/doc.bin", &original).await;

    // Multipart upload with on_conflict=overwrite.
    let one = body(10, 1100);
    amy.upload(Some("box"), OnConflict::Overwrite, vec![UploadPart::bytes("doc.bin", one.clone())]).await.unwrap();
    // WebDAV PUT (with an app password).
    let app = amy.create_app_password("dav").await.unwrap().password.unwrap();
    let two = body(11, 1200);
    let r = reqwest::Client::new()
        .put(format!("{}/dav/box/doc.bin", s.base))
        .basic_auth("amy", Some(&app))
        .body(two.clone())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    // S3 PutObject.
    let s3 = S3Client::for_user(&s.base, &amy).await;
    let three = body(12, 1300);
    assert_eq!(s3.put("/box/doc.bin", three.clone(), &[]).await.status(), StatusCode::OK);
    // tus, overwriting.
    let four = body(13, 1400);
    let loc = amy
        .create_upload(Some(four.len() as u64), &[("path", "box/doc.bin"), ("on_conflict", "overwrite")])
        .await
        .unwrap();
    amy.append_upload(&loc, 0, four.clone(), None).await.unwrap();
    // A server-side copy onto it.
    let five = body(14, 1500);
    let other = put(&amy, "five.bin", &five).await;
    amy.copy_file(&other.id, "box/doc.bin", true).await.unwrap();

    let now = amy.file(&file.id).await.unwrap();
    assert_eq!(now.sha256, sha(&five), "the same file, replaced through every front");
    let seen: Vec<String> = amy.versions(&file.id).await.unwrap().items.into_iter().map(|v| v.sha256).collect();
    assert_eq!(seen, [&four, &three, &two, &one, &original].map(|b| sha(b)));

    // S3 sees them too: ListObjectVersions (each key's versions with it), GetObject and
    // DeleteObject by versionId.
    let other = put(&amy, "box/other.bin", b"other one").await;
    put(&amy, "box/other.bin", b"other two").await;
    let other_version = amy.versions(&other.id).await.unwrap().items.remove(0).id;
    let r = s3.send(Method::GET, "/box", &[("versions", "")], &[], Vec::new()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let xml = r.text().await.unwrap();
    assert_eq!(xml.matches("<Version>").count(), 8, "{xml}");
    assert_eq!(xml.matches("<IsLatest>true</IsLatest>").count(), 2, "{xml}");
    let block = xml.split("<Version>").find(|b| b.contains(&format!("<VersionId>{other_version}<"))).unwrap();
    assert!(block.contains("<Key>other.bin</Key>") && block.contains("<IsLatest>false<"), "{block}");
    let oldest = amy.versions(&file.id).await.unwrap().items.pop().unwrap();
    assert!(xml.contains(&format!("<VersionId>{}</VersionId>", oldest.id)));
    let r = s3.send(Method::GET, "/box/doc.bin", &[("versionId", &oldest.id)], &[], Vec::new()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap(), original);
    let r = s3.send(Method::DELETE, "/box/doc.bin", &[("versionId", &oldest.id)], &[], Vec::new()).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(amy.versions(&file.id).await.unwrap().items.len(), 4);
    assert_eq!(amy.file(&file.id).await.unwrap().sha256, sha(&five), "the object itself stays");
    let r = s3.send(Method::GET, "/box/doc.bin", &[("versionId", &oldest.id)], &[], Vec::new()).await;
    assert_eq!(crate::s3_api::status_code(r).await, (404, "NoSuchVersion".to_string()));
}

#[tokio::test]
async fn the_per_file_limit_and_the_age_limit_trim_versions() {
    crate::needs_backend!();
    // It counts blob files, so small contents stay blobs (inline ones: inline.rs).
    let s = TestServer::start_with(|c| {
        c.inline_max_bytes = 0;
        c.versions_per_file = 2;
        c.version_ttl_secs = 2;
        c.sweep_interval_secs = 1;
    })
    .await;
    let amy = s.user("amy").await;
    let file = put(&amy, "a.txt", b"one").await;
    for text in ["two", "three", "four"] {
        put(&amy, "a.txt", text.as_bytes()).await;
    }
    let kept: Vec<String> = amy.versions(&file.id).await.unwrap().items.into_iter().map(|v| v.sha256).collect();
    assert_eq!(kept, [sha(b"three"), sha(b"two")], "only the newest two stay");
    assert_eq!(amy.usage().await.unwrap().versions_bytes, 8);

    // Past their age they go in the background, bytes and all.
    let gone = eventually_async(10, || async { amy.versions(&file.id).await.unwrap().items.is_empty() }).await;
    assert!(gone, "versions expire");
    assert_eq!(amy.usage().await.unwrap().versions_bytes, 0);
    assert_eq!(amy.download(&file.id).await.unwrap().bytes().await.unwrap(), "four");
    assert!(eventually(10, || blob_files(&s).len() == 1).await, "the bytes are reclaimed");
}

#[tokio::test]
async fn without_versions_a_replaced_content_is_gone() {
    crate::needs_backend!();
    // It counts blob files, so small contents stay blobs (inline ones: inline.rs).
    let s = TestServer::start_with(|c| {
        c.inline_max_bytes = 0;
        c.versions_per_file = 0;
        c.sweep_interval_secs = 1;
    })
    .await;
    let amy = s.user("amy").await;
    let file = put(&amy, "a.txt", b"one").await;
    put(&amy, "a.txt", b"two").await;
    assert!(amy.versions(&file.id).await.unwrap().items.is_empty());
    assert_eq!(amy.usage().await.unwrap().versions_bytes, 0);
    assert!(eventually(10, || blob_files(&s).len() == 1).await, "the bytes are reclaimed");
}
