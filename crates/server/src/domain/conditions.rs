//! Range and conditional-read rules (RFC 9110 §13–14), shared by every front that reads
//! files: REST, links, WebDAV and S3 all ask the file service with the same values.

use std::ops::Range;

#[derive(Debug, PartialEq, Eq)]
pub enum RangeSpec {
    /// No usable `Range`: send the whole representation.
    Full,
    /// One satisfiable range, end exclusive.
    Partial(Range<u64>),
    /// A syntactically valid range that selects nothing: 416.
    Unsatisfiable,
}

/// Parses a `Range` header against a representation of `size` bytes. Malformed values
/// and multi-range requests are ignored (a full 200), as RFC 9110 allows.
pub fn parse_range(header: &str, size: u64) -> RangeSpec {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeSpec::Full;
    };
    if spec.contains(',') {
        return RangeSpec::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeSpec::Full;
    };
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    match (first.trim(), last.trim()) {
        ("", suffix) => match num(suffix) {
            None => RangeSpec::Full,
            Some(0) => RangeSpec::Unsatisfiable,
            Some(_) if size == 0 => RangeSpec::Unsatisfiable,
            Some(n) => RangeSpec::Partial(size.saturating_sub(n)..size),
        },
        (start, "") => match num(start) {
            None => RangeSpec::Full,
            Some(s) if s >= size => RangeSpec::Unsatisfiable,
            Some(s) => RangeSpec::Partial(s..size),
        },
        (start, end) => match (num(start), num(end)) {
            (Some(s), Some(e)) if s <= e => {
                if s >= size {
                    RangeSpec::Unsatisfiable
                } else {
                    RangeSpec::Partial(s..e.min(size - 1) + 1)
                }
            }
            _ => RangeSpec::Full,
        },
    }
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison, `*` matches all).
pub fn none_match(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

/// Whether `If-Range` allows the range: a strong ETag match, or the exact date.
pub fn if_range_holds(header: &str, etag: &str, last_modified_secs: i64) -> bool {
    let v = header.trim();
    if v.starts_with('"') || v.starts_with("W/") {
        return v == etag;
    }
    crate::domain::parse_http_date(v) == Some(last_modified_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeSpec::*;

    #[test]
    fn single_ranges() {
        assert_eq!(parse_range("bytes=0-0", 10), Partial(0..1));
        assert_eq!(parse_range("bytes=9-9", 10), Partial(9..10));
        assert_eq!(parse_range("bytes=5-", 10), Partial(5..10));
        assert_eq!(parse_range("bytes=-3", 10), Partial(7..10));
        assert_eq!(parse_range("bytes=-30", 10), Partial(0..10));
        assert_eq!(parse_range("bytes=2-100", 10), Partial(2..10));
    }

    #[test]
    fn unsatisfiable_and_ignored() {
        assert_eq!(parse_range("bytes=10-", 10), Unsatisfiable);
        assert_eq!(parse_range("bytes=10-20", 10), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 10), Unsatisfiable);
        assert_eq!(parse_range("bytes=-1", 0), Unsatisfiable);
        assert_eq!(parse_range("bytes=5-2", 10), Full);
        assert_eq!(parse_range("bytes=0-1,3-4", 10), Full);
        assert_eq!(parse_range("items=0-1", 10), Full);
        assert_eq!(parse_range("bytes=a-b", 10), Full);
        assert_eq!(parse_range("bytes=+1-2", 10), Full);
    }

    #[test]
    fn conditionals() {
        assert!(none_match("\"abc\"", "\"abc\""));
        assert!(none_match("W/\"abc\", \"x\"", "\"abc\""));
        assert!(none_match("*", "\"abc\""));
        assert!(!none_match("\"abd\"", "\"abc\""));
        assert!(if_range_holds("\"abc\"", "\"abc\"", 0));
        assert!(!if_range_holds("W/\"abc\"", "\"abc\"", 0));
        assert!(if_range_holds("Sun, 06 Nov 1994 08:49:37 GMT", "\"x\"", 784_111_777));
        assert!(!if_range_holds("Sun, 06 Nov 1994 08:49:38 GMT", "\"x\"", 784_111_777));
    }
}
