//! Plain records the metadata store reads and writes.

use crate::domain::{FilePath, Timestamp};

#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Argon2id PHC string; never leaves the server.
    pub password_hash: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub quota_bytes: i64,
    pub used_bytes: i64,
    pub file_count: i64,
    pub created_at: Timestamp,
    /// Lifetime totals of metered transfer, and app-reported active time.
    pub uploaded_bytes: i64,
    pub downloaded_bytes: i64,
    pub active_seconds: i64,
    /// When the avatar was last set; `None` without one.
    pub avatar_updated_at: Option<Timestamp>,
    /// Quota held by the user's open upload sessions (not yet in `used_bytes`).
    pub reserved_bytes: i64,
    /// Bytes of their files' earlier versions, and of their trash (see `meta::quota`).
    pub versions_bytes: i64,
    pub trash_bytes: i64,
    /// Whether they keep their files in their own bucket (read with the user, so an
    /// upload need not ask again when they do not).
    pub has_own_storage: bool,
}

pub struct NewUser {
    pub id: String,
    pub username: String,
    pub username_key: String,
    pub email: Option<String>,
    pub email_key: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub password_hash: String,
    pub quota_bytes: i64,
    pub created_at: Timestamp,
    /// What lets this account in, unless it is the server's first (which always may).
    pub admission: Admission,
}

/// How a registration is admitted (checked in the same transaction as the insert, so an
/// invite is used up only by an account that is really created).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    Open,
    /// The SHA-256 (hex) of an invite code, which must be unused and unexpired.
    Invite(String),
    Closed,
}

/// An admin's invitation to register; only the code's hash is stored.
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub code_hash: String,
    pub created_by: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Changes to a user; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Default)]
pub struct UserPatch {
    pub username: Option<(String, String)>,
    pub email: Option<Option<(String, String)>>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
}

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: String,
    /// SHA-256 of the bearer token; the token itself is never stored.
    pub token_hash: String,
    pub user_id: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Set for sessions opened by a device login; they end with the device.
    pub device_id: Option<String>,
    /// `browser`, `token` or `device`: how it began.
    pub kind: String,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    /// When a request last used it (kept to the minute).
    pub last_used_at: Option<Timestamp>,
}

/// How an upload treats an existing file at its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteMode {
    /// `PathExists` if taken.
    Fail,
    /// Take the first free `name (n).ext`.
    Rename,
    /// Replace the existing file's content, keeping its id.
    Overwrite,
    /// Replace only if the current content has this SHA-256; else `PreconditionFailed`.
    IfMatch(String),
    /// Create only; `PreconditionFailed` if taken (`If-None-Match: *`).
    CreateOnly,
}

/// An upload whose bytes are durable in the blob store, waiting for its metadata.
#[derive(Debug, Clone)]
pub struct StagedUpload {
    pub path: FilePath,
    pub mode: WriteMode,
    pub content_type: String,
    pub sha256: String,
    /// UnixFS CIDv1 of the content.
    pub cid: String,
    pub size: i64,
    /// Which blob store holds the bytes; dedup happens within one store only.
    pub store: String,
    pub blob_key: String,
    /// The file's modification time as its client knows it; the commit time if `None`.
    pub modified_at: Option<Timestamp>,
    /// MD5 (hex) of the content, for S3 ETags; `None` leaves it to the background filler.
    pub md5: Option<String>,
    /// The SHA-256 of each 256 KiB chunk (`ContentDigest::leaves`), for checked ranges.
    pub leaves: Option<Vec<u8>>,
    /// The S3 attributes the written file gets (any other write clears them).
    pub attributes: ObjectAttributes,
    /// The content's bytes, when they are kept inline (`blob_key` is then an `inline:`
    /// key): written in the commit's transaction, no blob holds them.
    pub inline_data: Option<bytes::Bytes>,
}

/// What the S3 API keeps with a file besides its bytes. Every write sets them: a write
/// from another front clears them, as it replaces the object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectAttributes {
    /// The ETag of a file completed from S3 multipart parts (`"<md5 of part md5s>-<n>"`);
    /// `None`: the content's MD5.
    pub s3_etag: Option<String>,
    /// `x-amz-meta-*` headers as a JSON object of lower-cased names to values.
    pub user_metadata: Option<String>,
}

/// A copy's new content type and S3 attributes (S3's `x-amz-metadata-directive: REPLACE`).
#[derive(Debug, Clone)]
pub struct NewAttributes {
    pub content_type: String,
    pub attributes: ObjectAttributes,
}

#[derive(Debug, Clone)]
pub struct CommittedUpload {
    pub file: FileRecord,
    /// True if a new file was created, false if an existing one was replaced.
    pub created: bool,
    /// The staged blob is redundant (the content was already stored): delete it.
    pub redundant_blob: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FileRecord {
    pub id: String,
    pub owner_id: String,
    pub owner_username: String,
    pub path: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
    pub cid: Option<String>,
    pub car_cid: Option<String>,
    /// Byte length of the CAR export, once `car_cid` is known.
    pub car_size: Option<i64>,
    pub content_id: String,
    pub store: String,
    pub blob_key: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When the content last changed as the uploader's client saw it (sync tools use it).
    pub modified_at: Timestamp,
    /// MD5 (hex) of the content; `None` until the background filler reaches older rows.
    pub md5: Option<String>,
    /// See [`ObjectAttributes`].
    pub s3_etag: Option<String>,
    pub user_metadata: Option<String>,
    /// When a read or the scrub found the stored bytes damaged; `None` while intact.
    pub damaged_at: Option<Timestamp>,
    /// The bytes of a content kept inline, read with the file by the single-file
    /// lookups (`file_by_id`, `file_by_path`) so a small download needs no second
    /// query; `None` from listings and for contents kept as blobs.
    #[sqlx(default)]
    pub inline_data: Option<InlineBytes>,
}

/// A file's bytes as read with its record: kept out of `Debug` output (a logged record
/// must never carry a user's content), shown as their length only.
#[derive(Clone, sqlx::Type)]
#[sqlx(transparent)]
pub struct InlineBytes(pub Vec<u8>);

impl std::fmt::Debug for InlineBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

impl FileRecord {
    /// The file's S3 ETag, quoted: a multipart upload's, else the content's MD5 (or,
    /// until the background filler has computed that, the first half of its SHA-256).
    pub fn s3_etag(&self) -> String {
        match (&self.s3_etag, &self.md5) {
            (Some(tag), _) => format!("\"{tag}\""),
            (None, Some(md5)) => format!("\"{md5}\""),
            (None, None) => format!("\"{}\"", &self.sha256[..32.min(self.sha256.len())]),
        }
    }

    pub fn attributes(&self) -> ObjectAttributes {
        ObjectAttributes { s3_etag: self.s3_etag.clone(), user_metadata: self.user_metadata.clone() }
    }
}

/// A folder: it exists on its own, empty or not, and its path is never a file's.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FolderRecord {
    pub id: String,
    pub owner_id: String,
    pub path: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One item of a folder listing or a search.
#[derive(Debug, Clone)]
// Most entries are files: boxing them to shrink the rarer folder variant would cost more.
#[allow(clippy::large_enum_variant)]
pub enum Entry {
    Folder(FolderRecord),
    File(FileRecord),
}

impl Entry {
    pub fn path(&self) -> &str {
        match self {
            Entry::Folder(f) => &f.path,
            Entry::File(f) => &f.path,
        }
    }
}

/// Where a one-level listing continues: folders come first, then files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirCursor {
    /// After this folder (files follow once folders run out).
    Folder(String),
    /// After this file (no folders remain).
    File(String),
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReclaimedBlob {
    pub store: String,
    pub blob_key: String,
}

/// A content whose CAR export has not been hashed yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CarJob {
    #[sqlx(rename = "id")]
    pub content_id: String,
    pub store: String,
    pub blob_key: String,
    pub cid: String,
    pub size: i64,
}

/// A stored content to re-hash (scrub).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScrubJob {
    #[sqlx(rename = "id")]
    pub content_id: String,
    pub store: String,
    pub blob_key: String,
    pub sha256: String,
    pub size: i64,
}

/// A file whose content is damaged, as the admin is told.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DamagedFile {
    pub username: String,
    pub path: String,
    pub sha256: String,
    pub damaged_at: Timestamp,
}

/// A content whose MD5 was not computed when it was stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Md5Job {
    #[sqlx(rename = "id")]
    pub content_id: String,
    pub store: String,
    pub blob_key: String,
    pub sha256: String,
    pub size: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShareRecord {
    pub file_id: String,
    pub user_id: String,
    pub username: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRecord {
    pub id: String,
    pub file_id: String,
    pub owner_id: String,
    /// Argon2id PHC string of the link password, if it has one.
    pub password_hash: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub max_downloads: Option<i64>,
    pub download_count: i64,
    pub created_at: Timestamp,
}

pub struct NewLink {
    pub id: String,
    pub token_hash: String,
    pub file_id: String,
    pub owner_id: String,
    pub password_hash: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub max_downloads: Option<i64>,
    pub created_at: Timestamp,
}

/// Which side of a conversation a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageBox {
    Inbox,
    Sent,
}

#[derive(Debug, Clone)]
pub struct MessageRecord {
    pub id: String,
    pub sender_id: String,
    pub sender_username: String,
    pub recipient_id: String,
    pub recipient_username: String,
    pub body: Option<String>,
    /// `(id, path, size)` of the attached file, while it exists.
    pub file: Option<(String, String, i64)>,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
    pub hidden_for_sender: bool,
    pub hidden_for_recipient: bool,
}

pub struct NewMessage {
    pub id: String,
    pub sender_id: String,
    pub recipient_id: String,
    pub body: Option<String>,
    pub file_id: Option<String>,
    pub created_at: Timestamp,
}

/// A position in a newest-first listing: `(created_at, id)` of the last item shown.
pub type TimeCursor = (i64, String);

/// Bytes moved for one user on one day (UTC, `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DailyUsage {
    pub day: String,
    pub uploaded_bytes: i64,
    pub downloaded_bytes: i64,
}

/// An app password's public side (its secret is shown once, at creation).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppPasswordRecord {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// A WebDAV lock on a path in its owner's namespace.
#[derive(Debug, Clone)]
pub struct DavLockRecord {
    /// `opaquelocktoken:<uuid>`, as sent back in `If` headers.
    pub token: String,
    pub owner_id: String,
    /// The locked path ("" for the root), without slashes at either end.
    pub path: String,
    pub principal: Option<String>,
    /// The client's `<D:owner>` element, as XML.
    pub owner_xml: Option<String>,
    pub timeout_secs: Option<i64>,
    pub expires_at: Option<Timestamp>,
    pub shared: bool,
    pub deep: bool,
}

/// A dead WebDAV property of a file or folder.
#[derive(Debug, Clone)]
pub struct DavPropRecord {
    pub namespace: String,
    pub name: String,
    pub prefix: Option<String>,
    /// The property's value as XML (`None`: present but empty).
    pub xml: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRecord {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub peer_id: String,
    pub created_at: Timestamp,
    pub last_seen_at: Option<Timestamp>,
}

pub struct NewDevice {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub peer_id: String,
    /// SHA-256 of the device secret (a 256-bit random token).
    pub secret_hash: String,
    pub created_at: Timestamp,
}

/// What an admin may change on a user; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct AdminPatch {
    pub quota_bytes: Option<i64>,
    pub disabled: Option<bool>,
    pub is_admin: Option<bool>,
}

/// A live password-reset code of a user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResetRecord {
    /// Argon2id PHC string of the code.
    pub code_hash: String,
    pub expires_at: Timestamp,
    pub attempts: i64,
}

/// An avatar image.
#[derive(sqlx::FromRow)]
pub struct AvatarRecord {
    pub content_type: String,
    pub data: Vec<u8>,
    pub updated_at: Timestamp,
}

/// A thumbnail: derived from a content, shared by every copy of it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ThumbnailRecord {
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A user's own bucket. `secret_ciphertext` is only ever decrypted to talk to it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StorageRecord {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub prefix: String,
    pub access_key_id: String,
    pub secret_ciphertext: String,
    pub created_at: Timestamp,
}

impl StorageRecord {
    /// The blob-store name of this bucket, as recorded with the contents stored there.
    pub fn store_name(&self) -> String {
        format!("user:{}", self.id)
    }
}

/// A resumable upload: where its file will go, how far it got, and the quota it holds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UploadSessionRecord {
    pub id: String,
    pub owner_id: String,
    pub path: String,
    /// `WriteMode` in its stored form (see `WriteMode::to_stored`).
    pub mode: String,
    pub content_type: Option<String>,
    pub modified_at: Option<Timestamp>,
    /// `None` while the client defers it.
    pub length: Option<i64>,
    pub upload_offset: i64,
    pub reserved_bytes: i64,
    /// The blob store that holds the session's bytes.
    pub store: String,
    /// The client's `Upload-Metadata`, echoed on HEAD.
    pub metadata: Option<String>,
    /// Set once the last byte arrived and the file was committed.
    pub file_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub expires_at: Timestamp,
    /// The blob store's bookkeeping for the session (see `blob::Appended`).
    pub store_state: Option<String>,
}

impl WriteMode {
    /// The form kept in the database.
    pub fn to_stored(&self) -> String {
        match self {
            WriteMode::Fail => "fail".into(),
            WriteMode::Rename => "rename".into(),
            WriteMode::Overwrite => "overwrite".into(),
            WriteMode::CreateOnly => "create_only".into(),
            WriteMode::IfMatch(sha) => format!("if_match:{sha}"),
        }
    }

    pub fn from_stored(s: &str) -> Option<WriteMode> {
        Some(match s {
            "fail" => WriteMode::Fail,
            "rename" => WriteMode::Rename,
            "overwrite" => WriteMode::Overwrite,
            "create_only" => WriteMode::CreateOnly,
            _ => WriteMode::IfMatch(s.strip_prefix("if_match:")?.to_string()),
        })
    }
}

/// An S3 access key (its secret is never part of the record).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessKeyRecord {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub access_key_id: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// An S3 multipart upload in progress: the file it will become and the quota its parts
/// hold.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MultipartUploadRecord {
    pub id: String,
    pub owner_id: String,
    pub path: String,
    pub content_type: Option<String>,
    pub user_metadata: Option<String>,
    pub reserved_bytes: i64,
    pub created_at: Timestamp,
}

/// One stored part of a multipart upload; its bytes are a content of their own.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MultipartPartRecord {
    pub upload_id: String,
    pub part_number: i64,
    pub size: i64,
    pub md5: String,
    pub created_at: Timestamp,
    pub content_id: String,
    pub sha256: String,
    pub store: String,
    pub blob_key: String,
}

/// A part's bytes, durable and hashed, about to be recorded.
#[derive(Debug, Clone)]
pub struct StagedPart {
    pub store: String,
    pub sha256: String,
    pub cid: String,
    pub md5: String,
    pub size: i64,
    pub blob_key: String,
}

/// An earlier content of a file, kept when the file was replaced.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRecord {
    pub id: String,
    pub file_id: String,
    pub size: i64,
    pub sha256: String,
    pub cid: Option<String>,
    /// The client's modification time of that content.
    pub modified_at: Timestamp,
    /// When that content became the file's.
    pub created_at: Timestamp,
    /// When it stopped being the file's (retention counts from here).
    pub archived_at: Timestamp,
    /// For its S3 ETag, as [`FileRecord::s3_etag`].
    pub md5: Option<String>,
    pub s3_etag: Option<String>,
}

impl VersionRecord {
    /// The version's S3 ETag, quoted (the same rule as a file's).
    pub fn s3_etag(&self) -> String {
        match (&self.s3_etag, &self.md5) {
            (Some(tag), _) => format!("\"{tag}\""),
            (None, Some(md5)) => format!("\"{md5}\""),
            (None, None) => format!("\"{}\"", &self.sha256[..32.min(self.sha256.len())]),
        }
    }
}

/// A file or folder in the trash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TrashRecord {
    pub id: String,
    /// `file` or `folder`.
    pub kind: String,
    /// Where it was.
    pub path: String,
    /// The bytes of its files.
    pub size: i64,
    pub file_count: i64,
    pub deleted_at: Timestamp,
}

/// What the store keeps of replaced and deleted files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Earlier versions kept per file (0: a replaced content is gone at once).
    pub versions_per_file: u32,
    /// Deletes move files and folders to the trash (false: a delete is final).
    pub trash: bool,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { versions_per_file: 50, trash: true }
    }
}

#[cfg(test)]
mod tests {
    use super::InlineBytes;

    #[test]
    fn a_files_bytes_never_show_in_debug_output() {
        let shown = format!("{:?}", Some(InlineBytes(b"my bank PIN is 1234".to_vec())));
        assert_eq!(shown, "Some(<19 bytes>)");
    }
}
