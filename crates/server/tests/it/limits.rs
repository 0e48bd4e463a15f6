//! Slow and oversized clients are bounded: a connection that trickles its headers is
//! closed after the header deadline, others are served meanwhile, and a huge header is
//! refused with 431.

use crate::common::TestServer;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn a_trickling_client_is_cut_off_and_others_are_served() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.header_read_timeout_secs = 1).await;
    // Twenty slow-loris connections: one header byte every 300 ms, never finishing.
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut sock = TcpStream::connect(s.addr()).await.unwrap();
        sock.write_all(b"GET /healthz HTTP/1.1\r\nX-Slow: ").await.unwrap();
        slow.push(sock);
    }
    let started = tokio::time::Instant::now();
    let mut open = slow.len();
    while open > 0 && started.elapsed() < Duration::from_secs(10) {
        // Normal requests go through while the slow ones hang on.
        assert_eq!(s.anon.health(false).await.unwrap().status, "ok");
        open = 0;
        for sock in &mut slow {
            let _ = sock.write_all(b"a").await;
            let mut buf = [0u8; 512];
            match tokio::time::timeout(Duration::from_millis(10), sock.read(&mut buf)).await {
                // Closed (or an error answer followed by the close): cut off.
                Ok(Ok(0)) | Ok(Err(_)) => {}
                Ok(Ok(_)) => {}
                Err(_) => open += 1,
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(open, 0, "{open} slow connections still open after {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(8), "cut off after {:?}", started.elapsed());
}

#[tokio::test]
async fn a_huge_header_is_refused_with_431() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let line = "a".repeat(70 << 10);
    let (status, _) =
        s.raw(&format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {line}\r\nConnection: close\r\n\r\n")).await;
    assert_eq!(status, 431);
    let (status, _) = s.raw("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn one_client_cannot_hold_every_connection() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.max_connections_per_client = 5).await;
    let mut held = Vec::new();
    for _ in 0..5 {
        let mut sock = TcpStream::connect(s.addr()).await.unwrap();
        sock.write_all(b"GET /healthz HTTP/1.1\r\nX-Held: ").await.unwrap();
        held.push(sock);
    }
    // The sixth is closed at once, before a byte is read.
    let mut sixth = TcpStream::connect(s.addr()).await.unwrap();
    let _ = sixth.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = [0u8; 64];
    let read =
        tokio::time::timeout(Duration::from_secs(5), sixth.read(&mut buf)).await.expect("closed, not left hanging");
    assert!(matches!(read, Ok(0) | Err(_)), "the sixth connection was served: {read:?}");
    // Once one is given back, a new one is served again.
    drop(held.pop());
    let mut ok = false;
    for _ in 0..100 {
        let (status, _) = s.raw("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        if status == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ok);
}

/// Sends the head of a raw PUT of `len` bytes to `path`, signed in as `c`.
async fn start_put(s: &TestServer, c: &nimbus_client::Client, path: &str, len: usize) -> TcpStream {
    let mut sock = TcpStream::connect(s.addr()).await.unwrap();
    let head = format!(
        "PUT /api/v1/fs/{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: {len}\r\n\r\n",
        c.token().unwrap()
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock
}

#[tokio::test]
async fn a_stalled_body_is_ended_and_a_slow_moving_one_is_not() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.body_idle_timeout_secs = 1).await;
    let c = s.user("alice").await;

    // 1 KiB of a promised 1 MiB, then nothing: answered and closed within a few seconds.
    let mut stalled = start_put(&s, &c, "stalled.bin", 1 << 20).await;
    stalled.write_all(&[1u8; 1024]).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stalled.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the stalled upload was never ended");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("no bytes arrived"), "{text}");
    assert_eq!(c.get_path("stalled.bin").await.unwrap_err().status().unwrap(), 404, "nothing was stored");

    // 4 bytes every 400 ms for 4 s: slower than the timeout in all, but always moving.
    let mut slow = start_put(&s, &c, "slow.bin", 40).await;
    for _ in 0..10 {
        slow.write_all(b"slow").await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let mut answer = vec![0u8; 12];
    slow.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 201");
    assert_eq!(c.get_path_bytes("slow.bin").await.unwrap(), "slow".repeat(10));
}

/// A part whose headers run on and on is refused once they pass 16 KiB, instead of being
/// buffered whole; nothing of the request is stored, and ordinary parts still go in.
#[tokio::test]
async fn a_multipart_part_with_huge_headers_is_refused() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let mut body =
        b"--B0UNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nX-Padding: ".to_vec();
    body.extend(std::iter::repeat_n(b'p', 1 << 20));
    body.extend_from_slice(b"\r\n\r\nhello\r\n--B0UNDARY--\r\n");
    let r = c
        .request(reqwest::Method::POST, "/api/v1/files")
        .header("content-type", "multipart/form-data; boundary=B0UNDARY")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert!(text.contains("headers are larger than 16 KiB"), "{text}");
    assert!(c.list_files(None, None, None).await.unwrap().items.is_empty());

    let ok = b"--B0UNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--B0UNDARY--\r\n";
    let r = c
        .request(reqwest::Method::POST, "/api/v1/files")
        .header("content-type", "multipart/form-data; boundary=B0UNDARY")
        .body(ok.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}
