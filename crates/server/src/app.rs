//! `App`: wires configuration, stores, services and the router, and runs the server.

use crate::blob::{BlobStore, LocalBlobStore};
use crate::config::Config;
use crate::http::{AppState, router};
use crate::meta::{MetaStore, SqlMetaStore};
use crate::services::{Services, Settings, Signer, Sweeper};
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
        let meta: Arc<dyn MetaStore> = Arc::new(SqlMetaStore::connect(&config.database_url()).await?);
        let blob_root = config.blob_root()?;
        let blobs: Arc<dyn BlobStore> = Arc::new(
            LocalBlobStore::open(&blob_root)
                .await
                .with_context(|| format!("opening blob store {}", blob_root.display()))?,
        );

        let sweeper = Sweeper::new(meta.clone(), blobs.clone());
        let (temps, orphans) = sweeper.recover(started).await.context("start-up recovery")?;
        if temps + orphans > 0 {
            tracing::info!(temporaries = temps, orphans, "removed leftovers of interrupted uploads");
        }

        let settings = Settings {
            max_upload_bytes: config.max_upload_bytes,
            default_quota_bytes: config.default_quota_bytes,
            max_quota_bytes: config.max_quota_bytes,
            session_ttl_secs: config.session_ttl_secs,
            password_reset_ttl_secs: config.password_reset_ttl_secs,
        };
        let mailer = crate::mail::Mailer::new(config.smtp_url.as_deref(), &config.mail_from)?;
        let signer = Signer::load(meta.as_ref()).await.context("loading the signing key")?;
        let services = Services::new(meta, blobs, settings, signer, mailer);
        let listener = TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
        let state = AppState { services, config: Arc::new(config), metrics: metrics_handle() };
        Ok(App { listener, state, sweeper })
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
        let meter = self.state.services.meter.clone();
        let metering = tokio::spawn(meter.clone().run(Duration::from_secs(2)));
        let app = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, app).with_graceful_shutdown(shutdown).await;
        sweeper.abort();
        indexer.abort();
        metering.abort();
        // Counted but unwritten usage must survive a clean shutdown.
        meter.flush().await;
        served.context("serving HTTP")
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
