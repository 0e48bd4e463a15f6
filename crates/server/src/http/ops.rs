//! Operations endpoints: liveness, readiness, Prometheus metrics.

use super::AppState;
use super::error::ApiError;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use nimbus_api::Health;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

#[utoipa::path(get, path = "/healthz", summary = "Liveness", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into(), checks: BTreeMap::new() })
}

#[utoipa::path(get, path = "/readyz", summary = "Readiness of the database and blob store", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    let mut checks = BTreeMap::new();
    let meta = s.services.meta.ping().await;
    let blobs = s.services.blobs.ping().await;
    let ready = meta.is_ok() && blobs.is_ok();
    checks.insert("metadata".into(), meta.map(|_| "ok".into()).unwrap_or_else(|e| e.to_string()));
    checks.insert("blobs".into(), blobs.map(|_| "ok".into()).unwrap_or_else(|e| e.to_string()));
    // Low space does not make the server unready (reads and deletes work): it is said.
    if let Ok(Some(space)) = s.services.blobs.space().await {
        let settings = crate::services::Settings::from_config(&s.config);
        let mib = |b: u64| b >> 20;
        let text = if crate::services::disk_space::is_low(&settings, space) {
            let mark = crate::services::disk_space::watermark(&settings, space.total);
            format!("low: {} MiB free, below the {} MiB watermark; new uploads are refused", mib(space.free), mib(mark))
        } else {
            format!("ok: {} MiB free", mib(space.free))
        };
        checks.insert("space".into(), text);
    }
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = if ready { "ok" } else { "unavailable" };
    (status, Json(Health { status: word.into(), checks }))
}

#[utoipa::path(get, path = "/metrics", summary = "Prometheus metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format"), (status = 401, description = "metrics_token is set and was not sent")),
    security((), ("bearer" = [])))]
pub async fn metrics(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &s.config.metrics_token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Compared in constant time, like every other secret.
        let same =
            sent.len() == expected.len() && sent.bytes().zip(expected.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0;
        if !same {
            return ApiError(crate::error::Error::Unauthorized).into_response();
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render()).into_response()
}
