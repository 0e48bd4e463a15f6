//! Nimbus: a self-hosted, multi-user cloud file store.
//!
//! Module map (see ARCHITECTURE.md for the rules between layers):
//! - [`app`]: builds the service from a [`config::Config`] and runs it.
//! - [`admin_cli`]: `nimbus admin …`, user management from the shell.
//! - [`config`]: typed configuration (defaults → file → env → flags).
//! - [`error`]: the domain error every layer speaks.
//! - [`domain`]: validated value types, no I/O.
//! - [`content`]: what is computed from a file's bytes while they stream in.
//! - [`services`]: the use cases; the only code that combines metadata and blobs. `services::Files`
//!   is the one file service every front (REST, web, WebDAV, S3, tus, CLI) calls.
//! - [`meta`]: the metadata store, one trait per area (SQLite and PostgreSQL through one SQL code path).
//! - [`blob`]: the blob stores: local disk (our own) and S3-compatible object stores (OpenDAL).
//! - [`http`]: axum routes, extractors, error mapping, observability.
//! - [`mail`]: outgoing mail (SMTP, or the log when unset).
//! - [`telemetry`]: logging set-up.

pub mod admin_cli;
pub mod app;
pub mod blob;
pub mod config;
pub mod content;
pub mod domain;
pub mod error;
pub mod http;
pub mod mail;
pub mod meta;
pub mod services;
pub mod telemetry;

pub use app::App;
pub use config::Config;
