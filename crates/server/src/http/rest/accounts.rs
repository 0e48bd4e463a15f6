//! `/api/v1/auth/*`: register, login, logout.

use super::convert;
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, Auth, ClientAddr, SESSION_COOKIE, SignIn};
use crate::services::NewLogin;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use nimbus_api::{
    Empty, ErrorBody, LoginRequest, LoginResponse, PasswordResetConfirm, PasswordResetRequest, RegisterRequest,
    UserEnvelope,
};

#[utoipa::path(post, path = "/api/v1/auth/register", summary = "Create an account", tag = "accounts", request_body = RegisterRequest,
    responses((status = 201, body = UserEnvelope), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<impl IntoResponse> {
    let user = s.services.accounts.register(req).await?;
    Ok((StatusCode::CREATED, Json(UserEnvelope { user: convert::user(&user) })))
}

#[utoipa::path(post, path = "/api/v1/auth/login", summary = "Sign in with a username or email and password", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    SignIn(from): SignIn,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let login = s.services.accounts.login(&req.username, &req.password, req.code.as_deref(), &from).await?;
    login_response(&s, login)
}

/// The answer to a successful login (password or device): token, expiry, user, and the
/// session cookie for browsers.
pub fn login_response(s: &AppState, login: NewLogin) -> ApiResult<(HeaderMap, Json<LoginResponse>)> {
    let max_age = login.session.expires_at.unix_secs() - login.session.created_at.unix_secs();
    let secure = if s.config.cookie_secure { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}", login.token);
    // Readable by our pages, which echo it in X-CSRF-Token (see http::csrf).
    let csrf = format!(
        "{}={}; Path=/; SameSite=Strict; Max-Age={max_age}{secure}",
        crate::http::csrf::CSRF_COOKIE,
        crate::domain::new_secret_token("csrf")
    );
    let mut headers = HeaderMap::new();
    headers.append(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(anyhow::Error::from)?);
    headers.append(header::SET_COOKIE, HeaderValue::from_str(&csrf).map_err(anyhow::Error::from)?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let body = LoginResponse {
        access_token: login.token,
        token_type: "Bearer".into(),
        expires_at: login.session.expires_at.rfc3339(),
        user: convert::user(&login.user),
    };
    Ok((headers, Json(body)))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", summary = "Sign out (revoke this token or session)", tag = "accounts",
    responses((status = 204), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn logout(State(s): State<AppState>, Auth(who): Auth) -> ApiResult<impl IntoResponse> {
    s.services.accounts.logout(&who).await?;
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]))
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset", summary = "Ask for a password-reset code by mail", tag = "accounts", request_body = PasswordResetRequest,
    responses((status = 202, body = Empty, description = "always, known address or not"), (status = 429, body = ErrorBody)))]
pub async fn request_password_reset(
    State(s): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<PasswordResetRequest>,
) -> ApiResult<impl IntoResponse> {
    s.services.reset.request(&req.email, &client.to_string()).await?;
    Ok((StatusCode::ACCEPTED, Json(Empty {})))
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", summary = "Set a new password with the mailed code", tag = "accounts", request_body = PasswordResetConfirm,
    responses((status = 204), (status = 422, body = ErrorBody, description = "invalid_code, or validation_failed for the new password"),
        (status = 429, body = ErrorBody)))]
pub async fn confirm_password_reset(
    State(s): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<PasswordResetConfirm>,
) -> ApiResult<StatusCode> {
    s.services.reset.confirm(&req.email, &req.code, &req.new_password, &client.to_string()).await?;
    Ok(StatusCode::NO_CONTENT)
}
