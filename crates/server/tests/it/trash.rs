//! The trash: deleting from any front moves files and folders there; they can be listed,
//! restored whole (same ids, same bytes, their versions with them), purged, emptied, and
//! expire by age. Versions and trash count against the quota, and an upload that would
//! not fit purges the oldest versions, then the oldest trash, before it is refused.

use crate::common::{PASSWORD, TestServer, blob_files, eventually, eventually_async};
use crate::s3_api::S3Client;
use nimbus_client::{Client, PutOptions};
use reqwest::StatusCode;

fn body(seed: u8, n: usize) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed)).collect()
}

async fn put(c: &Client, path: &str, data: &[u8]) -> nimbus_api::File {
    c.put(path, data.to_vec(), &PutOptions::default()).await.unwrap().0
}

async fn paths(c: &Client) -> Vec<String> {
    c.list_files(None, None, None).await.unwrap().items.into_iter().map(|f| f.path).collect()
}

#[tokio::test]
async fn a_deleted_folder_is_restored_whole_and_can_be_deleted_for_good() {
    crate::needs_backend!();
    // It counts blob files, so small contents stay blobs (inline ones: inline.rs).
    let s = TestServer::start_with(|c| {
        c.sweep_interval_secs = 1;
        c.inline_max_bytes = 0;
    })
    .await;
    let amy = s.user("amy").await;
    let (a, b, c) = (body(1, 3000), body(2, 4000), body(3, 5000));
    let fa = put(&amy, "trip/a.jpg", &a).await;
    let fb = put(&amy, "trip/day2/b.jpg", &b).await;
    put(&amy, "trip/day2/b.jpg", &c).await; // b now has a version
    amy.create_folder("trip/empty").await.unwrap();
    put(&amy, "keep.txt", b"kept").await;

    amy.delete_folder("trip").await.unwrap();
    assert_eq!(paths(&amy).await, ["keep.txt"]);
    assert_eq!(amy.file(&fa.id).await.unwrap_err().status(), Some(StatusCode::NOT_FOUND));
    let trash = amy.trash().await.unwrap().items;
    assert_eq!(trash.len(), 1);
    assert_eq!((trash[0].kind.as_str(), trash[0].path.as_str()), ("folder", "trip"));
    assert_eq!((trash[0].size, trash[0].file_count), ((a.len() + c.len()) as u64, 2));
    let usage = amy.usage().await.unwrap();
    assert_eq!((usage.used_bytes, usage.file_count), (4, 1));
    assert_eq!(usage.trash_bytes, (a.len() + c.len()) as u64);
    assert_eq!(usage.versions_bytes, b.len() as u64);

    // Restored whole: the same files (ids), bytes, versions and the empty folder.
    let back = amy.restore_trash(&trash[0].id, None).await.unwrap();
    assert_eq!(back.path, "trip");
    assert_eq!(paths(&amy).await, ["keep.txt", "trip/a.jpg", "trip/day2/b.jpg"]);
    assert_eq!(amy.download(&fa.id).await.unwrap().bytes().await.unwrap(), a);
    assert_eq!(amy.download(&fb.id).await.unwrap().bytes().await.unwrap(), c);
    assert_eq!(amy.versions(&fb.id).await.unwrap().items.len(), 1, "versions come back with the file");
    amy.folder("trip/empty").await.unwrap();
    assert!(amy.trash().await.unwrap().items.is_empty());
    let usage = amy.usage().await.unwrap();
    assert_eq!((usage.used_bytes, usage.trash_bytes, usage.file_count), ((4 + a.len() + c.len()) as u64, 0, 3));

    // Deleted for good: its bytes and its files' versions go.
    amy.delete_folder("trip").await.unwrap();
    let id = amy.trash().await.unwrap().items[0].id.clone();
    amy.purge_trash(&id).await.unwrap();
    assert!(amy.trash().await.unwrap().items.is_empty());
    let usage = amy.usage().await.unwrap();
    assert_eq!((usage.used_bytes, usage.trash_bytes, usage.versions_bytes), (4, 0, 0));
    assert!(eventually(10, || blob_files(&s).len() == 1).await, "only keep.txt's blob is left");
    assert_eq!(amy.purge_trash(&id).await.unwrap_err().status(), Some(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn restoring_onto_a_taken_path_is_409_and_another_path_works() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let amy = s.user("amy").await;
    let old = put(&amy, "report.txt", b"first draft").await;
    amy.delete_file(&old.id).await.unwrap();
    put(&amy, "report.txt", b"a new one").await;
    let item = amy.trash().await.unwrap().items.remove(0);
    assert_eq!((item.kind.as_str(), item.path.as_str(), item.size), ("file", "report.txt", 11));

    let e = amy.restore_trash(&item.id, None).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(StatusCode::CONFLICT), Some("path_exists")));
    assert_eq!(amy.trash().await.unwrap().items.len(), 1, "nothing changed");
    let e = amy.restore_trash(&item.id, Some("../x")).await.unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));

    let back = amy.restore_trash(&item.id, Some("drafts/report (old).txt")).await.unwrap();
    assert_eq!(back.path, "drafts/report (old).txt");
    assert_eq!(amy.get_path_bytes("drafts/report (old).txt").await.unwrap(), "first draft");
    assert_eq!(amy.file(&old.id).await.unwrap().path, "drafts/report (old).txt", "the same file id");
    assert_eq!(amy.get_path_bytes("report.txt").await.unwrap(), "a new one");

    // Nobody else sees, restores or purges it.
    amy.delete_file(&old.id).await.unwrap();
    let item = amy.trash().await.unwrap().items.remove(0);
    let ben = s.user("ben").await;
    assert!(ben.trash().await.unwrap().items.is_empty());
    assert_eq!(ben.restore_trash(&item.id, None).await.unwrap_err().status(), Some(StatusCode::NOT_FOUND));
    assert_eq!(ben.purge_trash(&item.id).await.unwrap_err().status(), Some(StatusCode::NOT_FOUND));
    assert_eq!(amy.trash().await.unwrap().items.len(), 1);
}

#[tokio::test]
async fn deletes_from_every_front_land_in_the_trash_and_emptying_it_frees_them() {
    crate::needs_backend!();
    // It counts blob files, so small contents stay blobs (inline ones: inline.rs).
    let s = TestServer::start_with(|c| {
        c.sweep_interval_secs = 1;
        c.inline_max_bytes = 0;
    })
    .await;
    let amy = s.user("amy").await;
    amy.create_folder("box").await.unwrap();
    for name in ["rest.txt", "fs.txt", "dav.txt", "s3.txt"] {
        put(&amy, &format!("box/{name}"), name.as_bytes()).await;
    }
    let rest = amy.list_files(Some("box/rest"), None, None).await.unwrap().items.remove(0);
    amy.delete_file(&rest.id).await.unwrap();
    amy.delete_path("box/fs.txt").await.unwrap();
    let app = amy.create_app_password("dav").await.unwrap().password.unwrap();
    let r = reqwest::Client::new()
        .delete(format!("{}/dav/box/dav.txt", s.base))
        .basic_auth("amy", Some(&app))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let s3 = S3Client::for_user(&s.base, &amy).await;
    let r = s3.send(reqwest::Method::DELETE, "/box/s3.txt", &[], &[], Vec::new()).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    let mut trashed: Vec<String> = amy.trash().await.unwrap().items.into_iter().map(|t| t.path).collect();
    trashed.sort();
    assert_eq!(trashed, ["box/dav.txt", "box/fs.txt", "box/rest.txt", "box/s3.txt"]);
    assert_eq!(blob_files(&s).len(), 4, "trashed bytes stay");
    amy.empty_trash().await.unwrap();
    assert!(amy.trash().await.unwrap().items.is_empty());
    assert_eq!(amy.usage().await.unwrap().trash_bytes, 0);
    assert!(eventually(10, || blob_files(&s).is_empty()).await, "emptied trash is reclaimed");
}

#[tokio::test]
async fn old_trash_is_purged_by_itself() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| {
        c.trash_ttl_secs = 2;
        c.sweep_interval_secs = 1;
    })
    .await;
    let amy = s.user("amy").await;
    let f = put(&amy, "old.txt", b"soon gone").await;
    amy.delete_file(&f.id).await.unwrap();
    assert_eq!(amy.trash().await.unwrap().items.len(), 1);
    let gone = eventually_async(10, || async { amy.trash().await.unwrap().items.is_empty() }).await;
    assert!(gone, "the trash empties itself past its age");
    assert_eq!(amy.usage().await.unwrap().trash_bytes, 0);
    assert!(eventually(10, || blob_files(&s).is_empty()).await);
}

#[tokio::test]
async fn without_a_trash_a_delete_is_final() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| {
        c.trash_ttl_secs = 0;
        c.sweep_interval_secs = 1;
    })
    .await;
    let amy = s.user("amy").await;
    let f = put(&amy, "x/old.txt", b"gone").await;
    put(&amy, "x/old.txt", b"gone now").await;
    amy.delete_folder("x").await.unwrap();
    assert!(amy.trash().await.unwrap().items.is_empty());
    let usage = amy.usage().await.unwrap();
    assert_eq!((usage.used_bytes, usage.trash_bytes, usage.versions_bytes), (0, 0, 0));
    assert_eq!(amy.file(&f.id).await.unwrap_err().status(), Some(StatusCode::NOT_FOUND));
    assert!(eventually(10, || blob_files(&s).is_empty()).await);
}

#[tokio::test]
async fn quota_pressure_purges_oldest_versions_then_oldest_trash_before_refusing() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.sweep_interval_secs = 1).await;
    let amy = s.user("amy").await;
    amy.set_plan(100_000).await.unwrap();
    put(&amy, "doc", &body(1, 20_000)).await;
    put(&amy, "doc", &body(2, 20_000)).await; // 20 KB version (older)
    put(&amy, "doc", &body(3, 20_000)).await; // 20 KB version (newer)
    let junk = put(&amy, "junk", &body(4, 20_000)).await;
    amy.delete_file(&junk.id).await.unwrap(); // 20 KB trash
    let u = amy.usage().await.unwrap();
    assert_eq!((u.used_bytes, u.versions_bytes, u.trash_bytes), (20_000, 40_000, 20_000));

    // 30 KB more: 10 KB over, so the oldest version goes (and only it).
    put(&amy, "new1", &body(5, 30_000)).await;
    let u = amy.usage().await.unwrap();
    assert_eq!((u.used_bytes, u.versions_bytes, u.trash_bytes), (50_000, 20_000, 20_000));
    let doc = amy.list_files(Some("doc"), None, None).await.unwrap().items.remove(0);
    let left = amy.versions(&doc.id).await.unwrap().items;
    assert_eq!(left.len(), 1);
    assert_eq!(amy.version_bytes(&doc.id, &left[0].id).await.unwrap(), body(2, 20_000), "the newer one stays");

    // 35 KB more: the last version goes, and that is not enough, so the trash too.
    put(&amy, "new2", &body(6, 35_000)).await;
    let u = amy.usage().await.unwrap();
    assert_eq!((u.used_bytes, u.versions_bytes, u.trash_bytes), (85_000, 0, 0));
    assert!(amy.trash().await.unwrap().items.is_empty());

    // Nothing left to purge: refused, and nothing written.
    let e = amy.put("new3", body(7, 30_000), &PutOptions::default()).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(StatusCode::INSUFFICIENT_STORAGE), Some("quota_exceeded")));
    assert_eq!(amy.usage().await.unwrap().used_bytes, 85_000);
    assert!(eventually(10, || blob_files(&s).len() == 3).await, "purged bytes are reclaimed");
}

#[tokio::test]
async fn deleting_an_account_purges_its_versions_and_trash_at_once() {
    crate::needs_backend!();
    // It counts blob files, so small contents stay blobs (inline ones: inline.rs).
    let s = TestServer::start_with(|c| {
        c.sweep_interval_secs = 1;
        c.inline_max_bytes = 0;
    })
    .await;
    let amy = s.user("amy").await;
    put(&amy, "a", b"one").await;
    put(&amy, "a", b"two").await;
    let b = put(&amy, "b", b"three").await;
    amy.delete_file(&b.id).await.unwrap();
    assert_eq!(blob_files(&s).len(), 3);
    amy.delete_me(PASSWORD).await.unwrap();
    assert!(eventually(10, || blob_files(&s).is_empty()).await, "versions and trash went with the account");
}

#[tokio::test]
async fn a_restored_file_gets_its_shares_links_and_attachments_back() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let amy = s.user("amy").await;
    let ben = s.user("ben").await;
    let f = put(&amy, "docs/report.txt", b"quarterly numbers").await;
    amy.share(&f.id, "ben").await.unwrap();
    let link = amy.create_link(&f.id, &nimbus_api::CreateLinkRequest::default()).await.unwrap();
    let url = format!("{}/s/{}/content", s.base, link.token);
    let req =
        nimbus_api::SendMessageRequest { to: "ben".into(), text: Some("see".into()), file_id: Some(f.id.clone()) };
    amy.send_message(&req).await.unwrap();
    assert_eq!(reqwest::get(&url).await.unwrap().status(), StatusCode::OK);

    // In the trash nobody reaches it: not the recipient, not the link, not the message.
    amy.delete_folder("docs").await.unwrap();
    assert_eq!(ben.file(&f.id).await.unwrap_err().status(), Some(StatusCode::NOT_FOUND));
    assert!(ben.shared(None, None).await.unwrap().items.is_empty());
    assert!(!reqwest::get(&url).await.unwrap().status().is_success());
    assert!(ben.messages("inbox", None, None).await.unwrap().items[0].file.is_none());

    // Restored, it is shared, linked and attached as before.
    let item = amy.trash().await.unwrap().items.remove(0);
    amy.restore_trash(&item.id, None).await.unwrap();
    assert_eq!(ben.file(&f.id).await.unwrap().path, "docs/report.txt");
    assert_eq!(ben.shared(None, None).await.unwrap().items.len(), 1);
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap(), "quarterly numbers");
    let inbox = ben.messages("inbox", None, None).await.unwrap().items;
    assert_eq!(inbox[0].file.as_ref().map(|m| m.id.clone()), Some(f.id.clone()));
    assert_eq!(amy.links(&f.id).await.unwrap()[0].download_count, 2, "its counter kept");

    // Purged for good, nothing of it is left to come back.
    amy.delete_file(&f.id).await.unwrap();
    let item = amy.trash().await.unwrap().items.remove(0);
    amy.purge_trash(&item.id).await.unwrap();
    assert!(ben.shared(None, None).await.unwrap().items.is_empty());
    assert!(ben.messages("inbox", None, None).await.unwrap().items[0].file.is_none());
}
