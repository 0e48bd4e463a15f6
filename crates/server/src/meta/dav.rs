//! WebDAV state in SQL: locks (in the database, so a lock taken through one instance
//! holds on every other) and dead properties of files and folders.

use super::files::{Tx, lock_owner};
use super::sql::{SqlMetaStore, get_flag, get_opt_str, get_str};
use super::*;
use crate::domain::Timestamp;
use crate::error::Result;
use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

/// Whether a new lock may be taken, given the live locks of the same owner: the
/// conflicting lock if not. Decided by the caller's rules inside the transaction.
pub type LockConflict = fn(&[DavLockRecord], &DavLockRecord) -> Option<DavLockRecord>;

#[async_trait]
pub trait DavMeta {
    /// The owner's locks that have not expired at `now`.
    async fn dav_locks(&self, owner_id: &str, now: Timestamp) -> Result<Vec<DavLockRecord>>;
    /// Stores `lock` unless `conflict` finds one of the owner's live locks in its way
    /// (returned instead), atomically with respect to other lock requests of the owner.
    async fn create_dav_lock(
        &self,
        lock: &DavLockRecord,
        now: Timestamp,
        conflict: LockConflict,
    ) -> Result<Option<DavLockRecord>>;
    /// Sets a live lock's new timeout; `None` if the owner has no such live lock.
    async fn refresh_dav_lock(
        &self,
        owner_id: &str,
        token: &str,
        timeout_secs: Option<i64>,
        expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Option<DavLockRecord>>;
    async fn delete_dav_lock(&self, owner_id: &str, token: &str) -> Result<bool>;
    /// Removes the locks on `path` and below it (after a delete or a move).
    async fn delete_dav_locks_under(&self, owner_id: &str, path: &str) -> Result<()>;

    async fn dav_props(&self, owner_id: &str, item_id: &str) -> Result<Vec<DavPropRecord>>;
    /// Whether the owner has any dead property (most have none: then none is looked up).
    async fn has_dav_props(&self, owner_id: &str) -> Result<bool>;
    async fn set_dav_prop(&self, owner_id: &str, item_id: &str, prop: &DavPropRecord) -> Result<()>;
    async fn remove_dav_prop(&self, owner_id: &str, item_id: &str, namespace: &str, name: &str) -> Result<()>;
    /// Gives `to` the dead properties of `from` (a COPY).
    async fn copy_dav_props(&self, owner_id: &str, from: &str, to: &str) -> Result<()>;
}

const LOCK_COLUMNS: &str = "token, owner_id, path, principal, owner_xml, timeout_secs, expires_at, shared, deep";

fn lock_from_row(row: &AnyRow) -> Result<DavLockRecord> {
    Ok(DavLockRecord {
        token: get_str(row, "token")?,
        owner_id: get_str(row, "owner_id")?,
        path: get_str(row, "path")?,
        principal: get_opt_str(row, "principal")?,
        owner_xml: get_opt_str(row, "owner_xml")?,
        timeout_secs: row.try_get("timeout_secs")?,
        expires_at: row.try_get("expires_at")?,
        shared: get_flag(row, "shared")?,
        deep: get_flag(row, "deep")?,
    })
}

async fn live_locks(tx: &mut Tx, owner_id: &str, now: Timestamp) -> Result<Vec<DavLockRecord>> {
    let sql = format!(
        "SELECT {LOCK_COLUMNS} FROM dav_locks WHERE owner_id = $1 AND (expires_at IS NULL OR expires_at > $2) \
         ORDER BY path, token"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner_id).bind(now.0).fetch_all(&mut **tx).await?;
    rows.iter().map(lock_from_row).collect()
}

/// `path` and everything below it, as a LIKE pattern (the root: everything).
fn below(path: &str) -> String {
    let escaped = path.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("{escaped}/%")
}

#[async_trait]
impl DavMeta for SqlMetaStore {
    async fn dav_locks(&self, owner_id: &str, now: Timestamp) -> Result<Vec<DavLockRecord>> {
        let mut tx = self.begin().await?;
        let locks = live_locks(&mut tx, owner_id, now).await?;
        tx.commit().await?;
        Ok(locks)
    }

    async fn create_dav_lock(
        &self,
        lock: &DavLockRecord,
        now: Timestamp,
        conflict: LockConflict,
    ) -> Result<Option<DavLockRecord>> {
        let mut tx = self.begin().await?;
        // One lock request per owner at a time: the check and the insert are one step.
        lock_owner(&mut tx, &lock.owner_id).await?;
        sqlx::query("DELETE FROM dav_locks WHERE owner_id = $1 AND expires_at <= $2")
            .bind(&lock.owner_id)
            .bind(now.0)
            .execute(&mut *tx)
            .await?;
        let live = live_locks(&mut tx, &lock.owner_id, now).await?;
        if let Some(found) = conflict(&live, lock) {
            return Ok(Some(found));
        }
        let sql = format!("INSERT INTO dav_locks ({LOCK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&lock.token)
            .bind(&lock.owner_id)
            .bind(&lock.path)
            .bind(&lock.principal)
            .bind(&lock.owner_xml)
            .bind(lock.timeout_secs)
            .bind(lock.expires_at.map(|t| t.0))
            .bind(i64::from(lock.shared))
            .bind(i64::from(lock.deep))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(None)
    }

    async fn refresh_dav_lock(
        &self,
        owner_id: &str,
        token: &str,
        timeout_secs: Option<i64>,
        expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Option<DavLockRecord>> {
        let r = sqlx::query(
            "UPDATE dav_locks SET timeout_secs = $1, expires_at = $2 WHERE owner_id = $3 AND token = $4 \
             AND (expires_at IS NULL OR expires_at > $5)",
        )
        .bind(timeout_secs)
        .bind(expires_at.map(|t| t.0))
        .bind(owner_id)
        .bind(token)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        if r.rows_affected() == 0 {
            return Ok(None);
        }
        let sql = format!("SELECT {LOCK_COLUMNS} FROM dav_locks WHERE token = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token).fetch_optional(&self.pool).await?;
        row.as_ref().map(lock_from_row).transpose()
    }

    async fn delete_dav_lock(&self, owner_id: &str, token: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM dav_locks WHERE owner_id = $1 AND token = $2")
            .bind(owner_id)
            .bind(token)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn delete_dav_locks_under(&self, owner_id: &str, path: &str) -> Result<()> {
        let r = if path.is_empty() {
            sqlx::query("DELETE FROM dav_locks WHERE owner_id = $1").bind(owner_id).execute(&self.pool).await
        } else {
            sqlx::query("DELETE FROM dav_locks WHERE owner_id = $1 AND (path = $2 OR path LIKE $3 ESCAPE '\\')")
                .bind(owner_id)
                .bind(path)
                .bind(below(path))
                .execute(&self.pool)
                .await
        };
        r?;
        Ok(())
    }

    async fn dav_props(&self, owner_id: &str, item_id: &str) -> Result<Vec<DavPropRecord>> {
        let rows = sqlx::query(
            "SELECT namespace, name, prefix, xml FROM dav_props WHERE owner_id = $1 AND item_id = $2 \
             ORDER BY namespace, name",
        )
        .bind(owner_id)
        .bind(item_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DavPropRecord {
                    namespace: get_str(r, "namespace")?,
                    name: get_str(r, "name")?,
                    prefix: get_opt_str(r, "prefix")?,
                    xml: get_opt_str(r, "xml")?,
                })
            })
            .collect()
    }

    async fn has_dav_props(&self, owner_id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM dav_props WHERE owner_id = $1 LIMIT 1")
            .bind(owner_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn set_dav_prop(&self, owner_id: &str, item_id: &str, p: &DavPropRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO dav_props (owner_id, item_id, namespace, name, prefix, xml) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (owner_id, item_id, namespace, name) DO UPDATE SET prefix = excluded.prefix, xml = excluded.xml",
        )
        .bind(owner_id)
        .bind(item_id)
        .bind(&p.namespace)
        .bind(&p.name)
        .bind(&p.prefix)
        .bind(&p.xml)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn remove_dav_prop(&self, owner_id: &str, item_id: &str, namespace: &str, name: &str) -> Result<()> {
        sqlx::query("DELETE FROM dav_props WHERE owner_id = $1 AND item_id = $2 AND namespace = $3 AND name = $4")
            .bind(owner_id)
            .bind(item_id)
            .bind(namespace)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn copy_dav_props(&self, owner_id: &str, from: &str, to: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO dav_props (owner_id, item_id, namespace, name, prefix, xml) \
             SELECT owner_id, $3, namespace, name, prefix, xml FROM dav_props WHERE owner_id = $1 AND item_id = $2 \
             ON CONFLICT (owner_id, item_id, namespace, name) DO UPDATE SET prefix = excluded.prefix, xml = excluded.xml",
        )
        .bind(owner_id)
        .bind(from)
        .bind(to)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
