//! Pure types and rules, no I/O. Each type is validated on construction, so a value that
//! exists is valid and the layers below never re-check it.

mod byte_size;
mod conditions;
mod file_path;
mod ids;
mod time;
pub mod totp;
mod user_fields;

pub use byte_size::{format_byte_size, parse_byte_size};
pub use conditions::{RangeSpec, if_range_holds, none_match, parse_range};
pub use file_path::{FilePath, PrefixRange, name_key, name_of, parent_of};
pub use ids::{new_id, new_secret_token, sha256_hex};
pub use time::{Timestamp, http_date, parse_http_date};
pub use user_fields::{Email, Password, PersonName, Username, login_key};
