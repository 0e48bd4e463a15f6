//! `/api/v1/me/devices` and device login (`/api/v1/auth/device`).

use super::accounts::login_response;
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, FullAuth, Param, SignIn};
use crate::meta::DeviceRecord;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use nimbus_api::{CreateDeviceRequest, Device, DeviceEnvelope, DeviceLoginRequest, ErrorBody, LoginResponse, Page};

fn device_json(d: &DeviceRecord, secret: Option<String>) -> Device {
    Device {
        id: d.id.clone(),
        name: d.name.clone(),
        peer_id: d.peer_id.clone(),
        created_at: d.created_at.rfc3339(),
        last_seen_at: d.last_seen_at.map(|t| t.rfc3339()),
        secret,
    }
}

#[utoipa::path(post, path = "/api/v1/me/devices", summary = "Add a device", tag = "devices", request_body = CreateDeviceRequest,
    responses((status = 201, body = DeviceEnvelope, description = "the device, with its secret shown this once"),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_device(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    ApiJson(req): ApiJson<CreateDeviceRequest>,
) -> ApiResult<impl IntoResponse> {
    let (device, secret) = s.services.devices.register(&who, &req.name, &req.peer_id).await?;
    Ok((StatusCode::CREATED, Json(DeviceEnvelope { device: device_json(&device, Some(secret)) })))
}

#[utoipa::path(get, path = "/api/v1/me/devices", summary = "Your devices", tag = "devices",
    responses((status = 200, body = Page<Device>)), security(("bearer" = [])))]
pub async fn list_devices(State(s): State<AppState>, FullAuth(who): FullAuth) -> ApiResult<Json<Page<Device>>> {
    let devices = s.services.devices.list(&who).await?;
    Ok(Json(Page { items: devices.iter().map(|d| device_json(d, None)).collect(), next_cursor: None }))
}

#[utoipa::path(delete, path = "/api/v1/me/devices/{id}", summary = "Remove a device", tag = "devices", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_device(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    Param(id): Param,
) -> ApiResult<StatusCode> {
    s.services.devices.remove(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/auth/device", summary = "Sign in as a device", tag = "accounts", request_body = DeviceLoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn device_login(
    State(s): State<AppState>,
    SignIn(from): SignIn,
    ApiJson(req): ApiJson<DeviceLoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let login = s.services.devices.login(&req.username, &req.peer_id, &req.secret, &from).await?;
    login_response(&s, login)
}
