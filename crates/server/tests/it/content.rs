//! Content addressing: Kubo-identical CIDs (checked against vectors an independent JS
//! implementation produces), CAR exports that independent tooling unpacks, fetch by
//! CID, and the delete-vs-upload race of deduplicated content.

use crate::common::{TestServer, blob_files, code, eventually, files_under};
use nimbus_client::PutOptions;
use nimbus_server::blob::LocalBlobStore;
use nimbus_server::meta::SqlMetaStore;
use nimbus_server::services::secrets::SecretBox;
use nimbus_server::services::{BlobStores, Sweeper};
use reqwest::{Method, header};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn js_tools() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/ipfs-check");
    let node_ok = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if node_ok && dir.join("node_modules").is_dir() {
        return Some(dir);
    }
    crate::common::skip("the independent JS IPFS implementation is not installed", "cd tools/ipfs-check && npm ci");
    None
}

/// The bytes of a vector; must match `vectorBytes` in tools/ipfs-check/pattern.mjs.
fn vector_bytes(v: &Value) -> Vec<u8> {
    if let Some(t) = v["text"].as_str() {
        return t.as_bytes().to_vec();
    }
    let size = v["size"].as_u64().unwrap() as usize;
    match v["fill"].as_str().unwrap() {
        "pattern" => (0..size).map(|i| (i % 251) as u8).collect(),
        _ => vec![0u8; size],
    }
}

fn spec() -> Vec<Value> {
    let text = std::fs::read_to_string(vectors_dir().join("spec.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["vectors"].as_array().unwrap().clone()
}

fn expected_cids() -> Value {
    serde_json::from_str(&std::fs::read_to_string(vectors_dir().join("cids.json")).unwrap()).unwrap()
}

#[tokio::test]
async fn the_vector_file_agrees_with_the_independent_implementation() {
    crate::needs_backend!();
    let Some(tools) = js_tools() else { return };
    let out = Command::new("node")
        .arg("vectors.mjs")
        .arg(vectors_dir().join("spec.json"))
        .current_dir(tools)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let live: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(live, expected_cids());
    // The well-known CIDs anyone can check with `ipfs add --cid-version=1`.
    assert_eq!(live["hello"], "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am");
    assert_eq!(live["empty"], "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
}

#[tokio::test]
async fn every_uploaded_file_gets_the_kubo_cid() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let expected = expected_cids();
    for v in spec() {
        let name = v["name"].as_str().unwrap();
        let (f, _) = c.put(&format!("vectors/{name}"), vector_bytes(&v), &PutOptions::default()).await.unwrap();
        assert_eq!(f.cid.as_deref(), expected[name].as_str(), "{name}");
        assert_eq!(c.file(&f.id).await.unwrap().cid, f.cid, "{name}: the CID is stored");
    }
}

#[tokio::test]
async fn car_exports_hash_to_car_cid_and_unpack_with_independent_tooling() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.sweep_interval_secs = 1).await;
    let c = s.user("bob").await;
    let work = tempfile::tempdir().unwrap();
    let wanted = ["empty", "hello", "one-chunk", "one-chunk-plus-1", "174-chunks-plus-1", "ten-zero-chunks"];
    for v in spec().into_iter().filter(|v| wanted.contains(&v["name"].as_str().unwrap())) {
        let name = v["name"].as_str().unwrap().to_string();
        let bytes = vector_bytes(&v);
        let (f, _) = c.put(&name, bytes.clone(), &PutOptions::default()).await.unwrap();
        let r = c.car(&f.id).await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/vnd.ipld.car"));
        let car = r.bytes().await.unwrap();

        // car_cid appears within seconds and names exactly these bytes.
        let mut meta = c.file(&f.id).await.unwrap();
        for _ in 0..250 {
            if meta.car_cid.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            meta = c.file(&f.id).await.unwrap();
        }
        let digest: [u8; 32] = Sha256::digest(&car).into();
        assert_eq!(meta.car_cid.as_deref(), Some(nimbus_server::content::car_cid_of(&digest).as_str()), "{name}");
        assert!(meta.car_cid.as_deref().unwrap().starts_with("bagbaiera"));
        // Once known, the length is announced up front.
        let again = c.car(&f.id).await.unwrap();
        assert_eq!(again.headers()[header::CONTENT_LENGTH], car.len().to_string().as_str());

        let car_path = work.path().join(format!("{name}.car"));
        let original = work.path().join(format!("{name}.bin"));
        std::fs::write(&car_path, &car).unwrap();
        std::fs::write(&original, &bytes).unwrap();
        if let Some(tools) = js_tools().filter(|_| !bytes.is_empty()) {
            let out = Command::new("node")
                .arg("check-car.mjs")
                .args([&car_path, &original])
                .arg(f.cid.as_deref().unwrap())
                .current_dir(tools)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{name}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            // The checker is not a rubber stamp: one flipped byte in the last block fails it.
            let mut bad = car.to_vec();
            let last = bad.len() - 1;
            bad[last] ^= 0xff;
            std::fs::write(&car_path, &bad).unwrap();
            let out = Command::new("node")
                .arg("check-car.mjs")
                .args([&car_path, &original])
                .arg(f.cid.as_deref().unwrap())
                .current_dir(js_tools().unwrap())
                .output()
                .unwrap();
            assert!(!out.status.success(), "{name}: a corrupted CAR passed the check");
        }
    }
}

#[tokio::test]
async fn fetch_by_cid_only_for_files_the_caller_can_read() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let a = s.user("carol").await;
    let b = s.user("dave").await;
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 7) as u8).collect();
    let (f, _) = a.put("x.bin", data.clone(), &PutOptions::default()).await.unwrap();
    let cid = f.cid.clone().unwrap();
    let r = a.by_cid(&cid).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::ETAG], format!("\"{}\"", f.sha256).as_str());
    assert_eq!(r.bytes().await.unwrap().as_ref(), data.as_slice());
    let ranged =
        a.request(Method::GET, &format!("/api/v1/cid/{cid}")).header(header::RANGE, "bytes=0-9").send().await.unwrap();
    assert_eq!(ranged.status(), 206);

    // The same CID in base58 CIDv0 form names the same DAG.
    let v0 = cid::Cid::try_from(cid.as_str()).unwrap();
    let v0 = cid::Cid::new_v0(*v0.hash()).unwrap().to_string();
    assert_eq!(a.by_cid(&v0).await.unwrap().status(), 200);

    assert_eq!(code(b.by_cid(&cid).await), (404, "not_found".into()), "a stranger's CID");
    assert_eq!(code(b.car(&f.id).await), (404, "not_found".into()));
    assert_eq!(code(a.by_cid("not-a-cid").await), (400, "bad_request".into()));
    let unknown = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
    assert_eq!(code(a.by_cid(unknown).await), (404, "not_found".into()));
    // A recipient of a share may fetch it by CID; revoking the share ends that.
    let (share, _) = a.share(&f.id, "dave").await.unwrap();
    let r = b.by_cid(&cid).await.unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), data.as_slice());
    a.unshare(&f.id, &share.user.id).await.unwrap();
    assert_eq!(code(b.by_cid(&cid).await).0, 404);
    // Dave uploading the same bytes gets his own access, not Carol's file.
    b.put("mine.bin", data.clone(), &PutOptions::default()).await.unwrap();
    let r = b.by_cid(&cid).await.unwrap();
    assert!(r.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().contains("mine.bin"));
    a.delete_file(&f.id).await.unwrap();
    assert_eq!(code(a.by_cid(&cid).await).0, 404, "a deleted file is no longer reachable by CID");
}

#[tokio::test]
async fn duplicate_uploads_do_not_grow_the_bytes_on_disk() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let users = [s.user("erin").await, s.user("fay").await];
    let data = vec![3u8; 1 << 20];
    for (i, u) in users.iter().enumerate() {
        for j in 0..3 {
            u.put(&format!("copy-{i}-{j}.bin"), data.clone(), &PutOptions::default()).await.unwrap();
        }
    }
    assert!(eventually(5, || blob_files(&s).len() == 1).await);
    let on_disk: u64 = blob_files(&s).iter().map(|p| std::fs::metadata(p).unwrap().len()).sum();
    assert_eq!(on_disk, data.len() as u64, "six files, one copy of the bytes");
}

/// The last reference to some content is deleted and the sweeper runs while the same
/// bytes are uploaded again: the new file must never lose its bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_the_last_reference_never_loses_a_concurrent_upload_of_the_same_bytes() {
    crate::needs_backend!();
    // The server's own sweeper stays idle; a second sweeper over the same database and
    // blob directory (as another instance would be) races the uploads.
    // Deletes are final here (no trash, no versions), so each delete drops the last
    // reference at once.
    let s = TestServer::start_with(|c| {
        c.sweep_interval_secs = 3600;
        c.trash_ttl_secs = 0;
        c.versions_per_file = 0;
    })
    .await;
    let meta: Arc<dyn nimbus_server::meta::MetaStore> =
        Arc::new(SqlMetaStore::connect(&s.config.database_url()).await.unwrap());
    // The server's store as the server opens it: small contents inline.
    let blobs = nimbus_server::services::InlineContents::wrap(
        Arc::new(LocalBlobStore::open(s.blob_dir()).await.unwrap()),
        meta.clone(),
        s.config.inline_max_bytes,
    );
    let secrets = SecretBox::from_hex(&SecretBox::generate_hex()).unwrap();
    let sweeper = Sweeper::new(meta.clone(), BlobStores::new(blobs, meta, secrets));
    let a = s.user("gus").await;
    let b = s.user("hal").await;
    for i in 0..40u32 {
        let data = format!("content number {i} ").repeat(1000).into_bytes();
        let (f, _) = a.put(&format!("a{i}"), data.clone(), &PutOptions::default()).await.unwrap();
        a.delete_file(&f.id).await.unwrap();
        let path = format!("b{i}");
        let opts = PutOptions::default();
        let (swept, uploaded) = tokio::join!(sweeper.sweep_once(), b.put(&path, data.clone(), &opts));
        swept.unwrap();
        uploaded.unwrap();
        sweeper.sweep_once().await.unwrap();
        assert_eq!(b.get_path_bytes(&format!("b{i}")).await.unwrap().as_ref(), data.as_slice(), "round {i}");
    }
    assert_eq!(blob_files(&s).len(), 40, "one blob per live content, none leaked");
    for i in 0..40u32 {
        b.delete_path(&format!("b{i}")).await.unwrap();
    }
    sweeper.sweep_once().await.unwrap();
    assert!(blob_files(&s).is_empty(), "{:?}", files_under(&s.blob_dir()));
}

/// A bulk load's CAR exports are all computed promptly, not one small batch per timer
/// tick (a 120-file upload wakes the indexer once).
#[tokio::test]
async fn every_file_of_a_bulk_upload_gets_its_car_cid() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.sweep_interval_secs = 60).await;
    let c = s.user("alice").await;
    let parts = (0..120)
        .map(|i| nimbus_client::UploadPart::bytes(&format!("f{i}.txt"), format!("content {i}").into_bytes()))
        .collect();
    c.upload(None, nimbus_api::OnConflict::Fail, parts).await.unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut missing = usize::MAX;
    while tokio::time::Instant::now() < deadline && missing > 0 {
        let page = c.list_files(None, Some(1000), None).await.unwrap();
        missing = page.items.iter().filter(|f| f.car_cid.is_none()).count();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(missing, 0, "files still without a car_cid");
}
