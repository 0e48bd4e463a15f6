//! `nimbus login` and `nimbus logout`. The password (or a device's secret) is read
//! without echo from the terminal, or from standard input with `--password-stdin`:
//! never from the command line, where other users of the machine could see it.

use crate::ClientOptions;
use crate::fail::{CliError, CliResult, Failure};
use crate::profile::{Profile, Profiles};
use clap::Args;
use nimbus_client::Client;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The server's URL [default: the profile's, else http://127.0.0.1:8080].
    #[arg(long, env = "NIMBUS_SERVER")]
    server: Option<String>,
    /// The username or e-mail (asked for when missing).
    #[arg(long)]
    username: Option<String>,
    /// Read the password from standard input (for scripts).
    #[arg(long)]
    password_stdin: bool,
    /// Sign in as this device (its peer id); the device's secret is read from standard input.
    #[arg(long, value_name = "PEER_ID")]
    device: Option<String>,
}

fn read_line(prompt: &str) -> CliResult<String> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn read_secret(prompt: &str, from_stdin: bool) -> CliResult<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    rpassword::prompt_password(prompt).map_err(CliError::from)
}

pub async fn login(args: LoginArgs, opts: &ClientOptions) -> CliResult<()> {
    let mut profiles = Profiles::load()?;
    let saved = profiles.profiles.get(&opts.profile).cloned();
    let server = args
        .server
        .or_else(|| saved.as_ref().map(|p| p.server.clone()))
        .unwrap_or_else(|| "http://127.0.0.1:8080".into())
        .trim_end_matches('/')
        .to_string();
    let username = match args.username {
        Some(u) => u,
        None if args.password_stdin || args.device.is_some() => {
            return Err(CliError::usage("--username is needed when the secret comes from standard input"));
        }
        None => read_line("Username: ")?,
    };
    let anon = Client::new(&server);
    let (client, login) = match &args.device {
        Some(peer_id) => {
            let secret = read_secret("Device secret: ", true)?;
            anon.device_login(&username, peer_id, &secret).await?
        }
        None => {
            let password = read_secret("Password: ", args.password_stdin)?;
            anon.login(&username, &password).await?
        }
    };
    let token = client.token().ok_or_else(|| CliError::new(Failure::Error, "the server sent no token"))?.to_string();
    profiles
        .profiles
        .insert(opts.profile.clone(), Profile { server: server.clone(), username: login.user.username.clone(), token });
    profiles.save()?;
    if opts.json {
        crate::print_json(
            &serde_json::json!({"profile": opts.profile, "server": server, "username": login.user.username}),
        )
    } else {
        eprintln!("Signed in to {server} as {} (profile \"{}\").", login.user.username, opts.profile);
        Ok(())
    }
}

pub async fn logout(opts: &ClientOptions) -> CliResult<()> {
    let mut profiles = Profiles::load()?;
    let Some(profile) = profiles.profiles.remove(&opts.profile) else {
        return Err(CliError::new(Failure::Auth, format!("profile \"{}\" is not signed in", opts.profile)));
    };
    let client = Client::new(&profile.server).with_token(profile.token);
    // Revoked on the server first; forgotten here even if the server says it was gone.
    let revoked = client.logout().await;
    profiles.save()?;
    match revoked {
        Ok(()) => {
            eprintln!("Signed out of {}.", profile.server);
            Ok(())
        }
        Err(e) if e.status() == Some(reqwest::StatusCode::UNAUTHORIZED) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
