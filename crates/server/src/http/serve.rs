//! The accept loop: axum's router over hyper, with the limits a public server needs and
//! `axum::serve` does not set: a deadline for a request's headers (slow-loris clients
//! that trickle a byte at a time are cut off, and so are idle keep-alive connections), a
//! bound on the header size (431 beyond), and `TCP_NODELAY` so that small responses are
//! not held back by Nagle's algorithm waiting on delayed ACKs.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Limits on each connection.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// The most connections one client address may hold open at once (0: no limit).
    /// Addresses of trusted proxies are not limited: many clients share them.
    pub per_client: usize,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// A request's headers must arrive within this; so must the next request's on an
    /// idle keep-alive connection.
    pub header_read_timeout: Duration,
    /// The most header bytes hyper buffers for one request.
    pub max_header_bytes: usize,
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets requests in flight
/// finish (up to `drain`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192));
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let open = Arc::new(Mutex::new(HashMap::<IpAddr, usize>::new()));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, addr): (tokio::net::TcpStream, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors, say: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(slot) = ConnectionSlot::take(&open, addr.ip(), &limits) else {
            // Over its share: the connection is closed before a byte is read.
            metrics::counter!("nimbus_connections_refused_total").increment(1);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(move |mut req: axum::http::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(addr));
            req
        });
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service));
            // A client that goes away or breaks a limit ends only its own connection.
            let _ = watcher.watch(conn.into_owned()).await;
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(drain) => tracing::warn!("connections still open after the drain time; closing"),
    }
    Ok(())
}

/// One open connection counted against its client's share; given back on drop.
struct ConnectionSlot {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    /// `None` for a client that is not limited.
    ip: Option<IpAddr>,
}

impl ConnectionSlot {
    fn take(open: &Arc<Mutex<HashMap<IpAddr, usize>>>, ip: IpAddr, limits: &ConnectionLimits) -> Option<Self> {
        if limits.per_client == 0 || limits.trusted_proxies.contains(&ip) {
            return Some(ConnectionSlot { open: open.clone(), ip: None });
        }
        let mut map = open.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(ip).or_insert(0);
        if *n >= limits.per_client {
            return None;
        }
        *n += 1;
        Some(ConnectionSlot { open: open.clone(), ip: Some(ip) })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        let mut map = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&ip);
            }
        }
    }
}
