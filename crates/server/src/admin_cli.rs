//! `nimbus admin …`: user management from the shell, straight on the configured
//! metadata database (no running server needed).

use crate::config::Config;
use crate::domain::login_key;
use crate::meta::{AdminPatch, MetaStore, SqlMetaStore, UserRecord};
use crate::services::{Accounts, Admin, Settings};
use anyhow::{Context, bail};
use nimbus_api::RegisterRequest;
use std::sync::Arc;

/// One admin command.
#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Create a user (the first user of a server is an admin anyway).
    CreateUser {
        #[arg(long)]
        username: String,
        /// Read from NIMBUS_NEW_PASSWORD if not given, to keep it out of shell history.
        #[arg(long, env = "NIMBUS_NEW_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        email: Option<String>,
        /// Make the new user an admin.
        #[arg(long)]
        admin: bool,
    },
    /// Set a user's quota in bytes.
    SetQuota { username: String, bytes: i64 },
    /// Disable a user: their tokens stop working and login is refused.
    Disable { username: String },
    /// Enable a disabled user again.
    Enable { username: String },
    /// Make a user an admin.
    Promote { username: String },
    /// Take admin rights away (not from the last admin).
    Demote { username: String },
    /// List users with quota and usage.
    List,
}

fn describe(u: &UserRecord) -> String {
    format!(
        "{:<32} {:<6} {:<9} used {:>14} of {:>14} bytes, {} files",
        u.username,
        if u.is_admin { "admin" } else { "" },
        if u.disabled { "disabled" } else { "" },
        u.used_bytes,
        u.quota_bytes,
        u.file_count
    )
}

pub async fn run(config: Config, cmd: AdminCommand) -> anyhow::Result<()> {
    let meta: Arc<dyn MetaStore> = Arc::new(SqlMetaStore::connect(&config.database_url()).await?);
    let admin = Admin::new(meta.clone());
    let find = |name: String| {
        let meta = meta.clone();
        async move {
            match meta.user_by_username(&login_key(&name)).await? {
                Some(u) => Ok(u),
                None => bail!("no user named {name}"),
            }
        }
    };
    let user = match cmd {
        AdminCommand::CreateUser { username, password, email, admin: make_admin } => {
            let settings = Settings::from_config(&config);
            let req = RegisterRequest { username, password, email, ..Default::default() };
            let user = Accounts::new(meta.clone(), settings).register(req).await.map_err(|e| match e {
                crate::error::Error::Validation(f) => anyhow::anyhow!("invalid: {f:?}"),
                other => anyhow::anyhow!("{other}"),
            })?;
            if make_admin && !user.is_admin {
                admin.apply(&user.id, AdminPatch { is_admin: Some(true), ..Default::default() }).await?
            } else {
                user
            }
        }
        AdminCommand::SetQuota { username, bytes } => {
            let u = find(username).await?;
            admin.apply(&u.id, AdminPatch { quota_bytes: Some(bytes), ..Default::default() }).await?
        }
        AdminCommand::Disable { username } => {
            let u = find(username).await?;
            admin.apply(&u.id, AdminPatch { disabled: Some(true), ..Default::default() }).await?
        }
        AdminCommand::Enable { username } => {
            let u = find(username).await?;
            admin.apply(&u.id, AdminPatch { disabled: Some(false), ..Default::default() }).await?
        }
        AdminCommand::Promote { username } => {
            let u = find(username).await?;
            admin.apply(&u.id, AdminPatch { is_admin: Some(true), ..Default::default() }).await?
        }
        AdminCommand::Demote { username } => {
            let u = find(username).await?;
            admin.apply(&u.id, AdminPatch { is_admin: Some(false), ..Default::default() }).await?
        }
        AdminCommand::List => {
            let mut after: Option<String> = None;
            loop {
                let page = meta.list_users(after.as_deref(), 500).await.context("listing users")?;
                for u in &page {
                    println!("{}", describe(u));
                }
                match page.last() {
                    Some(u) if page.len() == 500 => after = Some(login_key(&u.username)),
                    _ => return Ok(()),
                }
            }
        }
    };
    println!("{}", describe(&user));
    Ok(())
}
