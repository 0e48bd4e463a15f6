//! Avatars (`/api/v1/me/avatar`, `/api/v1/users/{user}/avatar`) and public profiles.

use super::convert;
use crate::error::Error;
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiQuery, Auth, FullAuth, Param};
use crate::services::MAX_AVATAR_BYTES;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use nimbus_api::{ErrorBody, Page, PublicUser, PublicUserEnvelope};

#[utoipa::path(put, path = "/api/v1/me/avatar", summary = "Set your avatar", tag = "me",
    request_body(content_type = "image/*", description = "PNG, JPEG, GIF or WebP, at most 5 MiB (checked by content)"),
    responses((status = 204), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_avatar(State(s): State<AppState>, FullAuth(who): FullAuth, body: Body) -> ApiResult<StatusCode> {
    let bytes = axum::body::to_bytes(body, MAX_AVATAR_BYTES + 1)
        .await
        .map_err(|_| Error::PayloadTooLarge { limit: MAX_AVATAR_BYTES as u64 })?;
    s.services.avatars.set(&who, &bytes).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/me/avatar", summary = "Remove your avatar", tag = "me", responses((status = 204)), security(("bearer" = [])))]
pub async fn delete_avatar(State(s): State<AppState>, FullAuth(who): FullAuth) -> ApiResult<StatusCode> {
    s.services.avatars.delete(&who).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/users/{id}/avatar", summary = "A user's avatar", tag = "users", params(("id" = String, Path, description = "the user's id")),
    responses((status = 200, description = "the image"), (status = 404, body = ErrorBody)))]
pub async fn get_avatar(State(s): State<AppState>, Param(user_id): Param) -> ApiResult<Response> {
    let avatar = s.services.avatars.get(&user_id).await?;
    let resp = (
        [
            (header::CONTENT_TYPE, avatar.content_type.clone()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "public, max-age=300".to_string()),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox".to_string()),
        ],
        avatar.data,
    );
    Ok(resp.into_response())
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserSearchQuery {
    /// The start of a username (at least 2 characters, case-insensitive); required.
    q: Option<String>,
    /// At most this many (default 10, max 20).
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/users", summary = "Users whose username starts with q (suggestions)", tag = "users", params(UserSearchQuery),
    responses((status = 200, body = Page<PublicUser>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn search_users(
    State(s): State<AppState>,
    Auth(_who): Auth,
    ApiQuery(q): ApiQuery<UserSearchQuery>,
) -> ApiResult<Json<Page<PublicUser>>> {
    let users = s.services.avatars.search(q.q.as_deref().unwrap_or(""), q.limit.unwrap_or(10)).await?;
    Ok(Json(Page { items: users.iter().map(convert::public_user).collect(), next_cursor: None }))
}

#[utoipa::path(get, path = "/api/v1/users/{username}", summary = "A user's public profile", tag = "users", params(("username" = String, Path)),
    responses((status = 200, body = PublicUserEnvelope), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_profile(
    State(s): State<AppState>,
    Auth(_who): Auth,
    Param(username): Param,
) -> ApiResult<Json<PublicUserEnvelope>> {
    let user = s.services.avatars.profile(&username).await?;
    Ok(Json(PublicUserEnvelope { user: convert::public_user(&user) }))
}
