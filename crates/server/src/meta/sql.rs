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
    /// What is kept of replaced and deleted files.
    pub(super) keep: super::Retention,
    /// On SQLite, where upload commits are grouped (see `group_commit`).
    pub(super) grouped: Option<super::group_commit::GroupCommitter>,
}

/// When the database last said it was out of space (Unix seconds; 0: never).
static OUT_OF_SPACE_AT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Records that the database just reported a full disk.
pub fn note_out_of_space() {
    OUT_OF_SPACE_AT.store(crate::domain::Timestamp::now().unix_secs(), std::sync::atomic::Ordering::Relaxed);
}

/// Whether the database reported a full disk in the last minute.
fn out_of_space_lately() -> bool {
    let at = OUT_OF_SPACE_AT.load(std::sync::atomic::Ordering::Relaxed);
    at > 0 && crate::domain::Timestamp::now().unix_secs() - at < 60
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
            Backend::Sqlite => options
                .max_connections(8)
                .after_release(|conn, _| {
                    Box::pin(async move {
                        if !out_of_space_lately() {
                            return Ok(true);
                        }
                        // A COMMIT that failed with SQLITE_FULL can leave the connection
                        // believing it is still inside a transaction (SQLite had already
                        // rolled back, so sqlx's own rollback fails and its depth stays at
                        // one): every later BEGIN on it would fail. While the disk has been
                        // full lately, a connection coming back is checked and, if stuck,
                        // closed instead of pooled.
                        use sqlx::Connection;
                        match conn.begin_with("BEGIN").await {
                            Ok(tx) => Ok(tx.rollback().await.is_ok()),
                            Err(_) => Ok(false),
                        }
                    })
                })
                .after_connect(|conn, _| {
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
        let pool = options
            .connect(&url)
            .await
            .with_context(|| format!("connecting to the metadata database {}", crate::config::redact_url(&url)))?;
        migrate::run(&pool, backend).await?;
        let grouped = (backend == Backend::Sqlite).then(|| super::group_commit::GroupCommitter::start(pool.clone()));
        Ok(SqlMetaStore { pool, backend, keep: super::Retention::default(), grouped })
    }

    /// Starts a write transaction. SQLite takes the write lock up front (`BEGIN
    /// IMMEDIATE`), so a transaction never fails half-way upgrading a read lock.
    pub(super) async fn begin(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Sets what is kept of replaced and deleted files (default: 50 versions a file, and
    /// a trash).
    pub fn with_retention(mut self, keep: super::Retention) -> Self {
        self.keep = keep;
        self
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

/// Reads a row into a record that derives `sqlx::FromRow` (column names = field names).
pub(super) fn from_row<T: for<'r> sqlx::FromRow<'r, AnyRow>>(row: &AnyRow) -> Result<T> {
    Ok(T::from_row(row)?)
}

/// Times are stored as BIGINT microseconds, so a `Timestamp` reads as an `i64`.
impl sqlx::Type<Any> for crate::domain::Timestamp {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<Any>>::type_info()
    }
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Any> for crate::domain::Timestamp {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(crate::domain::Timestamp(<i64 as sqlx::Decode<'r, Any>>::decode(value)?))
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
}
