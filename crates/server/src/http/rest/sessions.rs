//! `/api/v1/me/sessions`: where the account is signed in, and ending those sessions.

use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{FullAuth, Param};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use nimbus_api::ErrorBody;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Session {
    id: String,
    /// `browser`, `token` or `device`.
    kind: String,
    created_at: String,
    last_used_at: Option<String>,
    client_address: Option<String>,
    user_agent: Option<String>,
    /// This is the session making the request.
    current: bool,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SessionList {
    items: Vec<Session>,
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/me/sessions", summary = "Where you are signed in", tag = "me",
    responses((status = 200, body = SessionList), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_sessions(State(s): State<AppState>, FullAuth(who): FullAuth) -> ApiResult<Json<SessionList>> {
    let items = s
        .services
        .accounts
        .sessions(&who)
        .await?
        .into_iter()
        .map(|r| Session {
            current: r.id == who.session_id,
            id: r.id,
            kind: r.kind,
            created_at: r.created_at.rfc3339(),
            last_used_at: r.last_used_at.map(|t| t.rfc3339()),
            client_address: r.client_address,
            user_agent: r.user_agent,
        })
        .collect();
    Ok(Json(SessionList { items, next_cursor: None }))
}

#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", summary = "End a session", tag = "me", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn end_session(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    Param(id): Param,
) -> ApiResult<StatusCode> {
    s.services.accounts.end_session(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/me/sessions", summary = "End every session but this one", tag = "me",
    responses((status = 204)), security(("bearer" = [])))]
pub async fn end_other_sessions(State(s): State<AppState>, FullAuth(who): FullAuth) -> ApiResult<StatusCode> {
    s.services.accounts.end_other_sessions(&who).await?;
    Ok(StatusCode::NO_CONTENT)
}
