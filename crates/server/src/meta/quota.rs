//! The quota rule in SQL, in one place: what an owner holds is their files, their
//! files' earlier versions, their trash and their open uploads' reservations. When more
//! is asked for than fits, the oldest versions and then the oldest trash are purged to
//! make room (they are kept only while there is room); only then is the request refused.

use super::files::{Tx, lock_owner};
use super::sql::get_i64;
use crate::error::{Error, Result};

/// The condition that `$1` more bytes fit the owner's quota, for `UPDATE users … WHERE`.
const FITS: &str = "used_bytes + versions_bytes + trash_bytes + reserved_bytes + $1 <= quota_bytes";

/// By how much the owner would be over quota with `more` bytes (≤ 0: it fits).
async fn overshoot(tx: &mut Tx, owner: &str, more: i64) -> Result<i64> {
    let row = sqlx::query(
        "SELECT used_bytes + versions_bytes + trash_bytes + reserved_bytes - quota_bytes AS over FROM users \
         WHERE id = $1",
    )
    .bind(owner)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)?;
    Ok(get_i64(&row, "over")? + more)
}

/// Makes room for `more` bytes by purging the owner's oldest versions, then their
/// oldest trash; `QuotaExceeded` when even that is not enough (the caller's transaction
/// then rolls back, purges and all).
pub(super) async fn make_room(tx: &mut Tx, owner: &str, more: i64) -> Result<()> {
    if more <= 0 {
        return Ok(());
    }
    lock_owner(tx, owner).await?;
    loop {
        if overshoot(tx, owner, more).await? <= 0 {
            return Ok(());
        }
        if let Some(version) = super::versions::oldest_version(tx, owner).await? {
            super::versions::drop_version(tx, owner, &version).await?;
            continue;
        }
        if let Some(item) = super::trash::oldest_item(tx, owner).await? {
            super::trash::purge_item(tx, owner, &item).await?;
            continue;
        }
        return Err(Error::QuotaExceeded);
    }
}

/// Charges an owner's files and versions (`bytes` and `versions` may be negative) in
/// the caller's transaction; what grows must fit, after purging what may be purged.
pub(super) async fn charge(tx: &mut Tx, owner: &str, bytes: i64, files: i64, versions: i64) -> Result<()> {
    let sql = format!(
        "UPDATE users SET used_bytes = used_bytes + $2, file_count = file_count + $3, \
         versions_bytes = versions_bytes + $4 WHERE id = $5 AND ($1 <= 0 OR {FITS})"
    );
    let more = bytes + versions;
    // The common case is one statement; purging is tried only when it does not fit.
    for attempt in 0..2 {
        let charged = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(more)
            .bind(bytes)
            .bind(files)
            .bind(versions)
            .bind(owner)
            .execute(&mut **tx)
            .await?;
        if charged.rows_affected() == 1 {
            return Ok(());
        }
        if attempt == 0 {
            make_room(tx, owner, more).await?;
        }
    }
    Err(Error::QuotaExceeded)
}

/// Changes the quota held by the owner's open uploads by `delta` (tus sessions, S3
/// multipart parts); more must fit, after purging what may be purged.
pub(super) async fn reserve(tx: &mut Tx, owner: &str, delta: i64) -> Result<()> {
    let sql = format!("UPDATE users SET reserved_bytes = reserved_bytes + $1 WHERE id = $2 AND ($1 <= 0 OR {FITS})");
    for attempt in 0..2 {
        let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(delta).bind(owner).execute(&mut **tx).await?;
        if r.rows_affected() == 1 {
            return Ok(());
        }
        if attempt == 0 {
            make_room(tx, owner, delta).await?;
        }
    }
    Err(Error::QuotaExceeded)
}
