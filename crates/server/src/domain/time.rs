//! Timestamps: stored as microseconds since the Unix epoch (portable across SQLite and
//! PostgreSQL), shown as RFC 3339 in JSON and as IMF-fixdate in HTTP headers.

use time::{OffsetDateTime, format_description::well_known::Rfc3339, macros::format_description};

/// Microseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        Timestamp((now.unix_timestamp_nanos() / 1_000) as i64)
    }

    pub fn plus_secs(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs.saturating_mul(1_000_000)))
    }

    pub fn unix_secs(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    fn datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// RFC 3339 in UTC, e.g. `2026-11-21T11:31:39.123456Z`.
    pub fn rfc3339(self) -> String {
        self.datetime().format(&Rfc3339).unwrap_or_default()
    }
}

const HTTP_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT");

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) for `Last-Modified`.
pub fn http_date(t: Timestamp) -> String {
    Timestamp(t.unix_secs() * 1_000_000).datetime().format(HTTP_DATE).unwrap_or_default()
}

/// Parses an IMF-fixdate into whole seconds since the epoch.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let dt = time::PrimitiveDateTime::parse(s.trim(), HTTP_DATE).ok()?;
    Some(dt.assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_date_round_trips() {
        let t = Timestamp(784_111_777_000_000);
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
    }

    #[test]
    fn rfc3339_is_utc() {
        assert_eq!(Timestamp(0).rfc3339(), "1970-01-01T00:00:00Z");
    }
}
