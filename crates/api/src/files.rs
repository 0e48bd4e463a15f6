//! Files and their metadata.

use crate::UserRef;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the caller may do with a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    Owner,
    Read,
}

/// A file's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct File {
    pub id: String,
    /// The full path in the owner's namespace, e.g. `photos/2024/cat.jpg`.
    pub path: String,
    /// The last segment of `path`.
    pub name: String,
    pub size: u64,
    pub content_type: String,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    /// CIDv1 of the content (see Content addressing).
    pub cid: Option<String>,
    /// CIDv1 of the file's CAR export; may be `null` for a short while after upload.
    pub car_cid: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// When the content last changed as its uploader's client saw it (`X-Nimbus-Mtime`,
    /// a multipart `mtime` field); the upload time otherwise. Downloads send it as
    /// `Last-Modified`.
    pub modified_at: String,
    pub owner: UserRef,
    pub permission: Permission,
    /// True once a read or the scrub found the stored bytes damaged: downloads are
    /// refused (409 `content_damaged`) until the same bytes are uploaded again.
    #[serde(default)]
    pub damaged: bool,
}

/// `{"file": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FileEnvelope {
    pub file: File,
}

/// Body of `PATCH /api/v1/files/{id}`: rename or move.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MoveFileRequest {
    pub path: String,
}

/// What to do when an uploaded path already exists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// 409 `path_exists`.
    #[default]
    Fail,
    /// Store as `name (1).ext`, `name (2).ext`, ….
    Rename,
    /// Replace the existing file's content.
    Overwrite,
}

/// A folder: it exists on its own, empty or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Folder {
    /// The full path, e.g. `photos/2024`.
    pub path: String,
    /// The last segment of `path`.
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
}

/// `{"folder": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FolderEnvelope {
    pub folder: Folder,
}

/// One item of a listing: a folder or a file, told apart by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
// Most entries are files: boxing them to shrink the rarer folder variant would cost more.
#[allow(clippy::large_enum_variant)]
pub enum Entry {
    Folder(Folder),
    File(File),
}

impl Entry {
    pub fn path(&self) -> &str {
        match self {
            Entry::Folder(f) => &f.path,
            Entry::File(f) => &f.path,
        }
    }

    /// The file, if this entry is one.
    pub fn file(&self) -> Option<&File> {
        match self {
            Entry::File(f) => Some(f),
            Entry::Folder(_) => None,
        }
    }
}

/// Body of `POST /api/v1/folders`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateFolderRequest {
    pub path: String,
}

/// Body of `PATCH /api/v1/folders/{path}`: the new path (rename or move).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MoveFolderRequest {
    pub path: String,
}

/// Body of `POST /api/v1/files/{id}/copy`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CopyFileRequest {
    /// Where the copy goes.
    pub path: String,
    /// Replace a file already at `path` (else 409 `path_exists`).
    #[serde(default)]
    pub overwrite: bool,
}

/// A resumable upload (tus) as `GET /api/v1/uploads/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Upload {
    pub id: String,
    /// Where the file will be (or is) in the owner's namespace.
    pub path: String,
    /// Bytes received and stored so far.
    pub offset: u64,
    /// The whole length; `null` while the client defers it.
    pub length: Option<u64>,
    pub expires_at: String,
    /// The finished file, `null` until the last byte arrived.
    pub file: Option<File>,
}

/// `{"upload": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadEnvelope {
    pub upload: Upload,
}

/// An earlier content of a file, kept when the file was replaced (from any front).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Version {
    pub id: String,
    pub size: u64,
    /// Lowercase hex SHA-256 of that content.
    pub sha256: String,
    /// CIDv1 of that content.
    pub cid: Option<String>,
    /// When that content last changed as its uploader's client saw it.
    pub modified_at: String,
    /// When that content became the file's.
    pub created_at: String,
}

/// A file or folder in the trash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TrashItem {
    pub id: String,
    /// `file` or `folder`.
    pub kind: String,
    /// Where it was (after a restore: where it is now).
    pub path: String,
    /// The bytes of its files.
    pub size: u64,
    /// How many files it holds (1 for a file).
    pub file_count: u64,
    pub deleted_at: String,
}

/// `{"item": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrashItemEnvelope {
    pub item: TrashItem,
}

/// Body of `POST /api/v1/trash/{id}/restore` (optional): where to put it back.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    /// A path to restore to instead of where it was.
    pub path: Option<String>,
}
