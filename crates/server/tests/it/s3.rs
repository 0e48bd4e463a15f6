//! The S3 blob store against a real S3 server (s3s-fs): sizes around the multipart part
//! size, ranged reads, nothing left by failed uploads, reclamation, restarts.

use crate::common::{S3Server, TestServer, code, eventually, refused_status};
use nimbus_client::PutOptions;
use nimbus_server::blob::PART_SIZE;
use reqwest::{Method, header};
use tokio::io::AsyncWriteExt;

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_around_the_part_size_round_trip_with_ranges() {
    crate::needs_backend!();
    let Some(s3) = S3Server::start(&["blobs"]).await else { return };
    // It counts blob files, so small contents stay blobs (inline ones: inline.rs).
    let s = TestServer::start_with(|c| {
        c.inline_max_bytes = 0;
        s3.configure(c, "blobs", "nimbus");
        c.sweep_interval_secs = 1;
    })
    .await;
    let r: serde_json::Value = s.anon.request(Method::GET, "/readyz").send().await.unwrap().json().await.unwrap();
    assert_eq!(r["checks"]["blobs"], "ok");
    let c = s.user("sara").await;
    for (i, size) in [0, 1, PART_SIZE - 1, PART_SIZE, PART_SIZE + 1, 2 * PART_SIZE + 12345].into_iter().enumerate() {
        let data = pattern(size, i as u8);
        let (f, _) = c.put(&format!("f{size}"), data.clone(), &PutOptions::default()).await.unwrap();
        assert_eq!(f.size as usize, size);
        let got = c.get_path_bytes(&f.path).await.unwrap();
        assert!(got.as_ref() == data.as_slice(), "size {size} round trip");
        if size > 10 {
            // A range across the first part boundary, and the last bytes.
            let start = size.saturating_sub(PART_SIZE.min(size) / 2 + 3).min(size - 10);
            let end = (start + PART_SIZE / 2).min(size - 1);
            let r = c
                .request(Method::GET, &nimbus_client::fs_url(&f.path))
                .header(header::RANGE, format!("bytes={start}-{end}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 206);
            assert!(r.bytes().await.unwrap().as_ref() == &data[start..=end], "size {size} range");
            let r = c
                .request(Method::GET, &nimbus_client::fs_url(&f.path))
                .header(header::RANGE, "bytes=-7")
                .send()
                .await
                .unwrap();
            assert!(r.bytes().await.unwrap().as_ref() == &data[size - 7..]);
        }
    }
    assert_eq!(s3.objects("blobs").len(), 6, "one object per distinct content");
    // Deleting the files reclaims their objects.
    for f in c.list_files(None, None, None).await.unwrap().items {
        c.delete_file(&f.id).await.unwrap();
    }
    c.empty_trash().await.unwrap();
    assert!(eventually(10, || s3.objects("blobs").is_empty()).await, "{:?}", s3.objects("blobs"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_uploads_leave_no_object() {
    crate::needs_backend!();
    let Some(s3) = S3Server::start(&["blobs"]).await else { return };
    let s = TestServer::start_with(|c| {
        s3.configure(c, "blobs", "");
        c.max_upload_bytes = 3 * PART_SIZE as u64;
    })
    .await;
    let c = s.user("tim").await;
    // Over the limit after two parts were already uploaded.
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(
        (0..4).map(|i| Ok::<_, std::io::Error>(bytes::Bytes::from(pattern(PART_SIZE, i)))),
    ));
    let r = c.request(Method::PUT, "/api/v1/fs/too-big.bin").body(body).send().await;
    assert!(matches!(refused_status(r), Some(413) | None));
    // A client that hangs up half-way through a multi-part upload.
    let token = c.token().unwrap().to_string();
    let mut sock = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
    let head = format!(
        "PUT /api/v1/fs/cut.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n",
        3 * PART_SIZE
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&pattern(PART_SIZE + PART_SIZE / 2, 9)).await.unwrap();
    drop(sock);
    // The server notices the hang-up and aborts the multipart upload.
    assert!(crate::common::eventually(10, || s3.objects("blobs").is_empty()).await, "{:?}", s3.objects("blobs"));
    assert!(c.list_files(None, None, None).await.unwrap().items.is_empty());
    assert_eq!(code(c.get_path_bytes("cut.bin").await).0, 404);
}

#[tokio::test]
async fn files_on_s3_survive_a_restart_and_bad_settings_are_refused() {
    crate::needs_backend!();
    let Some(s3) = S3Server::start(&["blobs"]).await else { return };
    let s = TestServer::start_with(|c| s3.configure(c, "blobs", "p")).await;
    let c = s.user("uma").await;
    c.put("keep.txt", "kept on S3", &PutOptions::default()).await.unwrap();
    let s = s.restart().await;
    let c2 = s.anon.login("uma", crate::common::PASSWORD).await.unwrap().0;
    assert_eq!(c2.get_path_bytes("keep.txt").await.unwrap().as_ref(), b"kept on S3");
    drop(c);

    // The server refuses to start on a bucket it cannot reach or sign for.
    let mut bad = s.config.clone();
    bad.s3_secret_access_key = Some("wrong".into());
    bad.listen = "127.0.0.1:0".parse().unwrap();
    assert!(nimbus_server::App::build(bad).await.is_err());
}
