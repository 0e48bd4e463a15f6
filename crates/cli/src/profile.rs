//! Saved sign-ins: one profile per server and account, kept in
//! `$XDG_CONFIG_HOME/nimbus/profiles.json` (else `~/.config/nimbus/`), readable by the
//! user alone (0600). `NIMBUS_SERVER` and `NIMBUS_TOKEN` override it for scripts. The
//! token is never taken from the command line, where other users could read it.

use crate::fail::{CliError, Failure};
use nimbus_client::Client;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

pub const DEFAULT_PROFILE: &str = "default";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Profile {
    pub server: String,
    pub username: String,
    pub token: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Profiles {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// The folder of the CLI's own files.
pub fn config_dir() -> Result<PathBuf, CliError> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(std::env::var_os("HOME").ok_or_else(|| CliError::usage("HOME is not set"))?).join(".config")
        }
    };
    Ok(base.join("nimbus"))
}

fn profiles_path() -> Result<PathBuf, CliError> {
    Ok(config_dir()?.join("profiles.json"))
}

impl Profiles {
    pub fn load() -> Result<Self, CliError> {
        let path = profiles_path()?;
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| CliError::new(Failure::Error, format!("{} is damaged: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Profiles::default()),
            Err(e) => Err(CliError::new(Failure::Error, format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// Writes the file with mode 0600 (its folder 0700), replacing it atomically.
    pub fn save(&self) -> Result<(), CliError> {
        let path = profiles_path()?;
        let dir = path.parent().expect("the file is in a folder");
        let io = |e: std::io::Error| CliError::new(Failure::Error, format!("cannot write {}: {e}", path.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = dir.join(".profiles.json.tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            options.mode(0o600);
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        let mut file = options.open(&tmp).map_err(io)?;
        file.write_all(&serde_json::to_vec_pretty(self).expect("profiles serialize")).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }
}

/// The server and token to use: `NIMBUS_SERVER`/`NIMBUS_TOKEN` if set, else the profile.
pub fn signed_in_client(profile: &str) -> Result<Client, CliError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let saved = Profiles::load()?.profiles.remove(profile);
    let server = env("NIMBUS_SERVER").or_else(|| saved.as_ref().map(|p| p.server.clone()));
    let token = env("NIMBUS_TOKEN").or_else(|| saved.as_ref().map(|p| p.token.clone()));
    match (server, token) {
        (Some(server), Some(token)) => Ok(Client::new(server.trim_end_matches('/')).with_token(token)),
        _ => Err(CliError::new(
            Failure::Auth,
            format!("not signed in (profile \"{profile}\"): run `nimbus login`, or set NIMBUS_SERVER and NIMBUS_TOKEN"),
        )),
    }
}
