//! Shares, public links, messages and server secrets in SQL.

use super::files::{file_columns, file_from_row};
use super::sql::{SqlMetaStore, get_flag, get_i64, get_opt_str, get_str};
use super::users::{select_user, user_columns, user_from_row};
use super::{
    FileRecord, LinkRecord, MessageBox, MessageRecord, NewLink, NewMessage, ShareRecord, TimeCursor, UserRecord,
};
use crate::domain::Timestamp;
use crate::error::Result;
use sqlx::Row;
use sqlx::any::AnyRow;

fn opt_time(row: &AnyRow, col: &str) -> Result<Option<Timestamp>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(Timestamp))
}

fn share_from_row(row: &AnyRow) -> Result<ShareRecord> {
    Ok(ShareRecord {
        file_id: get_str(row, "file_id")?,
        user_id: get_str(row, "user_id")?,
        username: get_str(row, "username")?,
        created_at: Timestamp(get_i64(row, "created_at")?),
    })
}

fn link_from_row(row: &AnyRow) -> Result<LinkRecord> {
    Ok(LinkRecord {
        id: get_str(row, "id")?,
        file_id: get_str(row, "file_id")?,
        owner_id: get_str(row, "owner_id")?,
        password_hash: get_opt_str(row, "password_hash")?,
        expires_at: opt_time(row, "expires_at")?,
        max_downloads: row.try_get::<Option<i64>, _>("max_downloads")?,
        download_count: get_i64(row, "download_count")?,
        created_at: Timestamp(get_i64(row, "created_at")?),
    })
}

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
        read_at: opt_time(row, "read_at")?,
        hidden_for_sender: get_flag(row, "hidden_for_sender")?,
        hidden_for_recipient: get_flag(row, "hidden_for_recipient")?,
    })
}

const LINK_COLUMNS: &str =
    "id, file_id, owner_id, password_hash, expires_at, max_downloads, download_count, created_at";

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

impl SqlMetaStore {
    pub(super) async fn user_by_username_sql(&self, key: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(select_user!("WHERE u.username_key = $1")).bind(key).fetch_optional(&self.pool).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub(super) async fn share_file_sql(
        &self,
        file_id: &str,
        user_id: &str,
        now: Timestamp,
    ) -> Result<(ShareRecord, bool)> {
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO shares (file_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (file_id, user_id) DO NOTHING",
        )
        .bind(file_id)
        .bind(user_id)
        .bind(now.0)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        let row = sqlx::query(
            "SELECT s.file_id, s.user_id, u.username, s.created_at FROM shares s JOIN users u ON u.id = s.user_id \
             WHERE s.file_id = $1 AND s.user_id = $2",
        )
        .bind(file_id)
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((share_from_row(&row)?, inserted))
    }

    pub(super) async fn shares_of_file_sql(&self, file_id: &str) -> Result<Vec<ShareRecord>> {
        let rows = sqlx::query(
            "SELECT s.file_id, s.user_id, u.username, s.created_at FROM shares s JOIN users u ON u.id = s.user_id \
             WHERE s.file_id = $1 ORDER BY s.created_at, u.username",
        )
        .bind(file_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(share_from_row).collect()
    }

    pub(super) async fn unshare_file_sql(&self, file_id: &str, user_id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM shares WHERE file_id = $1 AND user_id = $2")
            .bind(file_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    pub(super) async fn is_shared_with_sql(&self, file_id: &str, user_id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT file_id FROM shares WHERE file_id = $1 AND user_id = $2")
            .bind(file_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    pub(super) async fn shared_with_sql(
        &self,
        user_id: &str,
        cursor: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Vec<(FileRecord, Timestamp)>> {
        // Ids are lowercase hex, so "~" sorts after every one of them.
        let (at, id) = cursor.cloned().unwrap_or((i64::MAX, "~".into()));
        let rows = sqlx::query(concat!(
            "SELECT ",
            file_columns!(),
            ", s.created_at AS shared_at FROM files f JOIN contents c ON c.id = f.content_id \
             JOIN users u ON u.id = f.owner_id JOIN shares s ON s.file_id = f.id \
             WHERE s.user_id = $1 AND (s.created_at < $2 OR (s.created_at = $2 AND f.id < $3)) \
             ORDER BY s.created_at DESC, f.id DESC LIMIT $4"
        ))
        .bind(user_id)
        .bind(at)
        .bind(&id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((file_from_row(r)?, Timestamp(get_i64(r, "shared_at")?)))).collect()
    }

    pub(super) async fn create_link_sql(&self, l: NewLink) -> Result<LinkRecord> {
        sqlx::query(
            "INSERT INTO links (id, token_hash, file_id, owner_id, password_hash, expires_at, max_downloads, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&l.id)
        .bind(&l.token_hash)
        .bind(&l.file_id)
        .bind(&l.owner_id)
        .bind(&l.password_hash)
        .bind(l.expires_at.map(|t| t.0))
        .bind(l.max_downloads)
        .bind(l.created_at.0)
        .execute(&self.pool)
        .await?;
        Ok(LinkRecord {
            id: l.id,
            file_id: l.file_id,
            owner_id: l.owner_id,
            password_hash: l.password_hash,
            expires_at: l.expires_at,
            max_downloads: l.max_downloads,
            download_count: 0,
            created_at: l.created_at,
        })
    }

    pub(super) async fn links_of_file_sql(&self, file_id: &str) -> Result<Vec<LinkRecord>> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM links WHERE file_id = $1 ORDER BY created_at, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(file_id).fetch_all(&self.pool).await?;
        rows.iter().map(link_from_row).collect()
    }

    pub(super) async fn link_where_sql(&self, column_is_id: bool, value: &str) -> Result<Option<LinkRecord>> {
        let column = if column_is_id { "id" } else { "token_hash" };
        let sql = format!("SELECT {LINK_COLUMNS} FROM links WHERE {column} = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(&self.pool).await?;
        row.as_ref().map(link_from_row).transpose()
    }

    pub(super) async fn delete_link_sql(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM links WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(r.rows_affected() > 0)
    }

    pub(super) async fn consume_link_download_sql(&self, id: &str, now: Timestamp) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE links SET download_count = download_count + 1 WHERE id = $1 \
             AND (max_downloads IS NULL OR download_count < max_downloads) \
             AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(id)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub(super) async fn send_message_sql(&self, m: NewMessage) -> Result<MessageRecord> {
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

    pub(super) async fn messages_sql(
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

    pub(super) async fn message_by_id_sql(&self, id: &str) -> Result<Option<MessageRecord>> {
        let row = sqlx::query(select_message!("WHERE m.id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(message_from_row).transpose()
    }

    pub(super) async fn mark_message_read_sql(&self, id: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE messages SET read_at = $1 WHERE id = $2 AND read_at IS NULL")
            .bind(now.0)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn hide_message_sql(&self, id: &str, for_sender: bool) -> Result<()> {
        let sql = if for_sender {
            "UPDATE messages SET hidden_for_sender = 1 WHERE id = $1"
        } else {
            "UPDATE messages SET hidden_for_recipient = 1 WHERE id = $1"
        };
        sqlx::query(sql).bind(id).execute(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn server_secret_sql(&self, name: &str, candidate: &str) -> Result<String> {
        sqlx::query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(candidate)
            .execute(&self.pool)
            .await?;
        let row =
            sqlx::query("SELECT value FROM server_secrets WHERE name = $1").bind(name).fetch_one(&self.pool).await?;
        get_str(&row, "value")
    }
}
