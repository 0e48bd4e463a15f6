//! Avatars in SQL: small images kept beside the user row.

use super::sql::{SqlMetaStore, from_row};
use super::*;
use crate::domain::Timestamp;
use crate::error::Result;
use async_trait::async_trait;

/// Users' avatars.
#[async_trait]
pub trait AvatarMeta {
    async fn set_avatar(&self, user_id: &str, content_type: &str, data: &[u8], now: Timestamp) -> Result<()>;
    async fn delete_avatar(&self, user_id: &str) -> Result<()>;
    async fn avatar(&self, user_id: &str) -> Result<Option<AvatarRecord>>;
}

#[async_trait]
impl AvatarMeta for SqlMetaStore {
    async fn set_avatar(&self, user_id: &str, content_type: &str, data: &[u8], now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO avatars (user_id, content_type, data, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id) DO UPDATE SET content_type = excluded.content_type, data = excluded.data, \
             updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(content_type)
        .bind(data.to_vec())
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE users SET avatar_updated_at = $1 WHERE id = $2")
            .bind(now.0)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_avatar(&self, user_id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM avatars WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        sqlx::query("UPDATE users SET avatar_updated_at = NULL WHERE id = $1").bind(user_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn avatar(&self, user_id: &str) -> Result<Option<AvatarRecord>> {
        let row = sqlx::query("SELECT content_type, data, updated_at FROM avatars WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()
    }
}
