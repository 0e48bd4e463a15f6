//! The integration suite again, on PostgreSQL: every test gets its own database on the
//! server at `NIMBUS_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! The modules are the SQLite suite's own files; only `BACKEND` differs.

#[path = "../it/account_security.rs"]
mod account_security;
#[path = "../it/accounts.rs"]
mod accounts;
#[path = "../it/admin.rs"]
mod admin;
#[path = "../it/bursts.rs"]
mod bursts;
#[path = "../it/common.rs"]
mod common;
#[path = "../it/conformance.rs"]
mod conformance;
#[path = "../it/content.rs"]
mod content;
#[path = "../it/csrf.rs"]
mod csrf;
#[path = "../it/devices.rs"]
mod devices;
#[path = "../it/disk_full.rs"]
mod disk_full;
#[path = "../it/downloads.rs"]
mod downloads;
#[path = "../it/external.rs"]
mod external;
#[path = "../it/files.rs"]
mod files;
#[path = "../it/folders.rs"]
mod folders;
#[path = "../it/inline.rs"]
mod inline;
#[path = "../it/isolation.rs"]
mod isolation;
#[path = "../it/links.rs"]
mod links;
#[path = "../it/messages.rs"]
mod messages;
#[path = "../it/ops.rs"]
mod ops;
#[path = "../it/paths.rs"]
mod paths;
#[allow(dead_code)]
#[path = "../it/process.rs"]
mod process;
#[path = "../it/registration.rs"]
mod registration;
#[path = "../it/s3.rs"]
mod s3;
#[path = "../it/s3_api.rs"]
mod s3_api;
#[path = "../it/scopes.rs"]
mod scopes;
#[path = "../it/sessions.rs"]
mod sessions;
#[path = "../it/sharing.rs"]
mod sharing;
#[path = "../it/streaming.rs"]
mod streaming;
#[path = "../it/trash.rs"]
mod trash;
#[path = "../it/two_factor.rs"]
mod two_factor;
#[path = "../it/uploads.rs"]
mod uploads;
#[path = "../it/usage.rs"]
mod usage;
#[path = "../it/versions.rs"]
mod versions;
#[path = "../it/web_api.rs"]
mod web_api;
#[path = "../it/webdav.rs"]
mod webdav;

pub const BACKEND: common::Backend = common::Backend::Postgres;
