//! `/api/v1/me/2fa`: turning two-factor sign-in (TOTP) on and off.

use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, FullAuth};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use nimbus_api::ErrorBody;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TwoFactorSetup {
    /// Base32, to type into an authenticator app.
    secret: String,
    /// `otpauth://totp/…`, what a QR code for the app holds.
    otpauth_uri: String,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmTwoFactor {
    /// A current code from the app.
    code: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes for when the app is lost (shown only here).
    recovery_codes: Vec<String>,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableTwoFactor {
    password: String,
    /// A current code from the app, or a recovery code.
    code: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TwoFactorStatus {
    /// Sign-ins need a code.
    enabled: bool,
}

#[utoipa::path(get, path = "/api/v1/me/2fa", summary = "Whether two-factor sign-in is on", tag = "me",
    responses((status = 200, body = TwoFactorStatus)), security(("bearer" = [])))]
pub async fn two_factor_status(State(s): State<AppState>, FullAuth(who): FullAuth) -> ApiResult<Json<TwoFactorStatus>> {
    Ok(Json(TwoFactorStatus { enabled: s.services.accounts.two_factor_on(&who.user).await? }))
}

#[utoipa::path(post, path = "/api/v1/me/2fa", summary = "Start setting up two-factor sign-in", tag = "me",
    responses((status = 200, body = TwoFactorSetup), (status = 409, body = ErrorBody, description = "already on")), security(("bearer" = [])))]
pub async fn start_two_factor(State(s): State<AppState>, FullAuth(who): FullAuth) -> ApiResult<Json<TwoFactorSetup>> {
    let setup = s.services.accounts.start_two_factor(&who).await?;
    Ok(Json(TwoFactorSetup { secret: setup.secret, otpauth_uri: setup.otpauth_uri }))
}

#[utoipa::path(get, path = "/api/v1/me/2fa/qr", summary = "The QR code of the secret being set up", tag = "me",
    responses((status = 200, content_type = "image/svg+xml", description = "a QR code of the otpauth URI"),
        (status = 409, body = ErrorBody, description = "no set-up pending")), security(("bearer" = [])))]
pub async fn two_factor_qr(State(s): State<AppState>, FullAuth(who): FullAuth) -> ApiResult<Response> {
    let uri = s.services.accounts.pending_two_factor_uri(&who).await?;
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| anyhow::anyhow!("QR code: {e}"))?;
    let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(220, 220).quiet_zone(true).build();
    let headers = [
        (header::CONTENT_TYPE, "image/svg+xml"),
        // It carries the secret: never cached, never a document that could run anything.
        (header::CACHE_CONTROL, "no-store"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; sandbox"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    Ok((headers, svg).into_response())
}

#[utoipa::path(post, path = "/api/v1/me/2fa/confirm", summary = "Turn two-factor sign-in on with a code", tag = "me", request_body = ConfirmTwoFactor,
    responses((status = 200, body = RecoveryCodes), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody, description = "invalid_code")), security(("bearer" = [])))]
pub async fn confirm_two_factor(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    ApiJson(req): ApiJson<ConfirmTwoFactor>,
) -> ApiResult<Json<RecoveryCodes>> {
    let recovery_codes = s.services.accounts.confirm_two_factor(&who, &req.code).await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

#[utoipa::path(delete, path = "/api/v1/me/2fa", summary = "Turn two-factor sign-in off", tag = "me", request_body = DisableTwoFactor,
    responses((status = 204), (status = 403, body = ErrorBody, description = "wrong password or code")), security(("bearer" = [])))]
pub async fn disable_two_factor(
    State(s): State<AppState>,
    FullAuth(who): FullAuth,
    ApiJson(req): ApiJson<DisableTwoFactor>,
) -> ApiResult<StatusCode> {
    s.services.accounts.disable_two_factor(&who, &req.password, &req.code).await?;
    Ok(StatusCode::NO_CONTENT)
}
