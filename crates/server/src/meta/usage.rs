//! Usage metering, plans, devices and administration in SQL.

use super::sql::{SqlMetaStore, get_i64, get_str, is_unique_violation};
use super::users::{select_user, user_columns, user_from_row};
use super::{AdminPatch, DailyUsage, DeviceRecord, NewDevice, UserRecord};
use crate::domain::Timestamp;
use crate::error::{Error, Result};
use sqlx::Row;
use sqlx::any::AnyRow;

fn device_from_row(row: &AnyRow) -> Result<DeviceRecord> {
    Ok(DeviceRecord {
        id: get_str(row, "id")?,
        user_id: get_str(row, "user_id")?,
        name: get_str(row, "name")?,
        peer_id: get_str(row, "peer_id")?,
        created_at: Timestamp(get_i64(row, "created_at")?),
        last_seen_at: row.try_get::<Option<i64>, _>("last_seen_at")?.map(Timestamp),
    })
}

impl SqlMetaStore {
    pub(super) async fn add_usage_sql(&self, user_id: &str, day: &str, up: i64, down: i64) -> Result<()> {
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

    pub(super) async fn daily_usage_sql(&self, user_id: &str, since_day: &str) -> Result<Vec<DailyUsage>> {
        let rows = sqlx::query(
            "SELECT day, uploaded_bytes, downloaded_bytes FROM usage_daily WHERE user_id = $1 AND day >= $2 ORDER BY day",
        )
        .bind(user_id)
        .bind(since_day)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DailyUsage {
                    day: get_str(r, "day")?,
                    uploaded_bytes: get_i64(r, "uploaded_bytes")?,
                    downloaded_bytes: get_i64(r, "downloaded_bytes")?,
                })
            })
            .collect()
    }

    pub(super) async fn add_active_seconds_sql(&self, user_id: &str, secs: i64) -> Result<()> {
        sqlx::query("UPDATE users SET active_seconds = active_seconds + $1 WHERE id = $2")
            .bind(secs)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn set_plan_sql(&self, user_id: &str, quota: i64) -> Result<bool> {
        // Never below what the user already stores, checked in the same statement.
        let r = sqlx::query("UPDATE users SET quota_bytes = $1 WHERE id = $2 AND used_bytes <= $1")
            .bind(quota)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub(super) async fn create_device_sql(&self, d: NewDevice) -> Result<DeviceRecord> {
        sqlx::query(
            "INSERT INTO devices (id, user_id, name, peer_id, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&d.id)
        .bind(&d.user_id)
        .bind(&d.name)
        .bind(&d.peer_id)
        .bind(&d.secret_hash)
        .bind(d.created_at.0)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::invalid("peer_id", "a device with this peer_id exists")
            } else {
                e.into()
            }
        })?;
        Ok(DeviceRecord {
            id: d.id,
            user_id: d.user_id,
            name: d.name,
            peer_id: d.peer_id,
            created_at: d.created_at,
            last_seen_at: None,
        })
    }

    pub(super) async fn devices_sql(&self, user_id: &str) -> Result<Vec<DeviceRecord>> {
        let rows = sqlx::query(
            "SELECT id, user_id, name, peer_id, created_at, last_seen_at FROM devices WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(device_from_row).collect()
    }

    pub(super) async fn delete_device_sql(&self, user_id: &str, id: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        // Its sessions end in the same transaction (also guaranteed by the foreign key).
        sqlx::query("DELETE FROM sessions WHERE device_id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let r = sqlx::query("DELETE FROM devices WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(r.rows_affected() > 0)
    }

    pub(super) async fn device_for_login_sql(
        &self,
        username_key: &str,
        peer_id: &str,
    ) -> Result<Option<(UserRecord, DeviceRecord, String)>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            ", d.id AS device_id, d.name AS device_name, d.peer_id AS device_peer_id, d.secret_hash, \
             d.created_at AS device_created_at, d.last_seen_at AS device_last_seen_at \
             FROM devices d JOIN users u ON u.id = d.user_id WHERE u.username_key = $1 AND d.peer_id = $2"
        ))
        .bind(username_key)
        .bind(peer_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from_row(&row)?;
        let device = DeviceRecord {
            id: get_str(&row, "device_id")?,
            user_id: user.id.clone(),
            name: get_str(&row, "device_name")?,
            peer_id: get_str(&row, "device_peer_id")?,
            created_at: Timestamp(get_i64(&row, "device_created_at")?),
            last_seen_at: row.try_get::<Option<i64>, _>("device_last_seen_at")?.map(Timestamp),
        };
        Ok(Some((user, device, get_str(&row, "secret_hash")?)))
    }

    pub(super) async fn touch_device_sql(&self, id: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE devices SET last_seen_at = $1 WHERE id = $2")
            .bind(now.0)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn list_users_sql(&self, after_key: Option<&str>, limit: u32) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(select_user!("WHERE u.username_key > $1 ORDER BY u.username_key LIMIT $2"))
            .bind(after_key.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    pub(super) async fn admin_update_user_sql(&self, id: &str, p: AdminPatch) -> Result<UserRecord> {
        let mut tx = self.begin().await?;
        if let Some(q) = p.quota_bytes {
            sqlx::query("UPDATE users SET quota_bytes = $1 WHERE id = $2").bind(q).bind(id).execute(&mut *tx).await?;
        }
        if let Some(disabled) = p.disabled {
            sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                .bind(i64::from(disabled))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if disabled {
                // Every token of a disabled user stops working at once.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            }
        }
        if let Some(admin) = p.is_admin {
            sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2")
                .bind(i64::from(admin))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        // The server must keep at least one enabled admin, whatever this change did.
        let admins: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE is_admin = 1 AND disabled = 0")
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get::<i64, _>("n"))?;
        if admins == 0 {
            return Err(Error::invalid("is_admin", "the last admin cannot be demoted or disabled"));
        }
        let row = sqlx::query(select_user!("WHERE u.id = $1")).bind(id).fetch_optional(&mut *tx).await?;
        let row = row.ok_or(Error::UserNotFound)?;
        tx.commit().await?;
        user_from_row(&row)
    }
}
