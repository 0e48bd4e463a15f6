//! Pure types and rules, no I/O. Each type is validated on construction, so a value that
//! exists is valid and the layers below never re-check it.

mod file_path;
mod ids;
mod time;
mod user_fields;

pub use file_path::{FilePath, PrefixRange};
pub use ids::{new_id, new_secret_token, sha256_hex};
pub use time::{Timestamp, http_date, parse_http_date};
pub use user_fields::{Email, Password, PersonName, Username};
