//! Folders as real things, one-level listings, search by name, server-side copy,
//! modification times, and partial PUTs: the file model every front stands on.

use crate::common::{TestServer, blob_files, code};
use nimbus_api::{Entry, OnConflict};
use nimbus_client::{Client, ListOptions, PutOptions, UploadPart};
use reqwest::{Method, header};

fn one_level(prefix: &str) -> ListOptions {
    ListOptions { prefix: Some(prefix.into()), one_level: true, ..Default::default() }
}

/// Every entry of a listing, following cursors with pages of `limit`.
async fn all_pages(c: &Client, mut opts: ListOptions, limit: u32) -> Vec<Entry> {
    opts.limit = Some(limit);
    let mut out = Vec::new();
    loop {
        let page = c.list(&opts).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items);
        match page.next_cursor {
            Some(cur) => opts.cursor = Some(cur),
            None => return out,
        }
    }
}

fn kinds_and_paths(entries: &[Entry]) -> Vec<(String, String)> {
    entries
        .iter()
        .map(|e| match e {
            Entry::Folder(f) => ("folder".to_string(), f.path.clone()),
            Entry::File(f) => ("file".to_string(), f.path.clone()),
        })
        .collect()
}

#[tokio::test]
async fn empty_folders_exist_are_listed_and_cannot_be_made_twice() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let f = c.create_folder("projects/2026/empty").await.unwrap();
    assert_eq!((f.path.as_str(), f.name.as_str()), ("projects/2026/empty", "empty"));
    assert_eq!(c.folder("projects/2026").await.unwrap().name, "2026", "the folders above are created too");
    assert_eq!(code(c.create_folder("projects/2026/empty").await), (409, "path_exists".into()));
    assert_eq!(code(c.create_folder("a/../b").await).0, 422);
    assert_eq!(code(c.folder("nope").await), (404, "not_found".into()));

    let top = c.list(&one_level("")).await.unwrap();
    assert_eq!(kinds_and_paths(&top.items), [("folder".into(), "projects".into())]);
    let inner = c.list(&one_level("projects/2026/")).await.unwrap();
    assert_eq!(kinds_and_paths(&inner.items), [("folder".into(), "projects/2026/empty".into())]);
    // The flat listing is still files only, and there are none.
    assert!(c.list_files(None, None, None).await.unwrap().items.is_empty());
    // Every listed item says what it is.
    let raw: serde_json::Value =
        c.request(Method::GET, "/api/v1/files?delimiter=/").send().await.unwrap().json().await.unwrap();
    assert_eq!(raw["items"][0]["kind"], "folder");

    // Another user sees none of it.
    let bob = s.user("bob").await;
    assert!(bob.list(&one_level("")).await.unwrap().items.is_empty());
    assert_eq!(code(bob.folder("projects").await), (404, "not_found".into()));
    assert_eq!(code(bob.delete_folder("projects").await), (404, "not_found".into()));
}

#[tokio::test]
async fn a_file_and_a_folder_never_share_a_path() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    c.put("pets/cat.jpg", "meow", &PutOptions::default()).await.unwrap();
    // A file where a folder is, by PUT, by multipart (any conflict mode but rename), by move.
    assert_eq!(code(c.put("pets", "x", &PutOptions::default()).await), (409, "path_exists".into()));
    for mode in [OnConflict::Fail, OnConflict::Overwrite] {
        let r = c.upload(None, mode, vec![UploadPart::bytes("pets", &b"x"[..])]).await;
        assert_eq!(code(r), (409, "path_exists".into()));
    }
    let renamed = c.upload(None, OnConflict::Rename, vec![UploadPart::bytes("pets", &b"x"[..])]).await.unwrap();
    assert_eq!(renamed[0].path, "pets (1)", "rename steps around the folder");
    let (other, _) = c.put("other.txt", "o", &PutOptions::default()).await.unwrap();
    assert_eq!(code(c.move_file(&other.id, "pets").await), (409, "path_exists".into()));
    // A folder (explicit or implied by an upload) where a file is.
    c.put("notes", "a file called notes", &PutOptions::default()).await.unwrap();
    assert_eq!(code(c.create_folder("notes").await), (409, "path_exists".into()));
    assert_eq!(code(c.put("notes/today.txt", "x", &PutOptions::default()).await), (409, "path_exists".into()));
    assert_eq!(code(c.move_file(&other.id, "notes/other.txt").await), (409, "path_exists".into()));
    assert_eq!(code(c.move_folder("pets", "notes").await), (409, "path_exists".into()));
    // Nothing of the refused writes was stored.
    assert_eq!(c.get_path_bytes("notes").await.unwrap(), &b"a file called notes"[..]);
    let paths: Vec<String> = c.list_files(None, None, None).await.unwrap().items.into_iter().map(|f| f.path).collect();
    assert_eq!(paths, ["notes", "other.txt", "pets (1)", "pets/cat.jpg"]);
    assert_eq!(c.usage().await.unwrap().file_count, 4);
}

#[tokio::test]
async fn moving_a_folder_moves_everything_below_it_at_once() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let (a, _) = c.put("photos/2024/cat.jpg", "meow", &PutOptions::default()).await.unwrap();
    c.put("photos/2024/trip/beach.jpg", "sand", &PutOptions::default()).await.unwrap();
    c.put("photos/top.jpg", "top", &PutOptions::default()).await.unwrap();
    c.create_folder("photos/2024/empty").await.unwrap();
    c.put("photos-old/keep.txt", "keep", &PutOptions::default()).await.unwrap();

    let moved = c.move_folder("photos/2024", "archive/old-2024").await.unwrap();
    assert_eq!(moved.path, "archive/old-2024");
    let paths: Vec<String> = c.list_files(None, None, None).await.unwrap().items.into_iter().map(|f| f.path).collect();
    assert_eq!(
        paths,
        ["archive/old-2024/cat.jpg", "archive/old-2024/trip/beach.jpg", "photos-old/keep.txt", "photos/top.jpg"],
        "a folder whose name merely starts the same stays put"
    );
    assert_eq!(c.file(&a.id).await.unwrap().path, "archive/old-2024/cat.jpg", "files keep their ids");
    assert_eq!(c.get_path_bytes("archive/old-2024/trip/beach.jpg").await.unwrap(), &b"sand"[..]);
    assert_eq!(c.folder("archive/old-2024/empty").await.unwrap().name, "empty");
    assert_eq!(code(c.folder("photos/2024").await).0, 404);
    let level = c.list(&one_level("archive/old-2024/")).await.unwrap();
    assert_eq!(
        kinds_and_paths(&level.items),
        [
            ("folder".into(), "archive/old-2024/empty".into()),
            ("folder".into(), "archive/old-2024/trip".into()),
            ("file".into(), "archive/old-2024/cat.jpg".into()),
        ]
    );

    // Into itself, onto something, or from nowhere: refused, nothing changes.
    assert_eq!(code(c.move_folder("archive", "archive/inner").await).0, 422);
    assert_eq!(code(c.move_folder("archive", "photos").await), (409, "path_exists".into()));
    assert_eq!(code(c.move_folder("nowhere", "x").await), (404, "not_found".into()));
    // A rename in place works too.
    c.move_folder("archive", "Archive").await.unwrap();
    assert_eq!(c.file(&a.id).await.unwrap().path, "Archive/old-2024/cat.jpg");
}

#[tokio::test]
async fn deleting_a_folder_trashes_everything_below_and_emptying_the_trash_frees_the_space() {
    crate::needs_backend!();
    // It counts blob files, so small contents stay blobs (inline ones: inline.rs).
    let s = TestServer::start_with(|c| c.inline_max_bytes = 0).await;
    let c = s.user("alice").await;
    c.put("work/a.txt", "aaaa", &PutOptions::default()).await.unwrap();
    let (shared, _) = c.put("work/deep/b.txt", "bbbbbb", &PutOptions::default()).await.unwrap();
    c.put("workshop.txt", "kept", &PutOptions::default()).await.unwrap();
    let bob = s.user("bob").await;
    c.share(&shared.id, "bob").await.unwrap();
    assert_eq!(c.usage().await.unwrap().used_bytes, 14);

    c.delete_folder("work").await.unwrap();
    let usage = c.usage().await.unwrap();
    assert_eq!((usage.used_bytes, usage.file_count, usage.trash_bytes), (4, 1, 10));
    assert_eq!(code(c.folder("work").await).0, 404);
    assert_eq!(code(c.folder("work/deep").await).0, 404);
    assert_eq!(code(c.get_path_bytes("work/a.txt").await).0, 404);
    assert_eq!(code(bob.file(&shared.id).await).0, 404, "its shares went with it");
    assert_eq!(c.get_path_bytes("workshop.txt").await.unwrap(), &b"kept"[..]);
    assert_eq!(code(c.delete_folder("work").await), (404, "not_found".into()));
    // Emptying the trash reclaims the bytes: only the kept file's blob remains.
    c.empty_trash().await.unwrap();
    let ok = crate::common::eventually(10, || blob_files(&s).len() == 1).await;
    assert!(ok, "blobs left: {:?}", blob_files(&s));
}

#[tokio::test]
async fn one_level_listings_page_folders_first_across_thousands_of_entries() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let files = 2_000;
    for batch in 0..(files / 250) {
        let parts = (0..250).map(|i| UploadPart::bytes(&format!("f{:05}.txt", batch * 250 + i), &b"x"[..])).collect();
        c.upload(Some("big"), OnConflict::Fail, parts).await.unwrap();
    }
    for i in 0..40 {
        c.create_folder(&format!("big/sub{i:03}")).await.unwrap();
    }
    c.put("big/sub000/deeper.txt", "not at this level", &PutOptions::default()).await.unwrap();

    let entries = all_pages(&c, one_level("big/"), 97).await;
    assert_eq!(entries.len(), files + 40);
    let kinds = kinds_and_paths(&entries);
    assert!(kinds[..40].iter().all(|(k, _)| k == "folder"), "folders come first");
    assert!(kinds[40..].iter().all(|(k, _)| k == "file"));
    let mut sorted = kinds.clone();
    sorted.sort_by(|a, b| (a.0 != "folder", &a.1).cmp(&(b.0 != "folder", &b.1)));
    assert_eq!(kinds, sorted, "each group in path order, nothing twice");
    assert!(kinds.iter().all(|(_, p)| p != "big/sub000/deeper.txt"));
    // A name prefix within one level.
    let some = all_pages(&c, one_level("big/f001"), 50).await;
    assert_eq!(some.len(), 100, "f00100 … f00199");
    // The flat listing still goes deep.
    let flat = all_pages(&c, ListOptions { prefix: Some("big/sub000/".into()), ..Default::default() }, 10).await;
    assert_eq!(kinds_and_paths(&flat), [("file".into(), "big/sub000/deeper.txt".into())]);
    let bad = c.request(Method::GET, "/api/v1/files?delimiter=/&cursor=zz").send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let bad = c.request(Method::GET, "/api/v1/files?delimiter=x").send().await.unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn search_finds_files_and_folders_by_name_case_insensitively() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    for p in ["pets/Cat.jpg", "pets/dog.jpg", "docs/concatenate.txt", "docs/100%_done.txt", "docs/1000_done.txt"] {
        c.put(p, "x", &PutOptions::default()).await.unwrap();
    }
    c.create_folder("Cats of 2024").await.unwrap();
    let bob = s.user("bob").await;
    bob.put("cat-bob.txt", "b", &PutOptions::default()).await.unwrap();

    let search = |q: &str| ListOptions { q: Some(q.into()), ..Default::default() };
    let found = all_pages(&c, search("CAT"), 2).await;
    assert_eq!(
        kinds_and_paths(&found),
        [
            ("folder".into(), "Cats of 2024".into()),
            ("file".into(), "docs/concatenate.txt".into()),
            ("file".into(), "pets/Cat.jpg".into()),
        ]
    );
    // Wildcards in the text are literal.
    let percent = all_pages(&c, search("0%_"), 10).await;
    assert_eq!(kinds_and_paths(&percent), [("file".into(), "docs/100%_done.txt".into())]);
    // The folder part of a path is not the name.
    assert!(all_pages(&c, search("pets"), 10).await.iter().all(|e| e.path() == "pets"));
    assert!(all_pages(&bob, search("concat"), 10).await.is_empty(), "only the caller's own");
    let r = c.request(Method::GET, "/api/v1/files?q=").send().await.unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn copies_share_the_content_are_charged_and_stay_private() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let data = vec![7u8; 100_000];
    let (f, _) = c
        .put("orig.bin", data.clone(), &PutOptions { mtime: Some(1_600_000_000), ..Default::default() })
        .await
        .unwrap();
    let blobs_before = blob_files(&s).len();

    let (copy, created) = c.copy_file(&f.id, "backup/copy.bin", false).await.unwrap();
    assert!(created);
    assert_ne!(copy.id, f.id);
    assert_eq!((copy.sha256.as_str(), copy.size, copy.cid.as_deref()), (f.sha256.as_str(), f.size, f.cid.as_deref()));
    assert_eq!(copy.modified_at, f.modified_at, "a copy keeps the modification time");
    assert_eq!(c.get_path_bytes("backup/copy.bin").await.unwrap(), data);
    assert_eq!(blob_files(&s).len(), blobs_before, "no bytes were copied");
    let usage = c.usage().await.unwrap();
    assert_eq!((usage.used_bytes, usage.file_count), (200_000, 2), "the owner is charged for the copy");

    // A taken path: 409, unless overwrite is asked.
    c.put("other.bin", "other", &PutOptions::default()).await.unwrap();
    assert_eq!(code(c.copy_file(&f.id, "other.bin", false).await), (409, "path_exists".into()));
    let (over, created) = c.copy_file(&f.id, "other.bin", true).await.unwrap();
    assert!(!created);
    assert_eq!(over.sha256, f.sha256);
    assert_eq!(code(c.copy_file(&f.id, "backup", false).await), (409, "path_exists".into()), "a folder is in the way");

    // Another user's file does not exist for the caller; a shared one is not theirs to copy.
    let bob = s.user("bob").await;
    assert_eq!(code(bob.copy_file(&f.id, "mine.bin", false).await), (404, "not_found".into()));
    c.share(&f.id, "bob").await.unwrap();
    assert_eq!(code(bob.copy_file(&f.id, "mine.bin", false).await).0, 403);
    assert!(bob.list_files(None, None, None).await.unwrap().items.is_empty());

    // Over the quota: 507, nothing stored.
    let small = s.user("carol").await;
    let (big, _) = small.put("big.bin", vec![1u8; 600_000], &PutOptions::default()).await.unwrap();
    small.set_plan(1_000_000).await.unwrap();
    assert_eq!(code(small.copy_file(&big.id, "big2.bin", false).await), (507, "quota_exceeded".into()));
    assert_eq!(small.usage().await.unwrap().file_count, 1);

    // Deleting the original keeps the copy readable.
    c.delete_file(&f.id).await.unwrap();
    assert_eq!(c.get_path_bytes("backup/copy.bin").await.unwrap(), data);
}

#[tokio::test]
async fn modification_times_round_trip_and_drive_last_modified() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let opts = PutOptions { mtime: Some(1_234_567_890), ..Default::default() };
    let (f, _) = c.put("old.txt", "from 2009", &opts).await.unwrap();
    assert_eq!(f.modified_at, "2009-02-13T23:31:30Z");
    let r = c.get_path("old.txt").await.unwrap();
    assert_eq!(r.headers()[header::LAST_MODIFIED], "Fri, 13 Feb 2009 23:31:30 GMT");

    let mut part = UploadPart::bytes("a.txt", &b"a"[..]);
    part.mtime = Some(1_000_000_000);
    let plain = UploadPart::bytes("b.txt", &b"b"[..]);
    let up = c.upload(None, OnConflict::Fail, vec![part, plain]).await.unwrap();
    assert_eq!(up[0].modified_at, "2001-09-09T01:46:40Z");
    assert_eq!(up[1].modified_at, up[1].created_at, "without one, the upload time; an mtime applies to one part");

    // Overwriting sets the new time; a bad value is refused and stores nothing.
    let (f2, _) =
        c.put("old.txt", "new", &PutOptions { mtime: Some(1_700_000_000), ..Default::default() }).await.unwrap();
    assert_eq!((f2.id.as_str(), f2.modified_at.as_str()), (f.id.as_str(), "2023-11-14T22:13:20Z"));
    for bad in ["yesterday", "1e300", ""] {
        let r =
            c.request(Method::PUT, "/api/v1/fs/bad.txt").header("x-nimbus-mtime", bad).body("x").send().await.unwrap();
        assert_eq!(r.status(), 422, "{bad:?}");
    }
    assert_eq!(code(c.get_path_bytes("bad.txt").await).0, 404);
}

#[tokio::test]
async fn a_partial_put_is_refused_and_changes_nothing() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    c.put("doc.txt", "the whole document", &PutOptions::default()).await.unwrap();
    let r = c
        .request(Method::PUT, "/api/v1/fs/doc.txt")
        .header(header::CONTENT_RANGE, "bytes 0-3/18")
        .body("THE ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    assert_eq!(c.get_path_bytes("doc.txt").await.unwrap(), &b"the whole document"[..]);
}
