//! Usage: metered bytes (aggregated in memory, flushed to the database every few
//! seconds and at shutdown), quota plans, and app-reported active time.

use super::Principal;
use crate::blob::ByteStream;
use crate::domain::Timestamp;
use crate::error::{Error, Result};
use crate::meta::{DailyUsage, MetaStore, UserRecord};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const DAILY_DAYS: i64 = 30;

/// `YYYY-MM-DD` (UTC) of a timestamp.
pub fn day_of(t: Timestamp) -> String {
    let dt = time::OffsetDateTime::from_unix_timestamp(t.unix_secs()).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let d = dt.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Transfer counts waiting to be written: `(user, day) → (uploaded, downloaded)`.
type Pending = HashMap<(String, String), (i64, i64)>;

/// Counts bytes as they move, without a database write per request.
#[derive(Clone)]
pub struct UsageMeter {
    meta: Arc<dyn MetaStore>,
    pending: Arc<Mutex<Pending>>,
    /// Held by a flush from taking the counts until they are written, and by a report
    /// while it reads the database and the counts: otherwise a report could read in the
    /// moment the counts are in neither place and show less than was moved.
    flushing: Arc<tokio::sync::Mutex<()>>,
}

/// Proof that no flush runs (see [`UsageMeter::hold_flushes`]).
pub struct FlushesHeld<'a>(#[allow(dead_code)] tokio::sync::MutexGuard<'a, ()>);

impl UsageMeter {
    pub fn new(meta: Arc<dyn MetaStore>) -> Self {
        UsageMeter { meta, pending: Arc::default(), flushing: Arc::default() }
    }

    /// Keeps flushes out while the caller reads usage from the database and this meter.
    pub async fn hold_flushes(&self) -> FlushesHeld<'_> {
        FlushesHeld(self.flushing.lock().await)
    }

    fn add(&self, user_id: &str, up: i64, down: i64) {
        let key = (user_id.to_string(), day_of(Timestamp::now()));
        let mut pending = self.pending.lock().expect("meter lock");
        let e = pending.entry(key).or_insert((0, 0));
        e.0 += up;
        e.1 += down;
    }

    pub fn uploaded(&self, user_id: &str, bytes: u64) {
        self.add(user_id, bytes as i64, 0);
    }

    pub fn downloaded(&self, user_id: &str, bytes: u64) {
        self.add(user_id, 0, bytes as i64);
    }

    /// Wraps a download so every chunk handed to the client is charged to `user_id`;
    /// a cancelled download is charged what was sent before it stopped.
    pub fn meter_download(&self, user_id: &str, stream: ByteStream) -> ByteStream {
        let meter = self.clone();
        let user = user_id.to_string();
        stream
            .inspect(move |chunk| {
                if let Ok(c) = chunk {
                    meter.downloaded(&user, c.len() as u64);
                    metrics::counter!("nimbus_download_bytes_total").increment(c.len() as u64);
                }
            })
            .boxed()
    }

    /// What this process counted for the user and not yet written.
    fn pending_for(&self, user_id: &str) -> Vec<(String, i64, i64)> {
        let pending = self.pending.lock().expect("meter lock");
        pending.iter().filter(|((u, _), _)| u == user_id).map(|((_, d), (up, down))| (d.clone(), *up, *down)).collect()
    }

    /// Writes everything counted so far; what fails to write is kept for next time.
    pub async fn flush(&self) {
        let _held = self.flushing.lock().await;
        let batch = std::mem::take(&mut *self.pending.lock().expect("meter lock"));
        for ((user, day), (up, down)) in batch {
            if let Err(e) = self.meta.add_usage(&user, &day, up, down).await {
                tracing::warn!(error = %e, "writing usage counters failed; will retry");
                let mut pending = self.pending.lock().expect("meter lock");
                let entry = pending.entry((user, day)).or_insert((0, 0));
                entry.0 += up;
                entry.1 += down;
            }
        }
    }

    pub async fn run(self, interval: Duration) {
        let mut tick = tokio::time::interval(interval);
        loop {
            tick.tick().await;
            self.flush().await;
        }
    }
}

/// A user's usage as the dashboard shows it.
pub struct UsageReport {
    pub quota_bytes: i64,
    pub used_bytes: i64,
    /// Earlier versions of the user's files, and their trash (both count against the
    /// quota; both are purged, oldest first, to make room for an upload).
    pub versions_bytes: i64,
    pub trash_bytes: i64,
    pub file_count: i64,
    pub uploaded_bytes: i64,
    pub downloaded_bytes: i64,
    pub active_seconds: i64,
    /// The last 30 days, oldest first, every day present.
    pub daily: Vec<DailyUsage>,
}

#[derive(Clone)]
pub struct Usage {
    meta: Arc<dyn MetaStore>,
    meter: UsageMeter,
    max_quota_bytes: u64,
}

impl Usage {
    pub fn new(meta: Arc<dyn MetaStore>, meter: UsageMeter, max_quota_bytes: u64) -> Self {
        Usage { meta, meter, max_quota_bytes }
    }

    /// Stored counters plus what this process has counted but not yet written.
    pub async fn report(&self, user: &UserRecord) -> Result<UsageReport> {
        let _held = self.meter.hold_flushes().await;
        let user = self.meta.user_by_id(&user.id).await?.ok_or(Error::Unauthorized)?;
        let days = last_days();
        let stored = self.meta.daily_usage(&user.id, &days[0]).await?;
        Ok(self.assemble(&user, days, stored))
    }

    /// The reports of a page of users as listed (the admin's list): two queries in all,
    /// not two per user. The users must have been read while flushes were held, as
    /// `_held` shows, so their totals and the counts agree.
    pub async fn reports(&self, _held: &FlushesHeld<'_>, users: &[UserRecord]) -> Result<Vec<UsageReport>> {
        let days = last_days();
        let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
        let mut by_user: HashMap<String, Vec<DailyUsage>> = HashMap::new();
        for (user_id, d) in self.meta.daily_usage_of(&ids, &days[0]).await? {
            by_user.entry(user_id).or_default().push(d);
        }
        Ok(users.iter().map(|u| self.assemble(u, days.clone(), by_user.remove(&u.id).unwrap_or_default())).collect())
    }

    fn assemble(&self, user: &UserRecord, days: Vec<String>, stored: Vec<DailyUsage>) -> UsageReport {
        let mut stored: HashMap<String, DailyUsage> = stored.into_iter().map(|d| (d.day.clone(), d)).collect();
        let (mut up_total, mut down_total) = (user.uploaded_bytes, user.downloaded_bytes);
        for (day, up, down) in self.meter.pending_for(&user.id) {
            up_total += up;
            down_total += down;
            let e = stored.entry(day.clone()).or_insert(DailyUsage { day, uploaded_bytes: 0, downloaded_bytes: 0 });
            e.uploaded_bytes += up;
            e.downloaded_bytes += down;
        }
        let daily = days
            .into_iter()
            .map(|d| stored.remove(&d).unwrap_or(DailyUsage { day: d, uploaded_bytes: 0, downloaded_bytes: 0 }))
            .collect();
        UsageReport {
            quota_bytes: user.quota_bytes,
            used_bytes: user.used_bytes,
            versions_bytes: user.versions_bytes,
            trash_bytes: user.trash_bytes,
            file_count: user.file_count,
            uploaded_bytes: up_total,
            downloaded_bytes: down_total,
            active_seconds: user.active_seconds,
            daily,
        }
    }

    /// Onboarding: choose a quota up to the server's per-user maximum.
    pub async fn set_plan(&self, who: &Principal, quota_bytes: i64) -> Result<UsageReport> {
        if quota_bytes < 0 || quota_bytes as u64 > self.max_quota_bytes {
            return Err(Error::invalid("quota_bytes", format!("must be between 0 and {}", self.max_quota_bytes)));
        }
        if !self.meta.set_plan(&who.user.id, quota_bytes).await? {
            return Err(Error::invalid("quota_bytes", "must not be below the space already used"));
        }
        self.report(&who.user).await
    }

    /// Adds app-reported active time, at most the wall-clock time since this session's
    /// previous report (for its first, since the session began; for credentials without a
    /// session start, nothing until the next report). Returns the seconds credited.
    pub async fn add_activity(&self, who: &Principal, seconds: i64) -> Result<i64> {
        if !(1..=3600).contains(&seconds) {
            return Err(Error::invalid("seconds", "must be between 1 and 3600"));
        }
        let now = crate::domain::Timestamp::now();
        let since = self.meta.session_started(&who.session_id).await?.unwrap_or(now);
        self.meta.credit_activity(&who.user.id, &who.session_id, seconds, since, now).await
    }
}

/// The days a report covers, oldest first (UTC).
fn last_days() -> Vec<String> {
    let today = Timestamp::now();
    (0..DAILY_DAYS).rev().map(|i| day_of(today.plus_secs(-i * 86_400))).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_are_utc_dates() {
        assert_eq!(super::day_of(crate::domain::Timestamp(0)), "1970-01-01");
        assert_eq!(super::day_of(crate::domain::Timestamp(784_111_777_000_000)), "1994-11-06");
    }
}
