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
