//! A small embedded migrator: the binary carries its schema, so a fresh data dir or an
//! empty PostgreSQL database is set up at start-up with nothing else installed.

use super::sql::Backend;
use anyhow::Context;
use sqlx::{AnyPool, AssertSqlSafe};

/// `(version, name, sql)` per backend, in order. Only the DDL differs between the two.
const SQLITE: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/sqlite/0001_init.sql")),
    (2, "car_size", include_str!("../../migrations/sqlite/0002_car_size.sql")),
    (3, "sharing", include_str!("../../migrations/sqlite/0003_sharing.sql")),
    (4, "usage_devices", include_str!("../../migrations/sqlite/0004_usage_devices.sql")),
    (5, "reset_avatars", include_str!("../../migrations/sqlite/0005_reset_avatars.sql")),
    (6, "user_storage", include_str!("../../migrations/sqlite/0006_user_storage.sql")),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/postgres/0001_init.sql")),
    (2, "car_size", include_str!("../../migrations/postgres/0002_car_size.sql")),
    (3, "sharing", include_str!("../../migrations/postgres/0003_sharing.sql")),
    (4, "usage_devices", include_str!("../../migrations/postgres/0004_usage_devices.sql")),
    (5, "reset_avatars", include_str!("../../migrations/postgres/0005_reset_avatars.sql")),
    (6, "user_storage", include_str!("../../migrations/postgres/0006_user_storage.sql")),
];

pub async fn run(pool: &AnyPool, backend: Backend) -> anyhow::Result<()> {
    let migrations = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    sqlx::query("CREATE TABLE IF NOT EXISTS nimbus_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)")
        .execute(pool)
        .await
        .context("creating the migrations table")?;
    for (version, name, sql) in migrations {
        let mut tx = pool.begin().await?;
        // On PostgreSQL, serialise concurrent start-ups of several instances.
        if backend == Backend::Postgres {
            sqlx::query("LOCK TABLE nimbus_migrations IN EXCLUSIVE MODE").execute(&mut *tx).await?;
        }
        let done: Option<i64> = sqlx::query_scalar("SELECT version FROM nimbus_migrations WHERE version = $1")
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            continue;
        }
        for statement in split_statements(sql) {
            sqlx::query(AssertSqlSafe(statement))
                .execute(&mut *tx)
                .await
                .with_context(|| format!("migration {version} {name}"))?;
        }
        sqlx::query("INSERT INTO nimbus_migrations (version, name) VALUES ($1, $2)")
            .bind(version)
            .bind(*name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied migration");
    }
    Ok(())
}

/// Splits a migration file on `;` at line ends, dropping comment-only chunks. Our
/// migrations keep to one statement per `;`-terminated block, with no `;` inside.
fn split_statements(sql: &str) -> Vec<String> {
    sql.split(";\n")
        .map(|s| s.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n"))
        .map(|s| s.trim().trim_end_matches(';').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}
