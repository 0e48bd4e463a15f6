//! `nimbus admin …`: user management from the shell, straight on the configured
//! metadata database (no running server needed).

use crate::config::Config;
use crate::domain::{format_byte_size, login_key, parse_byte_size};
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
    /// Set a user's quota, e.g. `50GB`, `1.5TiB`, `500MiB` or a number of bytes.
    SetQuota {
        username: String,
        #[arg(value_parser = parse_size_arg)]
        size: u64,
    },
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
    /// Re-hash every stored content now (not only those due), mark what is damaged, and
    /// list the files whose bytes are damaged.
    Scrub,
}

fn parse_size_arg(text: &str) -> Result<u64, String> {
    parse_byte_size(text).map_err(|_| format!("{text:?} is not a size such as 1048576, 500MB, 50GB or 1.5TiB"))
}

fn describe(u: &UserRecord) -> String {
    let size = |b: i64| format_byte_size(u64::try_from(b).unwrap_or(0));
    format!(
        "{:<32} {:<6} {:<9} used {:>10} of {:>10}, {} files",
        u.username,
        if u.is_admin { "admin" } else { "" },
        if u.disabled { "disabled" } else { "" },
        size(u.used_bytes),
        size(u.quota_bytes),
        u.file_count
    )
}

/// Opens the configured database without creating one: a wrong `--data-dir` names the
/// path it looked at instead of SQLite's "unable to open database file".
async fn open_existing(config: &Config) -> anyhow::Result<SqlMetaStore> {
    let url = config.database_url();
    if let Some(file) = url.strip_prefix("sqlite://") {
        let file = std::path::Path::new(file.split('?').next().unwrap_or(file));
        let shown = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
        if !file.is_file() {
            bail!(
                "no Nimbus database at {} (set --data-dir, NIMBUS_DATA_DIR or --database-url to the server's)",
                shown.display()
            );
        }
    }
    Ok(SqlMetaStore::connect(&url).await?.with_retention(config.retention()))
}

pub async fn run(config: Config, cmd: AdminCommand) -> anyhow::Result<()> {
    let meta: Arc<dyn MetaStore> = Arc::new(open_existing(&config).await?);
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
            // Whoever runs this on the server is its operator: the registration policy
            // (open, invite, closed) governs sign-ups, not them.
            let settings =
                Settings { registration: crate::config::Registration::Open, ..Settings::from_config(&config) };
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
        AdminCommand::SetQuota { username, size } => {
            let u = find(username).await?;
            let bytes = i64::try_from(size).context("that size is too large")?;
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
        AdminCommand::Scrub => {
            let stores = crate::app::open_stores(&config, meta.clone()).await?;
            let report = crate::services::Scrubber::new(meta.clone(), stores).pass(0).await?;
            println!(
                "checked {} contents ({}), {} newly damaged",
                report.checked,
                format_byte_size(report.bytes),
                report.damaged
            );
            let damaged = meta.damaged_files(10_000).await?;
            for f in &damaged {
                println!("damaged: {}/{} (sha256 {}, since {})", f.username, f.path, f.sha256, f.damaged_at.rfc3339());
            }
            if damaged.is_empty() {
                println!("no damaged files");
            }
            return Ok(());
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
