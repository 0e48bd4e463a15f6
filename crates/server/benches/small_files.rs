//! Small downloads against nginx: 4 KiB files fetched by path over keep-alive
//! connections, Nimbus (`GET /api/v1/fs/…`, signed in, every byte checked against its
//! SHA-256 and metered) and nginx serving the same files from a plain directory, in
//! alternating rounds with the same load generator (wrk). Also the keep-alive latency of
//! one connection fetching a 4 KiB file against `GET /api/v1/me` on the same server.
//!
//! Ratios are Nimbus over nginx for rates (higher is better, 1.00× = as fast as nginx)
//! and 4 KiB GET over `/me` for latency (lower is better).
//!
//! Run: `bench/run small_files` (installs nginx and wrk), or
//! `cargo bench -p nimbus-server --bench small_files` with both on the PATH.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const FILES: usize = 200;
const SIZE: usize = 4096;
const ROUNDS: usize = 3;
const SECONDS: &str = "5";

fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// nginx serving `root` on a free loopback port, as a foreground child (no daemon, no logs).
fn start_nginx(dir: &Path, root: &Path) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off; worker_processes auto; pid {pid}; error_log {err} warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{ access_log off; sendfile on; tcp_nopush on; tcp_nodelay on; keepalive_requests 1000000;\n\
             client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp}; uwsgi_temp_path {tmp}; scgi_temp_path {tmp};\n\
             server {{ listen 127.0.0.1:{port}; root {root}; }} }}\n",
            pid = dir.join("nginx.pid").display(),
            err = dir.join("nginx.err").display(),
            tmp = dir.display(),
            root = root.display(),
        ),
    )
    .unwrap();
    let mut child = Command::new("nginx").arg("-c").arg(&conf).arg("-p").arg(dir).spawn().expect("nginx starts");
    let up = (0..100).any(|_| {
        let ok = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if !ok {
            std::thread::sleep(Duration::from_millis(50));
        }
        ok
    });
    if !up {
        let _ = child.kill();
        let _ = child.wait();
        panic!("nginx did not start: {}", std::fs::read_to_string(dir.join("nginx.err")).unwrap_or_default());
    }
    (child, port)
}

/// What wrk measured: requests per second and latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Run {
    rate: f64,
    p50: f64,
    p99: f64,
}

fn millis(text: &str) -> f64 {
    let t = text.trim();
    let (n, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let n: f64 = n.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        _ => f64::NAN,
    }
}

/// wrk with `connections` keep-alive connections on 2 threads against `url`.
fn wrk(url: &str, connections: u32, token: Option<&str>) -> Run {
    wrk_with(url, connections, token, None)
}

/// A wrk script that PUTs 4 KiB files, each with its own name and its own bytes (no
/// two alike, so none is deduplicated), under `/api/v1/fs/put/`.
const PUT_SCRIPT: &str = r#"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
local filler = string.rep("x", 4096 - 32)
function request()
  n = n + 1
  local name = string.format("t%d-%d.bin", tid, n)
  return wrk.format("PUT", "/api/v1/fs/put/" .. name, nil, filler .. string.format("%032d", tid * 100000000 + n))
end
"#;

/// Single-threaded durable creates of 4 KiB files for `seconds`: create, write, fsync,
/// rename, fsync the directory (what one durable small file costs on this disk).
fn reference_creates(dir: &Path, seconds: f64) -> f64 {
    std::fs::create_dir_all(dir).unwrap();
    let data = vec![7u8; SIZE];
    let started = std::time::Instant::now();
    let mut n = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        support::durable_create(dir, &format!("f{n}"), &data);
        n += 1;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn wrk_with(url: &str, connections: u32, token: Option<&str>, script: Option<&Path>) -> Run {
    let mut cmd = Command::new("wrk");
    if let Some(script) = script {
        cmd.arg("-s").arg(script);
    }
    cmd.args([
        "-t",
        if connections > 1 { "2" } else { "1" },
        "-c",
        &connections.to_string(),
        "-d",
        SECONDS,
        "--latency",
    ]);
    if let Some(t) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    let out = cmd.arg(url).output().expect("wrk runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Non-2xx"), "wrk saw errors from {url}:\n{text}");
    let line = |prefix: &str| text.lines().find(|l| l.trim_start().starts_with(prefix)).map(str::to_string);
    let rate = line("Requests/sec:").and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()));
    let p50 = line("50%").and_then(|l| l.split_whitespace().nth(1).map(millis));
    let p99 = line("99%").and_then(|l| l.split_whitespace().nth(1).map(millis));
    Run { rate: rate.unwrap_or(0.0), p50: p50.unwrap_or(f64::NAN), p99: p99.unwrap_or(f64::NAN) }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    if !on_path("nginx") || !on_path("wrk") {
        println!("small_files: needs nginx and wrk on the PATH (bench/run small_files installs them); skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (base, client) = support::start(&dir.path().join("nimbus"), |c| c.default_quota_bytes = 64 << 30).await;
    let token = client.token().unwrap().to_string();
    let root = dir.path().join("www");
    std::fs::create_dir_all(root.join("small")).unwrap();
    for i in 0..FILES {
        let data: Vec<u8> = (0..SIZE).map(|j| ((i * 31 + j * 7) % 251) as u8).collect();
        std::fs::write(root.join(format!("small/f{i:03}.bin")), &data).unwrap();
        client.put(&format!("small/f{i:03}.bin"), data, &Default::default()).await.unwrap();
    }
    let nginx_dir = dir.path().join("nginx");
    std::fs::create_dir_all(&nginx_dir).unwrap();
    let (mut nginx, port) = start_nginx(&nginx_dir, &root);
    let ours = format!("{base}/api/v1/fs/small/f042.bin");
    let theirs = format!("http://127.0.0.1:{port}/small/f042.bin");
    let me = format!("{base}/api/v1/me");

    // wrk blocks its thread; the server runs on the runtime's workers meanwhile.
    let (mut ours16, mut theirs16, mut ours1, mut me1) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (o, t, tk) = (ours.clone(), theirs.clone(), token.clone());
        let (a, b) = tokio::task::spawn_blocking(move || (wrk(&o, 16, Some(&tk)), wrk(&t, 16, None))).await.unwrap();
        ours16.push(a);
        theirs16.push(b);
        let (o, m, tk) = (ours.clone(), me.clone(), token.clone());
        let (c, d) = tokio::task::spawn_blocking(move || (wrk(&o, 1, Some(&tk)), wrk(&m, 1, Some(&tk)))).await.unwrap();
        ours1.push(c);
        me1.push(d);
    }
    // SIGTERM lets the master stop its workers; a SIGKILL would leave them running.
    let _ = Command::new("kill").arg("-TERM").arg(nginx.id().to_string()).status();
    let _ = nginx.wait();

    // Durable 4 KiB uploads at 16 connections against the single-threaded create rate
    // on the same disk, alternating.
    let script = dir.path().join("put.lua");
    std::fs::write(&script, PUT_SCRIPT).unwrap();
    let (mut puts, mut creates) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (b, tk, sc) = (base.clone(), token.clone(), script.clone());
        puts.push(
            tokio::task::spawn_blocking(move || wrk_with(&format!("{b}/"), 16, Some(&tk), Some(&sc))).await.unwrap(),
        );
        let refdir = dir.path().join(format!("creates-{round}"));
        creates.push(tokio::task::spawn_blocking(move || reference_creates(&refdir, 5.0)).await.unwrap());
    }

    let rate = |v: &[Run]| median(v.iter().map(|r| r.rate).collect());
    let p50 = |v: &[Run]| median(v.iter().map(|r| r.p50).collect());
    let p99 = |v: &[Run]| median(v.iter().map(|r| r.p99).collect());
    println!("small files: {FILES} × {SIZE} B, {ROUNDS} alternating rounds of {SECONDS} s, medians");
    println!("| workload | Nimbus | reference | ratio |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| 4 KiB GET by path, 16 connections | {:.0}/s | nginx {:.0}/s | {:.2}× (higher is better) |",
        rate(&ours16),
        rate(&theirs16),
        rate(&ours16) / rate(&theirs16)
    );
    println!(
        "| p99/p50 latency at 16 connections | {:.2} / {:.2} ms = {:.1} | nginx {:.2} / {:.2} ms = {:.1} | |",
        p99(&ours16),
        p50(&ours16),
        p99(&ours16) / p50(&ours16),
        p99(&theirs16),
        p50(&theirs16),
        p99(&theirs16) / p50(&theirs16)
    );
    println!(
        "| 4 KiB durable PUT, 16 connections | {:.0}/s | single-threaded fsync'd creates {:.0}/s | {:.2}× (higher is better) |",
        rate(&puts),
        median(creates.clone()),
        rate(&puts) / median(creates.clone())
    );
    println!(
        "| keep-alive latency, 1 connection (p50) | 4 KiB GET {:.3} ms | GET /api/v1/me {:.3} ms | {:.2}× (lower is better) |",
        p50(&ours1),
        p50(&me1),
        p50(&ours1) / p50(&me1)
    );
}
