//! Messages between users, optionally carrying one of the sender's files (which is then
//! shared read-only with the recipient).

use super::paging::{Page, decode_time_cursor, page_limit, paginate, time_cursor_text};
use super::sharing::{ShareTarget, Sharing};
use super::{Files, Principal};
use crate::domain::{Timestamp, new_id};
use crate::error::{Error, Result};
use crate::meta::{MessageBox, MessageRecord, MetaStore, NewMessage};
use nimbus_api::SendMessageRequest;
use std::sync::Arc;

pub const MAX_TEXT_CHARS: usize = 10_000;

#[derive(Clone)]
pub struct Messages {
    meta: Arc<dyn MetaStore>,
    files: Files,
    sharing: Sharing,
}

pub type MessagePage = Page<MessageRecord>;

impl Messages {
    pub fn new(meta: Arc<dyn MetaStore>, files: Files, sharing: Sharing) -> Self {
        Messages { meta, files, sharing }
    }

    pub async fn send(&self, who: &Principal, req: SendMessageRequest) -> Result<MessageRecord> {
        let text = req.text.filter(|t| !t.trim().is_empty());
        if text.as_ref().is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS) {
            return Err(Error::invalid("text", format!("must be at most {MAX_TEXT_CHARS} characters")));
        }
        if text.is_none() && req.file_id.is_none() {
            return Err(Error::invalid("text", "a message needs text or a file"));
        }
        let recipient = self.sharing.find_user(ShareTarget::Username(&req.to)).await?;
        let file_id = match req.file_id.as_deref() {
            None => None,
            Some(id) => {
                // Only the sender's own files: one merely shared with them is not theirs
                // to pass on, and looks exactly like a file that does not exist.
                let file = match self.files.visible(who, id).await {
                    Ok((f, nimbus_api::Permission::Owner)) => f,
                    _ => return Err(Error::NotFound),
                };
                if recipient.id == who.user.id {
                    return Err(Error::CannotShareWithSelf);
                }
                Some(file.id)
            }
        };
        self.meta
            .send_message(NewMessage {
                id: new_id(),
                sender_id: who.user.id.clone(),
                recipient_id: recipient.id,
                body: text,
                file_id,
                created_at: Timestamp::now(),
            })
            .await
    }

    pub async fn list(
        &self,
        who: &Principal,
        mailbox: MessageBox,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<MessagePage> {
        let limit = page_limit(limit)?;
        let cursor = cursor.map(decode_time_cursor).transpose()?;
        let rows = self.meta.messages(&who.user.id, mailbox, cursor.as_ref(), limit + 1).await?;
        Ok(paginate(rows, limit, |m| time_cursor_text(m.created_at.0, &m.id)))
    }

    /// A message the caller sent or received and has not hidden.
    async fn visible(&self, who: &Principal, id: &str) -> Result<MessageRecord> {
        let m = self.meta.message_by_id(id).await?.ok_or(Error::NotFound)?;
        let as_sender = m.sender_id == who.user.id && !m.hidden_for_sender;
        let as_recipient = m.recipient_id == who.user.id && !m.hidden_for_recipient;
        if as_sender || as_recipient { Ok(m) } else { Err(Error::NotFound) }
    }

    /// How many messages in the caller's inbox are unread.
    pub async fn unread(&self, who: &Principal) -> Result<i64> {
        self.meta.unread_count(&who.user.id).await
    }

    pub async fn mark_read(&self, who: &Principal, id: &str) -> Result<()> {
        let m = self.visible(who, id).await?;
        if m.recipient_id != who.user.id {
            return Err(Error::Forbidden);
        }
        self.meta.mark_message_read(&m.id, Timestamp::now()).await
    }

    /// Hides the message from the caller's own listings only.
    pub async fn hide(&self, who: &Principal, id: &str) -> Result<()> {
        let m = self.visible(who, id).await?;
        // A message to oneself is hidden from both boxes.
        if m.sender_id == who.user.id {
            self.meta.hide_message(&m.id, true).await?;
        }
        if m.recipient_id == who.user.id {
            self.meta.hide_message(&m.id, false).await?;
        }
        Ok(())
    }
}
