//! Devices in SQL: each with its own secret and the sessions it opened.

use super::sql::{SqlMetaStore, from_row, get_i64, get_str, is_unique_violation};
use super::users::{user_columns, user_from_row};
use super::*;
use crate::domain::Timestamp;
use crate::error::{Error, Result};
use async_trait::async_trait;
use sqlx::Row;

/// A user's devices.
#[async_trait]
pub trait DeviceMeta {
    /// `Validation` on a duplicate peer_id for the user.
    async fn create_device(&self, device: NewDevice) -> Result<DeviceRecord>;
    async fn devices(&self, user_id: &str) -> Result<Vec<DeviceRecord>>;
    /// Deletes the device and its sessions.
    async fn delete_device(&self, user_id: &str, id: &str) -> Result<bool>;
    /// The user, device and device secret hash for a device login.
    async fn device_for_login(
        &self,
        username_key: &str,
        peer_id: &str,
    ) -> Result<Option<(UserRecord, DeviceRecord, String)>>;
    async fn touch_device(&self, id: &str, now: Timestamp) -> Result<()>;
}

#[async_trait]
impl DeviceMeta for SqlMetaStore {
    async fn create_device(&self, d: NewDevice) -> Result<DeviceRecord> {
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

    async fn devices(&self, user_id: &str) -> Result<Vec<DeviceRecord>> {
        let rows = sqlx::query(
            "SELECT id, user_id, name, peer_id, created_at, last_seen_at FROM devices WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row::<DeviceRecord>).collect()
    }

    async fn delete_device(&self, user_id: &str, id: &str) -> Result<bool> {
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

    async fn device_for_login(
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

    async fn touch_device(&self, id: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE devices SET last_seen_at = $1 WHERE id = $2")
            .bind(now.0)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
