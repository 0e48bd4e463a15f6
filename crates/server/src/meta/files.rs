//! Files and folders in SQL: the upload commit, copies, listings (flat, one level, by
//! name), moves and deletes. A path is a file's or a folder's, never both; every folder
//! above a file or folder exists as a row.

use super::sql::{Backend, SqlMetaStore, from_row, get_i64, get_str, is_unique_violation};
use super::{
    CommittedUpload, DirCursor, Entry, FileRecord, FolderRecord, NewAttributes, ObjectAttributes, Retention,
    StagedUpload, WriteMode,
};
use crate::domain::{FilePath, PrefixRange, Timestamp, name_key, new_id, parent_of};
use crate::error::{Error, Result};
use async_trait::async_trait;
use sqlx::{Any, Row, Transaction};

/// Files and folders of one owner's namespace.
#[async_trait]
pub trait FileMeta {
    /// Commits a batch of staged uploads in one transaction: content references, file
    /// rows, missing parent folders, and the owner's usage (checked against the quota).
    /// All or nothing.
    async fn commit_uploads(&self, owner_id: &str, uploads: Vec<StagedUpload>) -> Result<Vec<CommittedUpload>>;
    /// A new file at `to` (or, with `overwrite`, the file there replaced) referencing the
    /// same content as the owner's file `id`: no bytes move, the owner is charged. The
    /// copy keeps the source's content type and S3 attributes unless `replace` gives new
    /// ones; a copy onto itself with `replace` changes only those.
    async fn copy_file(
        &self,
        owner_id: &str,
        id: &str,
        to: &FilePath,
        overwrite: bool,
        replace: Option<&NewAttributes>,
    ) -> Result<CommittedUpload>;
    async fn file_by_id(&self, id: &str) -> Result<Option<FileRecord>>;
    async fn file_by_path(&self, owner_id: &str, path: &str) -> Result<Option<FileRecord>>;
    /// One of the owner's files whose content has this CID (v1, base32), else one
    /// shared with them.
    async fn file_by_cid(&self, owner_id: &str, cid: &str) -> Result<Option<FileRecord>>;
    /// The owner's files with `lo <= path < hi` and `path > after`, by path, at any depth.
    async fn list_files(
        &self,
        owner_id: &str,
        range: &PrefixRange,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<FileRecord>>;
    /// The folders, then the files, directly in folder `dir` whose paths lie in `range`.
    async fn list_dir(
        &self,
        owner_id: &str,
        dir: &str,
        range: &PrefixRange,
        after: Option<&DirCursor>,
        limit: u32,
    ) -> Result<Vec<Entry>>;
    /// The owner's folders with nothing in them whose `path + '/'` lies in `range` and
    /// comes after `after`, in that order (S3 lists them as `dir/` keys).
    async fn list_empty_folders(
        &self,
        owner_id: &str,
        range: &PrefixRange,
        after: &str,
        limit: u32,
    ) -> Result<Vec<FolderRecord>>;
    /// Folders and files whose lower-cased name contains `needle_key`, by path.
    async fn search(&self, owner_id: &str, needle_key: &str, after: Option<&str>, limit: u32) -> Result<Vec<Entry>>;
    /// Moves a file; `PathExists` if a file or folder has the new path.
    async fn move_file(&self, owner_id: &str, id: &str, to: &FilePath) -> Result<FileRecord>;
    /// Deletes the owner's file; returns false when there was none.
    async fn delete_file(&self, owner_id: &str, id: &str) -> Result<bool>;
    async fn folder_by_path(&self, owner_id: &str, path: &str) -> Result<Option<FolderRecord>>;
    /// Creates a folder and any missing folders above it; `PathExists` if taken.
    async fn create_folder(&self, owner_id: &str, path: &FilePath) -> Result<FolderRecord>;
    /// Moves a folder and everything below it in one transaction.
    async fn move_folder(&self, owner_id: &str, from: &FilePath, to: &FilePath) -> Result<FolderRecord>;
    /// Deletes a folder and everything below it; false when there was none.
    async fn delete_folder(&self, owner_id: &str, path: &FilePath) -> Result<bool>;
}

/// The file columns every file query selects, so [`from_row::<FileRecord>`] can read them.
macro_rules! file_columns {
    () => {
        "f.id, f.owner_id, u.username AS owner_username, f.path, f.size, f.content_type, \
         c.sha256, c.cid, c.car_cid, c.car_size, f.content_id, c.store, c.blob_key, f.created_at, f.updated_at, \
         f.modified_at, c.md5, f.s3_etag, f.user_metadata, c.damaged_at"
    };
}
pub(super) use file_columns;

macro_rules! select_file {
    ($rest:literal) => {
        concat!(
            "SELECT ",
            file_columns!(),
            " FROM files f JOIN contents c ON c.id = f.content_id JOIN users u ON u.id = f.owner_id ",
            $rest
        )
    };
}

/// `select_file!` with the bytes of an inline content, for single-file lookups (never
/// listings, where they would be read for every row).
macro_rules! select_file_with_inline_bytes {
    ($rest:literal) => {
        concat!(
            "SELECT ",
            file_columns!(),
            ", c.inline_data FROM files f JOIN contents c ON c.id = f.content_id JOIN users u ON u.id = f.owner_id ",
            $rest
        )
    };
}

/// `select_file!` for listings in path order: `CROSS JOIN` makes SQLite read `files`
/// first, through its path index, so `LIMIT` stops after a page. With statistics
/// (STAT4) SQLite otherwise may start from `users` and sort the whole folder (a
/// 100,000-file folder's first page took 150 ms instead of 1 ms). PostgreSQL plans
/// `CROSS JOIN … WHERE` like the inner join it is.
macro_rules! select_file_in_path_order {
    ($conditions:literal) => {
        concat!(
            "SELECT ",
            file_columns!(),
            " FROM files f CROSS JOIN contents c CROSS JOIN users u WHERE c.id = f.content_id AND u.id = f.owner_id AND ",
            $conditions
        )
    };
}

const FOLDER_COLUMNS: &str = "id, owner_id, path, created_at, updated_at";

/// The files directly in one folder, in path order, after a cursor.
const LIST_DIR_FILES: &str = select_file_in_path_order!(
    "f.owner_id = $1 AND f.dir = $2 AND f.path >= $3 AND f.path < $4 AND f.path > $5 ORDER BY f.path LIMIT $6"
);

/// The folder columns for queries that name the folders table `d`.
const FOLDER_COLUMNS_D: &str = "d.id, d.owner_id, d.path, d.created_at, d.updated_at";

pub(super) type Tx = Transaction<'static, Any>;

/// Serialises one owner's structural changes. SQLite's `BEGIN IMMEDIATE` already holds
/// the only write lock; on PostgreSQL this row lock keeps two concurrent transactions
/// from, say, creating a file `a` and a folder `a/b` at once.
pub(super) async fn lock_owner(tx: &mut Tx, owner: &str) -> Result<()> {
    sqlx::query("UPDATE users SET used_bytes = used_bytes WHERE id = $1").bind(owner).execute(&mut **tx).await?;
    Ok(())
}

/// The existing file at a path, as far as a write needs to know it.
pub(super) struct Existing {
    id: String,
    content_id: String,
    size: i64,
    sha256: String,
}

pub(super) async fn file_at(tx: &mut Tx, owner: &str, path: &str) -> Result<Option<Existing>> {
    let row = sqlx::query(
        "SELECT f.id, f.content_id, f.size, c.sha256 FROM files f JOIN contents c ON c.id = f.content_id \
         WHERE f.owner_id = $1 AND f.path = $2",
    )
    .bind(owner)
    .bind(path)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok(Existing {
            id: get_str(&r, "id")?,
            content_id: get_str(&r, "content_id")?,
            size: get_i64(&r, "size")?,
            sha256: get_str(&r, "sha256")?,
        })
    })
    .transpose()
}

pub(super) async fn folder_exists(tx: &mut Tx, owner: &str, path: &str) -> Result<bool> {
    let row = sqlx::query("SELECT id FROM folders WHERE owner_id = $1 AND path = $2")
        .bind(owner)
        .bind(path)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.is_some())
}

/// Creates every missing folder above `path`; `PathExists` where a file stands in the way.
pub(super) async fn ensure_parents(tx: &mut Tx, owner: &str, path: &FilePath, now: Timestamp) -> Result<()> {
    for folder in path.ancestors() {
        insert_folder(tx, owner, folder, now, true).await?;
    }
    Ok(())
}

/// Inserts one folder; with `existing_ok` an existing folder is fine. `PathExists` when a
/// file has that path (or, without `existing_ok`, a folder does).
pub(super) async fn insert_folder(
    tx: &mut Tx,
    owner: &str,
    path: &str,
    now: Timestamp,
    existing_ok: bool,
) -> Result<bool> {
    if file_at(tx, owner, path).await?.is_some() {
        return Err(Error::PathExists);
    }
    let inserted = sqlx::query(
        "INSERT INTO folders (id, owner_id, path, dir, name_key, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (owner_id, path) DO NOTHING",
    )
    .bind(new_id())
    .bind(owner)
    .bind(path)
    .bind(parent_of(path))
    .bind(name_key(path))
    .bind(now.0)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if !inserted && !existing_ok {
        return Err(Error::PathExists);
    }
    Ok(inserted)
}

pub(super) async fn release_content(tx: &mut Tx, content_id: &str) -> Result<()> {
    sqlx::query("UPDATE contents SET refcount = refcount - 1 WHERE id = $1")
        .bind(content_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The first free `name (n).ext` for `path` (free of files and folders).
async fn free_numbered_path(tx: &mut Tx, owner: &str, path: &FilePath) -> Result<FilePath> {
    for n in 1..=10_000 {
        let candidate = path.numbered(n)?;
        if file_at(tx, owner, candidate.as_str()).await?.is_none()
            && !folder_exists(tx, owner, candidate.as_str()).await?
        {
            return Ok(candidate);
        }
    }
    Err(Error::PathExists)
}

/// A file's content and attributes, about to be given a path.
struct Placement<'a> {
    path: &'a FilePath,
    mode: &'a WriteMode,
    content_id: &'a str,
    size: i64,
    content_type: &'a str,
    modified_at: Timestamp,
    attributes: &'a ObjectAttributes,
}

/// What placing a file changed.
struct Placed {
    file_id: String,
    created: bool,
    usage_delta: i64,
    count_delta: i64,
    /// Bytes that became versions.
    versions_delta: i64,
}

/// Gives content (already referenced by the caller) a path in the owner's namespace,
/// following the write mode; the one rule for uploads and copies alike. A replaced
/// file's previous content is kept as a version (unless it is the same content).
async fn place_file(tx: &mut Tx, owner: &str, now: Timestamp, keep: Retention, p: Placement<'_>) -> Result<Placed> {
    if folder_exists(tx, owner, p.path.as_str()).await? && *p.mode != WriteMode::Rename {
        return Err(Error::PathExists);
    }
    let existing = file_at(tx, owner, p.path.as_str()).await?;
    match (p.mode, existing) {
        (WriteMode::IfMatch(_), None) => Err(Error::PreconditionFailed),
        (WriteMode::IfMatch(expected), Some(ex)) if &ex.sha256 != expected => Err(Error::PreconditionFailed),
        (WriteMode::CreateOnly, Some(_)) => Err(Error::PreconditionFailed),
        (WriteMode::Fail, Some(_)) => Err(Error::PathExists),
        (WriteMode::Overwrite | WriteMode::IfMatch(_), Some(ex)) => {
            // The old content's reference passes to a version, or is released.
            let archived = if ex.content_id != p.content_id && keep.versions_per_file > 0 {
                super::versions::archive_current(tx, &ex.id, now).await?
            } else {
                release_content(tx, &ex.content_id).await?;
                0
            };
            sqlx::query(
                "UPDATE files SET content_id = $1, size = $2, content_type = $3, updated_at = $4, modified_at = $5, \
                 s3_etag = $6, user_metadata = $7 WHERE id = $8",
            )
            .bind(p.content_id)
            .bind(p.size)
            .bind(p.content_type)
            .bind(now.0)
            .bind(p.modified_at.0)
            .bind(&p.attributes.s3_etag)
            .bind(&p.attributes.user_metadata)
            .bind(&ex.id)
            .execute(&mut **tx)
            .await?;
            // Past the per-file limit the oldest go (their bytes come off the owner at
            // once; the charge adds what was just archived).
            super::versions::trim_versions(tx, owner, &ex.id, keep.versions_per_file).await?;
            Ok(Placed {
                file_id: ex.id,
                created: false,
                usage_delta: p.size - ex.size,
                count_delta: 0,
                versions_delta: archived,
            })
        }
        (mode, existing) => {
            let taken = existing.is_some() || folder_exists(tx, owner, p.path.as_str()).await?;
            let path = if *mode == WriteMode::Rename && taken {
                free_numbered_path(tx, owner, p.path).await?
            } else {
                p.path.clone()
            };
            ensure_parents(tx, owner, &path, now).await?;
            let id = new_id();
            sqlx::query(
                "INSERT INTO files (id, owner_id, path, dir, name_key, content_id, size, content_type, \
                 created_at, updated_at, modified_at, s3_etag, user_metadata) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12)",
            )
            .bind(&id)
            .bind(owner)
            .bind(path.as_str())
            .bind(path.parent())
            .bind(path.name_key())
            .bind(p.content_id)
            .bind(p.size)
            .bind(p.content_type)
            .bind(now.0)
            .bind(p.modified_at.0)
            .bind(&p.attributes.s3_etag)
            .bind(&p.attributes.user_metadata)
            .execute(&mut **tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { Error::PathExists } else { e.into() })?;
            Ok(Placed { file_id: id, created: true, usage_delta: p.size, count_delta: 1, versions_delta: 0 })
        }
    }
}

pub(super) async fn file_in_tx(tx: &mut Tx, id: &str) -> Result<FileRecord> {
    let row = sqlx::query(select_file!("WHERE f.id = $1")).bind(id).fetch_one(&mut **tx).await?;
    from_row::<FileRecord>(&row)
}

/// The upload commit inside a caller's transaction (uploads and finished upload
/// sessions share it): content references, file rows, folders, and the quota charge.
pub(super) async fn commit_in_tx(
    tx: &mut Tx,
    owner: &str,
    keep: Retention,
    uploads: Vec<StagedUpload>,
) -> Result<Vec<CommittedUpload>> {
    let now = Timestamp::now();
    lock_owner(tx, owner).await?;
    let (mut usage_delta, mut count_delta, mut versions_delta) = (0i64, 0i64, 0i64);
    let mut written = Vec::with_capacity(uploads.len());
    for up in uploads {
        let content = StagedContent {
            store: &up.store,
            sha256: &up.sha256,
            size: up.size,
            blob_key: &up.blob_key,
            cid: &up.cid,
            md5: up.md5.as_deref(),
            leaves: up.leaves.as_deref(),
            inline_data: up.inline_data.as_deref(),
        };
        let (content_id, redundant_blob) = reference_content(tx, &content, now).await?;
        let placement = Placement {
            path: &up.path,
            mode: &up.mode,
            content_id: &content_id,
            size: up.size,
            content_type: &up.content_type,
            modified_at: up.modified_at.unwrap_or(now),
            attributes: &up.attributes,
        };
        let placed = place_file(tx, owner, now, keep, placement).await?;
        usage_delta += placed.usage_delta;
        count_delta += placed.count_delta;
        versions_delta += placed.versions_delta;
        written.push((placed.file_id, placed.created, redundant_blob));
    }
    super::quota::charge(tx, owner, usage_delta, count_delta, versions_delta).await?;
    let mut out = Vec::with_capacity(written.len());
    for (file_id, created, redundant_blob) in written {
        out.push(CommittedUpload { file: file_in_tx(tx, &file_id).await?, created, redundant_blob });
    }
    Ok(out)
}

/// A durable blob about to be referenced as content.
pub(super) struct StagedContent<'a> {
    pub store: &'a str,
    pub sha256: &'a str,
    pub size: i64,
    pub blob_key: &'a str,
    pub cid: &'a str,
    pub md5: Option<&'a str>,
    /// Per-chunk SHA-256s (`None`: unknown, checked ranges wait for the scrub to add them).
    pub leaves: Option<&'a [u8]>,
    /// The bytes themselves, for a content kept inline (`blob_key` is then `inline:…`).
    pub inline_data: Option<&'a [u8]>,
}

/// Takes a reference on content: revives or shares an existing row with the same bytes
/// in the same store, or inserts one pointing at the staged blob. Damaged content is
/// healed: the row takes the new, intact blob (the damaged one becomes an orphan, which
/// the start-up scan removes); so is damaged inline content, by the new bytes. Returns the content id
/// and, when the bytes were already stored, the staged blob's key (now redundant).
pub(super) async fn reference_content(
    tx: &mut Tx,
    c: &StagedContent<'_>,
    now: Timestamp,
) -> Result<(String, Option<String>)> {
    let row = sqlx::query(
        "INSERT INTO contents (id, store, sha256, size, blob_key, refcount, created_at, cid, md5, leaf_sha256, \
         inline_data) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10) \
         ON CONFLICT (store, sha256) DO UPDATE SET refcount = contents.refcount + 1, \
         md5 = COALESCE(contents.md5, excluded.md5), \
         leaf_sha256 = COALESCE(contents.leaf_sha256, excluded.leaf_sha256), \
         blob_key = CASE WHEN contents.damaged_at IS NULL THEN contents.blob_key ELSE excluded.blob_key END, \
         inline_data = CASE WHEN contents.damaged_at IS NULL THEN contents.inline_data ELSE excluded.inline_data END, \
         damaged_at = NULL \
         RETURNING id, blob_key",
    )
    .bind(new_id())
    .bind(c.store)
    .bind(c.sha256)
    .bind(c.size)
    .bind(c.blob_key)
    .bind(now.0)
    .bind(c.cid)
    .bind(c.md5)
    .bind(c.leaves.map(<[u8]>::to_vec))
    .bind(c.inline_data.map(<[u8]>::to_vec))
    .fetch_one(&mut **tx)
    .await?;
    let content_id = get_str(&row, "id")?;
    let kept_key = get_str(&row, "blob_key")?;
    Ok((content_id, (kept_key != c.blob_key).then(|| c.blob_key.to_string())))
}

/// `LIKE` pattern for "contains `needle`", with `\` escaping the wildcards.
fn contains_pattern(needle: &str) -> String {
    let escaped = needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// A path prefix's rewrite for moves: `substr` counts characters in both databases.
fn char_start_after(prefix: &str) -> i64 {
    prefix.chars().count() as i64 + 1
}

/// The two statements of a search by name, and what they bind.
struct SearchQuery {
    folders: String,
    files: String,
    pattern: String,
    /// The FTS5 phrase for SQLite's trigram tables, when they are used.
    trigram: Option<String>,
}

impl SearchQuery {
    fn bind<'q>(
        &'q self,
        sql: &'q str,
        owner: &'q str,
        after: Option<&'q str>,
        limit: u32,
    ) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
        let q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(&self.pattern)
            .bind(after.unwrap_or(""))
            .bind(i64::from(limit));
        match &self.trigram {
            Some(t) => q.bind(t),
            None => q,
        }
    }
}

impl SqlMetaStore {
    /// The one place where the SQL differs by database: SQLite cannot index
    /// `LIKE '%x%'`, so its trigram tables (migration 8) narrow the rows first;
    /// PostgreSQL's trigram indexes serve the LIKE itself. Needles shorter than one
    /// trigram fall back to the owner's rows.
    fn search_query(&self, needle_key: &str) -> SearchQuery {
        let trigram = (self.backend == Backend::Sqlite && needle_key.chars().count() >= 3)
            .then(|| format!("\"{}\"", needle_key.replace('"', "\"\"")));
        let narrow = |table: &str, alias: &str| match &trigram {
            Some(_) => format!("AND {alias}.rowid IN (SELECT rowid FROM {table}_names WHERE {table}_names MATCH $5)"),
            None => String::new(),
        };
        let folders = format!(
            "SELECT {FOLDER_COLUMNS_D} FROM folders d WHERE d.owner_id = $1 AND d.name_key LIKE $2 ESCAPE '\\' \
             AND d.path > $3 {} ORDER BY d.path LIMIT $4",
            narrow("folders", "d")
        );
        let files = format!(
            "{} WHERE f.owner_id = $1 AND f.name_key LIKE $2 ESCAPE '\\' AND f.path > $3 {} ORDER BY f.path LIMIT $4",
            select_file!(""),
            narrow("files", "f")
        );
        SearchQuery { folders, files, pattern: contains_pattern(needle_key), trigram }
    }

    /// The database's plan for a search by name (both statements), for tests and the
    /// benchmark to show that no table is scanned. `no_seq_scans` asks PostgreSQL to
    /// avoid sequential scans, to show on a small table what it picks on a large one:
    /// that the index fits the query's shape.
    pub async fn explain_search(&self, owner: &str, needle_key: &str, no_seq_scans: bool) -> Result<String> {
        let query = self.search_query(needle_key);
        let mut tx = self.pool.begin().await?;
        if no_seq_scans && self.backend == Backend::Postgres {
            sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await?;
        }
        let mut plan = Vec::new();
        for sql in [&query.folders, &query.files] {
            let explain = match self.backend {
                Backend::Sqlite => format!("EXPLAIN QUERY PLAN {sql}"),
                Backend::Postgres => format!("EXPLAIN {sql}"),
            };
            for row in query.bind(&explain, owner, None, 100).fetch_all(&mut *tx).await? {
                let column = if self.backend == Backend::Sqlite { 3 } else { 0 };
                plan.push(row.try_get::<String, _>(column)?);
            }
        }
        tx.rollback().await?;
        Ok(plan.join("\n"))
    }

    /// The plan for the files of a one-level listing (first page: `after` empty). The
    /// values are written into the statement, as SQLite's planner (STAT4) sees them when
    /// it runs the real one.
    pub async fn explain_list_dir(&self, owner: &str, dir: &str, after: &str) -> Result<String> {
        let range = PrefixRange::parse(Some(&format!("{dir}/")))?;
        let quote = |v: &str| format!("'{}'", v.replace('\'', "''"));
        let mut sql = LIST_DIR_FILES.to_string();
        // Highest first, so that $1 does not match the start of $10.
        for (n, v) in [
            (6, "101".to_string()),
            (5, quote(after)),
            (4, quote(&range.hi)),
            (3, quote(&range.lo)),
            (2, quote(dir)),
            (1, quote(owner)),
        ] {
            sql = sql.replace(&format!("${n}"), &v);
        }
        let explain = match self.backend {
            Backend::Sqlite => format!("EXPLAIN QUERY PLAN {sql}"),
            Backend::Postgres => format!("EXPLAIN {sql}"),
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(explain)).fetch_all(&self.pool).await?;
        let column = if self.backend == Backend::Sqlite { 3 } else { 0 };
        let plan: Result<Vec<String>> = rows.iter().map(|r| Ok(r.try_get::<String, _>(column)?)).collect();
        Ok(plan?.join("\n"))
    }

    /// Refreshes the planner's statistics (after a bulk load, as in the benchmark).
    pub async fn analyze(&self) -> Result<()> {
        sqlx::query("ANALYZE").execute(&self.pool).await?;
        Ok(())
    }
}

#[async_trait]
impl FileMeta for SqlMetaStore {
    async fn list_empty_folders(
        &self,
        owner: &str,
        range: &PrefixRange,
        after: &str,
        limit: u32,
    ) -> Result<Vec<FolderRecord>> {
        // `path >= lo without its last '/'` is implied by the key condition and lets the
        // (owner_id, path) index bound the scan.
        let sql = format!(
            "SELECT {FOLDER_COLUMNS_D} FROM folders d WHERE d.owner_id = $1 AND d.path >= $2 \
             AND (d.path || '/') >= $3 AND (d.path || '/') < $4 AND (d.path || '/') > $5 \
             AND NOT EXISTS (SELECT 1 FROM files f WHERE f.owner_id = d.owner_id AND f.dir = d.path) \
             AND NOT EXISTS (SELECT 1 FROM folders c WHERE c.owner_id = d.owner_id AND c.dir = d.path) \
             ORDER BY (d.path || '/') LIMIT $6"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(range.lo.trim_end_matches('/'))
            .bind(&range.lo)
            .bind(&range.hi)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row::<FolderRecord>).collect()
    }

    async fn commit_uploads(&self, owner: &str, uploads: Vec<StagedUpload>) -> Result<Vec<CommittedUpload>> {
        if let Some(grouped) = &self.grouped {
            return grouped.commit(owner, self.keep, uploads).await;
        }
        let mut tx = self.begin().await?;
        let out = commit_in_tx(&mut tx, owner, self.keep, uploads).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn copy_file(
        &self,
        owner: &str,
        id: &str,
        to: &FilePath,
        overwrite: bool,
        replace: Option<&NewAttributes>,
    ) -> Result<CommittedUpload> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        lock_owner(&mut tx, owner).await?;
        let row = sqlx::query(
            "SELECT path, content_id, size, content_type, modified_at, updated_at, s3_etag, user_metadata FROM files \
             WHERE id = $1 AND owner_id = $2",
        )
        .bind(id)
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
        let source_path = get_str(&row, "path")?;
        if source_path == to.as_str() {
            if let Some(new) = replace {
                sqlx::query("UPDATE files SET content_type = $1, user_metadata = $2, updated_at = $3 WHERE id = $4")
                    .bind(&new.content_type)
                    .bind(&new.attributes.user_metadata)
                    .bind(now.0)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            let file = file_in_tx(&mut tx, id).await?;
            tx.commit().await?;
            return Ok(CommittedUpload { file, created: false, redundant_blob: None });
        }
        let content_id = get_str(&row, "content_id")?;
        // The source file holds a reference under the owner lock, so the content cannot
        // be reclaimed before this one is added.
        sqlx::query("UPDATE contents SET refcount = refcount + 1 WHERE id = $1")
            .bind(&content_id)
            .execute(&mut *tx)
            .await?;
        let modified_at = row.try_get::<Option<i64>, _>("modified_at")?.unwrap_or(get_i64(&row, "updated_at")?);
        let mode = if overwrite { WriteMode::Overwrite } else { WriteMode::Fail };
        let kept = ObjectAttributes { s3_etag: row.try_get("s3_etag")?, user_metadata: row.try_get("user_metadata")? };
        let (content_type, attributes) = match replace {
            // The bytes are the same, so a multipart ETag stays true of them.
            Some(new) => (
                new.content_type.clone(),
                ObjectAttributes { s3_etag: kept.s3_etag.clone(), user_metadata: new.attributes.user_metadata.clone() },
            ),
            None => (get_str(&row, "content_type")?, kept),
        };
        let placement = Placement {
            path: to,
            mode: &mode,
            content_id: &content_id,
            size: get_i64(&row, "size")?,
            content_type: &content_type,
            modified_at: Timestamp(modified_at),
            attributes: &attributes,
        };
        let placed = place_file(&mut tx, owner, now, self.keep, placement).await?;
        super::quota::charge(&mut tx, owner, placed.usage_delta, placed.count_delta, placed.versions_delta).await?;
        let file = file_in_tx(&mut tx, &placed.file_id).await?;
        tx.commit().await?;
        Ok(CommittedUpload { file, created: placed.created, redundant_blob: None })
    }

    async fn file_by_id(&self, id: &str) -> Result<Option<FileRecord>> {
        let row =
            sqlx::query(select_file_with_inline_bytes!("WHERE f.id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row::<FileRecord>).transpose()
    }

    async fn file_by_path(&self, owner: &str, path: &str) -> Result<Option<FileRecord>> {
        let row = sqlx::query(select_file_with_inline_bytes!("WHERE f.owner_id = $1 AND f.path = $2"))
            .bind(owner)
            .bind(path)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row::<FileRecord>).transpose()
    }

    async fn file_by_cid(&self, owner: &str, cid: &str) -> Result<Option<FileRecord>> {
        // The caller's own file first, else one shared with them.
        let row = sqlx::query(select_file!(
            "WHERE c.cid = $2 AND (f.owner_id = $1 OR EXISTS \
             (SELECT 1 FROM shares s WHERE s.file_id = f.id AND s.user_id = $1)) \
             ORDER BY CASE WHEN f.owner_id = $1 THEN 0 ELSE 1 END, f.path LIMIT 1"
        ))
        .bind(owner)
        .bind(cid)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(from_row::<FileRecord>).transpose()
    }

    async fn list_files(
        &self,
        owner: &str,
        range: &PrefixRange,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<FileRecord>> {
        let rows = sqlx::query(select_file_in_path_order!(
            "f.owner_id = $1 AND f.path >= $2 AND f.path < $3 AND f.path > $4 ORDER BY f.path LIMIT $5"
        ))
        .bind(owner)
        .bind(&range.lo)
        .bind(&range.hi)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row::<FileRecord>).collect()
    }

    async fn list_dir(
        &self,
        owner: &str,
        dir: &str,
        range: &PrefixRange,
        after: Option<&DirCursor>,
        limit: u32,
    ) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        let files_after = match after {
            None => "",
            Some(DirCursor::Folder(_)) => "",
            Some(DirCursor::File(p)) => p.as_str(),
        };
        if !matches!(after, Some(DirCursor::File(_))) {
            let folders_after = match after {
                Some(DirCursor::Folder(p)) => p.as_str(),
                _ => "",
            };
            let sql = format!(
                "SELECT {FOLDER_COLUMNS} FROM folders WHERE owner_id = $1 AND dir = $2 AND path >= $3 AND path < $4 \
                 AND path > $5 ORDER BY path LIMIT $6"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(owner)
                .bind(dir)
                .bind(&range.lo)
                .bind(&range.hi)
                .bind(folders_after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
            for r in &rows {
                out.push(Entry::Folder(from_row::<FolderRecord>(r)?));
            }
        }
        let room = limit as usize - out.len();
        if room > 0 {
            let rows = sqlx::query(LIST_DIR_FILES)
                .bind(owner)
                .bind(dir)
                .bind(&range.lo)
                .bind(&range.hi)
                .bind(files_after)
                .bind(room as i64)
                .fetch_all(&self.pool)
                .await?;
            for r in &rows {
                out.push(Entry::File(from_row::<FileRecord>(r)?));
            }
        }
        Ok(out)
    }

    async fn search(&self, owner: &str, needle_key: &str, after: Option<&str>, limit: u32) -> Result<Vec<Entry>> {
        let query = self.search_query(needle_key);
        let mut out = Vec::new();
        for (sql, is_folder) in [(&query.folders, true), (&query.files, false)] {
            for r in query.bind(sql, owner, after, limit).fetch_all(&self.pool).await? {
                out.push(if is_folder {
                    Entry::Folder(from_row::<FolderRecord>(&r)?)
                } else {
                    Entry::File(from_row::<FileRecord>(&r)?)
                });
            }
        }
        // Paths are unique across files and folders, so one order pages both.
        out.sort_by(|a, b| a.path().cmp(b.path()));
        out.truncate(limit as usize);
        Ok(out)
    }

    async fn move_file(&self, owner: &str, id: &str, to: &FilePath) -> Result<FileRecord> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        lock_owner(&mut tx, owner).await?;
        if folder_exists(&mut tx, owner, to.as_str()).await? {
            return Err(Error::PathExists);
        }
        ensure_parents(&mut tx, owner, to, now).await?;
        let r = sqlx::query(
            "UPDATE files SET path = $1, dir = $2, name_key = $3, updated_at = $4 WHERE id = $5 AND owner_id = $6",
        )
        .bind(to.as_str())
        .bind(to.parent())
        .bind(to.name_key())
        .bind(now.0)
        .bind(id)
        .bind(owner)
        .execute(&mut *tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { Error::PathExists } else { e.into() })?;
        if r.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        let file = file_in_tx(&mut tx, id).await?;
        tx.commit().await?;
        Ok(file)
    }

    async fn delete_file(&self, owner: &str, id: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        if self.keep.trash {
            let trashed = super::trash::trash_file(&mut tx, owner, id, Timestamp::now()).await?;
            tx.commit().await?;
            return Ok(trashed);
        }
        let row = sqlx::query("DELETE FROM files WHERE id = $1 AND owner_id = $2 RETURNING content_id, size")
            .bind(id)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Ok(false) };
        release_content(&mut tx, &get_str(&row, "content_id")?).await?;
        super::versions::drop_all_versions(&mut tx, owner, id).await?;
        sqlx::query("UPDATE users SET used_bytes = used_bytes - $1, file_count = file_count - 1 WHERE id = $2")
            .bind(get_i64(&row, "size")?)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn folder_by_path(&self, owner: &str, path: &str) -> Result<Option<FolderRecord>> {
        let sql = format!("SELECT {FOLDER_COLUMNS} FROM folders WHERE owner_id = $1 AND path = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner).bind(path).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row::<FolderRecord>).transpose()
    }

    async fn create_folder(&self, owner: &str, path: &FilePath) -> Result<FolderRecord> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        lock_owner(&mut tx, owner).await?;
        ensure_parents(&mut tx, owner, path, now).await?;
        insert_folder(&mut tx, owner, path.as_str(), now, false).await?;
        tx.commit().await?;
        self.folder_by_path(owner, path.as_str()).await?.ok_or(Error::NotFound)
    }

    async fn move_folder(&self, owner: &str, from: &FilePath, to: &FilePath) -> Result<FolderRecord> {
        if to.is_below(from) {
            return Err(Error::invalid("path", "a folder cannot be moved into itself"));
        }
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        lock_owner(&mut tx, owner).await?;
        if !folder_exists(&mut tx, owner, from.as_str()).await? {
            return Err(Error::NotFound);
        }
        if from == to {
            tx.commit().await?;
            return self.folder_by_path(owner, to.as_str()).await?.ok_or(Error::NotFound);
        }
        if folder_exists(&mut tx, owner, to.as_str()).await? || file_at(&mut tx, owner, to.as_str()).await?.is_some() {
            return Err(Error::PathExists);
        }
        ensure_parents(&mut tx, owner, to, now).await?;
        sqlx::query(
            "UPDATE folders SET path = $1, dir = $2, name_key = $3, updated_at = $4 WHERE owner_id = $5 AND path = $6",
        )
        .bind(to.as_str())
        .bind(to.parent())
        .bind(to.name_key())
        .bind(now.0)
        .bind(owner)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?;
        // Everything below keeps its name; its path and dir get the new prefix.
        let below = PrefixRange::parse(Some(&format!("{from}/")))?;
        let start = char_start_after(from.as_str());
        for table in ["folders", "files"] {
            let sql = format!(
                "UPDATE {table} SET path = $1 || substr(path, CAST($2 AS INTEGER)), \
                 dir = $1 || substr(dir, CAST($2 AS INTEGER)) WHERE owner_id = $3 AND path >= $4 AND path < $5"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(to.as_str())
                .bind(start)
                .bind(owner)
                .bind(&below.lo)
                .bind(&below.hi)
                .execute(&mut *tx)
                .await
                .map_err(|e| if is_unique_violation(&e) { Error::PathExists } else { e.into() })?;
        }
        tx.commit().await?;
        self.folder_by_path(owner, to.as_str()).await?.ok_or(Error::NotFound)
    }

    async fn delete_folder(&self, owner: &str, path: &FilePath) -> Result<bool> {
        let mut tx = self.begin().await?;
        if self.keep.trash {
            let trashed = super::trash::trash_folder(&mut tx, owner, path, Timestamp::now()).await?;
            tx.commit().await?;
            return Ok(trashed);
        }
        lock_owner(&mut tx, owner).await?;
        if !folder_exists(&mut tx, owner, path.as_str()).await? {
            return Ok(false);
        }
        let below = PrefixRange::parse(Some(&format!("{path}/")))?;
        let rows = sqlx::query(
            "DELETE FROM files WHERE owner_id = $1 AND path >= $2 AND path < $3 RETURNING id, content_id, size",
        )
        .bind(owner)
        .bind(&below.lo)
        .bind(&below.hi)
        .fetch_all(&mut *tx)
        .await?;
        let mut freed = 0i64;
        for r in &rows {
            release_content(&mut tx, &get_str(r, "content_id")?).await?;
            super::versions::drop_all_versions(&mut tx, owner, &get_str(r, "id")?).await?;
            freed += get_i64(r, "size")?;
        }
        sqlx::query("DELETE FROM folders WHERE owner_id = $1 AND (path = $2 OR (path >= $3 AND path < $4))")
            .bind(owner)
            .bind(path.as_str())
            .bind(&below.lo)
            .bind(&below.hi)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE users SET used_bytes = used_bytes - $1, file_count = file_count - $2 WHERE id = $3")
            .bind(freed)
            .bind(rows.len() as i64)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
