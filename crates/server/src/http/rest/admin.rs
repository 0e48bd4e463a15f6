//! `/api/v1/admin/users`: admins only (everyone else gets 403).

use super::convert;
use super::usage::usage_json;
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiQuery, FullAuth, Param};
use crate::meta::AdminPatch;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use nimbus_api::{AdminUser, AdminUserPatch, ErrorBody, Page, UserEnvelope};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/admin/users", summary = "Users and their usage (admin)", tag = "admin", params(AdminListQuery),
    responses((status = 200, body = Page<AdminUser>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn admin_list_users(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    ApiQuery(q): ApiQuery<AdminListQuery>,
) -> ApiResult<Json<Page<AdminUser>>> {
    // No usage flush between reading the users and their counts (see UsageMeter).
    let held = s.services.meter.hold_flushes().await;
    let page = s.services.admin.list(&who, q.limit, q.cursor.as_deref()).await?;
    let reports = s.services.usage.reports(&held, &page.items).await?;
    drop(held);
    let items = page
        .items
        .iter()
        .zip(&reports)
        .map(|(u, usage)| AdminUser { user: convert::user(u), disabled: u.disabled, usage: usage_json(usage) })
        .collect();
    Ok(Json(Page { items, next_cursor: page.next_cursor }))
}

#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", summary = "Change a user (admin)", tag = "admin", params(("id" = String, Path)), request_body = AdminUserPatch,
    responses((status = 200, body = UserEnvelope), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn admin_patch_user(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    Param(id): Param,
    ApiJson(req): ApiJson<AdminUserPatch>,
) -> ApiResult<Json<UserEnvelope>> {
    let patch = AdminPatch { quota_bytes: req.quota_bytes, disabled: req.disabled, is_admin: req.is_admin };
    let user = s.services.admin.update(&who, &id, patch).await?;
    Ok(Json(UserEnvelope { user: convert::user(&user) }))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInviteRequest {
    /// Seconds until the invite expires (default 7 days, at most 90 days).
    expires_in: Option<i64>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Invite {
    /// The code to give the person (shown only here); `POST /auth/register` takes it as `invite`.
    code: String,
    expires_at: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct InviteEnvelope {
    invite: Invite,
}

#[utoipa::path(post, path = "/api/v1/admin/invites", summary = "Invite someone to register (admin)", tag = "admin", request_body = CreateInviteRequest,
    responses((status = 201, body = InviteEnvelope), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn admin_create_invite(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    ApiJson(req): ApiJson<CreateInviteRequest>,
) -> ApiResult<(StatusCode, Json<InviteEnvelope>)> {
    let (code, expires_at) = s.services.admin.invite(&who, req.expires_in).await?;
    Ok((StatusCode::CREATED, Json(InviteEnvelope { invite: Invite { code, expires_at: expires_at.rfc3339() } })))
}
