//! The S3 API against a reference S3 server built on the same protocol library: s3s-fs
//! (plain files, no database, no fsync, no hashing beyond what s3s does), over the same
//! loopback with the same client. Workloads: one large PUT and GET, many small PUTs, and
//! a listing. The ratios are what matter: Nimbus / s3s-fs time, lower is better; what
//! Nimbus adds is durability (fsync before the 200), SHA-256 + MD5 + CID, dedup and
//! metadata in SQLite.
//!
//! Run: `cargo bench -p nimbus-server --bench s3` (needs s3s-fs: `NIMBUS_TEST_S3S_FS` or
//! `~/.cache/nimbus-tools/bin/s3s-fs`; BENCH_MIB, BENCH_SMALL change the sizes).

mod support;

use bytes::Bytes;
use nimbus_server::blob::sigv4::{self, Credentials};
use reqwest::Method;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const UNSIGNED: &str = "UNSIGNED-PAYLOAD";

/// A path-style S3 endpoint and a key for it.
struct Endpoint {
    base: String,
    key_id: String,
    secret: String,
    http: reqwest::Client,
}

impl Endpoint {
    async fn send(&self, method: Method, path: &str, query: &[(String, String)], body: Bytes) -> reqwest::Response {
        let host = self.base.trim_start_matches("http://").to_string();
        let amz_date = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"))
            .unwrap();
        let headers = vec![
            ("host".to_string(), host),
            ("x-amz-date".to_string(), amz_date.clone()),
            ("x-amz-content-sha256".to_string(), UNSIGNED.to_string()),
        ];
        let creds = Credentials { access_key_id: &self.key_id, secret_access_key: &self.secret, region: "us-east-1" };
        let req = sigv4::Request { method: method.as_str(), path, query, headers: &headers, payload_sha256: UNSIGNED };
        let auth = sigv4::authorization(&creds, &req, &amz_date);
        let qs = query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let url = if qs.is_empty() { format!("{}{path}", self.base) } else { format!("{}{path}?{qs}", self.base) };
        let resp = self
            .http
            .request(method, url)
            .header("authorization", auth)
            .header("x-amz-date", amz_date)
            .header("x-amz-content-sha256", UNSIGNED)
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{} {path}: {}", resp.status(), resp.text().await.unwrap_or_default());
        resp
    }
}

fn s3s_fs() -> Option<PathBuf> {
    let from_env = std::env::var_os("NIMBUS_TEST_S3S_FS").map(PathBuf::from);
    let cached = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/nimbus-tools/bin/s3s-fs"));
    from_env.into_iter().chain(cached).find(|p| p.exists())
}

/// Times of the workloads on one endpoint.
struct Times {
    put_big: Duration,
    get_big: Duration,
    small_puts: Duration,
    list: Duration,
}

async fn run(e: &Endpoint, bucket: &str, big: &Bytes, small: usize) -> Times {
    let t = Instant::now();
    e.send(Method::PUT, &format!("/{bucket}/big.bin"), &[], big.clone()).await;
    let put_big = t.elapsed();
    let t = Instant::now();
    let got = e.send(Method::GET, &format!("/{bucket}/big.bin"), &[], Bytes::new()).await.bytes().await.unwrap();
    let get_big = t.elapsed();
    assert_eq!(got.len(), big.len());
    let t = Instant::now();
    for i in 0..small {
        let body = Bytes::from(format!("small file number {i:06}").repeat(160));
        e.send(Method::PUT, &format!("/{bucket}/small/{i:06}.txt"), &[], body).await;
    }
    let small_puts = t.elapsed();
    let t = Instant::now();
    let mut token: Option<String> = None;
    let mut keys = 0;
    loop {
        let mut q = vec![("list-type".to_string(), "2".to_string()), ("prefix".to_string(), "small%2F".to_string())];
        if let Some(tok) = &token {
            q.push(("continuation-token".to_string(), sigv4::encode(tok)));
        }
        let text = e.send(Method::GET, &format!("/{bucket}"), &q, Bytes::new()).await.text().await.unwrap();
        keys += text.matches("<Key>").count();
        token = text.split("<NextContinuationToken>").nth(1).and_then(|s| s.split('<').next()).map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let list = t.elapsed();
    assert_eq!(keys, small);
    Times { put_big, get_big, small_puts, list }
}

#[tokio::main]
async fn main() {
    let Some(bin) = s3s_fs() else {
        eprintln!(
            "s3s-fs not found: cargo install s3s-fs@0.14.1 --features binary --locked --root ~/.cache/nimbus-tools"
        );
        return;
    };
    let mib: usize = std::env::var("BENCH_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    let small: usize = std::env::var("BENCH_SMALL").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
    let big = Bytes::from((0..mib << 20).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let http = reqwest::Client::new();

    let dir = tempfile::tempdir().unwrap();
    let (base, client) = support::start(dir.path(), |c| c.default_quota_bytes = 1 << 40).await;
    let key = client.create_access_key("bench").await.unwrap();
    let nimbus =
        Endpoint { base, key_id: key.access_key_id, secret: key.secret_access_key.unwrap(), http: http.clone() };
    nimbus.send(Method::PUT, "/bench", &[], Bytes::new()).await;

    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("bench")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (ak, sk) = ("BENCHACCESSKEY000000", "bench-secret-key-0000000000000000000000");
    let mut child = std::process::Command::new(bin)
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--access-key", ak, "--secret-key", sk])
        .arg(root.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let reference = Endpoint { base: format!("http://127.0.0.1:{port}"), key_id: ak.into(), secret: sk.into(), http };

    let r = run(&reference, "bench", &big, small).await;
    let n = run(&nimbus, "bench", &big, small).await;
    let _ = child.kill();
    let _ = child.wait();

    let row = |what: &str, nimbus: Duration, reference: Duration| {
        println!(
            "  {what:<34} {:>9.1} ms  {:>9.1} ms   {:>5.2}x",
            nimbus.as_secs_f64() * 1e3,
            reference.as_secs_f64() * 1e3,
            nimbus.as_secs_f64() / reference.as_secs_f64()
        );
    };
    println!("S3 API, Nimbus (SQLite + local disk) vs s3s-fs, same client, loopback, release build:");
    println!("  {:<34} {:>12} {:>12}   {:>6}", "workload", "Nimbus", "s3s-fs", "ratio");
    row(&format!("PUT one {mib} MiB object"), n.put_big, r.put_big);
    row("GET it back", n.get_big, r.get_big);
    row(&format!("PUT {small} objects of 3.4 KB, one by one"), n.small_puts, r.small_puts);
    row(&format!("ListObjectsV2 of those {small} keys"), n.list, r.list);
    let mibs = |d: Duration| mib as f64 / d.as_secs_f64();
    println!(
        "  (PUT {:.0} vs {:.0} MiB/s; GET {:.0} vs {:.0} MiB/s; Nimbus fsyncs each object before answering, s3s-fs does not)",
        mibs(n.put_big),
        mibs(r.put_big),
        mibs(n.get_big),
        mibs(r.get_big)
    );
}
