//! Paging for every listing: the limit rule, one extra row to know whether another page
//! follows, and opaque cursors (hex of a text the listing chooses).

use crate::error::{Error, Result};
use crate::meta::TimeCursor;

pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 1000;

/// One page of a listing and the cursor for the next (`None` on the last page).
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// `limit` of a listing: default 100, at most 1000, at least 1.
pub fn page_limit(limit: Option<u32>) -> Result<u32> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(0) => Err(Error::BadRequest("limit must be at least 1".into())),
        Some(n) => Ok(n.min(MAX_PAGE)),
    }
}

/// Cuts rows fetched with `limit + 1` to a page; the cursor names its last item.
pub fn paginate<T>(mut rows: Vec<T>, limit: u32, cursor_of: impl Fn(&T) -> String) -> Page<T> {
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|last| hex::encode(cursor_of(last)))
    } else {
        None
    };
    Page { items: rows, next_cursor }
}

/// The text inside a cursor made by [`paginate`]; `BadRequest` if it is not one.
pub fn decode_cursor(cursor: &str) -> Result<String> {
    hex::decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Error::BadRequest("invalid cursor".into()))
}

/// The cursor text of listings ordered by time: `<created_at>:<id>`.
pub fn time_cursor_text(at: i64, id: &str) -> String {
    format!("{at}:{id}")
}

pub fn decode_time_cursor(cursor: &str) -> Result<TimeCursor> {
    let text = decode_cursor(cursor)?;
    let bad = || Error::BadRequest("invalid cursor".into());
    let (at, id) = text.split_once(':').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cut_one_extra_row_and_name_the_last() {
        let p = paginate(vec!["a", "b", "c"], 2, |s| s.to_string());
        assert_eq!(p.items, ["a", "b"]);
        assert_eq!(decode_cursor(p.next_cursor.as_deref().unwrap()).unwrap(), "b");
        assert!(paginate(vec!["a", "b"], 2, |s| s.to_string()).next_cursor.is_none());
        assert!(decode_cursor("zz").is_err());
        assert_eq!(decode_time_cursor(&hex::encode(time_cursor_text(5, "x"))).unwrap(), (5, "x".to_string()));
    }
}
