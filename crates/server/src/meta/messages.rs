//! Messages in SQL, with the attachment shared in the same transaction.

use super::sql::{SqlMetaStore, get_flag, get_i64, get_opt_str, get_str};
use super::*;
use crate::domain::Timestamp;
use crate::error::Result;
use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

fn message_from_row(row: &AnyRow) -> Result<MessageRecord> {
    let file = match get_opt_str(row, "file_id")? {
        Some(id) => Some((id, get_str(row, "file_path")?, get_i64(row, "file_size")?)),
        None => None,
    };
    Ok(MessageRecord {
        id: get_str(row, "id")?,
        sender_id: get_str(row, "sender_id")?,
        sender_username: get_str(row, "sender_username")?,
        recipient_id: get_str(row, "recipient_id")?,
        recipient_username: get_str(row, "recipient_username")?,
        body: get_opt_str(row, "body")?,
        file,
        created_at: Timestamp(get_i64(row, "created_at")?),
        read_at: row.try_get::<Option<Timestamp>, _>("read_at")?,
        hidden_for_sender: get_flag(row, "hidden_for_sender")?,
        hidden_for_recipient: get_flag(row, "hidden_for_recipient")?,
    })
}

macro_rules! select_message {
    ($rest:literal) => {
        concat!(
            "SELECT m.id, m.sender_id, su.username AS sender_username, m.recipient_id, ru.username AS recipient_username, ",
            "m.body, m.file_id, f.path AS file_path, f.size AS file_size, m.created_at, m.read_at, ",
            "m.hidden_for_sender, m.hidden_for_recipient ",
            "FROM messages m JOIN users su ON su.id = m.sender_id JOIN users ru ON ru.id = m.recipient_id ",
            "LEFT JOIN files f ON f.id = m.file_id ",
            $rest
        )
    };
}

/// Messages between users.
#[async_trait]
pub trait MessageMeta {
    /// Stores a message and, if it carries a file, shares the file with the recipient,
    /// in one transaction.
    async fn send_message(&self, message: NewMessage) -> Result<MessageRecord>;
    async fn messages(
        &self,
        user_id: &str,
        mailbox: MessageBox,
        cursor: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Vec<MessageRecord>>;
    async fn message_by_id(&self, id: &str) -> Result<Option<MessageRecord>>;
    async fn mark_message_read(&self, id: &str, now: Timestamp) -> Result<()>;
    /// Unread messages in the user's inbox (not hidden by them).
    async fn unread_count(&self, user_id: &str) -> Result<i64>;
    async fn hide_message(&self, id: &str, for_sender: bool) -> Result<()>;
}

#[async_trait]
impl MessageMeta for SqlMetaStore {
    async fn send_message(&self, m: NewMessage) -> Result<MessageRecord> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO messages (id, sender_id, recipient_id, body, file_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&m.id)
        .bind(&m.sender_id)
        .bind(&m.recipient_id)
        .bind(&m.body)
        .bind(&m.file_id)
        .bind(m.created_at.0)
        .execute(&mut *tx)
        .await?;
        if let Some(file_id) = &m.file_id {
            sqlx::query(
                "INSERT INTO shares (file_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (file_id, user_id) DO NOTHING",
            )
            .bind(file_id)
            .bind(&m.recipient_id)
            .bind(m.created_at.0)
            .execute(&mut *tx)
            .await?;
        }
        let row = sqlx::query(select_message!("WHERE m.id = $1")).bind(&m.id).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        message_from_row(&row)
    }

    async fn messages(
        &self,
        user_id: &str,
        mailbox: MessageBox,
        cursor: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Vec<MessageRecord>> {
        let (at, id) = cursor.cloned().unwrap_or((i64::MAX, "~".into()));
        let query = match mailbox {
            MessageBox::Inbox => sqlx::query(select_message!(
                "WHERE m.recipient_id = $1 AND m.hidden_for_recipient = 0 \
                 AND (m.created_at < $2 OR (m.created_at = $2 AND m.id < $3)) \
                 ORDER BY m.created_at DESC, m.id DESC LIMIT $4"
            )),
            MessageBox::Sent => sqlx::query(select_message!(
                "WHERE m.sender_id = $1 AND m.hidden_for_sender = 0 \
                 AND (m.created_at < $2 OR (m.created_at = $2 AND m.id < $3)) \
                 ORDER BY m.created_at DESC, m.id DESC LIMIT $4"
            )),
        };
        let rows = query.bind(user_id).bind(at).bind(&id).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(message_from_row).collect()
    }

    async fn message_by_id(&self, id: &str) -> Result<Option<MessageRecord>> {
        let row = sqlx::query(select_message!("WHERE m.id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(message_from_row).transpose()
    }

    async fn unread_count(&self, user_id: &str) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM messages WHERE recipient_id = $1 AND hidden_for_recipient = 0 AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(sqlx::Row::try_get::<i64, _>(&row, "n")?)
    }

    async fn mark_message_read(&self, id: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE messages SET read_at = $1 WHERE id = $2 AND read_at IS NULL")
            .bind(now.0)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn hide_message(&self, id: &str, for_sender: bool) -> Result<()> {
        let sql = if for_sender {
            "UPDATE messages SET hidden_for_sender = 1 WHERE id = $1"
        } else {
            "UPDATE messages SET hidden_for_recipient = 1 WHERE id = $1"
        };
        sqlx::query(sql).bind(id).execute(&self.pool).await?;
        Ok(())
    }
}
