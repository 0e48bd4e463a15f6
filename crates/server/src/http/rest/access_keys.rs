//! `/api/v1/me/access-keys`: keys for the S3 API (aws CLI, rclone, boto3, backup tools).

use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, FullAuth, Param};
use crate::meta::AccessKeyRecord;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use nimbus_api::{AccessKey, AccessKeyEnvelope, CreateAccessKeyRequest, ErrorBody, Page};

fn access_key_json(k: &AccessKeyRecord, secret: Option<String>) -> AccessKey {
    AccessKey {
        id: k.id.clone(),
        name: k.name.clone(),
        access_key_id: k.access_key_id.clone(),
        created_at: k.created_at.rfc3339(),
        last_used_at: k.last_used_at.map(|t| t.rfc3339()),
        secret_access_key: secret,
    }
}

#[utoipa::path(post, path = "/api/v1/me/access-keys", summary = "Create an S3 access key", tag = "accounts",
    request_body = CreateAccessKeyRequest,
    responses((status = 201, body = AccessKeyEnvelope, description = "the key, its secret shown this once"),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_access_key(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    ApiJson(req): ApiJson<CreateAccessKeyRequest>,
) -> ApiResult<impl IntoResponse> {
    let (record, secret) = s.services.access_keys.create(&who, &req.name).await?;
    Ok((StatusCode::CREATED, Json(AccessKeyEnvelope { access_key: access_key_json(&record, Some(secret)) })))
}

#[utoipa::path(get, path = "/api/v1/me/access-keys", summary = "Your S3 access keys", tag = "accounts",
    responses((status = 200, body = Page<AccessKey>)), security(("bearer" = [])))]
pub async fn list_access_keys(State(s): State<AppState>, FullAuth(who): FullAuth) -> ApiResult<Json<Page<AccessKey>>> {
    let all = s.services.access_keys.list(&who).await?;
    Ok(Json(Page { items: all.iter().map(|k| access_key_json(k, None)).collect(), next_cursor: None }))
}

#[utoipa::path(delete, path = "/api/v1/me/access-keys/{id}", summary = "Delete an S3 access key", tag = "accounts",
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_access_key(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    Param(id): Param,
) -> ApiResult<StatusCode> {
    s.services.access_keys.delete(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
