//! Throughput of the embedded default (SQLite + local disk) against a reference
//! pipeline that does only the unavoidable work over the same loopback TCP: for an
//! upload, receive the bytes, SHA-256 them, write them to a file and fsync it; for a
//! download, read the file and send it; for small files, the per-file durability floor
//! (create, write, fsync, rename, fsync the directory). The ratios are what matter:
//! Nimbus's rate over the reference's, higher is better, 1.00x means "as fast as doing
//! only the unavoidable work".
//!
//! Run: `cargo bench -p nimbus-server --bench throughput` (BENCH_MIB=… to change the size).

mod support;

use bytes::Bytes;
use futures_util::StreamExt;
use nimbus_client::PutOptions;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CHUNK: usize = 1 << 20;

fn payload(total: usize) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + Sync + 'static {
    let chunk = Bytes::from((0..CHUNK).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    futures_util::stream::iter((0..total / CHUNK).map(move |_| Ok(chunk.clone())))
}

/// Reference upload: loopback TCP in, SHA-256, file write, fsync.
async fn reference_upload(dir: &std::path::Path, total: usize) -> Duration {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let path = dir.join("ref-upload");
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut file = tokio::fs::File::create(&path).await.unwrap();
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = sock.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            file.write_all(&buf[..n]).await.unwrap();
        }
        file.sync_all().await.unwrap();
        hasher.finalize()
    });
    let started = Instant::now();
    let mut sock = TcpStream::connect(addr).await.unwrap();
    let mut data = std::pin::pin!(payload(total));
    while let Some(chunk) = data.next().await {
        sock.write_all(&chunk.unwrap()).await.unwrap();
    }
    drop(sock);
    server.await.unwrap();
    started.elapsed()
}

/// Reference download: read the file, send it over loopback TCP.
async fn reference_download(dir: &std::path::Path) -> Duration {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let path = dir.join("ref-upload");
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut file = tokio::fs::File::open(&path).await.unwrap();
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = file.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            sock.write_all(&buf[..n]).await.unwrap();
        }
    });
    let started = Instant::now();
    let mut sock = TcpStream::connect(addr).await.unwrap();
    let mut buf = vec![0u8; 256 << 10];
    while sock.read(&mut buf).await.unwrap() > 0 {}
    started.elapsed()
}

/// Reference small file: create, write, fsync, rename, fsync the directory.
fn reference_small_files(dir: &std::path::Path, n: usize, size: usize) -> Duration {
    let data = vec![7u8; size];
    let started = Instant::now();
    for i in 0..n {
        support::durable_create(dir, &format!("small-{i}"), &data);
    }
    started.elapsed()
}

fn mib_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / (1 << 20) as f64 / d.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let mib: usize = std::env::var("BENCH_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(512);
    let total = mib << 20;
    let small_n = 300;
    let small_size = 4096;
    let work = tempfile::tempdir().unwrap();
    let data_dir = work.path().join("nimbus");
    let (_, c) = support::start(&data_dir, |config| {
        config.max_upload_bytes = 64 << 30;
        config.default_quota_bytes = 64 << 30;
    })
    .await;

    let ref_up = reference_upload(work.path(), total).await;
    let started = Instant::now();
    c.put_stream("big.bin", total as u64, payload(total)).await.unwrap();
    let up = started.elapsed();

    let ref_down = reference_download(work.path()).await;
    let started = Instant::now();
    let mut body = c.get_path("big.bin").await.unwrap().bytes_stream();
    while let Some(chunk) = body.next().await {
        chunk.unwrap();
    }
    let down = started.elapsed();

    let ref_small = reference_small_files(work.path(), small_n, small_size);
    let started = Instant::now();
    for i in 0..small_n {
        let data = Bytes::from(vec![(i % 251) as u8; small_size]);
        c.put(&format!("small/{i}"), data, &PutOptions::default()).await.unwrap();
    }
    let small = started.elapsed();

    println!(
        "Nimbus (SQLite + local disk) vs reference pipeline, loopback, {mib} MiB file, {small_n} × {small_size} B files"
    );
    // Every ratio is Nimbus's rate over the reference's: above 1.00x Nimbus is faster.
    println!("{:<34} {:>14} {:>14} {:>8}", "operation", "nimbus", "reference", "ratio (higher is better)");
    println!(
        "{:<34} {:>9.0} MiB/s {:>9.0} MiB/s {:>7.2}x",
        "upload (hash + fsync + commit)",
        mib_s(total, up),
        mib_s(total, ref_up),
        ref_up.as_secs_f64() / up.as_secs_f64()
    );
    println!(
        "{:<34} {:>9.0} MiB/s {:>9.0} MiB/s {:>7.2}x",
        "download",
        mib_s(total, down),
        mib_s(total, ref_down),
        ref_down.as_secs_f64() / down.as_secs_f64()
    );
    println!(
        "{:<34} {:>10.0} /s {:>12.0} /s {:>7.2}x",
        "small durable uploads",
        small_n as f64 / small.as_secs_f64(),
        small_n as f64 / ref_small.as_secs_f64(),
        ref_small.as_secs_f64() / small.as_secs_f64()
    );
}
