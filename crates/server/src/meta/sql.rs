//! `SqlMetaStore`: the `MetaStore` on sqlx's `Any` driver. Queries are written once in
//! portable SQL (`$n` placeholders, `RETURNING`, `ON CONFLICT`) and run on SQLite and
//! PostgreSQL alike; only the migrations differ.

use super::migrate;
use crate::error::{Error, Result};
use anyhow::Context;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct SqlMetaStore {
    pub(super) pool: AnyPool,
    pub(super) backend: Backend,
}

impl SqlMetaStore {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) and applies migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!("unsupported database URL scheme (use sqlite:// or postgres://)");
        };
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        options = match backend {
            // WAL lets readers run beside the one writer; the busy timeout makes writers
            // queue instead of failing when another holds the lock.
            Backend::Sqlite => options.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    use sqlx::Executor;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options.max_connections(16),
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_string(),
        };
        let pool = options.connect(&url).await.context("connecting to the metadata database")?;
        migrate::run(&pool, backend).await?;
        Ok(SqlMetaStore { pool, backend })
    }

    /// Starts a write transaction. SQLite takes the write lock up front (`BEGIN
    /// IMMEDIATE`), so a transaction never fails half-way upgrading a read lock.
    pub(super) async fn begin(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }
}

/// True if `e` is a unique-constraint violation (in either database).
pub(super) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// The violated constraint's name or message, to tell which unique column clashed.
pub(super) fn violation_text(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => format!("{} {}", d.constraint().unwrap_or(""), d.message()),
        _ => String::new(),
    }
}

pub(super) fn get_str(row: &AnyRow, col: &str) -> Result<String> {
    row.try_get::<String, _>(col).map_err(Error::from)
}

pub(super) fn get_opt_str(row: &AnyRow, col: &str) -> Result<Option<String>> {
    row.try_get::<Option<String>, _>(col).map_err(Error::from)
}

pub(super) fn get_i64(row: &AnyRow, col: &str) -> Result<i64> {
    row.try_get::<i64, _>(col).map_err(Error::from)
}

pub(super) fn get_flag(row: &AnyRow, col: &str) -> Result<bool> {
    Ok(get_i64(row, col)? != 0)
}

#[async_trait::async_trait]
impl super::MetaStore for SqlMetaStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
    async fn create_user(&self, user: super::NewUser) -> Result<super::UserRecord> {
        self.create_user_sql(user).await
    }
    async fn user_by_id(&self, id: &str) -> Result<Option<super::UserRecord>> {
        self.user_by_id_sql(id).await
    }
    async fn user_by_login(&self, key: &str) -> Result<Option<super::UserRecord>> {
        self.user_by_login_sql(key).await
    }
    async fn update_user(&self, id: &str, patch: super::UserPatch) -> Result<super::UserRecord> {
        self.update_user_sql(id, patch).await
    }
    async fn set_password(&self, user_id: &str, hash: &str, keep: Option<&str>) -> Result<()> {
        self.set_password_sql(user_id, hash, keep).await
    }
    async fn delete_user(&self, id: &str) -> Result<()> {
        self.delete_user_sql(id).await
    }
    async fn create_session(&self, s: &super::SessionRecord) -> Result<()> {
        self.create_session_sql(s).await
    }
    async fn session_by_token_hash(&self, h: &str) -> Result<Option<(super::SessionRecord, super::UserRecord)>> {
        self.session_by_token_hash_sql(h).await
    }
    async fn delete_session(&self, id: &str) -> Result<bool> {
        self.delete_session_sql(id).await
    }
    async fn purge_expired_sessions(&self, now: crate::domain::Timestamp) -> Result<u64> {
        self.purge_expired_sessions_sql(now).await
    }
    async fn commit_uploads(&self, owner: &str, ups: Vec<super::StagedUpload>) -> Result<Vec<super::CommittedUpload>> {
        self.commit_uploads_sql(owner, ups).await
    }
    async fn file_by_id(&self, id: &str) -> Result<Option<super::FileRecord>> {
        self.file_by_id_sql(id).await
    }
    async fn file_by_path(&self, owner: &str, path: &str) -> Result<Option<super::FileRecord>> {
        self.file_by_path_sql(owner, path).await
    }
    async fn list_files(
        &self,
        owner: &str,
        range: &crate::domain::PrefixRange,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<super::FileRecord>> {
        self.list_files_sql(owner, range, after, limit).await
    }
    async fn move_file(&self, owner: &str, id: &str, new_path: &str) -> Result<super::FileRecord> {
        self.move_file_sql(owner, id, new_path).await
    }
    async fn delete_file(&self, owner: &str, id: &str) -> Result<bool> {
        self.delete_file_sql(owner, id).await
    }
    async fn file_by_cid(&self, owner: &str, cid: &str) -> Result<Option<super::FileRecord>> {
        self.file_by_cid_sql(owner, cid).await
    }
    async fn contents_missing_car(&self, limit: u32) -> Result<Vec<super::CarJob>> {
        self.contents_missing_car_sql(limit).await
    }
    async fn set_car(&self, content_id: &str, car_cid: &str, car_size: i64) -> Result<()> {
        self.set_car_sql(content_id, car_cid, car_size).await
    }
    async fn user_by_username(&self, key: &str) -> Result<Option<super::UserRecord>> {
        self.user_by_username_sql(key).await
    }
    async fn share_file(
        &self,
        file_id: &str,
        user_id: &str,
        now: crate::domain::Timestamp,
    ) -> Result<(super::ShareRecord, bool)> {
        self.share_file_sql(file_id, user_id, now).await
    }
    async fn shares_of_file(&self, file_id: &str) -> Result<Vec<super::ShareRecord>> {
        self.shares_of_file_sql(file_id).await
    }
    async fn unshare_file(&self, file_id: &str, user_id: &str) -> Result<bool> {
        self.unshare_file_sql(file_id, user_id).await
    }
    async fn is_shared_with(&self, file_id: &str, user_id: &str) -> Result<bool> {
        self.is_shared_with_sql(file_id, user_id).await
    }
    async fn shared_with(
        &self,
        user_id: &str,
        cursor: Option<&super::TimeCursor>,
        limit: u32,
    ) -> Result<Vec<(super::FileRecord, crate::domain::Timestamp)>> {
        self.shared_with_sql(user_id, cursor, limit).await
    }
    async fn create_link(&self, link: super::NewLink) -> Result<super::LinkRecord> {
        self.create_link_sql(link).await
    }
    async fn links_of_file(&self, file_id: &str) -> Result<Vec<super::LinkRecord>> {
        self.links_of_file_sql(file_id).await
    }
    async fn link_by_id(&self, id: &str) -> Result<Option<super::LinkRecord>> {
        self.link_where_sql(true, id).await
    }
    async fn link_by_token_hash(&self, token_hash: &str) -> Result<Option<super::LinkRecord>> {
        self.link_where_sql(false, token_hash).await
    }
    async fn delete_link(&self, id: &str) -> Result<bool> {
        self.delete_link_sql(id).await
    }
    async fn consume_link_download(&self, id: &str, now: crate::domain::Timestamp) -> Result<bool> {
        self.consume_link_download_sql(id, now).await
    }
    async fn send_message(&self, message: super::NewMessage) -> Result<super::MessageRecord> {
        self.send_message_sql(message).await
    }
    async fn messages(
        &self,
        user_id: &str,
        mailbox: super::MessageBox,
        cursor: Option<&super::TimeCursor>,
        limit: u32,
    ) -> Result<Vec<super::MessageRecord>> {
        self.messages_sql(user_id, mailbox, cursor, limit).await
    }
    async fn message_by_id(&self, id: &str) -> Result<Option<super::MessageRecord>> {
        self.message_by_id_sql(id).await
    }
    async fn mark_message_read(&self, id: &str, now: crate::domain::Timestamp) -> Result<()> {
        self.mark_message_read_sql(id, now).await
    }
    async fn hide_message(&self, id: &str, for_sender: bool) -> Result<()> {
        self.hide_message_sql(id, for_sender).await
    }
    async fn add_usage(&self, user_id: &str, day: &str, up: i64, down: i64) -> Result<()> {
        self.add_usage_sql(user_id, day, up, down).await
    }
    async fn daily_usage(&self, user_id: &str, since_day: &str) -> Result<Vec<super::DailyUsage>> {
        self.daily_usage_sql(user_id, since_day).await
    }
    async fn add_active_seconds(&self, user_id: &str, seconds: i64) -> Result<()> {
        self.add_active_seconds_sql(user_id, seconds).await
    }
    async fn set_plan(&self, user_id: &str, quota_bytes: i64) -> Result<bool> {
        self.set_plan_sql(user_id, quota_bytes).await
    }
    async fn create_device(&self, device: super::NewDevice) -> Result<super::DeviceRecord> {
        self.create_device_sql(device).await
    }
    async fn devices(&self, user_id: &str) -> Result<Vec<super::DeviceRecord>> {
        self.devices_sql(user_id).await
    }
    async fn delete_device(&self, user_id: &str, id: &str) -> Result<bool> {
        self.delete_device_sql(user_id, id).await
    }
    async fn device_for_login(
        &self,
        username_key: &str,
        peer_id: &str,
    ) -> Result<Option<(super::UserRecord, super::DeviceRecord, String)>> {
        self.device_for_login_sql(username_key, peer_id).await
    }
    async fn touch_device(&self, id: &str, now: crate::domain::Timestamp) -> Result<()> {
        self.touch_device_sql(id, now).await
    }
    async fn list_users(&self, after_key: Option<&str>, limit: u32) -> Result<Vec<super::UserRecord>> {
        self.list_users_sql(after_key, limit).await
    }
    async fn admin_update_user(&self, id: &str, patch: super::AdminPatch) -> Result<super::UserRecord> {
        self.admin_update_user_sql(id, patch).await
    }
    async fn put_password_reset(
        &self,
        user_id: &str,
        code_hash: &str,
        expires_at: crate::domain::Timestamp,
    ) -> Result<()> {
        self.put_password_reset_sql(user_id, code_hash, expires_at).await
    }
    async fn take_reset_attempt(
        &self,
        user_id: &str,
        now: crate::domain::Timestamp,
    ) -> Result<Option<super::ResetRecord>> {
        self.take_reset_attempt_sql(user_id, now).await
    }
    async fn complete_password_reset(&self, user_id: &str, code_hash: &str, new_hash: &str) -> Result<bool> {
        self.complete_password_reset_sql(user_id, code_hash, new_hash).await
    }
    async fn set_avatar(
        &self,
        user_id: &str,
        content_type: &str,
        data: &[u8],
        now: crate::domain::Timestamp,
    ) -> Result<()> {
        self.set_avatar_sql(user_id, content_type, data, now).await
    }
    async fn delete_avatar(&self, user_id: &str) -> Result<()> {
        self.delete_avatar_sql(user_id).await
    }
    async fn avatar(&self, user_id: &str) -> Result<Option<super::AvatarRecord>> {
        self.avatar_sql(user_id).await
    }
    async fn user_storage(&self, user_id: &str) -> Result<Option<super::StorageRecord>> {
        self.storage_where_sql(true, user_id).await
    }
    async fn user_storage_by_id(&self, id: &str) -> Result<Option<super::StorageRecord>> {
        self.storage_where_sql(false, id).await
    }
    async fn set_user_storage(&self, storage: &super::StorageRecord) -> Result<()> {
        self.set_user_storage_sql(storage).await
    }
    async fn delete_user_storage(&self, user_id: &str) -> Result<bool> {
        self.delete_user_storage_sql(user_id).await
    }
    async fn store_in_use(&self, store: &str) -> Result<bool> {
        self.store_in_use_sql(store).await
    }
    async fn server_secret(&self, name: &str, candidate: &str) -> Result<String> {
        self.server_secret_sql(name, candidate).await
    }
    async fn unreferenced_contents(&self, limit: u32) -> Result<Vec<String>> {
        self.unreferenced_contents_sql(limit).await
    }
    async fn reclaim_content(&self, id: &str) -> Result<Option<super::ReclaimedBlob>> {
        self.reclaim_content_sql(id).await
    }
    async fn blob_key_in_use(&self, key: &str) -> Result<bool> {
        self.blob_key_in_use_sql(key).await
    }
}
