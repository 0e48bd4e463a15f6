//! The HTTP face of Nimbus (axum): routing, authentication, error mapping and
//! observability. Handlers parse, call one service method, and map the result.

mod body_timeout;
mod csrf;
mod dav;
mod download;
pub mod error;
mod extract;
mod observe;
mod openapi;
mod ops;
mod rest;
pub mod s3;
pub mod serve;
mod tus;
mod web;

use crate::config::Config;
use crate::services::Services;
use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use error::ApiError;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

/// What every handler can reach. Cloned for every request by each layer that takes
/// it, so it is one `Arc`: cloning the services themselves (dozens of `Arc`s and their
/// settings) cost more than a small download's own work.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The state behind [`AppState`].
pub struct Shared {
    pub services: Services,
    pub config: Arc<Config>,
    pub metrics: PrometheusHandle,
    /// The root URL of public links and signed URLs (see `app::public_base`).
    pub public_base: Arc<str>,
    /// The S3 API, which takes every request signed the S3 way.
    pub s3: Option<s3s::service::S3Service>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(rest::routes())
        .merge(tus::routes())
        .merge(dav::routes())
        .merge(ops::routes())
        .merge(web::routes())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), csrf::guard))
        .route_layer(axum::middleware::from_fn(observe::track))
        .merge(openapi::docs())
        .fallback(|| async { ApiError(crate::error::Error::NotFound) })
        .method_not_allowed_fallback(|| async {
            let body = serde_json::json!({"error": {"code": "method_not_allowed", "message": "method not allowed"}});
            (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
        })
        .layer(axum::middleware::from_fn_with_state(state.clone(), s3::dispatch))
        .layer(axum::middleware::from_fn_with_state(state.clone(), body_timeout::limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            ApiError(crate::error::Error::Internal(anyhow::anyhow!("handler panicked"))).into_response()
        }))
        .with_state(state)
}
