//! Test harness: a real server on an ephemeral port, users, and raw-HTTP helpers.

use nimbus_api::RegisterRequest;
use nimbus_client::Client;
use nimbus_server::{App, Config};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const PASSWORD: &str = "correct horse battery";

/// Which metadata database a test binary runs the suite on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestServer {
    pub base: String,
    pub anon: Client,
    pub config: Config,
    dir: Option<tempfile::TempDir>,
    pg: Option<PgTestDb>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a server on a fresh temp dir, after `tweak` adjusts the config.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
        config.listen = "127.0.0.1:0".parse().unwrap();
        let pg = match crate::BACKEND {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgTestDb::create().await),
        };
        config.database_url = pg.as_ref().map(|db| db.url.clone());
        tweak(&mut config);
        Self::start_config(config, Some(dir), pg).await
    }

    async fn start_config(config: Config, dir: Option<tempfile::TempDir>, pg: Option<PgTestDb>) -> Self {
        // Server warnings and errors show up in a failing test's captured output.
        let _ = tracing_subscriber::fmt().with_env_filter("warn").with_test_writer().try_init();
        let app = App::build(config.clone()).await.expect("app builds");
        let base = format!("http://{}", app.local_addr());
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        TestServer { anon: Client::new(&base), base, config, dir, pg, shutdown: Some(tx), task: Some(task) }
    }

    /// Stops the server and starts a new one on the same data dir (a restart).
    pub async fn restart(mut self) -> Self {
        let dir = self.dir.take();
        let pg = self.pg.take();
        let mut config = self.config.clone();
        self.stop().await;
        config.listen = "127.0.0.1:0".parse().unwrap();
        Self::start_config(config, dir, pg).await
    }

    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.config.data_dir.join("blobs")
    }

    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    /// Registers `name` and returns a signed-in client.
    pub async fn user(&self, name: &str) -> Client {
        let req = RegisterRequest {
            username: name.into(),
            password: PASSWORD.into(),
            email: Some(format!("{name}@example.org")),
            ..Default::default()
        };
        self.anon.register(&req).await.expect("register");
        self.anon.login(name, PASSWORD).await.expect("login").0
    }

    /// Runs `nimbus admin <args>` against this server's data dir and database, as an
    /// operator would from the shell: whether it succeeded, and its stdout and stderr.
    pub fn admin(&self, args: &[&str]) -> (bool, String) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_nimbus"))
            .args(["admin", "--data-dir"])
            .arg(self.data_dir())
            .arg("--database-url")
            .arg(self.config.database_url())
            .args(args)
            .env("RUST_LOG", "error")
            .env_remove("NIMBUS_CONFIG")
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    }

    /// Sends raw bytes as one HTTP/1.1 request and returns the status code and the
    /// whole response text.
    pub async fn raw(&self, request: &str) -> (u16, String) {
        let mut s = TcpStream::connect(self.addr()).await.expect("connect");
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
        let text = String::from_utf8_lossy(&out).into_owned();
        let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        (status, text)
    }
}

/// Says once on stderr (past the test harness's capture) that a test is skipped for lack
/// of `what`, and how to enable it. Under `NIMBUS_TEST_REQUIRE_ALL=1` (CI) a skip fails.
pub fn skip(what: &str, how: &str) {
    if std::env::var("NIMBUS_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("NIMBUS_TEST_REQUIRE_ALL=1, but {what}: {how}");
    }
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if !said.iter().any(|w| w == what) {
        said.push(what.to_string());
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "skipped: {what}; {how}");
    }
}

/// Whether this binary's database is there: SQLite always is; PostgreSQL see [`pg_available`].
pub fn backend_available() -> bool {
    crate::BACKEND == Backend::Sqlite || pg_available()
}

/// Whether PostgreSQL answers at `NIMBUS_TEST_POSTGRES_URL`, probed once with a TCP
/// connect to its host and port; says so (see [`skip`]) when it does not.
pub fn pg_available() -> bool {
    static UP: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let up = *UP.get_or_init(|| {
        let url = pg_admin_url();
        let after_scheme = url.split_once("://").map(|(_, r)| r).unwrap_or(&url);
        let host_port = after_scheme.rsplit_once('@').map(|(_, h)| h).unwrap_or(after_scheme);
        let host_port = host_port.split(['/', '?']).next().unwrap_or("127.0.0.1:5432");
        let host_port = if host_port.contains(':') { host_port.to_string() } else { format!("{host_port}:5432") };
        use std::net::ToSocketAddrs;
        let addrs: Vec<_> = host_port.to_socket_addrs().map(|a| a.collect()).unwrap_or_default();
        addrs.iter().any(|a| std::net::TcpStream::connect_timeout(a, Duration::from_secs(2)).is_ok())
    });
    if !up {
        skip(
            &format!("PostgreSQL is not reachable at {}", pg_admin_url()),
            "start it (pg_ctlcluster 15 main start) or set NIMBUS_TEST_POSTGRES_URL",
        );
    }
    up
}

/// Returns from the test when its database is not there (see [`backend_available`]).
#[macro_export]
macro_rules! needs_backend {
    () => {
        if !$crate::common::backend_available() {
            return;
        }
    };
}

/// Files under a directory, recursively (for "nothing was left behind" checks).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Blob files (excluding temporaries).
pub fn blob_files(server: &TestServer) -> Vec<PathBuf> {
    files_under(&server.blob_dir()).into_iter().filter(|p| !p.starts_with(server.blob_dir().join("tmp"))).collect()
}

/// Polls `cond` every 20 ms for up to `secs` seconds.
pub async fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}

/// [`eventually`] for a condition that needs the server: polls every 100 ms.
pub async fn eventually_async<F: std::future::Future<Output = bool>>(secs: u64, mut cond: impl FnMut() -> F) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cond().await
}

/// The contract's error code of a failed client call.
pub fn code<T: std::fmt::Debug>(r: nimbus_client::Result<T>) -> (u16, String) {
    let e = r.expect_err("expected an error");
    (e.status().map(|s| s.as_u16()).unwrap_or(0), e.code().unwrap_or("").to_string())
}

/// A fresh PostgreSQL database for one test server, dropped when the test ends.
pub struct PgTestDb {
    pub url: String,
    name: String,
}

fn pg_admin_url() -> String {
    std::env::var("NIMBUS_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl PgTestDb {
    pub async fn create() -> Self {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let admin = pg_admin_url();
        let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is not reachable at {admin} ({e}); start it (pg_ctlcluster 15 main start) or set NIMBUS_TEST_POSTGRES_URL")
        });
        let name = format!("nimbus_test_{}", nimbus_server::domain::new_id());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        PgTestDb { url: format!("{base}/{name}"), name }
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime; use a separate thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::AnyConnection::connect(&pg_admin_url()).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
                }
            })
        })
        .join();
    }
}

/// A real SMTP server (Python aiosmtpd, tools/smtp-sink) writing each mail to a folder.
pub struct SmtpSink {
    pub url: String,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl SmtpSink {
    /// Starts one; `None` (saying so) where aiosmtpd is not installed outside CI.
    pub fn start() -> Option<SmtpSink> {
        use std::io::BufRead;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/smtp-sink/sink.py");
        let dir = tempfile::tempdir().unwrap();
        let spawned = std::process::Command::new("python3")
            .arg(&script)
            .arg(dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => return Self::unavailable(&e.to_string()),
        };
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        match line.trim().parse::<u16>() {
            Ok(port) => Some(SmtpSink { url: format!("smtp://127.0.0.1:{port}"), dir, child }),
            Err(_) => {
                let _ = child.kill();
                Self::unavailable("python3 -c 'import aiosmtpd' failed")
            }
        }
    }

    fn unavailable(why: &str) -> Option<SmtpSink> {
        skip(&format!("no SMTP server for the mail tests ({why})"), "pip install aiosmtpd");
        None
    }

    /// Every mail received so far, oldest first, as (recipients, raw message).
    pub fn mails(&self) -> Vec<(Vec<String>, String)> {
        let mut files: Vec<PathBuf> =
            files_under(self.dir.path()).into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .map(|v| {
                let to = v["to"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect();
                (to, v["data"].as_str().unwrap().to_string())
            })
            .collect()
    }

    /// Waits up to 10 s for the `n`-th mail (1-based) and returns it.
    pub async fn wait_for(&self, n: usize) -> (Vec<String>, String) {
        for _ in 0..500 {
            let mails = self.mails();
            if mails.len() >= n {
                return mails[n - 1].clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("mail {n} did not arrive; got {:?}", self.mails());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[allow(dead_code)] // not every test binary uses S3
pub const S3_ACCESS_KEY: &str = "nimbus-test-key";
#[allow(dead_code)]
pub const S3_SECRET_KEY: &str = "nimbus-test-secret";

/// Two instances of the scale-out stack sharing one PostgreSQL database and one S3
/// bucket (`blobs`, s3s-fs): what is begun on `a` must hold on `b`. (Used by the SQLite
/// suite's scale tests, which bring PostgreSQL themselves; the PostgreSQL suite has none.)
#[allow(dead_code)]
pub struct Cluster {
    pub a: TestServer,
    pub b: TestServer,
    pub s3: S3Server,
    pub db: PgTestDb,
}

#[allow(dead_code)]
impl Cluster {
    /// `None` (having said why) where PostgreSQL or s3s-fs is missing.
    pub async fn start() -> Option<Cluster> {
        if !pg_available() {
            return None;
        }
        let s3 = S3Server::start(&["blobs"]).await?;
        let db = PgTestDb::create().await;
        let shared = |c: &mut Config| {
            c.database_url = Some(db.url.clone());
            s3.configure(c, "blobs", "nimbus");
            c.secret_key = Some("22".repeat(32));
        };
        let a = TestServer::start_with(shared).await;
        let b = TestServer::start_with(shared).await;
        Some(Cluster { a, b, s3, db })
    }
}

/// A real S3 server for the tests (s3s-fs, which checks SigV4 signatures), on loopback.
#[allow(dead_code)]
pub struct S3Server {
    pub endpoint: String,
    pub root: tempfile::TempDir,
    child: std::process::Child,
}

#[allow(dead_code)]
fn s3s_fs_binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("NIMBUS_TEST_S3S_FS") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var("HOME").ok()?;
    let p = PathBuf::from(home).join(".cache/nimbus-tools/bin/s3s-fs");
    p.exists().then_some(p)
}

#[allow(dead_code)]
impl S3Server {
    /// Starts s3s-fs with `buckets` created and the given keys; `None` (saying so)
    /// where it is not installed outside CI.
    pub async fn start_with_keys(buckets: &[&str], access: &str, secret: &str) -> Option<S3Server> {
        let Some(bin) = s3s_fs_binary() else {
            skip(
                "s3s-fs is not installed",
                "cargo install s3s-fs@0.14.1 --features binary --locked --root ~/.cache/nimbus-tools",
            );
            return None;
        };
        let root = tempfile::tempdir().unwrap();
        for b in buckets {
            std::fs::create_dir_all(root.path().join(b)).unwrap();
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = std::process::Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--access-key", access, "--secret-key", secret])
            .arg(root.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn s3s-fs");
        let server = S3Server { endpoint: format!("http://127.0.0.1:{port}"), root, child };
        for _ in 0..500 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("s3s-fs did not start on port {port}");
    }

    pub async fn start(buckets: &[&str]) -> Option<S3Server> {
        Self::start_with_keys(buckets, S3_ACCESS_KEY, S3_SECRET_KEY).await
    }

    /// Configures `c` to keep blobs in `bucket/prefix` on this server.
    pub fn configure(&self, c: &mut Config, bucket: &str, prefix: &str) {
        c.blob_store = Some(format!("s3://{bucket}/{prefix}"));
        c.s3_endpoint = Some(self.endpoint.clone());
        c.s3_access_key_id = Some(S3_ACCESS_KEY.into());
        c.s3_secret_access_key = Some(S3_SECRET_KEY.into());
    }

    /// Multipart uploads begun and neither completed nor aborted (s3s-fs keeps one
    /// `.upload-<id>.json` per upload at its root).
    pub fn pending_multipart_uploads(&self) -> usize {
        std::fs::read_dir(self.root.path())
            .map(|dir| {
                dir.filter_map(|e| e.ok())
                    .filter(|e| {
                        let name = e.file_name().to_string_lossy().to_string();
                        name.starts_with(".upload-") && name.ends_with(".json")
                    })
                    .count()
            })
            .unwrap_or(0)
    }

    /// Visible objects (files) under a bucket, excluding s3s-fs's own bookkeeping.
    pub fn objects(&self, bucket: &str) -> Vec<PathBuf> {
        let base = self.root.path().join(bucket);
        files_under(&base)
            .into_iter()
            .filter(|p| {
                let rel = p.strip_prefix(&base).unwrap_or(p);
                !rel.components().any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
            })
            .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status of a request whose body the server may refuse before reading it all: the
/// server answers and closes, and a client still sending may see a broken pipe instead
/// of the answer. `None` stands for that.
pub fn refused_status(r: Result<reqwest::Response, reqwest::Error>) -> Option<u16> {
    match r {
        Ok(resp) => Some(resp.status().as_u16()),
        Err(e) if e.is_request() || e.is_body() => None,
        Err(e) => panic!("unexpected client error: {e}"),
    }
}

/// [`refused_status`] for the typed client's calls.
pub fn refused_client_status<T: std::fmt::Debug>(r: nimbus_client::Result<T>) -> Option<u16> {
    match r {
        Ok(v) => panic!("expected a refusal, got {v:?}"),
        Err(nimbus_client::ClientError::Http(e)) if e.is_request() || e.is_body() => None,
        Err(e) => Some(e.status().expect("an answer").as_u16()),
    }
}
