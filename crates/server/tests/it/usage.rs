//! Quotas under concurrency, early refusal, metering on every path, plans and activity.

use crate::common::{TestServer, code};
use nimbus_api::CreateLinkRequest;
use nimbus_client::PutOptions;
use reqwest::{Method, header};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MIB: u64 = 1 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_uploads_into_a_ten_upload_quota() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.default_quota_bytes = 10 * MIB).await;
    let c = s.user("quinn").await;
    let uploads = (0..40).map(|i| {
        let c = c.clone();
        tokio::spawn(async move {
            let body = vec![(i % 251) as u8; MIB as usize];
            c.put(&format!("f{i}.bin"), body, &PutOptions::default()).await
        })
    });
    let results = futures_util::future::join_all(uploads).await;
    let mut created = 0;
    let mut refused = 0;
    for r in results {
        match r.unwrap() {
            Ok(_) => created += 1,
            Err(e) => {
                assert_eq!((e.status().unwrap().as_u16(), e.code()), (507, Some("quota_exceeded")));
                refused += 1;
            }
        }
    }
    assert_eq!((created, refused), (10, 30));
    let usage = c.usage().await.unwrap();
    let files = c.list_files(None, None, None).await.unwrap().items;
    assert_eq!(usage.used_bytes, files.iter().map(|f| f.size).sum::<u64>());
    assert_eq!((usage.used_bytes, usage.file_count), (10 * MIB, 10));
}

#[tokio::test]
async fn an_upload_that_cannot_fit_is_refused_before_its_body_is_read() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.default_quota_bytes = MIB).await;
    let c = s.user("rhea").await;
    let token = c.token().unwrap().to_string();
    for (method, path, ctype) in [
        ("PUT", "/api/v1/fs/huge.bin", "application/octet-stream"),
        ("POST", "/api/v1/files", "multipart/form-data; boundary=XYZ"),
    ] {
        let mut sock = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
            100 * MIB
        );
        sock.write_all(head.as_bytes()).await.unwrap();
        // Not one byte of the body is sent: the answer must come anyway.
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf))
            .await
            .expect("answered before the body")
            .unwrap();
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(text.starts_with("HTTP/1.1 507"), "{method}: {text}");
        assert!(text.contains("quota_exceeded"));
    }
    assert!(c.list_files(None, None, None).await.unwrap().items.is_empty());
    assert_eq!(c.usage().await.unwrap().used_bytes, 0);
}

#[tokio::test]
async fn every_path_that_moves_bytes_is_metered() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let owner = s.user("mona").await;
    let reader = s.user("nate").await;
    let data = vec![7u8; 100_000];
    let (f, _) = owner.put("m.bin", data.clone(), &PutOptions::default()).await.unwrap();
    let u = owner.usage().await.unwrap();
    assert_eq!((u.uploaded_bytes, u.downloaded_bytes), (100_000, 0));

    owner.download(&f.id).await.unwrap().bytes().await.unwrap();
    let ranged =
        owner.request(Method::GET, &format!("/api/v1/files/{}/content", f.id)).header(header::RANGE, "bytes=0-999");
    ranged.send().await.unwrap().bytes().await.unwrap();
    owner
        .request(Method::GET, &format!("/api/v1/cid/{}", f.cid.clone().unwrap()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let car =
        owner.request(Method::GET, &format!("/api/v1/files/{}/car", f.id)).send().await.unwrap().bytes().await.unwrap();
    owner.get_path_bytes("m.bin").await.unwrap();
    let expected_owner_down = 100_000 + 1_000 + 100_000 + car.len() as u64 + 100_000;
    assert_eq!(owner.usage().await.unwrap().downloaded_bytes, expected_owner_down);

    // Link and signed-URL downloads count against the owner; a recipient's own
    // download counts against the recipient.
    let link = owner.create_link(&f.id, &CreateLinkRequest::default()).await.unwrap();
    reqwest::get(format!("{}/content", link.url)).await.unwrap().bytes().await.unwrap();
    let signed = owner.download_url(&f.id, None).await.unwrap();
    reqwest::Client::new()
        .get(&signed.url)
        .header(header::RANGE, "bytes=-10")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    owner.share(&f.id, "nate").await.unwrap();
    reader.download(&f.id).await.unwrap().bytes().await.unwrap();
    let u = owner.usage().await.unwrap();
    assert_eq!(u.downloaded_bytes, expected_owner_down + 100_000 + 10);
    assert_eq!(u.bandwidth_bytes, u.uploaded_bytes + u.downloaded_bytes);
    assert_eq!(reader.usage().await.unwrap().downloaded_bytes, 100_000);

    assert_eq!(u.daily.len(), 30);
    let today = u.daily.last().unwrap();
    assert_eq!((today.uploaded_bytes, today.downloaded_bytes), (u.uploaded_bytes, u.downloaded_bytes));
    assert!(u.daily.windows(2).all(|w| w[0].date < w[1].date), "oldest first");
}

#[tokio::test]
async fn a_cancelled_download_counts_what_was_sent() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("olga").await;
    let size = 64 * MIB as usize;
    c.put("big.bin", vec![1u8; size], &PutOptions::default()).await.unwrap();
    let resp = c.get_path("big.bin").await.unwrap();
    let mut body = resp.bytes_stream();
    use futures_util::StreamExt;
    let mut got = 0;
    while got < MIB as usize {
        got += body.next().await.unwrap().unwrap().len();
    }
    drop(body);
    // The meter counts as bytes go out; poll until what was received is counted.
    let mut down = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline {
        down = c.usage().await.unwrap().downloaded_bytes;
        if down >= got as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(down >= got as u64, "counted {down}, received {got}");
    assert!(down < size as u64, "a cancelled download is not charged in full ({down})");
}

#[tokio::test]
async fn counters_survive_a_clean_shutdown() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("pia").await;
    c.put("a.bin", vec![1u8; 12_345], &PutOptions::default()).await.unwrap();
    c.get_path_bytes("a.bin").await.unwrap();
    c.add_activity(42).await.unwrap();
    let before = c.usage().await.unwrap();
    // Restart at once: the periodic flush has not run, the shutdown flush must.
    let s = s.restart().await;
    let c = s.anon.login("pia", crate::common::PASSWORD).await.unwrap().0;
    let after = c.usage().await.unwrap();
    assert_eq!((after.uploaded_bytes, after.downloaded_bytes), (12_345, 12_345));
    assert_eq!(after.active_seconds, before.active_seconds);
    assert_eq!(after.daily, before.daily);
}

#[tokio::test]
async fn plans_and_activity_are_validated() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| {
        c.default_quota_bytes = 1000;
        c.max_quota_bytes = 5000;
    })
    .await;
    let c = s.user("rex").await;
    c.put("a.bin", vec![0u8; 800], &PutOptions::default()).await.unwrap();
    assert_eq!(code(c.set_plan(5001).await), (422, "validation_failed".into()));
    assert_eq!(code(c.set_plan(799).await), (422, "validation_failed".into()), "below used_bytes");
    assert_eq!(code(c.set_plan(-1).await).0, 422);
    let u = c.set_plan(5000).await.unwrap();
    assert_eq!((u.quota_bytes, u.used_bytes), (5000, 800));
    c.put("b.bin", vec![0u8; 3000], &PutOptions::default()).await.expect("the new plan applies at once");

    for bad in [0, -5, 3601] {
        assert_eq!(code(c.add_activity(bad).await), (422, "validation_failed".into()), "{bad}");
    }
    let r = c
        .request(Method::POST, "/api/v1/me/activity")
        .json(&serde_json::json!({"seconds": "ten"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

/// Reported active time cannot be inflated: a session is credited at most the wall-clock
/// time since its previous report (since its login for the first), whatever it claims.
#[tokio::test]
async fn active_time_never_outruns_the_clock() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("tim").await;
    let started = std::time::Instant::now();
    for _ in 0..3 {
        c.add_activity(3600).await.unwrap();
    }
    let claimed = c.usage().await.unwrap().active_seconds;
    assert!(claimed <= started.elapsed().as_secs() + 1, "three claims of an hour in a moment gave {claimed} s");

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    c.add_activity(3600).await.unwrap();
    let after = c.usage().await.unwrap().active_seconds;
    assert!((claimed + 2..=claimed + 3).contains(&after), "two seconds later, two are credited ({claimed} → {after})");
    // A report smaller than the time elapsed is credited as reported.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    c.add_activity(1).await.unwrap();
    assert_eq!(c.usage().await.unwrap().active_seconds, after + 1);
    // Another login is another session, but also starts from its own login.
    let other = s.anon.login("tim", crate::common::PASSWORD).await.unwrap().0;
    other.add_activity(3600).await.unwrap();
    assert!(c.usage().await.unwrap().active_seconds <= after + 2);
}
