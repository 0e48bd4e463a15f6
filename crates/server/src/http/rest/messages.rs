//! `/api/v1/messages`.

use super::convert;
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiQuery, Auth, Param};
use crate::meta::MessageBox;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use nimbus_api::{ErrorBody, Message, MessageEnvelope, Page, SendMessageRequest};
use serde::Deserialize;
use utoipa::IntoParams;

#[utoipa::path(post, path = "/api/v1/messages", summary = "Send a message", tag = "messages", request_body = SendMessageRequest,
    responses((status = 201, body = MessageEnvelope), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn send_message(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(req): ApiJson<SendMessageRequest>,
) -> ApiResult<impl IntoResponse> {
    let m = s.services.messages.send(&who, req).await?;
    Ok((StatusCode::CREATED, Json(MessageEnvelope { message: convert::message(&m) })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BoxParam {
    Inbox,
    Sent,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// `inbox` (default) or `sent`.
    #[param(inline)]
    r#box: Option<BoxParam>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/messages", summary = "Your inbox or sent messages", tag = "messages", params(MessagesQuery),
    responses((status = 200, body = Page<Message>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_messages(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<MessagesQuery>,
) -> ApiResult<Json<Page<Message>>> {
    let mailbox = match q.r#box {
        Some(BoxParam::Sent) => MessageBox::Sent,
        _ => MessageBox::Inbox,
    };
    let page = s.services.messages.list(&who, mailbox, q.limit, q.cursor.as_deref()).await?;
    Ok(Json(Page { items: page.items.iter().map(convert::message).collect(), next_cursor: page.next_cursor }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UnreadCount {
    /// Unread messages in the inbox.
    count: i64,
}

#[utoipa::path(get, path = "/api/v1/messages/unread", summary = "How many inbox messages are unread", tag = "messages",
    responses((status = 200, body = UnreadCount)), security(("bearer" = [])))]
pub async fn unread_count(State(s): State<AppState>, Auth(who): Auth) -> ApiResult<Json<UnreadCount>> {
    Ok(Json(UnreadCount { count: s.services.messages.unread(&who).await? }))
}

#[utoipa::path(post, path = "/api/v1/messages/{id}/read", summary = "Mark a message read", tag = "messages", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn mark_read(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<StatusCode> {
    s.services.messages.mark_read(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/messages/{id}", summary = "Hide a message from your mailbox", tag = "messages", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_message(State(s): State<AppState>, Auth(who): Auth, Param(id): Param) -> ApiResult<StatusCode> {
    s.services.messages.hide(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
