//! The OpenAPI document, generated from the handlers' annotations, and the page that
//! renders it (Swagger UI, embedded in the binary so it works offline).

use super::AppState;
use super::web;
use super::{ops, rest, tus};
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Nimbus", description = "Self-hosted multi-user cloud file store. The contract is docs/API.md in the repository."),
    paths(
        rest::register, rest::login, rest::logout,
        rest::get_me, rest::patch_me, rest::change_password, rest::delete_me,
        rest::list_sessions, rest::end_session, rest::end_other_sessions,
        rest::two_factor_status, rest::start_two_factor, rest::two_factor_qr, rest::confirm_two_factor, rest::disable_two_factor,
        rest::upload_files, rest::list_files, rest::get_file, rest::move_file, rest::copy_file, rest::delete_file, rest::download_file,
        rest::create_folder, rest::get_folder, rest::move_folder, rest::delete_folder,
        rest::list_versions, rest::download_version, rest::restore_version, rest::delete_version,
        rest::list_trash, rest::restore_trash, rest::purge_trash, rest::empty_trash,
        rest::put_fs, rest::get_fs, rest::head_fs, rest::delete_fs,
        rest::get_by_cid, rest::get_car, rest::get_thumbnail, rest::get_archive,
        rest::create_share, rest::list_shares, rest::delete_share, rest::list_shared,
        rest::create_link, rest::list_links, rest::delete_link, rest::link_content, web::link_page,
        rest::create_download_url, rest::signed_download,
        rest::send_message, rest::list_messages, rest::unread_count, rest::mark_read, rest::delete_message,
        rest::get_usage, rest::set_plan, rest::add_activity,
        rest::create_device, rest::list_devices, rest::delete_device, rest::device_login,
        rest::create_app_password, rest::list_app_passwords, rest::delete_app_password,
        rest::create_access_key, rest::list_access_keys, rest::delete_access_key,
        rest::admin_list_users, rest::admin_patch_user, rest::admin_create_invite,
        rest::request_password_reset, rest::confirm_password_reset,
        rest::put_avatar, rest::delete_avatar, rest::get_avatar, rest::search_users, rest::get_profile,
        rest::put_storage, rest::get_storage, rest::delete_storage,
        tus::options, tus::create, tus::head, tus::patch, tus::terminate, tus::status,
        ops::healthz, ops::readyz, ops::metrics,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `/api/v1/openapi.json` and the `/api/docs` page.
pub fn docs() -> Router<AppState> {
    Router::new()
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", ApiDoc::openapi()))
        .layer(axum::middleware::map_response(no_framing))
}

/// The API explorer is a page like any other: no other site may frame it (clickjacking).
async fn no_framing(mut resp: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let h = resp.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
    }
    resp
}
