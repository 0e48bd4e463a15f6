//! Content addressing: fetch by CID, and a file's CARv1 export.

use crate::error::Error;
use crate::http::AppState;
use crate::http::download::{self, content_disposition};
use crate::http::error::ApiResult;
use crate::http::extract::{Auth, Param};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use nimbus_api::{ErrorBody, Permission};

#[utoipa::path(get, path = "/api/v1/cid/{cid}", summary = "Download a file by its CID", tag = "content", params(("cid" = String, Path, description = "a CID in any base or version")),
    responses((status = 200, description = "the bytes, as a download"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_by_cid(
    State(s): State<AppState>,
    Auth(who): Auth,
    Param(cid): Param,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let file = s.services.files.by_cid(&who, &cid).await?;
    let permission = if file.owner_id == who.user.id { Permission::Owner } else { Permission::Read };
    let read = s.services.files.read(file, permission, &download::read_request(&headers, false), &who.user.id).await?;
    download::respond(read, false)
}

#[utoipa::path(get, path = "/api/v1/files/{id}/car", summary = "A file as a CARv1 archive", tag = "content", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/vnd.ipld.car", description = "CARv1 with the file's CID as its one root"),
        (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_car(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<Response> {
    let (file, _) = s.services.files.stat(&who, crate::services::FileRef::Id(&id)).await?;
    let body = s.services.files.car_stream(&file, &who.user.id).await?;
    let name = format!("{}.car", crate::domain::name_of(&file.path));
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, "application/vnd.ipld.car; version=1")
        .header(header::CONTENT_DISPOSITION, content_disposition("attachment", &name))
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // Once the export was hashed, its length and identity are known up front.
    if let (Some(car_cid), Some(len)) = (&file.car_cid, file.car_size) {
        builder = builder.header(header::ETAG, format!("\"{car_cid}\"")).header(header::CONTENT_LENGTH, len);
    }
    builder.body(Body::from_stream(body)).map_err(|e| Error::Internal(e.into()).into())
}
