//! `/api/v1/files/{id}/versions` and `/api/v1/trash`: a file's earlier versions and the
//! trash. Each handler makes one file-service call.

use super::convert;
use super::shares::PageQuery;
use crate::http::AppState;
use crate::http::download;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiQuery, Auth, Param};
use crate::meta::{TrashRecord, VersionRecord};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use nimbus_api::{ErrorBody, FileEnvelope, Page, Permission, RestoreRequest, TrashItem, TrashItemEnvelope, Version};

fn version_json(v: &VersionRecord) -> Version {
    Version {
        id: v.id.clone(),
        size: v.size.max(0) as u64,
        sha256: v.sha256.clone(),
        cid: v.cid.clone(),
        modified_at: v.modified_at.rfc3339(),
        created_at: v.created_at.rfc3339(),
    }
}

fn trash_json(t: &TrashRecord) -> TrashItem {
    TrashItem {
        id: t.id.clone(),
        kind: t.kind.clone(),
        path: t.path.clone(),
        size: t.size.max(0) as u64,
        file_count: t.file_count.max(0) as u64,
        deleted_at: t.deleted_at.rfc3339(),
    }
}

#[utoipa::path(get, path = "/api/v1/files/{id}/versions", summary = "A file's earlier versions, newest first", tag = "versions",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<Version>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_versions(
    State(s): State<AppState>,
    Auth(who): Auth,
    Param(id): Param,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Version>>> {
    let page = s.services.files.versions(&who, &id, q.limit, q.cursor.as_deref()).await?;
    Ok(Json(Page { items: page.items.iter().map(version_json).collect(), next_cursor: page.next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/files/{id}/versions/{version_id}/content", summary = "Download an earlier version", tag = "versions",
    params(("id" = String, Path), ("version_id" = String, Path)),
    responses((status = 200, description = "the bytes"), (status = 206, description = "a range"), (status = 304),
        (status = 404, body = ErrorBody), (status = 416, body = ErrorBody)), security(("bearer" = [])))]
pub async fn download_version(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path((id, version_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let read = s.services.files.open_version(&who, &id, &version_id, &download::read_request(&headers, false)).await?;
    download::respond(read, false)
}

#[utoipa::path(post, path = "/api/v1/files/{id}/versions/{version_id}/restore", summary = "Make an earlier version current", tag = "versions",
    params(("id" = String, Path), ("version_id" = String, Path)),
    responses((status = 200, body = FileEnvelope), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn restore_version(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path((id, version_id)): Path<(String, String)>,
) -> ApiResult<Json<FileEnvelope>> {
    let file = s.services.files.restore_version(&who, &id, &version_id).await?;
    Ok(Json(FileEnvelope { file: convert::file(&file, Permission::Owner) }))
}

#[utoipa::path(delete, path = "/api/v1/files/{id}/versions/{version_id}", summary = "Delete an earlier version for good", tag = "versions",
    params(("id" = String, Path), ("version_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_version(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path((id, version_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.services.files.delete_version(&who, &id, &version_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/trash", summary = "Your trash, newest first", tag = "trash", params(PageQuery),
    responses((status = 200, body = Page<TrashItem>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_trash(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<TrashItem>>> {
    let page = s.services.files.trash(&who, q.limit, q.cursor.as_deref()).await?;
    Ok(Json(Page { items: page.items.iter().map(trash_json).collect(), next_cursor: page.next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/trash/{id}/restore", summary = "Put a file or folder back", tag = "trash",
    params(("id" = String, Path)), request_body = RestoreRequest,
    responses((status = 200, body = TrashItemEnvelope), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn restore_trash(
    State(s): State<AppState>,
    Auth(who): Auth,
    Param(id): Param,
    ApiJson(body): ApiJson<RestoreRequest>,
) -> ApiResult<Json<TrashItemEnvelope>> {
    let item = s.services.files.restore_from_trash(&who, &id, body.path.as_deref()).await?;
    Ok(Json(TrashItemEnvelope { item: trash_json(&item) }))
}

#[utoipa::path(delete, path = "/api/v1/trash/{id}", summary = "Delete a trashed item for good", tag = "trash",
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn purge_trash(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<StatusCode> {
    s.services.files.purge_from_trash(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/trash", summary = "Empty your trash", tag = "trash",
    responses((status = 204)), security(("bearer" = [])))]
pub async fn empty_trash(State(s): State<AppState>, Auth(who): Auth) -> ApiResult<StatusCode> {
    s.services.files.empty_trash(&who).await?;
    Ok(StatusCode::NO_CONTENT)
}
