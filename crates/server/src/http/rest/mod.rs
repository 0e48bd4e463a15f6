//! `/api/v1`: the REST routes of API.md, one module per area.

mod access_keys;
mod accounts;
mod admin;
mod app_passwords;
mod archive;
mod content;
pub(super) mod convert;
mod devices;
mod files;
mod folders;
mod fs;
mod links;
mod me;
mod messages;
mod part_headers;
mod profiles;
mod retention;
mod sessions;
mod shares;
mod thumbnails;
mod two_factor;
mod usage;
mod user_buckets;

pub use access_keys::*;
pub use accounts::*;
pub use admin::*;
pub use app_passwords::*;
pub use archive::*;
pub use content::*;
pub use devices::*;
pub use files::*;
pub use folders::*;
pub use fs::*;
pub use links::*;
pub use me::*;
pub use messages::*;
pub use profiles::*;
pub use retention::*;
pub use sessions::*;
pub use shares::*;
pub use thumbnails::*;
pub use two_factor::*;
pub use usage::*;
pub use user_buckets::*;

use super::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/register", post(register))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/me", get(get_me).patch(patch_me).delete(delete_me))
        .route("/api/v1/me/password", put(change_password))
        .route("/api/v1/me/sessions", get(list_sessions).delete(end_other_sessions))
        .route("/api/v1/me/sessions/{id}", delete(end_session))
        .route("/api/v1/me/2fa", get(two_factor_status).post(start_two_factor).delete(disable_two_factor))
        .route("/api/v1/me/2fa/confirm", post(confirm_two_factor))
        .route("/api/v1/me/2fa/qr", get(two_factor_qr))
        // Uploads stream and enforce their own size limit.
        .route("/api/v1/files", get(list_files).post(upload_files).layer(DefaultBodyLimit::disable()))
        .route("/api/v1/files/{id}", get(get_file).patch(move_file).delete(delete_file))
        .route("/api/v1/files/{id}/content", get(download_file))
        .route("/api/v1/files/{id}/copy", post(copy_file))
        .route("/api/v1/files/{id}/versions", get(list_versions))
        .route("/api/v1/files/{id}/versions/{version_id}", delete(delete_version))
        .route("/api/v1/files/{id}/versions/{version_id}/content", get(download_version))
        .route("/api/v1/files/{id}/versions/{version_id}/restore", post(restore_version))
        .route("/api/v1/trash", get(list_trash).delete(empty_trash))
        .route("/api/v1/trash/{id}", delete(purge_trash))
        .route("/api/v1/trash/{id}/restore", post(restore_trash))
        .route("/api/v1/folders", post(create_folder))
        .route("/api/v1/folders/{*path}", get(get_folder).patch(move_folder).delete(delete_folder))
        .route("/api/v1/files/{id}/car", get(get_car))
        .route("/api/v1/files/{id}/thumbnail", get(get_thumbnail))
        .route("/api/v1/archive", get(get_archive))
        .route("/api/v1/cid/{cid}", get(get_by_cid))
        .route("/api/v1/files/{id}/shares", get(list_shares).post(create_share))
        .route("/api/v1/files/{id}/shares/{user_id}", delete(delete_share))
        .route("/api/v1/shared", get(list_shared))
        .route("/api/v1/files/{id}/links", get(list_links).post(create_link))
        .route("/api/v1/links/{id}", delete(delete_link))
        .route("/api/v1/files/{id}/download-url", post(create_download_url))
        .route("/api/v1/signed/{token}", get(signed_download))
        .route("/s/{token}", get(crate::http::web::link_page))
        .route("/s/{token}/content", get(link_content))
        .route("/api/v1/messages", get(list_messages).post(send_message))
        .route("/api/v1/messages/unread", get(unread_count))
        .route("/api/v1/messages/{id}/read", post(mark_read))
        .route("/api/v1/messages/{id}", delete(delete_message))
        .route("/api/v1/me/usage", get(get_usage))
        .route("/api/v1/me/plan", put(set_plan))
        .route("/api/v1/me/activity", post(add_activity))
        .route("/api/v1/me/app-passwords", get(list_app_passwords).post(create_app_password))
        .route("/api/v1/me/access-keys", get(list_access_keys).post(create_access_key))
        .route("/api/v1/me/access-keys/{id}", delete(delete_access_key))
        .route("/api/v1/me/app-passwords/{id}", delete(delete_app_password))
        .route("/api/v1/me/devices", get(list_devices).post(create_device))
        .route("/api/v1/me/devices/{id}", delete(delete_device))
        .route("/api/v1/auth/device", post(device_login))
        .route("/api/v1/auth/password-reset", post(request_password_reset))
        .route("/api/v1/auth/password-reset/confirm", post(confirm_password_reset))
        .route("/api/v1/me/avatar", put(put_avatar).delete(delete_avatar))
        // One parameter name at this position: `{user}` is an id before /avatar, a username alone.
        .route("/api/v1/users/{user}/avatar", get(get_avatar))
        .route("/api/v1/users", get(search_users))
        .route("/api/v1/users/{user}", get(get_profile))
        .route("/api/v1/me/storage", get(get_storage).put(put_storage).delete(delete_storage))
        .route("/api/v1/admin/users", get(admin_list_users))
        .route("/api/v1/admin/invites", post(admin_create_invite))
        .route("/api/v1/admin/users/{id}", axum::routing::patch(admin_patch_user))
        .route(
            "/api/v1/fs/{*path}",
            get(get_fs).head(head_fs).put(put_fs).delete(delete_fs).layer(DefaultBodyLimit::disable()),
        )
}
