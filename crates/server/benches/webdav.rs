//! A WebDAV PROPFIND (Depth: 1) of one folder of 10,000 files, against the reference of
//! listing the same folder through the REST API (one level, pages of 1,000): the ratio
//! is what the WebDAV XML and dav-server cost over our own JSON listing. It also samples
//! the process's resident memory while the PROPFIND streams, to show it stays flat.
//!
//! Run: `cargo bench -p nimbus-server --bench webdav` (BENCH_FILES=… to change the size).

mod support;

use futures_util::StreamExt;
use nimbus_api::OnConflict;
use nimbus_client::{ListOptions, UploadPart};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const ROUNDS: usize = 7;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

async fn median<F, Fut>(mut call: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::new();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        call().await;
        samples.push(started.elapsed());
    }
    samples.sort();
    samples[ROUNDS / 2]
}

#[tokio::main]
async fn main() {
    let files: usize = std::env::var("BENCH_FILES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let (base, c) = support::start(dir.path(), |_| {}).await;
    let password = c.create_app_password("bench").await.unwrap().password.unwrap();

    eprintln!("loading {files} files…");
    for start in (0..files).step_by(1000) {
        let parts = (start..(start + 1000).min(files))
            .map(|i| UploadPart::bytes(&format!("photo-{i:07}.jpg"), format!("{i}").into_bytes()))
            .collect();
        c.upload(Some("big"), OnConflict::Fail, parts).await.unwrap();
    }

    let http = reqwest::Client::new();
    let propfind = || {
        let (http, base, password) = (http.clone(), base.clone(), password.clone());
        async move {
            let resp = http
                .request(reqwest::Method::from_bytes(b"PROPFIND").unwrap(), format!("{base}/dav/big/"))
                .basic_auth("bench", Some(password))
                .header("depth", "1")
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 207);
            let mut body = resp.bytes_stream();
            let (mut bytes, mut responses) = (0usize, 0usize);
            while let Some(chunk) = body.next().await {
                let chunk = chunk.unwrap();
                bytes += chunk.len();
                responses += chunk.windows(12).filter(|w| w == b"<D:response>").count();
            }
            (bytes, responses)
        }
    };
    let (bytes, responses) = propfind().await;
    assert_eq!(responses, files + 1, "every file and the folder itself");

    // Resident memory, sampled while PROPFINDs stream.
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(AtomicBool::new(true));
    let before = rss_kib();
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let dav = median(|| async {
        propfind().await;
    })
    .await;
    sampling.store(false, Ordering::Relaxed);
    sampler.join().unwrap();

    let rest = median(|| async {
        let mut opts =
            ListOptions { prefix: Some("big/".into()), one_level: true, limit: Some(1000), ..Default::default() };
        let mut seen = 0;
        loop {
            let page = c.list(&opts).await.unwrap();
            seen += page.items.len();
            match page.next_cursor {
                Some(next) => opts.cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, files);
    })
    .await;

    println!("PROPFIND Depth: 1 of a folder of {files} files (median of {ROUNDS}, SQLite, release build):");
    println!("  WebDAV PROPFIND            {:>9.1} ms   ({} KiB of XML)", dav.as_secs_f64() * 1e3, bytes / 1024);
    println!("  REST listing, 1000/page    {:>9.1} ms   (reference)", rest.as_secs_f64() * 1e3);
    println!("  ratio WebDAV / REST        {:>9.2}x", dav.as_secs_f64() / rest.as_secs_f64());
    println!(
        "  resident memory: {} MiB before, peak {} MiB while streaming (+{} MiB)",
        before / 1024,
        peak.load(Ordering::Relaxed) / 1024,
        peak.load(Ordering::Relaxed).saturating_sub(before) / 1024
    );
}
