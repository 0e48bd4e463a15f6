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
    (7, "folders", include_str!("../../migrations/sqlite/0007_folders.sql")),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/postgres/0001_init.sql")),
    (2, "car_size", include_str!("../../migrations/postgres/0002_car_size.sql")),
    (3, "sharing", include_str!("../../migrations/postgres/0003_sharing.sql")),
    (4, "usage_devices", include_str!("../../migrations/postgres/0004_usage_devices.sql")),
    (5, "reset_avatars", include_str!("../../migrations/postgres/0005_reset_avatars.sql")),
    (6, "user_storage", include_str!("../../migrations/postgres/0006_user_storage.sql")),
    (7, "folders", include_str!("../../migrations/postgres/0007_folders.sql")),
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
        if *version == 7 {
            fill_folders(&mut tx).await.context("migration 7 folders: filling folders and names")?;
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

/// Migration 7's code step: each existing file gets its `dir` and `name_key`, and every
/// folder its paths imply becomes a row, so folders that existed only implicitly stay.
async fn fill_folders(tx: &mut sqlx::Transaction<'static, sqlx::Any>) -> anyhow::Result<()> {
    use crate::domain::{Timestamp, name_key, new_id, parent_of};
    use sqlx::Row;
    let rows = sqlx::query("SELECT id, owner_id, path FROM files").fetch_all(&mut **tx).await?;
    let mut folders = std::collections::BTreeSet::new();
    for row in &rows {
        let (id, owner, path): (String, String, String) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        sqlx::query("UPDATE files SET dir = $1, name_key = $2 WHERE id = $3")
            .bind(parent_of(&path))
            .bind(name_key(&path))
            .bind(&id)
            .execute(&mut **tx)
            .await?;
        for (i, _) in path.match_indices('/') {
            folders.insert((owner.clone(), path[..i].to_string()));
        }
    }
    let now = Timestamp::now().0;
    for (owner, path) in folders {
        sqlx::query(
            "INSERT INTO folders (id, owner_id, path, dir, name_key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(new_id())
        .bind(&owner)
        .bind(&path)
        .bind(parent_of(&path))
        .bind(name_key(&path))
        .bind(now)
        .execute(&mut **tx)
        .await?;
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
