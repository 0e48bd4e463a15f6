//! Server-wide secrets in SQL, the same for every instance on one database.

use super::sql::{SqlMetaStore, get_str};
use crate::error::Result;
use async_trait::async_trait;

/// Server-wide secrets.
#[async_trait]
pub trait SecretMeta {
    /// The server-wide secret `name`, set to `candidate` if it did not exist yet. Every
    /// instance on the same database gets the same value.
    async fn server_secret(&self, name: &str, candidate: &str) -> Result<String>;
}

#[async_trait]
impl SecretMeta for SqlMetaStore {
    async fn server_secret(&self, name: &str, candidate: &str) -> Result<String> {
        sqlx::query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(candidate)
            .execute(&self.pool)
            .await?;
        let row =
            sqlx::query("SELECT value FROM server_secrets WHERE name = $1").bind(name).fetch_one(&self.pool).await?;
        get_str(&row, "value")
    }
}
