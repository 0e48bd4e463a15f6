//! `/api/v1/me`: the current user.

use super::convert;
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, Auth, FullAuth};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use nimbus_api::{ChangePasswordRequest, DeleteAccountRequest, ErrorBody, UpdateMeRequest, UserEnvelope};

#[utoipa::path(get, path = "/api/v1/me", summary = "Your account", tag = "me",
    responses((status = 200, body = UserEnvelope), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_me(Auth(who): Auth) -> Json<UserEnvelope> {
    Json(UserEnvelope { user: convert::user(&who.user) })
}

#[utoipa::path(patch, path = "/api/v1/me", summary = "Change your profile", tag = "me", request_body = UpdateMeRequest,
    responses((status = 200, body = UserEnvelope), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch_me(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    ApiJson(req): ApiJson<UpdateMeRequest>,
) -> ApiResult<Json<UserEnvelope>> {
    let user = s.services.accounts.update_me(&who, req).await?;
    Ok(Json(UserEnvelope { user: convert::user(&user) }))
}

#[utoipa::path(put, path = "/api/v1/me/password", summary = "Change your password", tag = "me", request_body = ChangePasswordRequest,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn change_password(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    s.services.accounts.change_password(&who, &req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/me", summary = "Delete your account", tag = "me", request_body = DeleteAccountRequest,
    responses((status = 204), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_me(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    ApiJson(req): ApiJson<DeleteAccountRequest>,
) -> ApiResult<StatusCode> {
    s.services.accounts.delete_account(&who, &req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
