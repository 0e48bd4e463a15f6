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
    (8, "name_search", include_str!("../../migrations/sqlite/0008_name_search.sql")),
    (9, "upload_sessions", include_str!("../../migrations/sqlite/0009_upload_sessions.sql")),
    (10, "upload_leases", include_str!("../../migrations/sqlite/0010_upload_leases.sql")),
    (11, "webdav", include_str!("../../migrations/sqlite/0011_webdav.sql")),
    (12, "s3", include_str!("../../migrations/sqlite/0012_s3.sql")),
    (13, "damage", include_str!("../../migrations/sqlite/0013_damage.sql")),
    (14, "activity", include_str!("../../migrations/sqlite/0014_activity.sql")),
    (15, "thumbnails", include_str!("../../migrations/sqlite/0015_thumbnails.sql")),
    (16, "leaf_hashes", include_str!("../../migrations/sqlite/0016_leaf_hashes.sql")),
    (17, "invites", include_str!("../../migrations/sqlite/0017_invites.sql")),
    (18, "session_details", include_str!("../../migrations/sqlite/0018_session_details.sql")),
    (19, "two_factor", include_str!("../../migrations/sqlite/0019_two_factor.sql")),
    (20, "versions_trash", include_str!("../../migrations/sqlite/0020_versions_trash.sql")),
    (21, "trash_keeps_sharing", include_str!("../../migrations/sqlite/0021_trash_keeps_sharing.sql")),
    (22, "inline_contents", include_str!("../../migrations/sqlite/0022_inline_contents.sql")),
    (23, "content_job_indexes", include_str!("../../migrations/sqlite/0023_content_job_indexes.sql")),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/postgres/0001_init.sql")),
    (2, "car_size", include_str!("../../migrations/postgres/0002_car_size.sql")),
    (3, "sharing", include_str!("../../migrations/postgres/0003_sharing.sql")),
    (4, "usage_devices", include_str!("../../migrations/postgres/0004_usage_devices.sql")),
    (5, "reset_avatars", include_str!("../../migrations/postgres/0005_reset_avatars.sql")),
    (6, "user_storage", include_str!("../../migrations/postgres/0006_user_storage.sql")),
    (7, "folders", include_str!("../../migrations/postgres/0007_folders.sql")),
    (8, "name_search", include_str!("../../migrations/postgres/0008_name_search.sql")),
    (9, "upload_sessions", include_str!("../../migrations/postgres/0009_upload_sessions.sql")),
    (10, "upload_leases", include_str!("../../migrations/postgres/0010_upload_leases.sql")),
    (11, "webdav", include_str!("../../migrations/postgres/0011_webdav.sql")),
    (12, "s3", include_str!("../../migrations/postgres/0012_s3.sql")),
    (13, "damage", include_str!("../../migrations/postgres/0013_damage.sql")),
    (14, "activity", include_str!("../../migrations/postgres/0014_activity.sql")),
    (15, "thumbnails", include_str!("../../migrations/postgres/0015_thumbnails.sql")),
    (16, "leaf_hashes", include_str!("../../migrations/postgres/0016_leaf_hashes.sql")),
    (17, "invites", include_str!("../../migrations/postgres/0017_invites.sql")),
    (18, "session_details", include_str!("../../migrations/postgres/0018_session_details.sql")),
    (19, "two_factor", include_str!("../../migrations/postgres/0019_two_factor.sql")),
    (20, "versions_trash", include_str!("../../migrations/postgres/0020_versions_trash.sql")),
    (21, "trash_keeps_sharing", include_str!("../../migrations/postgres/0021_trash_keeps_sharing.sql")),
    (22, "inline_contents", include_str!("../../migrations/postgres/0022_inline_contents.sql")),
    (23, "content_job_indexes", include_str!("../../migrations/postgres/0023_content_job_indexes.sql")),
];

pub async fn run(pool: &AnyPool, backend: Backend) -> anyhow::Result<()> {
    run_to(pool, backend, i64::MAX).await
}

/// Applies the migrations up to and including `last` (tests start from old schemas).
async fn run_to(pool: &AnyPool, backend: Backend, last: i64) -> anyhow::Result<()> {
    let migrations = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    sqlx::query("CREATE TABLE IF NOT EXISTS nimbus_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)")
        .execute(pool)
        .await
        .context("creating the migrations table")?;
    for (version, name, sql) in migrations.iter().filter(|m| m.0 <= last) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Row;

    /// Data written before folders existed keeps every folder its paths implied.
    #[tokio::test]
    async fn files_of_an_older_schema_get_their_folders() {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
        run_to(&pool, Backend::Sqlite, 6).await.unwrap();
        for sql in [
            "INSERT INTO users (id, username, username_key, password_hash, quota_bytes, created_at) \
             VALUES ('u1', 'Alice', 'alice', 'x', 100, 1)",
            "INSERT INTO contents (id, store, sha256, size, blob_key, refcount, created_at) \
             VALUES ('c1', 'local', 'ab', 1, 'k', 3, 1)",
            "INSERT INTO files (id, owner_id, path, content_id, size, content_type, created_at, updated_at) \
             VALUES ('f1', 'u1', 'Pets/2024/Cat.jpg', 'c1', 1, 'image/jpeg', 5, 6)",
            "INSERT INTO files (id, owner_id, path, content_id, size, content_type, created_at, updated_at) \
             VALUES ('f2', 'u1', 'Pets/dog.jpg', 'c1', 1, 'image/jpeg', 5, 6)",
            "INSERT INTO files (id, owner_id, path, content_id, size, content_type, created_at, updated_at) \
             VALUES ('f3', 'u1', 'top.txt', 'c1', 1, 'text/plain', 5, 6)",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        run(&pool, Backend::Sqlite).await.unwrap();
        let folders: Vec<(String, String, String)> =
            sqlx::query("SELECT path, dir, name_key FROM folders WHERE owner_id = 'u1' ORDER BY path")
                .fetch_all(&pool)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect();
        let expect = |p: &str, d: &str, n: &str| (p.to_string(), d.to_string(), n.to_string());
        assert_eq!(folders, [expect("Pets", "", "pets"), expect("Pets/2024", "Pets", "2024")]);
        let row =
            sqlx::query("SELECT dir, name_key, modified_at FROM files WHERE id = 'f1'").fetch_one(&pool).await.unwrap();
        let (d, n, m): (String, String, i64) = (row.get(0), row.get(1), row.get(2));
        assert_eq!((d.as_str(), n.as_str(), m), ("Pets/2024", "cat.jpg", 6), "modified_at starts as updated_at");
        // Running again changes nothing.
        run(&pool, Backend::Sqlite).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM folders").fetch_one(&pool).await.unwrap();
        assert_eq!(n, 2);
    }
}
