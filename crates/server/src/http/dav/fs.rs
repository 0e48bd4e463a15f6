//! The caller's namespace as a dav-server file system: every operation is one call of
//! the file service (quota, dedup, CIDs, metering and isolation are the service's), and
//! dead properties are kept per file or folder id, so they follow moves from any front.

use super::files::{DownloadFile, UploadFile};
use crate::domain::{FilePath, Timestamp};
use crate::error::Error;
use crate::meta::WriteMode;
use crate::meta::{DavPropRecord, Entry, FileRecord, FolderRecord, MetaStore};
use crate::services::{FileRef, Files, ListRequest, Principal, PutRequest};
use axum::http::StatusCode;
use dav_server::davpath::DavPath;
use dav_server::fs::{
    DavDirEntry, DavFile, DavFileSystem, DavMetaData, DavProp, FsError, FsFuture, FsResult, FsStream, OpenOptions,
    ReadDirMeta,
};
use futures_util::{FutureExt, StreamExt};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Listing page size while a PROPFIND streams a folder.
const PAGE: u32 = 1000;
const OWNCLOUD_NS: &str = "http://owncloud.org/ns";

#[derive(Clone)]
pub struct NimbusDav {
    pub files: Files,
    pub meta: Arc<dyn MetaStore>,
    pub who: Principal,
    /// `X-OC-Mtime` of a PUT: the file's modification time.
    pub mtime: Option<Timestamp>,
    /// Lookups this request already made (the struct lives for one request).
    pub cache: Arc<Mutex<RequestCache>>,
}

/// What one request has already looked up: the items a folder listing just returned
/// (a PROPFIND then asks about each of them: without this, several queries per entry),
/// and whether the owner has any dead property at all (most have none).
#[derive(Default)]
pub struct RequestCache {
    items: HashMap<String, Item>,
    order: VecDeque<String>,
    has_props: Option<bool>,
    /// An answer dav-server's error type cannot carry (a checksum mismatch is a 400),
    /// for the handler to give instead of dav-server's.
    pub refusal: Option<(axum::http::StatusCode, &'static str)>,
}

impl RequestCache {
    fn remember(&mut self, path: String, item: Item) {
        // Two pages' worth: the entries being answered, never the whole folder.
        if self.order.len() >= 2 * PAGE as usize
            && let Some(old) = self.order.pop_front()
        {
            self.items.remove(&old);
        }
        self.order.push_back(path.clone());
        self.items.insert(path, item);
    }

    fn forget_items(&mut self) {
        self.items.clear();
        self.order.clear();
    }
}

/// What the file service's answer means to a WebDAV client.
pub fn fs_error(e: Error) -> FsError {
    // (ChecksumMismatch is told through `RequestCache::refusal`; here it is a failure.)
    match e {
        Error::NotFound => FsError::NotFound,
        Error::PathExists | Error::PreconditionFailed | Error::Conflict(_) => FsError::Exists,
        Error::QuotaExceeded | Error::InsufficientStorage => FsError::InsufficientStorage,
        Error::PayloadTooLarge { .. } => FsError::TooLarge,
        Error::Forbidden
        | Error::OutOfScope
        | Error::RegistrationRefused(_)
        | Error::SecondFactorRequired
        | Error::Validation(_)
        | Error::BadRequest(_)
        | Error::ImageTooLarge(_) => FsError::Forbidden,
        // Damaged content is refused, not failed: nothing a retry would change.
        Error::ContentDamaged => FsError::Forbidden,
        other => {
            tracing::warn!(error = %other, "WebDAV operation failed");
            FsError::GeneralFailure
        }
    }
}

/// A DAV path as a Nimbus path: `None` for the root.
pub fn nimbus_path(p: &DavPath) -> FsResult<Option<FilePath>> {
    let text = std::str::from_utf8(p.as_bytes()).map_err(|_| FsError::Forbidden)?;
    match text.trim_matches('/') {
        "" => Ok(None),
        t => FilePath::parse(t).map(Some).map_err(|_| FsError::Forbidden),
    }
}

fn system_time(t: Timestamp) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(u64::try_from(t.0).unwrap_or(0))
}

/// What a PROPFIND shows of a file or folder.
#[derive(Debug, Clone)]
pub struct Meta {
    pub is_dir: bool,
    pub len: u64,
    pub modified: SystemTime,
    pub created: SystemTime,
    /// The content's SHA-256 for files; a folder's changes with its timestamps.
    pub etag: String,
}

impl Meta {
    pub fn of_file(f: &FileRecord) -> Self {
        Meta {
            is_dir: false,
            len: u64::try_from(f.size).unwrap_or(0),
            modified: system_time(f.modified_at),
            created: system_time(f.created_at),
            // 128 bits of the content hash: unique enough, and short enough for the
            // If headers clients build from it (litmus cuts longer ones off).
            etag: f.sha256.chars().take(32).collect(),
        }
    }

    fn of_folder(f: &FolderRecord) -> Self {
        Meta {
            is_dir: true,
            len: 0,
            modified: system_time(f.updated_at),
            created: system_time(f.created_at),
            etag: format!("{:x}", f.updated_at.0),
        }
    }

    fn root() -> Self {
        Meta { is_dir: true, len: 0, modified: UNIX_EPOCH, created: UNIX_EPOCH, etag: "root".into() }
    }
}

impl DavMetaData for Meta {
    fn len(&self) -> u64 {
        self.len
    }
    fn modified(&self) -> FsResult<SystemTime> {
        Ok(self.modified)
    }
    fn created(&self) -> FsResult<SystemTime> {
        Ok(self.created)
    }
    fn is_dir(&self) -> bool {
        self.is_dir
    }
    fn etag(&self) -> Option<String> {
        Some(self.etag.clone())
    }
}

/// A file or folder found at a path (short-lived: the size of the file variant is fine).
#[derive(Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Item {
    Root,
    File(FileRecord),
    Folder(FolderRecord),
}

impl Item {
    fn meta(&self) -> Meta {
        match self {
            Item::Root => Meta::root(),
            Item::File(f) => Meta::of_file(f),
            Item::Folder(f) => Meta::of_folder(f),
        }
    }
}

struct DirEntry {
    name: Vec<u8>,
    meta: Meta,
}

impl DavDirEntry for DirEntry {
    fn name(&self) -> Vec<u8> {
        self.name.clone()
    }
    fn metadata(&self) -> FsFuture<'_, Box<dyn DavMetaData>> {
        let meta: Box<dyn DavMetaData> = Box::new(self.meta.clone());
        async move { Ok(meta) }.boxed()
    }
}

fn entry_of(e: &Entry) -> Box<dyn DavDirEntry> {
    let (path, meta) = match e {
        Entry::File(f) => (&f.path, Meta::of_file(f)),
        Entry::Folder(f) => (&f.path, Meta::of_folder(f)),
    };
    let name = crate::domain::name_of(path).as_bytes().to_vec();
    Box::new(DirEntry { name, meta })
}

impl NimbusDav {
    /// The file or folder at `path` (a file and a folder never share a path).
    pub async fn item(&self, path: &DavPath) -> FsResult<Item> {
        let Some(p) = nimbus_path(path)? else { return Ok(Item::Root) };
        if let Some(known) = self.cached().items.get(p.as_str()) {
            return Ok(known.clone());
        }
        match self.files.stat(&self.who, FileRef::Path(&p)).await {
            Ok((file, _)) => return Ok(Item::File(file)),
            Err(Error::NotFound) => {}
            Err(e) => return Err(fs_error(e)),
        }
        match self.files.folder(&self.who, &p).await {
            Ok(folder) => Ok(Item::Folder(folder)),
            Err(e) => Err(fs_error(e)),
        }
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, RequestCache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Before a change: what this request looked up may no longer hold.
    fn changing(&self) {
        self.cached().forget_items();
    }

    /// Whether the owner has any dead property (asked once per request).
    async fn any_dead_props(&self) -> FsResult<bool> {
        if let Some(known) = self.cached().has_props {
            return Ok(known);
        }
        let has = self.meta.has_dav_props(&self.who.user.id).await.map_err(fs_error)?;
        self.cached().has_props = Some(has);
        Ok(has)
    }

    /// The id dead properties are kept under: the file's or folder's, the owner's for the root.
    async fn item_id(&self, path: &DavPath) -> FsResult<String> {
        Ok(match self.item(path).await? {
            Item::Root => self.who.user.id.clone(),
            Item::File(f) => f.id,
            Item::Folder(f) => f.id,
        })
    }

    /// `NotFound` unless the parent of `path` is a folder (or the root).
    async fn parent_must_exist(&self, path: &FilePath) -> FsResult<()> {
        let parent = crate::domain::parent_of(path.as_str());
        if parent.is_empty() {
            return Ok(());
        }
        let parent = FilePath::parse(parent).map_err(|_| FsError::Forbidden)?;
        self.files.folder(&self.who, &parent).await.map(|_| ()).map_err(fs_error)
    }

    fn checksum_prop(file: &FileRecord) -> Vec<u8> {
        format!(
            r#"<oc:checksums xmlns:oc="{OWNCLOUD_NS}"><oc:checksum>SHA256:{}</oc:checksum></oc:checksums>"#,
            file.sha256
        )
        .into_bytes()
    }
}

/// The SHA-256 of an `OC-Checksum: SHA256:<hex>` header (other algorithms cannot be
/// checked here and are ignored; a malformed value is never equal, so it is refused).
fn sha256_of_checksum(header: Option<&str>) -> Option<String> {
    let (algo, value) = header?.split_once(':')?;
    algo.eq_ignore_ascii_case("sha256").then(|| value.trim().to_ascii_lowercase())
}

fn display_name(item: &Item) -> Option<String> {
    match item {
        Item::Root => None,
        Item::File(f) => Some(crate::domain::name_of(&f.path).to_string()),
        Item::Folder(f) => Some(crate::domain::name_of(&f.path).to_string()),
    }
}

fn display_name_xml(name: &str) -> Vec<u8> {
    let escaped = name.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!(r#"<D:displayname xmlns:D="DAV:">{escaped}</D:displayname>"#).into_bytes()
}

impl DavFileSystem for NimbusDav {
    fn open<'a>(&'a self, path: &'a DavPath, options: OpenOptions) -> FsFuture<'a, Box<dyn DavFile>> {
        async move {
            let p = nimbus_path(path)?.ok_or(FsError::Forbidden)?;
            if !options.write {
                return match self.item(path).await? {
                    Item::File(file) => {
                        Ok(Box::new(DownloadFile::new(self.files.clone(), self.who.clone(), file)) as Box<dyn DavFile>)
                    }
                    _ => Err(FsError::Forbidden),
                };
            }
            self.changing();
            self.parent_must_exist(&p).await?;
            let existing = self.item(path).await;
            if matches!(existing, Ok(Item::Folder(_))) {
                return Err(FsError::Forbidden);
            }
            if options.append || !options.truncate {
                // Partial writes (Content-Range, SabreDAV PATCH) are refused: files are
                // written whole. Without truncation and with nothing there, this is a LOCK
                // on an unmapped URL, which creates an empty file (RFC 4918, 9.10.4).
                if options.append || existing.is_ok() {
                    return Err(FsError::NotImplemented);
                }
            }
            let mode = if options.create_new { WriteMode::CreateOnly } else { WriteMode::Overwrite };
            let req = PutRequest {
                declared_len: if options.truncate { options.size } else { Some(0) },
                modified_at: self.mtime,
                expected_sha256: sha256_of_checksum(options.checksum.as_deref()),
                ..PutRequest::new(p, mode)
            };
            let mut file = UploadFile::start(self.files.clone(), self.who.clone(), req, self.cache.clone());
            if !options.truncate {
                file.flush().await?;
            }
            Ok(Box::new(file) as Box<dyn DavFile>)
        }
        .boxed()
    }

    fn read_dir<'a>(&'a self, path: &'a DavPath, _meta: ReadDirMeta) -> FsFuture<'a, FsStream<Box<dyn DavDirEntry>>> {
        async move {
            let prefix = match self.item(path).await? {
                Item::Root => None,
                Item::Folder(f) => Some(format!("{}/", f.path)),
                Item::File(_) => return Err(FsError::Forbidden),
            };
            let (files, who, cache) = (self.files.clone(), self.who.clone(), self.cache.clone());
            // One page at a time, so a folder of any size streams in flat memory.
            let pages = futures_util::stream::unfold(Some(None::<String>), move |cursor| {
                let (files, who, prefix, cache) = (files.clone(), who.clone(), prefix.clone(), cache.clone());
                async move {
                    let cursor = cursor?;
                    let req = ListRequest {
                        prefix: prefix.as_deref(),
                        one_level: true,
                        limit: Some(PAGE),
                        cursor: cursor.as_deref(),
                        ..Default::default()
                    };
                    match files.list(&who, &req).await {
                        Ok(page) => {
                            let items: Vec<FsResult<Box<dyn DavDirEntry>>> =
                                page.items.iter().map(|e| Ok(entry_of(e))).collect();
                            let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
                            for e in page.items {
                                match e {
                                    Entry::File(f) => cache.remember(f.path.clone(), Item::File(f)),
                                    Entry::Folder(f) => cache.remember(f.path.clone(), Item::Folder(f)),
                                }
                            }
                            let next = page.next_cursor.map(Some);
                            Some((futures_util::stream::iter(items), next))
                        }
                        Err(e) => Some((futures_util::stream::iter(vec![Err(fs_error(e))]), None)),
                    }
                }
            });
            let stream: FsStream<Box<dyn DavDirEntry>> = Box::pin(pages.flatten());
            Ok(stream)
        }
        .boxed()
    }

    fn metadata<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, Box<dyn DavMetaData>> {
        async move { Ok(Box::new(self.item(path).await?.meta()) as Box<dyn DavMetaData>) }.boxed()
    }

    fn create_dir<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        async move {
            self.changing();
            let p = nimbus_path(path)?.ok_or(FsError::Exists)?;
            if !matches!(self.item(path).await, Err(FsError::NotFound)) {
                return Err(FsError::Exists);
            }
            // MKCOL does not create parents (RFC 4918: 409 Conflict).
            self.parent_must_exist(&p).await?;
            self.files.make_folder(&self.who, p.as_str()).await.map(|_| ()).map_err(fs_error)
        }
        .boxed()
    }

    fn remove_dir<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        async move {
            self.changing();
            let p = nimbus_path(path)?.ok_or(FsError::Forbidden)?;
            self.files.delete_folder(&self.who, &p).await.map_err(fs_error)
        }
        .boxed()
    }

    fn remove_file<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        async move {
            self.changing();
            let p = nimbus_path(path)?.ok_or(FsError::Forbidden)?;
            self.files.delete(&self.who, FileRef::Path(&p)).await.map_err(fs_error)
        }
        .boxed()
    }

    fn rename<'a>(&'a self, from: &'a DavPath, to: &'a DavPath) -> FsFuture<'a, ()> {
        async move {
            self.changing();
            let dest = nimbus_path(to)?.ok_or(FsError::Forbidden)?;
            match self.item(from).await? {
                Item::File(f) => self.files.move_file(&self.who, &f.id, dest.as_str()).await.map(|_| ()),
                Item::Folder(f) => {
                    let src = FilePath::parse(&f.path).map_err(|_| FsError::Forbidden)?;
                    self.files.move_folder(&self.who, &src, dest.as_str()).await.map(|_| ())
                }
                Item::Root => return Err(FsError::Forbidden),
            }
            .map_err(fs_error)
        }
        .boxed()
    }

    fn copy<'a>(&'a self, from: &'a DavPath, to: &'a DavPath) -> FsFuture<'a, ()> {
        async move {
            self.changing();
            let dest = nimbus_path(to)?.ok_or(FsError::Forbidden)?;
            let Item::File(src) = self.item(from).await? else { return Err(FsError::Forbidden) };
            // Server-side: a new file on the same content, no bytes copied.
            let written =
                self.files.copy(&self.who, FileRef::Id(&src.id), dest.as_str(), true).await.map_err(fs_error)?;
            self.meta.copy_dav_props(&self.who.user.id, &src.id, &written.file.id).await.map_err(fs_error)
        }
        .boxed()
    }

    fn have_props<'a>(&'a self, _path: &'a DavPath) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
        async { true }.boxed()
    }

    fn patch_props<'a>(
        &'a self,
        path: &'a DavPath,
        patch: Vec<(bool, DavProp)>,
    ) -> FsFuture<'a, Vec<(StatusCode, DavProp)>> {
        async move {
            let id = self.item_id(path).await?;
            let owner = &self.who.user.id;
            let mut out = Vec::with_capacity(patch.len());
            for (set, prop) in patch {
                let namespace = prop.namespace.clone().unwrap_or_default();
                let done = if set {
                    let record = DavPropRecord {
                        namespace,
                        name: prop.name.clone(),
                        prefix: prop.prefix.clone(),
                        xml: prop.xml.as_ref().map(|x| String::from_utf8_lossy(x).into_owned()),
                    };
                    self.meta.set_dav_prop(owner, &id, &record).await
                } else {
                    self.meta.remove_dav_prop(owner, &id, &namespace, &prop.name).await
                };
                done.map_err(fs_error)?;
                self.cached().has_props = None;
                out.push((StatusCode::OK, DavProp { xml: None, ..prop }));
            }
            Ok(out)
        }
        .boxed()
    }

    fn get_props<'a>(&'a self, path: &'a DavPath, do_content: bool) -> FsFuture<'a, Vec<DavProp>> {
        async move {
            let item = self.item(path).await?;
            let id = match &item {
                Item::Root => self.who.user.id.clone(),
                Item::File(f) => f.id.clone(),
                Item::Folder(f) => f.id.clone(),
            };
            let stored = match self.any_dead_props().await? {
                true => self.meta.dav_props(&self.who.user.id, &id).await.map_err(fs_error)?,
                false => Vec::new(),
            };
            let mut props: Vec<DavProp> = stored
                .into_iter()
                .map(|p| DavProp {
                    name: p.name,
                    prefix: p.prefix,
                    namespace: if p.namespace.is_empty() { None } else { Some(p.namespace) },
                    xml: if do_content { p.xml.map(String::into_bytes) } else { None },
                })
                .collect();
            let has_name = props.iter().any(|p| p.name == "displayname" && p.namespace.as_deref() == Some("DAV:"));
            if let (Some(name), false) = (display_name(&item), has_name) {
                props.push(DavProp {
                    name: "displayname".into(),
                    prefix: Some("D".into()),
                    namespace: Some("DAV:".into()),
                    xml: do_content.then(|| display_name_xml(&name)),
                });
            }
            if let Item::File(f) = &item {
                props.push(DavProp {
                    name: "checksums".into(),
                    prefix: Some("oc".into()),
                    namespace: Some(OWNCLOUD_NS.into()),
                    xml: do_content.then(|| Self::checksum_prop(f)),
                });
            }
            Ok(props)
        }
        .boxed()
    }

    fn get_prop<'a>(&'a self, path: &'a DavPath, prop: DavProp) -> FsFuture<'a, Vec<u8>> {
        async move {
            let item = self.item(path).await?;
            if let (Item::File(f), "checksums", Some(OWNCLOUD_NS)) =
                (&item, prop.name.as_str(), prop.namespace.as_deref())
            {
                return Ok(Self::checksum_prop(f));
            }
            let id = self.item_id(path).await?;
            let namespace = prop.namespace.unwrap_or_default();
            let stored = match self.any_dead_props().await? {
                true => self.meta.dav_props(&self.who.user.id, &id).await.map_err(fs_error)?,
                false => Vec::new(),
            };
            if let Some(found) = stored.into_iter().find(|p| p.namespace == namespace && p.name == prop.name) {
                return Ok(found.xml.unwrap_or_default().into_bytes());
            }
            // Unless a client set its own, a file's display name is its name.
            match (namespace.as_str(), prop.name.as_str(), display_name(&item)) {
                ("DAV:", "displayname", Some(name)) => Ok(display_name_xml(&name)),
                _ => Err(FsError::NotFound),
            }
        }
        .boxed()
    }

    fn get_quota(&self) -> FsFuture<'_, (u64, Option<u64>)> {
        async move {
            let user = self.meta.user_by_id(&self.who.user.id).await.map_err(fs_error)?.ok_or(FsError::NotFound)?;
            let used = u64::try_from(user.used_bytes).unwrap_or(0);
            Ok((used, Some(u64::try_from(user.quota_bytes).unwrap_or(0))))
        }
        .boxed()
    }
}
