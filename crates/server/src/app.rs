//! `App`: wires configuration, stores, services and the router, and runs the server.

use crate::blob::{BlobStore, LocalBlobStore, S3BlobStore};
use crate::config::{BlobBackend, Config};
use crate::http::{AppState, router};
use crate::meta::{MetaStore, SqlMetaStore};
use crate::services::secrets::SecretBox;
use crate::services::{BlobStores, InlineContents, Services, Settings, Signer, Sweeper};
use anyhow::Context;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;

pub struct App {
    listener: TcpListener,
    state: AppState,
    sweeper: Sweeper,
}

impl App {
    /// Connects the stores, recovers from any crash, and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let started = SystemTime::now();
        tokio::fs::create_dir_all(&config.data_dir)
            .await
            .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
        let meta: Arc<dyn MetaStore> =
            Arc::new(SqlMetaStore::connect(&config.database_url()).await?.with_retention(config.retention()));
        let stores = open_stores(&config, meta.clone()).await?;

        let sweeper = Sweeper::new(meta.clone(), stores.clone());
        let (temps, orphans) =
            sweeper.clean_up_after_crash(started).await.context("cleaning up after an interrupted run")?;
        if temps + orphans > 0 {
            tracing::info!(temporaries = temps, orphans, "removed leftovers of interrupted uploads");
        }

        let settings = Settings::from_config(&config);
        let mailer = crate::mail::Mailer::new(config.smtp_url.as_deref(), &config.mail_from)?;
        let signer = Signer::load(meta.as_ref(), stores.secrets())
            .await
            .context("loading the signing key (do all instances share one secret_key?)")?;
        let services = Services::new(meta, stores, settings, signer, mailer);
        let listener = TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
        let public_base = public_base(&config, listener.local_addr()?).into();
        let s3 = Some(crate::http::s3::service(services.clone(), config.s3_domain.as_deref())?);
        let state = AppState::new(crate::http::Shared {
            services,
            config: Arc::new(config),
            metrics: metrics_handle(),
            public_base,
            s3,
        });
        Ok(App { listener, state, sweeper })
    }

    /// What a person starting the server needs to know: where to open it, where its
    /// data is, where mail goes, and (on an empty server) who becomes the admin.
    pub async fn startup_summary(&self) -> anyhow::Result<String> {
        let config = &self.state.config;
        let url = self.state.public_base.to_string();
        let absolute = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let database = match &config.database_url {
            Some(u) => crate::config::redact_url(u),
            None => format!("SQLite at {}", absolute(&config.data_dir.join("nimbus.db")).display()),
        };
        let blobs = match config.blob_backend()? {
            BlobBackend::Local(root) => format!("local disk at {}", absolute(&root).display()),
            BlobBackend::S3(loc) => format!("S3 bucket {} at {}", loc.bucket, loc.endpoint),
        };
        let mail = match &config.smtp_url {
            Some(u) => format!("sent through {}", crate::config::redact_url(u)),
            None => "written to the log (set NIMBUS_SMTP_URL to send it)".to_string(),
        };
        let mut lines = vec![
            format!("Nimbus {} is running: open {url}", env!("CARGO_PKG_VERSION")),
            format!("  data dir:   {}", absolute(&config.data_dir).display()),
            format!("  database:   {database}"),
            format!("  blob store: {blobs}"),
            format!("  mail:       {mail}"),
            format!("  API docs:   {url}/api/docs"),
            format!("  S3 API:     endpoint {url} (path-style; access keys at /api/v1/me/access-keys)"),
            format!("  WebDAV:     {url}/dav/"),
        ];
        if self.state.services.meta.list_users(None, 1).await?.is_empty() {
            lines.push("  This server has no accounts yet: the first account registered becomes the admin.".into());
        }
        Ok(lines.join("\n"))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let interval = Duration::from_secs(self.state.config.sweep_interval_secs.max(1));
        tracing::info!(addr = %self.local_addr(), "nimbus listening");
        let sweeper = tokio::spawn(self.sweeper.run(interval));
        let indexer = tokio::spawn(self.state.services.car_indexer.clone().run(interval));
        let expiry = tokio::spawn(expire_uploads(self.state.services.files.clone(), interval));
        let md5_filler = tokio::spawn(self.state.services.md5_filler.clone().run());
        let scrub_rate = self.state.config.scrub_bytes_per_sec;
        let scrubber = (scrub_rate > 0).then(|| tokio::spawn(self.state.services.scrubber.clone().run(scrub_rate)));
        let meter = self.state.services.meter.clone();
        let metering = tokio::spawn(meter.clone().run(Duration::from_secs(2)));
        let limits = crate::http::serve::ConnectionLimits {
            per_client: self.state.config.max_connections_per_client,
            trusted_proxies: self.state.config.trusted_proxies.clone(),
            header_read_timeout: Duration::from_secs(self.state.config.header_read_timeout_secs.max(1)),
            max_header_bytes: 64 << 10,
        };
        let app = router(self.state);
        let served = crate::http::serve::serve(self.listener, app, limits, shutdown, Duration::from_secs(30)).await;
        sweeper.abort();
        indexer.abort();
        expiry.abort();
        md5_filler.abort();
        if let Some(s) = scrubber {
            s.abort();
        }
        metering.abort();
        // Counted but unwritten usage must survive a clean shutdown.
        meter.flush().await;
        served.context("serving HTTP")
    }
}

/// The configured blob store (and users' own buckets through it), as the server and
/// `nimbus admin scrub` open them.
pub async fn open_stores(config: &Config, meta: Arc<dyn MetaStore>) -> anyhow::Result<BlobStores> {
    let blobs: Arc<dyn BlobStore> = match config.blob_backend()? {
        BlobBackend::Local(root) => Arc::new(
            LocalBlobStore::open(&root).await.with_context(|| format!("opening blob store {}", root.display()))?,
        ),
        BlobBackend::S3(loc) => {
            let store = S3BlobStore::new("s3", &loc).context("configuring the S3 blob store")?;
            store.ping().await.with_context(|| format!("reaching bucket {} at {}", loc.bucket, loc.endpoint))?;
            Arc::new(store)
        }
    };
    // Small contents live in the metadata database (see `InlineContents`).
    let blobs = InlineContents::wrap(blobs, meta.clone(), config.inline_max_bytes);
    let secrets = secret_box(config).await?;
    Ok(BlobStores::new(blobs, meta, secrets))
}

/// The root URL put into public links and signed URLs: `public_url`, else the address
/// the server listens on. Never a request's `Host` header, which a client chooses.
fn public_base(config: &Config, addr: SocketAddr) -> String {
    if let Some(url) = &config.public_url {
        return url.trim_end_matches('/').to_string();
    }
    // Listening on every interface names no one host: loopback is the one that surely works.
    match addr.ip() {
        ip if ip.is_unspecified() => format!("http://127.0.0.1:{}", addr.port()),
        std::net::IpAddr::V6(ip) => format!("http://[{ip}]:{}", addr.port()),
        ip => format!("http://{ip}:{}", addr.port()),
    }
}

/// Removes resumable uploads idle past their expiry, bytes and all, and versions and
/// trash past their retention, every `interval`.
async fn expire_uploads(files: crate::services::Files, interval: Duration) {
    loop {
        // (The space reserve is laid down again here once deleted content is reclaimed.)
        files.keep_space_reserve().await;
        tokio::time::sleep(interval).await;
        match files.expire_uploads().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "expired idle uploads"),
            Err(e) => tracing::warn!(error = %e, "expiring idle uploads failed"),
        }
        match files.expire_retained().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(items = n, "purged versions and trash past their retention"),
            Err(e) => tracing::warn!(error = %e, "purging expired versions and trash failed"),
        }
    }
}

/// The process-wide Prometheus recorder (metrics macros report to one global recorder).
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed; then ours just stays empty.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The at-rest encryption key: from the config, else a key file in the data dir
/// (created on first start, readable by the owner only).
async fn secret_box(config: &Config) -> anyhow::Result<SecretBox> {
    if let Some(key) = &config.secret_key {
        return SecretBox::from_hex(key);
    }
    let path = config.data_dir.join("secret.key");
    match tokio::fs::read_to_string(&path).await {
        Ok(key) => SecretBox::from_hex(&key).with_context(|| format!("reading {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretBox::generate_hex();
            write_private(&path, &key).await.with_context(|| format!("creating {}", path.display()))?;
            SecretBox::from_hex(&key)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

async fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    let path = path.to_path_buf();
    let contents = contents.to_string();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&path)?;
        f.write_all(contents.as_bytes())?;
        f.sync_all()
    })
    .await
    .map_err(std::io::Error::other)?
}
