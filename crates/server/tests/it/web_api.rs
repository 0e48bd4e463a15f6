//! What the web app needs from the server besides the API everyone uses: the app itself
//! (assets, CSP), thumbnails, zip downloads of folders and selections (checked by
//! Python's zipfile, which verifies every CRC), username suggestions and the unread count.

use crate::common::{TestServer, skip};
use nimbus_client::PutOptions;
use nimbus_server::blob::LocalBlobStore;
use nimbus_server::meta::SqlMetaStore;
use nimbus_server::services::secrets::SecretBox;
use nimbus_server::services::{BlobStores, Sweeper};
use reqwest::{Method, StatusCode, header};
use sha2::{Digest, Sha256};
use std::sync::Arc;

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn put_png() -> PutOptions {
    PutOptions { content_type: Some("image/png".into()), ..Default::default() }
}

#[tokio::test]
async fn the_app_is_served_with_a_strict_policy() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let r = s.anon.request(Method::GET, "/").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let etag = r.headers()[header::ETAG].to_str().unwrap().to_string();
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"<script type="module" src="/assets/js/app.js">"#));
    assert!(!html.contains("<script>") && !html.contains("style="), "no inline script or style");
    let again = s.anon.request(Method::GET, "/").header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let js = s.anon.request(Method::GET, "/assets/js/files.js").send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));
    let missing = s.anon.request(Method::GET, "/assets/js/../../Cargo.toml").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    // Nothing the app loads comes from another host.
    for asset in ["js/app.js", "js/files.js", "js/uploads.js", "app.css"] {
        let text = s.anon.request(Method::GET, &format!("/assets/{asset}")).send().await.unwrap().text().await.unwrap();
        assert!(!text.contains("https://") && !text.contains("http://"), "{asset} names another host");
    }
}

#[tokio::test]
async fn thumbnails_are_made_once_shared_by_copies_and_removed_with_their_source() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.sweep_interval_secs = 3600).await;
    let a = s.user("amy").await;
    let b = s.user("ben").await;
    let image = png(800, 600);
    let (f, _) = a.put("pics/one.png", image.clone(), &put_png()).await.unwrap();
    let (copy, _) = a.put("pics/two.png", image.clone(), &put_png()).await.unwrap();
    let r = a.request(Method::GET, &format!("/api/v1/files/{}/thumbnail", f.id)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "image/jpeg");
    let etag = r.headers()[header::ETAG].to_str().unwrap().to_string();
    let thumb = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (256, 192));
    // The copy has the same thumbnail; the browser's copy is still good.
    let r = a
        .request(Method::GET, &format!("/api/v1/files/{}/thumbnail", copy.id))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    // Another user cannot tell the file exists; once shared, they see it.
    let r = b.request(Method::GET, &format!("/api/v1/files/{}/thumbnail", f.id)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    a.share(&f.id, "ben").await.unwrap();
    let r = b.request(Method::GET, &format!("/api/v1/files/{}/thumbnail", f.id)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Not an image: a clear refusal.
    let (text, _) = a.put("notes.txt", b"hello".to_vec(), &PutOptions::default()).await.unwrap();
    let r = a.request(Method::GET, &format!("/api/v1/files/{}/thumbnail", text.id)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Kept as derived content: one per source content, gone with the last copy.
    let meta: Arc<dyn nimbus_server::meta::MetaStore> =
        Arc::new(SqlMetaStore::connect(&s.config.database_url()).await.unwrap());
    let sha = hex::encode(Sha256::digest(&image));
    assert!(meta.thumbnail(&sha).await.unwrap().is_some());
    // The server's store as the server opens it: small contents inline.
    let blobs = nimbus_server::services::InlineContents::wrap(
        Arc::new(LocalBlobStore::open(s.blob_dir()).await.unwrap()),
        meta.clone(),
        s.config.inline_max_bytes,
    );
    let secrets = SecretBox::from_hex(&SecretBox::generate_hex()).unwrap();
    let sweeper = Sweeper::new(meta.clone(), BlobStores::new(blobs, meta.clone(), secrets));
    a.delete_file(&f.id).await.unwrap();
    a.empty_trash().await.unwrap();
    sweeper.sweep_once().await.unwrap();
    assert!(meta.thumbnail(&sha).await.unwrap().is_some(), "a copy still uses the source");
    a.delete_file(&copy.id).await.unwrap();
    a.empty_trash().await.unwrap();
    sweeper.sweep_once().await.unwrap();
    assert!(meta.thumbnail(&sha).await.unwrap().is_none(), "removed with its source");
}

/// A 50,000 × 50,000 PNG (2.5 gigapixels declared in a few hundred bytes) is refused from
/// its header, fast, and the server goes on serving.
#[tokio::test]
async fn a_decompression_bomb_gets_a_clear_refusal_not_a_decode() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let a = s.user("amy").await;
    let mut bomb = png(1, 1);
    bomb[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let crc = crc32fast::hash(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    let (f, _) = a.put("bomb.png", bomb, &put_png()).await.unwrap();
    let r = a.request(Method::GET, &format!("/api/v1/files/{}/thumbnail", f.id)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "image_too_large");
    assert!(body["error"]["message"].as_str().unwrap().contains("50000 × 50000"));
    // A file that only claims to be an image.
    let (fake, _) = a.put("fake.png", b"not a png".to_vec(), &put_png()).await.unwrap();
    let r = a.request(Method::GET, &format!("/api/v1/files/{}/thumbnail", fake.id)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(a.me().await.unwrap().username, "amy", "still serving");
}

/// Python's zipfile reads the archive through its central directory and checks every
/// entry's CRC-32; the listing it prints is compared with what was uploaded.
fn unzip_listing(zip: &[u8]) -> Option<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.zip");
    std::fs::write(&path, zip).unwrap();
    let script = "import zipfile,sys,json,hashlib\n\
        z=zipfile.ZipFile(sys.argv[1])\n\
        assert z.testzip() is None\n\
        print(json.dumps({i.filename: [i.file_size, hashlib.sha256(z.read(i)).hexdigest(), list(i.date_time)] for i in z.infolist()}))";
    let out = std::process::Command::new("python3").arg("-c").arg(script).arg(&path).output().ok()?;
    assert!(out.status.success(), "python's zipfile refused it: {}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[tokio::test]
async fn folders_and_selections_download_as_one_zip() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let a = s.user("amy").await;
    let b = s.user("ben").await;
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let mtime = 1_700_000_000;
    let opts = PutOptions { mtime: Some(mtime), ..Default::default() };
    a.put("trip/day1/photo.jpg", big.clone(), &opts).await.unwrap();
    a.put("trip/notes ü.txt", b"bring a coat".to_vec(), &opts).await.unwrap();
    a.create_folder("trip/empty").await.unwrap();
    a.put("other/notes ü.txt", b"same name, other folder".to_vec(), &opts).await.unwrap();

    let r = a.request(Method::GET, "/api/v1/archive?path=trip").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/zip");
    assert!(r.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().contains("trip.zip"));
    let declared: u64 = r.headers()[header::CONTENT_LENGTH].to_str().unwrap().parse().unwrap();
    let zip = r.bytes().await.unwrap();
    assert_eq!(zip.len() as u64, declared, "the announced length is exact");
    let Some(listing) = unzip_listing(&zip) else {
        return skip("python3 is not installed", "apt-get install python3");
    };
    let sha = |d: &[u8]| hex::encode(Sha256::digest(d));
    assert_eq!(listing["trip/day1/photo.jpg"][0], big.len());
    assert_eq!(listing["trip/day1/photo.jpg"][1], sha(&big));
    assert_eq!(
        listing["trip/day1/photo.jpg"][2],
        serde_json::json!([2023, 11, 14, 22, 13, 20]),
        "modification time kept"
    );
    assert_eq!(listing["trip/notes ü.txt"][1], sha(b"bring a coat"));
    assert!(listing.get("trip/empty/").is_some(), "empty folders are kept: {listing}");
    assert!(listing.get("trip/").is_some());

    // A selection from two folders: names that collide get a number.
    let r = a
        .request(Method::GET, "/api/v1/archive?path=trip%2Fnotes%20%C3%BC.txt&path=other%2Fnotes%20%C3%BC.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().contains("nimbus.zip"));
    let listing = unzip_listing(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(listing["notes ü.txt"][1], sha(b"bring a coat"));
    assert_eq!(listing["notes ü (2).txt"][1], sha(b"same name, other folder"));

    // The bytes count as downloaded, as for any download.
    let usage = a.usage().await.unwrap();
    assert!(usage.downloaded_bytes >= big.len() as u64, "{}", usage.downloaded_bytes);

    // Someone else's folder does not exist for them; bad input is a 4xx.
    let r = b.request(Method::GET, "/api/v1/archive?path=trip").send().await.unwrap();
    assert_eq!(r.status(), 404);
    for (bad, status) in
        [("/api/v1/archive", 400), ("/api/v1/archive?file=trip", 400), ("/api/v1/archive?path=..%2Fx", 422)]
    {
        let r = a.request(Method::GET, bad).send().await.unwrap();
        assert_eq!(r.status(), status, "{bad}");
    }
    let r = s.anon.request(Method::GET, "/api/v1/archive?path=trip").send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn usernames_are_suggested_and_unread_messages_counted() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let a = s.user("amy").await;
    s.user("bob_smith").await;
    s.user("bobby").await;
    s.user("box_office").await;
    let names = |v: serde_json::Value| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_string()).collect()
    };
    let r = a.request(Method::GET, "/api/v1/users?q=BOB").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(names(body.clone()), ["bob_smith", "bobby"]);
    assert!(body["items"][0].get("email").is_none(), "no e-mail addresses");
    // `_` is a character, not a wildcard.
    let body: serde_json::Value =
        a.request(Method::GET, "/api/v1/users?q=bo_").send().await.unwrap().json().await.unwrap();
    assert_eq!(names(body), Vec::<String>::new());
    for bad in ["/api/v1/users?q=b", "/api/v1/users", "/api/v1/users?q=bo&x=1"] {
        assert_eq!(a.request(Method::GET, bad).send().await.unwrap().status(), 400, "{bad}");
    }
    assert_eq!(s.anon.request(Method::GET, "/api/v1/users?q=bo").send().await.unwrap().status(), 401);

    let unread = |c: &nimbus_client::Client| {
        let c = c.clone();
        async move {
            let v: serde_json::Value =
                c.request(Method::GET, "/api/v1/messages/unread").send().await.unwrap().json().await.unwrap();
            v["count"].as_i64().unwrap()
        }
    };
    let bob = s.anon.login("bobby", crate::common::PASSWORD).await.unwrap().0;
    assert_eq!(unread(&bob).await, 0);
    for text in ["one", "two"] {
        let req = nimbus_api::SendMessageRequest { to: "bobby".into(), text: Some(text.into()), file_id: None };
        a.send_message(&req).await.unwrap();
    }
    assert_eq!(unread(&bob).await, 2);
    assert_eq!(unread(&a).await, 0, "sent messages are not unread for the sender");
    let inbox = bob.messages("inbox", None, None).await.unwrap();
    bob.mark_read(&inbox.items[0].id).await.unwrap();
    assert_eq!(unread(&bob).await, 1);
}
