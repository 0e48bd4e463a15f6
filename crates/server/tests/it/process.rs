//! The `nimbus` binary as a child process: for measuring the server's own memory and
//! for killing it mid-request (a real crash, not a graceful stop).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

pub struct ServerProcess {
    pub child: Child,
    pub base: String,
    /// Every log line the server wrote so far.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts `nimbus serve` on an ephemeral port over `data_dir`, with extra env vars.
    pub fn start(data_dir: &Path, env: &[(&str, String)]) -> ServerProcess {
        Self::start_logging(data_dir, env, "info")
    }

    /// As [`ServerProcess::start`], at the log level `rust_log`.
    pub fn start_logging(data_dir: &Path, env: &[(&str, String)], rust_log: &str) -> ServerProcess {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nimbus"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("RUST_LOG", rust_log)
            .env_remove("NIMBUS_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn nimbus");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        // The start-up summary names the URL at any log level.
        let log = Arc::new(Mutex::new(Vec::new()));
        let base = loop {
            let line = lines.next().expect("nimbus exited before listening").unwrap();
            let line = strip_ansi(&line);
            log.lock().unwrap().push(line.clone());
            if let Some(rest) = line.split("is running: open ").nth(1) {
                break rest.trim().to_string();
            }
        };
        // Keep draining the log so the child never blocks on a full pipe.
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        ServerProcess { child, base, log }
    }

    pub fn rss_kib(&self) -> u64 {
        rss_of(self.child.id())
    }

    /// Samples the server's RSS every 50 ms in the background; the result reports the
    /// peak growth over the RSS at the time of the call, in MiB.
    pub fn sample_rss(&self) -> RssSampler {
        let baseline = self.rss_kib();
        assert!(baseline > 0, "can read the server's RSS");
        let pid = self.child.id();
        let peak = Arc::new(std::sync::atomic::AtomicU64::new(baseline));
        let task = {
            let peak = peak.clone();
            tokio::spawn(async move {
                loop {
                    peak.fetch_max(rss_of(pid), std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            })
        };
        RssSampler { baseline, peak, task }
    }

    /// SIGKILL: no destructor, no graceful shutdown.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Removes terminal colour sequences (`ESC [ … m`) from a log line.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// VmRSS of a process, in KiB (0 if it cannot be read).
fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A background RSS sampler started by [`ServerProcess::sample_rss`].
pub struct RssSampler {
    pub baseline: u64,
    peak: Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    /// Stops sampling; returns `(baseline MiB, peak growth MiB)`.
    pub fn finish(self) -> (u64, u64) {
        self.task.abort();
        let peak = self.peak.load(std::sync::atomic::Ordering::Relaxed);
        (self.baseline / 1024, peak.saturating_sub(self.baseline) / 1024)
    }
}
