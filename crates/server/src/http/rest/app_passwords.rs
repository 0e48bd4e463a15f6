//! `/api/v1/me/app-passwords`: passwords for client apps that speak HTTP Basic (WebDAV).

use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, FullAuth, Param};
use crate::meta::AppPasswordRecord;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use nimbus_api::{AppPassword, AppPasswordEnvelope, CreateAppPasswordRequest, ErrorBody, Page};

fn app_password_json(a: &AppPasswordRecord, password: Option<String>) -> AppPassword {
    AppPassword {
        id: a.id.clone(),
        name: a.name.clone(),
        created_at: a.created_at.rfc3339(),
        last_used_at: a.last_used_at.map(|t| t.rfc3339()),
        password,
    }
}

#[utoipa::path(post, path = "/api/v1/me/app-passwords", summary = "Create an app password", tag = "accounts",
    request_body = CreateAppPasswordRequest,
    responses((status = 201, body = AppPasswordEnvelope, description = "the app password, shown this once"),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_app_password(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    ApiJson(req): ApiJson<CreateAppPasswordRequest>,
) -> ApiResult<impl IntoResponse> {
    let (record, secret) = s.services.accounts.create_app_password(&who, &req.name).await?;
    Ok((StatusCode::CREATED, Json(AppPasswordEnvelope { app_password: app_password_json(&record, Some(secret)) })))
}

#[utoipa::path(get, path = "/api/v1/me/app-passwords", summary = "Your app passwords", tag = "accounts",
    responses((status = 200, body = Page<AppPassword>)), security(("bearer" = [])))]
pub async fn list_app_passwords(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
) -> ApiResult<Json<Page<AppPassword>>> {
    let all = s.services.accounts.app_passwords(&who).await?;
    Ok(Json(Page { items: all.iter().map(|a| app_password_json(a, None)).collect(), next_cursor: None }))
}

#[utoipa::path(delete, path = "/api/v1/me/app-passwords/{id}", summary = "Revoke an app password", tag = "accounts",
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_app_password(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    Param(id): Param,
) -> ApiResult<StatusCode> {
    s.services.accounts.revoke_app_password(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
