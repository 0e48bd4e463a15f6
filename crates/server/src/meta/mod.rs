//! `MetaStore`: every read and write of metadata, behind one interface.
//!
//! Each method is one atomic unit of work, so services never hold a transaction across
//! calls. There is one implementation, [`SqlMetaStore`], whose portable SQL runs on both
//! SQLite (embedded default) and PostgreSQL (scale-out).

mod files;
mod migrate;
mod records;
mod recovery;
mod sharing;
mod sql;
mod storage;
mod usage;
mod users;

pub use records::*;
pub use recovery::MAX_RESET_ATTEMPTS;
pub use sql::SqlMetaStore;

use crate::domain::Timestamp;
use crate::error::Result;
use async_trait::async_trait;

#[async_trait]
pub trait MetaStore: Send + Sync + 'static {
    /// Checks that the database answers.
    async fn ping(&self) -> Result<()>;

    // ---- users ----

    /// Creates a user; the first user of an empty store becomes an admin.
    /// `UsernameTaken` / `EmailTaken` on conflicts.
    async fn create_user(&self, user: NewUser) -> Result<UserRecord>;
    async fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>>;
    /// Looks a user up by username or email, case-insensitively.
    async fn user_by_login(&self, login_key: &str) -> Result<Option<UserRecord>>;
    async fn update_user(&self, id: &str, patch: UserPatch) -> Result<UserRecord>;
    /// Sets a new password hash and revokes every session but `keep_session`.
    async fn set_password(&self, user_id: &str, hash: &str, keep_session: Option<&str>) -> Result<()>;
    /// Removes the user, their sessions and files, releasing the files' content.
    async fn delete_user(&self, id: &str) -> Result<()>;

    // ---- sessions ----

    async fn create_session(&self, session: &SessionRecord) -> Result<()>;
    /// The session with this token hash and its user, expired or not.
    async fn session_by_token_hash(&self, token_hash: &str) -> Result<Option<(SessionRecord, UserRecord)>>;
    /// Returns whether a session was deleted.
    async fn delete_session(&self, id: &str) -> Result<bool>;
    /// Removes sessions that expired before `now`; returns how many.
    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64>;

    // ---- files ----

    /// Commits a batch of staged uploads in one transaction: content references, file
    /// rows, and the owner's usage (checked against the quota). All or nothing.
    async fn commit_uploads(&self, owner_id: &str, uploads: Vec<StagedUpload>) -> Result<Vec<CommittedUpload>>;
    async fn file_by_id(&self, id: &str) -> Result<Option<FileRecord>>;
    async fn file_by_path(&self, owner_id: &str, path: &str) -> Result<Option<FileRecord>>;
    /// The owner's files with `lo <= path < hi` and `path > after`, by path.
    async fn list_files(
        &self,
        owner_id: &str,
        range: &crate::domain::PrefixRange,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<FileRecord>>;
    /// Moves a file to a new path; `PathExists` if taken.
    async fn move_file(&self, owner_id: &str, id: &str, new_path: &str) -> Result<FileRecord>;
    /// Deletes the owner's file; returns false when there was none.
    async fn delete_file(&self, owner_id: &str, id: &str) -> Result<bool>;
    /// One of the owner's files whose content has this CID (v1, base32).
    async fn file_by_cid(&self, owner_id: &str, cid: &str) -> Result<Option<FileRecord>>;

    // ---- CAR exports ----

    /// Referenced contents whose `car_cid` is not computed yet.
    async fn contents_missing_car(&self, limit: u32) -> Result<Vec<CarJob>>;
    async fn set_car(&self, content_id: &str, car_cid: &str, car_size: i64) -> Result<()>;

    // ---- sharing ----

    /// The user whose case-folded username is `key`.
    async fn user_by_username(&self, key: &str) -> Result<Option<UserRecord>>;
    /// Shares a file; returns the share and whether it is new.
    async fn share_file(&self, file_id: &str, user_id: &str, now: Timestamp) -> Result<(ShareRecord, bool)>;
    async fn shares_of_file(&self, file_id: &str) -> Result<Vec<ShareRecord>>;
    async fn unshare_file(&self, file_id: &str, user_id: &str) -> Result<bool>;
    async fn is_shared_with(&self, file_id: &str, user_id: &str) -> Result<bool>;
    /// Files shared with `user_id`, newest share first, after `cursor`.
    async fn shared_with(
        &self,
        user_id: &str,
        cursor: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Vec<(FileRecord, Timestamp)>>;

    // ---- public links ----

    async fn create_link(&self, link: NewLink) -> Result<LinkRecord>;
    async fn links_of_file(&self, file_id: &str) -> Result<Vec<LinkRecord>>;
    async fn link_by_id(&self, id: &str) -> Result<Option<LinkRecord>>;
    async fn link_by_token_hash(&self, token_hash: &str) -> Result<Option<LinkRecord>>;
    async fn delete_link(&self, id: &str) -> Result<bool>;
    /// Counts one download if the link is still live (not expired, not exhausted), in
    /// one conditional statement so concurrent downloads cannot overrun the limit.
    async fn consume_link_download(&self, id: &str, now: Timestamp) -> Result<bool>;

    // ---- messages ----

    /// Stores a message and, if it carries a file, shares the file with the recipient,
    /// in one transaction.
    async fn send_message(&self, message: NewMessage) -> Result<MessageRecord>;
    async fn messages(
        &self,
        user_id: &str,
        mailbox: MessageBox,
        cursor: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Vec<MessageRecord>>;
    async fn message_by_id(&self, id: &str) -> Result<Option<MessageRecord>>;
    async fn mark_message_read(&self, id: &str, now: Timestamp) -> Result<()>;
    async fn hide_message(&self, id: &str, for_sender: bool) -> Result<()>;

    // ---- usage, plans, devices, administration ----

    /// Adds metered bytes to the user's totals and to their row for `day`.
    async fn add_usage(&self, user_id: &str, day: &str, uploaded: i64, downloaded: i64) -> Result<()>;
    /// Daily rows from `since_day` (inclusive) on, by day.
    async fn daily_usage(&self, user_id: &str, since_day: &str) -> Result<Vec<DailyUsage>>;
    async fn add_active_seconds(&self, user_id: &str, seconds: i64) -> Result<()>;
    /// Sets the quota unless it is below what the user stores; false if it was.
    async fn set_plan(&self, user_id: &str, quota_bytes: i64) -> Result<bool>;
    /// `Validation` on a duplicate peer_id for the user.
    async fn create_device(&self, device: NewDevice) -> Result<DeviceRecord>;
    async fn devices(&self, user_id: &str) -> Result<Vec<DeviceRecord>>;
    /// Deletes the device and its sessions.
    async fn delete_device(&self, user_id: &str, id: &str) -> Result<bool>;
    /// The user, device and device secret hash for a device login.
    async fn device_for_login(
        &self,
        username_key: &str,
        peer_id: &str,
    ) -> Result<Option<(UserRecord, DeviceRecord, String)>>;
    async fn touch_device(&self, id: &str, now: Timestamp) -> Result<()>;
    /// Users by username, after `after_key`.
    async fn list_users(&self, after_key: Option<&str>, limit: u32) -> Result<Vec<UserRecord>>;
    /// Applies an admin's change; disabling revokes every session; the last enabled
    /// admin cannot be demoted or disabled (`Validation`).
    async fn admin_update_user(&self, id: &str, patch: AdminPatch) -> Result<UserRecord>;

    // ---- password reset and avatars ----

    /// Stores a new reset code for the user, replacing any earlier one.
    async fn put_password_reset(&self, user_id: &str, code_hash: &str, expires_at: Timestamp) -> Result<()>;
    /// Spends one try on the user's live, unexpired, unburned code and returns it.
    async fn take_reset_attempt(&self, user_id: &str, now: Timestamp) -> Result<Option<ResetRecord>>;
    /// Uses the code (once), sets the password and revokes every session, atomically.
    async fn complete_password_reset(&self, user_id: &str, code_hash: &str, new_password_hash: &str) -> Result<bool>;
    async fn set_avatar(&self, user_id: &str, content_type: &str, data: &[u8], now: Timestamp) -> Result<()>;
    async fn delete_avatar(&self, user_id: &str) -> Result<()>;
    async fn avatar(&self, user_id: &str) -> Result<Option<AvatarRecord>>;

    // ---- users' own buckets ----

    async fn user_storage(&self, user_id: &str) -> Result<Option<StorageRecord>>;
    async fn user_storage_by_id(&self, id: &str) -> Result<Option<StorageRecord>>;
    /// Sets the user's bucket, replacing an earlier one.
    async fn set_user_storage(&self, storage: &StorageRecord) -> Result<()>;
    async fn delete_user_storage(&self, user_id: &str) -> Result<bool>;
    /// Whether any content (live, or awaiting reclamation) is kept in `store`.
    async fn store_in_use(&self, store: &str) -> Result<bool>;

    // ---- server secrets ----

    /// The server-wide secret `name`, set to `candidate` if it did not exist yet. Every
    /// instance on the same database gets the same value.
    async fn server_secret(&self, name: &str, candidate: &str) -> Result<String>;

    // ---- content reclamation ----

    /// Content rows no file references any more (up to `limit`).
    async fn unreferenced_contents(&self, limit: u32) -> Result<Vec<String>>;
    /// Deletes the content row if it is still unreferenced and returns its blob key, so
    /// the caller may delete the blob. A concurrent upload of the same bytes either
    /// revived the row first (nothing is deleted) or will insert a new row with its own
    /// blob key, so no committed file ever loses its bytes.
    async fn reclaim_content(&self, content_id: &str) -> Result<Option<ReclaimedBlob>>;
    /// Whether any content row points at this blob key.
    async fn blob_key_in_use(&self, blob_key: &str) -> Result<bool>;
}
