//! `/api/v1/folders`: create, move or rename, and delete folders (with their contents).

use super::convert;
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, Auth, FsPath};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use nimbus_api::{CreateFolderRequest, ErrorBody, FolderEnvelope, MoveFolderRequest};

#[utoipa::path(post, path = "/api/v1/folders", tag = "folders", summary = "Create a folder", request_body = CreateFolderRequest,
    responses((status = 201, body = FolderEnvelope), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_folder(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(req): ApiJson<CreateFolderRequest>,
) -> ApiResult<(StatusCode, Json<FolderEnvelope>)> {
    let folder = s.services.files.make_folder(&who, &req.path).await?;
    Ok((StatusCode::CREATED, Json(FolderEnvelope { folder: convert::folder(&folder) })))
}

#[utoipa::path(get, path = "/api/v1/folders/{path}", tag = "folders", summary = "A folder's metadata", params(("path" = String, Path)),
    responses((status = 200, body = FolderEnvelope), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_folder(
    State(s): State<AppState>,
    Auth(who): Auth,
    FsPath(path): FsPath,
) -> ApiResult<Json<FolderEnvelope>> {
    let folder = s.services.files.folder(&who, &path).await?;
    Ok(Json(FolderEnvelope { folder: convert::folder(&folder) }))
}

#[utoipa::path(patch, path = "/api/v1/folders/{path}", tag = "folders", summary = "Rename or move a folder with everything in it",
    params(("path" = String, Path)), request_body = MoveFolderRequest,
    responses((status = 200, body = FolderEnvelope), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn move_folder(
    State(s): State<AppState>,
    Auth(who): Auth,
    FsPath(path): FsPath,
    ApiJson(req): ApiJson<MoveFolderRequest>,
) -> ApiResult<Json<FolderEnvelope>> {
    let folder = s.services.files.move_folder(&who, &path, &req.path).await?;
    Ok(Json(FolderEnvelope { folder: convert::folder(&folder) }))
}

#[utoipa::path(delete, path = "/api/v1/folders/{path}", tag = "folders", summary = "Delete a folder and everything in it",
    params(("path" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_folder(State(s): State<AppState>, Auth(who): Auth, FsPath(path): FsPath) -> ApiResult<StatusCode> {
    s.services.files.delete_folder(&who, &path).await?;
    Ok(StatusCode::NO_CONTENT)
}
