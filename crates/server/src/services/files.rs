//! The file service: one call per operation for every front (REST, web, WebDAV, S3,
//! tus, CLI). Visibility, folders, listings, copies, moves, deletes and reads live here;
//! writes are in `upload.rs`. Fronts translate their protocol into these calls and back.

use super::paging::{Page, decode_cursor, page_limit, paginate};
use super::{Principal, Settings};
use crate::blob::ByteStream;
use crate::domain::{FilePath, PrefixRange, RangeSpec, if_range_holds, none_match, parse_range};
use crate::error::{Error, Result};
use crate::meta::{DirCursor, Entry, FileRecord, FolderRecord, MetaStore};
use futures_util::StreamExt;
use nimbus_api::Permission;
use std::ops::Range;
use std::sync::Arc;

/// Files up to this size are read whole in one call and checked before they are sent;
/// larger ones stream, checked as they go.
const SMALL_READ: u64 = 64 << 10;

#[derive(Clone)]
pub struct Files {
    pub(super) meta: Arc<dyn MetaStore>,
    pub(super) stores: super::BlobStores,
    pub(super) settings: Settings,
    /// Wakes the CAR indexer when new content is committed.
    pub(super) car_wakeup: Arc<tokio::sync::Notify>,
    pub(super) meter: super::UsageMeter,
    /// Resumable uploads' per-process state (hashers, per-session locks).
    pub(super) live: Arc<super::LiveUploads>,
    /// Space kept back so deletes work on a full disk (`None`: not on a local disk).
    pub(super) reserve: Option<Arc<super::reserve::DiskReserve>>,
}

/// Which file an operation is about: by id (owned or shared with the caller) or by path
/// in the caller's own namespace.
#[derive(Debug, Clone, Copy)]
pub enum FileRef<'a> {
    Id(&'a str),
    Path(&'a FilePath),
}

/// What a listing asks for.
#[derive(Debug, Default, Clone)]
pub struct ListRequest<'a> {
    /// Only paths that start with this text.
    pub prefix: Option<&'a str>,
    /// One level (folders first, then files) instead of every file below.
    pub one_level: bool,
    /// Only folders and files whose name contains this text, case-insensitively.
    pub name_contains: Option<&'a str>,
    pub limit: Option<u32>,
    pub cursor: Option<&'a str>,
}

/// One object of an S3-style listing: a file, or a folder with nothing in it (whose key
/// is its path and a `/`).
#[derive(Debug, Clone)]
// Most objects are files, as in `Entry`.
#[allow(clippy::large_enum_variant)]
pub enum Object {
    File(FileRecord),
    EmptyFolder(FolderRecord),
}

impl Object {
    /// The path, with a `/` after a folder's.
    pub fn key(&self) -> String {
        match self {
            Object::File(f) => f.path.clone(),
            Object::EmptyFolder(d) => format!("{}/", d.path),
        }
    }
}

/// The conditions and range of a read, as the client stated them; the service applies
/// RFC 9110's rules so every front answers them alike.
#[derive(Debug, Default, Clone)]
pub struct ReadRequest {
    pub range: Option<String>,
    pub if_none_match: Option<String>,
    pub if_range: Option<String>,
    /// Headers only: no bytes are opened or charged.
    pub head_only: bool,
}

/// The answer to a read.
pub enum ReadOutcome {
    /// `If-None-Match` matched: the client's copy is current.
    NotModified(FileRecord),
    Content(Content),
}

/// Bytes of a file, about to stream.
pub struct Content {
    pub file: FileRecord,
    pub permission: Permission,
    /// The bytes sent: the whole file, or the one range asked for.
    pub range: Range<u64>,
    pub partial: bool,
    /// `None` for a head-only read.
    pub body: Option<ByteStream>,
}

impl Files {
    pub fn new(
        meta: Arc<dyn MetaStore>,
        stores: super::BlobStores,
        settings: Settings,
        car_wakeup: Arc<tokio::sync::Notify>,
        meter: super::UsageMeter,
    ) -> Self {
        let reserve = settings
            .reserve_dir
            .clone()
            .map(|dir| Arc::new(super::reserve::DiskReserve::new(dir, settings.reserve_bytes)));
        Files { meta, stores, settings, car_wakeup, meter, live: Arc::default(), reserve }
    }

    /// Lays the space reserve down if it is missing and the disk has room again.
    pub async fn keep_space_reserve(&self) {
        if let Some(r) = &self.reserve {
            r.lay_down().await;
        }
    }

    /// Runs a change that frees space; if the disk is too full even for that, gives up
    /// the space reserve and runs it once more.
    async fn freeing_space<T, F, Fut>(&self, change: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        match change().await {
            Err(Error::InsufficientStorage) => match &self.reserve {
                Some(r) if r.release().await => change().await,
                _ => Err(Error::InsufficientStorage),
            },
            other => other,
        }
    }

    /// The one rule for who may do what with a file: its owner owns it, a user it is
    /// shared with may read it, anyone else may do nothing (`None`).
    pub async fn permission_of(&self, file: &FileRecord, user_id: &str) -> Result<Option<Permission>> {
        if file.owner_id == user_id {
            return Ok(Some(Permission::Owner));
        }
        Ok(self.meta.is_shared_with(&file.id, user_id).await?.then_some(Permission::Read))
    }

    /// A file the caller may see, and what they may do with it. Strangers get
    /// `NotFound`, exactly as for a file that does not exist.
    pub async fn visible(&self, who: &Principal, id: &str) -> Result<(FileRecord, Permission)> {
        let file = self.meta.file_by_id(id).await?.ok_or(Error::NotFound)?;
        match self.permission_of(&file, &who.user.id).await? {
            Some(permission) => Ok((file, permission)),
            None => Err(Error::NotFound),
        }
    }

    /// A file the caller owns; a file they may only read gives `Forbidden`.
    pub async fn owned(&self, who: &Principal, id: &str) -> Result<FileRecord> {
        match self.visible(who, id).await? {
            (file, Permission::Owner) => Ok(file),
            _ => Err(Error::Forbidden),
        }
    }

    /// A file's metadata and what the caller may do with it.
    pub async fn stat(&self, who: &Principal, file: FileRef<'_>) -> Result<(FileRecord, Permission)> {
        match file {
            FileRef::Id(id) => self.visible(who, id).await,
            FileRef::Path(path) => {
                let file = self.meta.file_by_path(&who.user.id, path.as_str()).await?.ok_or(Error::NotFound)?;
                Ok((file, Permission::Owner))
            }
        }
    }

    /// A folder of the caller's.
    pub async fn folder(&self, who: &Principal, path: &FilePath) -> Result<FolderRecord> {
        self.meta.folder_by_path(&who.user.id, path.as_str()).await?.ok_or(Error::NotFound)
    }

    /// A file of the caller's with this CID (any base or version); `BadRequest` if it is
    /// not a CID, `NotFound` if the caller may read no such file.
    pub async fn by_cid(&self, who: &Principal, cid: &str) -> Result<FileRecord> {
        let cid = crate::content::parse_cid(cid).ok_or_else(|| Error::BadRequest("not a CID".into()))?;
        self.meta.file_by_cid(&who.user.id, &cid).await?.ok_or(Error::NotFound)
    }

    /// Lists the caller's namespace: every file below a prefix, one folder's level, or
    /// the folders and files whose name matches.
    pub async fn list(&self, who: &Principal, req: &ListRequest<'_>) -> Result<Page<Entry>> {
        let limit = page_limit(req.limit)?;
        let after = req.cursor.map(decode_cursor).transpose()?;
        let owner = &who.user.id;
        if let Some(needle) = req.name_contains {
            if req.prefix.is_some() || req.one_level {
                return Err(Error::BadRequest("q cannot be combined with prefix or delimiter".into()));
            }
            if needle.is_empty() {
                return Err(Error::BadRequest("q must not be empty".into()));
            }
            let needle = crate::domain::name_key(needle);
            let rows = self.meta.search(owner, &needle, after.as_deref(), limit + 1).await?;
            return Ok(paginate(rows, limit, |e| e.path().to_string()));
        }
        let range = PrefixRange::parse(req.prefix)?;
        if req.one_level {
            // The folder is what precedes the prefix's last '/'; the rest filters names.
            let dir = crate::domain::parent_of(&range.lo).to_string();
            let after = after.as_deref().map(decode_dir_cursor).transpose()?;
            let rows = self.meta.list_dir(owner, &dir, &range, after.as_ref(), limit + 1).await?;
            return Ok(paginate(rows, limit, |e| match e {
                Entry::Folder(f) => format!("d:{}", f.path),
                Entry::File(f) => format!("f:{}", f.path),
            }));
        }
        let rows = self.meta.list_files(owner, &range, after.as_deref(), limit + 1).await?;
        let page = paginate(rows, limit, |f| f.path.clone());
        Ok(Page { items: page.items.into_iter().map(Entry::File).collect(), next_cursor: page.next_cursor })
    }

    /// Every file below `prefix` and every empty folder, as keys in byte order after
    /// `after` (any text: a key, or a prefix followed by U+10FFFF to skip past it).
    pub async fn list_objects(&self, who: &Principal, prefix: &str, after: &str, limit: u32) -> Result<Vec<Object>> {
        let range = PrefixRange::parse(Some(prefix))?;
        let owner = &who.user.id;
        let files = self.meta.list_files(owner, &range, Some(after), limit).await?;
        let folders = self.meta.list_empty_folders(owner, &range, after, limit).await?;
        let mut merged: Vec<Object> =
            files.into_iter().map(Object::File).chain(folders.into_iter().map(Object::EmptyFolder)).collect();
        merged.sort_by_key(Object::key);
        merged.truncate(limit as usize);
        Ok(merged)
    }

    /// Renames or moves a file the caller owns.
    pub async fn move_file(&self, who: &Principal, id: &str, new_path: &str) -> Result<FileRecord> {
        let file = self.owned(who, id).await?;
        let path = FilePath::parse(new_path)?;
        if path.as_str() == file.path {
            return Ok(file);
        }
        self.meta.move_file(&who.user.id, &file.id, &path).await
    }

    /// A server-side copy: a new file referencing the same content (no bytes copied; the
    /// caller is charged for it). `PathExists` at a taken path unless `overwrite`.
    pub async fn copy(&self, who: &Principal, file: FileRef<'_>, to: &str, overwrite: bool) -> Result<super::Written> {
        let to = FilePath::parse(to)?;
        self.copy_with(who, file, &to, overwrite, None).await
    }

    /// A copy that may give the new file another content type and S3 attributes (a copy
    /// onto the file itself then changes only those).
    pub async fn copy_with(
        &self,
        who: &Principal,
        file: FileRef<'_>,
        to: &FilePath,
        overwrite: bool,
        replace: Option<&crate::meta::NewAttributes>,
    ) -> Result<super::Written> {
        let (source, permission) = self.stat(who, file).await?;
        if permission != Permission::Owner {
            // Copying a file shared with you into your namespace is a later feature;
            // until then it is refused plainly rather than half-done.
            return Err(Error::Forbidden);
        }
        let c = self.meta.copy_file(&who.user.id, &source.id, to, overwrite, replace).await?;
        Ok(super::Written { file: c.file, created: c.created })
    }

    /// Deletes a file the caller owns.
    pub async fn delete(&self, who: &Principal, file: FileRef<'_>) -> Result<()> {
        let (file, permission) = self.stat(who, file).await?;
        if permission != Permission::Owner {
            return Err(Error::Forbidden);
        }
        let deleted = self.freeing_space(|| self.meta.delete_file(&who.user.id, &file.id)).await?;
        if deleted { Ok(()) } else { Err(Error::NotFound) }
    }

    /// Creates a folder (and the folders above it).
    pub async fn make_folder(&self, who: &Principal, path: &str) -> Result<FolderRecord> {
        let path = FilePath::parse(path)?;
        self.meta.create_folder(&who.user.id, &path).await
    }

    /// Moves or renames a folder with everything below it.
    pub async fn move_folder(&self, who: &Principal, from: &FilePath, to: &str) -> Result<FolderRecord> {
        let to = FilePath::parse(to)?;
        self.meta.move_folder(&who.user.id, from, &to).await
    }

    /// Deletes a folder with everything below it.
    pub async fn delete_folder(&self, who: &Principal, path: &FilePath) -> Result<()> {
        let deleted = self.freeing_space(|| self.meta.delete_folder(&who.user.id, path)).await?;
        if deleted { Ok(()) } else { Err(Error::NotFound) }
    }

    /// Opens a file the caller may read: conditions, range, and the byte stream, with
    /// the bytes charged to the caller's downloads.
    pub async fn open(&self, who: &Principal, file: FileRef<'_>, req: &ReadRequest) -> Result<ReadOutcome> {
        let (file, permission) = self.stat(who, file).await?;
        let charge_to = who.user.id.clone();
        self.read(file, permission, req, &charge_to).await
    }

    /// The whole stored content of a file, checked against its SHA-256 as it streams,
    /// and not charged to anyone: for the server's own derived content (thumbnails).
    pub async fn read_for_derivation(&self, file: &FileRecord) -> Result<ByteStream> {
        if file.damaged_at.is_some() {
            return Err(Error::ContentDamaged);
        }
        let store = self.stores.by_name(&file.store).await?;
        let size = u64::try_from(file.size).unwrap_or(0);
        let stream = store.read(&file.blob_key, 0..size).await?;
        let report = super::verify::report_to(self.meta.clone(), &file.content_id);
        Ok(super::verify::verified(stream, &file.sha256, &file.id, report))
    }

    /// Reads a file whose access was already decided (public links, signed URLs, by
    /// CID), charging the bytes to `charge_to`.
    pub async fn read(
        &self,
        mut file: FileRecord,
        permission: Permission,
        req: &ReadRequest,
        charge_to: &str,
    ) -> Result<ReadOutcome> {
        let size = u64::try_from(file.size).unwrap_or(0);
        let etag = format!("\"{}\"", file.sha256);
        if req.if_none_match.as_deref().is_some_and(|v| none_match(v, &etag)) {
            return Ok(ReadOutcome::NotModified(file));
        }
        let modified_secs = file.modified_at.unix_secs();
        let range_allowed = req.if_range.as_deref().is_none_or(|v| if_range_holds(v, &etag, modified_secs));
        let spec = match req.range.as_deref() {
            Some(r) if range_allowed => parse_range(r, size),
            _ => RangeSpec::Full,
        };
        let (range, partial) = match spec {
            RangeSpec::Full => (0..size, false),
            RangeSpec::Partial(r) => (r, true),
            RangeSpec::Unsatisfiable => return Err(Error::RangeNotSatisfiable { size }),
        };
        if file.damaged_at.is_some() && !req.head_only {
            // Quarantined: its bytes are known bad, whole or in part.
            return Err(Error::ContentDamaged);
        }
        let inline = file.inline_data.take();
        let body = if req.head_only {
            None
        } else if let Some(data) = inline {
            // Read with the file: checked whole, then the range cut from it.
            let checked = super::verify::checked_whole(
                bytes::Bytes::from(data.0),
                &file.sha256,
                &file.id,
                &*self.meta,
                &file.content_id,
            )
            .await?;
            let end = usize::try_from(range.end).unwrap_or(usize::MAX).min(checked.len());
            let start = usize::try_from(range.start).unwrap_or(usize::MAX).min(end);
            let part = checked.slice(start..end);
            Some(self.meter.meter_download(charge_to, futures_util::stream::once(std::future::ready(Ok(part))).boxed()))
        } else {
            let store = self.stores.by_name(&file.store).await?;
            let report = || super::verify::report_to(self.meta.clone(), &file.content_id);
            let stream = if !partial && size <= SMALL_READ {
                let bytes = store.read_small(&file.blob_key, range.clone()).await?;
                let checked =
                    super::verify::checked_whole(bytes, &file.sha256, &file.id, &*self.meta, &file.content_id).await?;
                futures_util::stream::once(std::future::ready(Ok(checked))).boxed()
            } else if !partial {
                let whole = store.read(&file.blob_key, range.clone()).await?;
                super::verify::verified(whole, &file.sha256, &file.id, report())
            } else {
                match self.meta.content_leaves(&file.content_id).await? {
                    // The covering chunks are read and each checked before its bytes go.
                    Some(leaves) if leaves.len() as u64 == size.div_ceil(super::verify::CHUNK).max(1) * 32 => {
                        let span = super::verify::covering(&range, size);
                        let chunks = store.read(&file.blob_key, span).await?;
                        super::verify::verified_range(chunks, range.clone(), size, leaves, &file.id, report())
                    }
                    // Stored before chunk hashes were kept, and not yet scrubbed: the
                    // range goes unchecked (the scrub adds them; see README).
                    _ => store.read(&file.blob_key, range.clone()).await?,
                }
            };
            Some(self.meter.meter_download(charge_to, stream))
        };
        Ok(ReadOutcome::Content(Content { file, permission, range, partial, body }))
    }
}

fn decode_dir_cursor(text: &str) -> Result<DirCursor> {
    match text.split_once(':') {
        Some(("d", path)) => Ok(DirCursor::Folder(path.to_string())),
        Some(("f", path)) => Ok(DirCursor::File(path.to_string())),
        _ => Err(Error::BadRequest("invalid cursor".into())),
    }
}
