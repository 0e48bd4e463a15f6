//! The Nimbus wire contract (`docs/API.md`) as serde types, shared by server and client.
//!
//! No I/O lives here: a renamed field breaks the build of both sides, not a user.

mod accounts;
mod error;
mod files;
mod sharing;
mod usage;

pub use accounts::*;
pub use error::*;
pub use files::*;
pub use sharing::*;
pub use usage::*;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A page of a list: `{"items": [...], "next_cursor": "<opaque>"|null}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass back as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `{id, username}`: how one user refers to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserRef {
    pub id: String,
    pub username: String,
}

/// The body of `/healthz` and `/readyz`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `"ok"` or `"unavailable"`.
    pub status: String,
    /// Per-backend reachability, for `/readyz` (`"ok"` or an error sentence).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub checks: std::collections::BTreeMap<String, String>,
}
