//! Resumable upload sessions in SQL: creation with its quota reservation, the
//! conditional offset advance that makes appends race-free across instances, the finish
//! that commits the file exactly like any other upload, and expiry.

use super::files::{Tx, commit_in_tx, lock_owner};
use super::sql::{SqlMetaStore, from_row};
use super::{CommittedUpload, StagedUpload, UploadSessionRecord};
use crate::domain::Timestamp;
use crate::error::{Error, Result};
use async_trait::async_trait;

const COLUMNS: &str = "id, owner_id, path, mode, content_type, modified_at, length, upload_offset, reserved_bytes, \
                       store, metadata, file_id, created_at, updated_at, expires_at, store_state";

/// Resumable upload sessions.
#[async_trait]
pub trait UploadMeta {
    /// Stores a new session and reserves its `reserved_bytes` of the owner's quota, in
    /// one statement with the check (`QuotaExceeded` if it does not fit).
    async fn create_upload(&self, session: &UploadSessionRecord) -> Result<()>;
    async fn upload_by_id(&self, id: &str) -> Result<Option<UploadSessionRecord>>;
    /// Moves an unfinished session from offset `from` to `to` if it is still at `from`
    /// (and, given `lease`, still leased by it; false otherwise: another request got
    /// there first), recording the store's new `store_state`, reserving `more_reserved`
    /// bytes of quota and pushing its expiry to `expires_at`. The lease stays: the holder
    /// may go on to finish the session.
    async fn advance_upload(&self, advance: &UploadAdvance<'_>) -> Result<bool>;
    /// Takes (or renews) the lease `token` on an unfinished session until `until`,
    /// unless another token holds one that has not run out by `now`.
    async fn lease_upload(&self, id: &str, token: &str, now: Timestamp, until: Timestamp) -> Result<bool>;
    /// Ends lease `token` early (an append that failed); no-op if it is not held.
    async fn release_upload_lease(&self, id: &str, token: &str) -> Result<()>;
    /// Sets a deferred length once (false if it was already set), reserving the quota.
    async fn set_upload_length(&self, id: &str, length: i64, more_reserved: i64) -> Result<bool>;
    /// Commits the session's file like any upload (quota, dedup, folders), releases its
    /// reservation and marks it finished, in one transaction.
    async fn finish_upload(&self, id: &str, staged: StagedUpload) -> Result<CommittedUpload>;
    /// Removes a session and gives back the quota it held; `None` if there was none.
    async fn delete_upload(&self, id: &str) -> Result<Option<UploadSessionRecord>>;
    /// Sessions whose expiry passed before `now`.
    async fn expired_uploads(&self, now: Timestamp, limit: u32) -> Result<Vec<UploadSessionRecord>>;
}

/// One acknowledged append, as [`UploadMeta::advance_upload`] records it.
pub struct UploadAdvance<'a> {
    pub id: &'a str,
    pub from: i64,
    pub to: i64,
    pub more_reserved: i64,
    pub expires_at: Timestamp,
    pub store_state: Option<&'a str>,
    pub lease: Option<&'a str>,
}

/// Takes `bytes` more of the owner's quota for open sessions, if they fit.
async fn reserve(tx: &mut Tx, owner: &str, bytes: i64) -> Result<()> {
    if bytes <= 0 {
        return Ok(());
    }
    super::quota::reserve(tx, owner, bytes).await
}

async fn release(tx: &mut Tx, owner: &str, bytes: i64) -> Result<()> {
    sqlx::query("UPDATE users SET reserved_bytes = reserved_bytes - $1 WHERE id = $2")
        .bind(bytes)
        .bind(owner)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn session_in_tx(tx: &mut Tx, id: &str) -> Result<Option<UploadSessionRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM upload_sessions WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **tx).await?;
    row.as_ref().map(from_row).transpose()
}

#[async_trait]
impl UploadMeta for SqlMetaStore {
    async fn create_upload(&self, s: &UploadSessionRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        reserve(&mut tx, &s.owner_id, s.reserved_bytes).await?;
        let sql = format!(
            "INSERT INTO upload_sessions ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&s.id)
            .bind(&s.owner_id)
            .bind(&s.path)
            .bind(&s.mode)
            .bind(&s.content_type)
            .bind(s.modified_at.map(|t| t.0))
            .bind(s.length)
            .bind(s.upload_offset)
            .bind(s.reserved_bytes)
            .bind(&s.store)
            .bind(&s.metadata)
            .bind(&s.file_id)
            .bind(s.created_at.0)
            .bind(s.updated_at.0)
            .bind(s.expires_at.0)
            .bind(&s.store_state)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn upload_by_id(&self, id: &str) -> Result<Option<UploadSessionRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM upload_sessions WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row).transpose()
    }

    async fn advance_upload(&self, a: &UploadAdvance<'_>) -> Result<bool> {
        let mut tx = self.begin().await?;
        let Some(s) = session_in_tx(&mut tx, a.id).await? else { return Ok(false) };
        reserve(&mut tx, &s.owner_id, a.more_reserved).await?;
        // An append without a lease (a store only this process writes) finds none taken.
        let moved = sqlx::query(
            "UPDATE upload_sessions SET upload_offset = $1, reserved_bytes = reserved_bytes + $2, updated_at = $3, \
             expires_at = $4, store_state = $5 \
             WHERE id = $6 AND upload_offset = $7 AND file_id IS NULL AND COALESCE(lease_token, '') = $8",
        )
        .bind(a.to)
        .bind(a.more_reserved)
        .bind(Timestamp::now().0)
        .bind(a.expires_at.0)
        .bind(a.store_state)
        .bind(a.id)
        .bind(a.from)
        .bind(a.lease.unwrap_or(""))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if moved {
            tx.commit().await?;
        }
        Ok(moved)
    }

    async fn lease_upload(&self, id: &str, token: &str, now: Timestamp, until: Timestamp) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE upload_sessions SET lease_token = $1, lease_until = $2 WHERE id = $3 AND file_id IS NULL \
             AND (lease_token IS NULL OR lease_token = $1 OR lease_until < $4)",
        )
        .bind(token)
        .bind(until.0)
        .bind(id)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn release_upload_lease(&self, id: &str, token: &str) -> Result<()> {
        sqlx::query(
            "UPDATE upload_sessions SET lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2",
        )
        .bind(id)
        .bind(token)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn set_upload_length(&self, id: &str, length: i64, more_reserved: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let Some(s) = session_in_tx(&mut tx, id).await? else { return Ok(false) };
        reserve(&mut tx, &s.owner_id, more_reserved).await?;
        let set = sqlx::query(
            "UPDATE upload_sessions SET length = $1, reserved_bytes = reserved_bytes + $2 WHERE id = $3 AND length IS NULL",
        )
        .bind(length)
        .bind(more_reserved)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if set {
            tx.commit().await?;
        }
        Ok(set)
    }

    async fn finish_upload(&self, id: &str, staged: StagedUpload) -> Result<CommittedUpload> {
        let mut tx = self.begin().await?;
        let s = session_in_tx(&mut tx, id).await?.ok_or(Error::NotFound)?;
        if s.file_id.is_some() {
            return Err(Error::Conflict("this upload is already finished".into()));
        }
        lock_owner(&mut tx, &s.owner_id).await?;
        // The reservation becomes the charge: release it before the commit's quota check.
        release(&mut tx, &s.owner_id, s.reserved_bytes).await?;
        let mut committed = commit_in_tx(&mut tx, &s.owner_id, self.keep, vec![staged]).await?;
        let c = committed.pop().ok_or_else(|| Error::Internal(anyhow::anyhow!("commit returned no file")))?;
        sqlx::query("UPDATE upload_sessions SET file_id = $1, reserved_bytes = 0, updated_at = $2 WHERE id = $3")
            .bind(&c.file.id)
            .bind(Timestamp::now().0)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn delete_upload(&self, id: &str) -> Result<Option<UploadSessionRecord>> {
        let mut tx = self.begin().await?;
        let Some(s) = session_in_tx(&mut tx, id).await? else { return Ok(None) };
        sqlx::query("DELETE FROM upload_sessions WHERE id = $1").bind(id).execute(&mut *tx).await?;
        release(&mut tx, &s.owner_id, s.reserved_bytes).await?;
        tx.commit().await?;
        Ok(Some(s))
    }

    async fn expired_uploads(&self, now: Timestamp, limit: u32) -> Result<Vec<UploadSessionRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM upload_sessions WHERE expires_at < $1 LIMIT $2");
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now.0).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }
}
