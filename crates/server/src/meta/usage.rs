//! Metered usage, active time and plans in SQL.

use super::sql::{SqlMetaStore, from_row};
use super::*;
use crate::domain::Timestamp;
use crate::error::Result;
use async_trait::async_trait;

/// Usage counters and plans.
#[async_trait]
pub trait UsageMeta {
    /// Adds metered bytes to the user's totals and to their row for `day`.
    async fn add_usage(&self, user_id: &str, day: &str, uploaded: i64, downloaded: i64) -> Result<()>;
    /// Daily rows from `since_day` (inclusive) on, by day.
    async fn daily_usage(&self, user_id: &str, since_day: &str) -> Result<Vec<DailyUsage>>;
    /// The same for several users in one query, as `(user_id, row)`.
    async fn daily_usage_of(&self, user_ids: &[String], since_day: &str) -> Result<Vec<(String, DailyUsage)>>;
    async fn add_active_seconds(&self, user_id: &str, seconds: i64) -> Result<()>;
    /// Credits a report of `seconds` from `session_key`, capped at the time since that
    /// session's previous report (or since `since` for its first), and returns what was
    /// credited. Concurrent reports from one session cannot both claim the same time.
    async fn credit_activity(
        &self,
        user_id: &str,
        session_key: &str,
        seconds: i64,
        since: Timestamp,
        now: Timestamp,
    ) -> Result<i64>;
    /// Sets the quota unless it is below what the user stores; false if it was.
    async fn set_plan(&self, user_id: &str, quota_bytes: i64) -> Result<bool>;
}

#[async_trait]
impl UsageMeta for SqlMetaStore {
    async fn add_usage(&self, user_id: &str, day: &str, up: i64, down: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        // A user deleted since the bytes moved has nothing left to charge.
        let charged = sqlx::query(
            "UPDATE users SET uploaded_bytes = uploaded_bytes + $1, downloaded_bytes = downloaded_bytes + $2 WHERE id = $3",
        )
        .bind(up)
        .bind(down)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if charged.rows_affected() == 1 {
            sqlx::query(
                "INSERT INTO usage_daily (user_id, day, uploaded_bytes, downloaded_bytes) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, day) DO UPDATE SET \
                 uploaded_bytes = usage_daily.uploaded_bytes + excluded.uploaded_bytes, \
                 downloaded_bytes = usage_daily.downloaded_bytes + excluded.downloaded_bytes",
            )
            .bind(user_id)
            .bind(day)
            .bind(up)
            .bind(down)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn daily_usage(&self, user_id: &str, since_day: &str) -> Result<Vec<DailyUsage>> {
        let rows = sqlx::query(
            "SELECT day, uploaded_bytes, downloaded_bytes FROM usage_daily WHERE user_id = $1 AND day >= $2 ORDER BY day",
        )
        .bind(user_id)
        .bind(since_day)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    async fn daily_usage_of(&self, user_ids: &[String], since_day: &str) -> Result<Vec<(String, DailyUsage)>> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (0..user_ids.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT user_id, day, uploaded_bytes, downloaded_bytes FROM usage_daily \
             WHERE day >= $1 AND user_id IN ({}) ORDER BY user_id, day",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(since_day);
        for id in user_ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((super::sql::get_str(r, "user_id")?, from_row(r)?))).collect()
    }

    async fn credit_activity(
        &self,
        user_id: &str,
        key: &str,
        seconds: i64,
        since: Timestamp,
        now: Timestamp,
    ) -> Result<i64> {
        for _ in 0..10 {
            let mut tx = self.begin().await?;
            let last: Option<i64> = sqlx::query_scalar("SELECT last_at FROM activity_reports WHERE session_key = $1")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
            let moved = match last {
                // Only if nobody else moved it meanwhile (PostgreSQL runs these in parallel).
                Some(prev) => {
                    sqlx::query("UPDATE activity_reports SET last_at = $1 WHERE session_key = $2 AND last_at = $3")
                        .bind(now.0.max(prev))
                        .bind(key)
                        .bind(prev)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                }
                None => sqlx::query(
                    "INSERT INTO activity_reports (session_key, user_id, last_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (session_key) DO NOTHING",
                )
                .bind(key)
                .bind(user_id)
                .bind(now.0)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            };
            if moved == 0 {
                continue;
            }
            let elapsed_secs = (now.0 - last.unwrap_or(since.0)).max(0) / 1_000_000;
            let credit = seconds.min(elapsed_secs);
            sqlx::query("UPDATE users SET active_seconds = active_seconds + $1 WHERE id = $2")
                .bind(credit)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(credit);
        }
        Err(crate::error::Error::Conflict("another activity report of this session is in progress".into()))
    }

    async fn add_active_seconds(&self, user_id: &str, secs: i64) -> Result<()> {
        sqlx::query("UPDATE users SET active_seconds = active_seconds + $1 WHERE id = $2")
            .bind(secs)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_plan(&self, user_id: &str, quota: i64) -> Result<bool> {
        // Never below what the user already stores, checked in the same statement.
        let r = sqlx::query("UPDATE users SET quota_bytes = $1 WHERE id = $2 AND used_bytes <= $1")
            .bind(quota)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }
}
