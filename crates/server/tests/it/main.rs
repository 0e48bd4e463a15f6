//! The integration suite: every test spawns the real app on port 0 with a temp dir and
//! drives it over HTTP through `nimbus-client` (or raw sockets, where a client library
//! would sanitise what we want to send).

mod account_security;
mod accounts;
mod admin;
mod bursts;
mod cli;
mod common;
mod conformance;
mod content;
mod crash;
mod csrf;
mod dav_clients;
mod dav_scale;
mod devices;
mod disk_full;
mod downloads;
mod external;
mod files;
mod folders;
mod inline;
mod isolation;
mod limits;
mod links;
mod messages;
mod ops;
mod paths;
mod process;
mod readme;
mod registration;
mod s3;
mod s3_api;
mod s3_clients;
mod s3_scale;
mod scale;
mod scopes;
mod sessions;
mod sharing;
mod streaming;
mod trash;
mod tus_clients;
mod two_factor;
mod uploads;
mod uploads_scale;
mod usage;
mod versions;
mod web_api;
mod web_app;
mod webdav;

/// This binary runs the suite on the embedded default, SQLite.
pub const BACKEND: common::Backend = common::Backend::Sqlite;
