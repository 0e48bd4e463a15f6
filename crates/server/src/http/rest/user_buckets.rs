//! `/api/v1/me/storage`: the user's own bucket.

use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, Auth, FullAuth};
use crate::meta::StorageRecord;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use nimbus_api::{ErrorBody, Storage, StorageEnvelope, StorageSettings};

fn storage_json(s: &StorageRecord) -> Storage {
    Storage {
        kind: s.kind.clone(),
        endpoint: s.endpoint.clone(),
        region: s.region.clone(),
        bucket: s.bucket.clone(),
        access_key_id: s.access_key_id.clone(),
        prefix: s.prefix.clone(),
        created_at: s.created_at.rfc3339(),
    }
}

#[utoipa::path(put, path = "/api/v1/me/storage", summary = "Use your own S3 bucket", tag = "storage", request_body = StorageSettings,
    responses((status = 200, body = StorageEnvelope), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_storage(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    ApiJson(req): ApiJson<StorageSettings>,
) -> ApiResult<Json<StorageEnvelope>> {
    let record = s.services.user_buckets.set(&who, req).await?;
    Ok(Json(StorageEnvelope { storage: storage_json(&record) }))
}

#[utoipa::path(get, path = "/api/v1/me/storage", summary = "Your bucket settings", tag = "storage",
    responses((status = 200, body = StorageEnvelope), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_storage(State(s): State<AppState>, Auth(who): Auth) -> ApiResult<Json<StorageEnvelope>> {
    let record = s.services.user_buckets.get(&who).await?;
    Ok(Json(StorageEnvelope { storage: storage_json(&record) }))
}

#[utoipa::path(delete, path = "/api/v1/me/storage", summary = "Stop using your own bucket", tag = "storage",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_storage(State(s): State<AppState>, FullAuth(who): FullAuth) -> ApiResult<StatusCode> {
    s.services.user_buckets.remove(&who).await?;
    Ok(StatusCode::NO_CONTENT)
}
