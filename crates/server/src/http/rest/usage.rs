//! `/api/v1/me/usage`, `/api/v1/me/plan`, `/api/v1/me/activity`.

use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, Auth, FullAuth};
use crate::services::UsageReport;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use nimbus_api::{ActivityRequest, DailyUsage, ErrorBody, PlanRequest, Usage, UsageEnvelope};

pub fn usage_json(r: &UsageReport) -> Usage {
    let n = |v: i64| v.max(0) as u64;
    Usage {
        quota_bytes: n(r.quota_bytes),
        used_bytes: n(r.used_bytes),
        versions_bytes: n(r.versions_bytes),
        trash_bytes: n(r.trash_bytes),
        file_count: n(r.file_count),
        uploaded_bytes: n(r.uploaded_bytes),
        downloaded_bytes: n(r.downloaded_bytes),
        bandwidth_bytes: n(r.uploaded_bytes) + n(r.downloaded_bytes),
        active_seconds: n(r.active_seconds),
        daily: r
            .daily
            .iter()
            .map(|d| DailyUsage {
                date: d.day.clone(),
                uploaded_bytes: n(d.uploaded_bytes),
                downloaded_bytes: n(d.downloaded_bytes),
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/me/usage", summary = "Your usage and quota", tag = "usage",
    responses((status = 200, body = UsageEnvelope), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_usage(State(s): State<AppState>, Auth(who): Auth) -> ApiResult<Json<UsageEnvelope>> {
    let report = s.services.usage.report(&who.user).await?;
    Ok(Json(UsageEnvelope { usage: usage_json(&report) }))
}

#[utoipa::path(put, path = "/api/v1/me/plan", summary = "Choose a plan", tag = "usage", request_body = PlanRequest,
    responses((status = 200, body = UsageEnvelope), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_plan(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    ApiJson(req): ApiJson<PlanRequest>,
) -> ApiResult<Json<UsageEnvelope>> {
    let report = s.services.usage.set_plan(&who, req.quota_bytes).await?;
    Ok(Json(UsageEnvelope { usage: usage_json(&report) }))
}

#[utoipa::path(post, path = "/api/v1/me/activity", summary = "Report active time", tag = "usage", request_body = ActivityRequest,
    responses((status = 204), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_activity(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(req): ApiJson<ActivityRequest>,
) -> ApiResult<StatusCode> {
    s.services.usage.add_activity(&who, req.seconds).await?;
    Ok(StatusCode::NO_CONTENT)
}
