//! Sharing and account commands: `share`, `unshare`, `shared`, `link`, `url`, `usage`,
//! `devices`, `messages`.

use crate::fail::{CliError, CliResult};
use crate::remote::{self, duration_secs};
use crate::{ClientOptions, print_json};
use clap::Subcommand;
use nimbus_api::{CreateLinkRequest, SendMessageRequest};
use nimbus_client::Client;
use std::io::BufRead;

pub async fn share(c: &Client, path: &str, user: &str, opts: &ClientOptions) -> CliResult<()> {
    let file = remote::file(c, path).await?;
    let (share, _) = c.share(&file.id, user).await?;
    if opts.json { print_json(&share) } else { Ok(()) }
}

pub async fn unshare(c: &Client, path: &str, user: &str) -> CliResult<()> {
    let file = remote::file(c, path).await?;
    let shares = c.shares(&file.id).await?;
    let share = shares
        .iter()
        .find(|s| s.user.username.eq_ignore_ascii_case(user))
        .ok_or_else(|| CliError::not_found(&format!("a share of {path} with {user}")))?;
    Ok(c.unshare(&file.id, &share.user.id).await?)
}

pub async fn shared(c: &Client, opts: &ClientOptions) -> CliResult<()> {
    let mut files = Vec::new();
    let mut cursor = None;
    loop {
        let page = c.shared(Some(1000), cursor.as_deref()).await?;
        files.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if opts.json {
        return print_json(&files);
    }
    for f in files {
        println!("{}\t{}\t{}", f.owner.username, remote::size(f.size, true), f.path);
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum LinkCommand {
    /// A public link to a file.
    #[command(after_help = "Example: nimbus link create report.pdf --expires 7d --max-downloads 10")]
    Create {
        path: String,
        /// How long it works: 30m, 12h, 7d …
        #[arg(long)]
        expires: Option<String>,
        /// Protect it with a password read from standard input.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        max_downloads: Option<i64>,
    },
    /// The links of a file.
    #[command(after_help = "Example: nimbus link ls report.pdf")]
    Ls { path: String },
    /// Remove a link (its id, as `link ls` shows it).
    #[command(after_help = "Example: nimbus link rm 3f9c0e…")]
    Rm { id: String },
}

pub async fn link(c: &Client, cmd: LinkCommand, opts: &ClientOptions) -> CliResult<()> {
    match cmd {
        LinkCommand::Create { path, expires, password_stdin, max_downloads } => {
            let file = remote::file(c, &path).await?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_string())
            } else {
                None
            };
            let expires_in = expires.as_deref().map(duration_secs).transpose()?;
            let link = c.create_link(&file.id, &CreateLinkRequest { expires_in, password, max_downloads }).await?;
            if opts.json {
                return print_json(&link);
            }
            println!("{}", link.url);
            Ok(())
        }
        LinkCommand::Ls { path } => {
            let file = remote::file(c, &path).await?;
            let links = c.links(&file.id).await?;
            if opts.json {
                return print_json(&links);
            }
            for l in links {
                let expires = l.expires_at.as_deref().unwrap_or("never");
                println!("{}\t{}\texpires {expires}\t{} downloads", l.id, l.url, l.download_count);
            }
            Ok(())
        }
        LinkCommand::Rm { id } => Ok(c.delete_link(&id).await?),
    }
}

pub async fn url(c: &Client, path: &str, expires: &str, opts: &ClientOptions) -> CliResult<()> {
    let file = remote::file(c, path).await?;
    let signed = c.download_url(&file.id, Some(duration_secs(expires)?)).await?;
    let absolute =
        if signed.url.starts_with('/') { format!("{}{}", c.base_url(), signed.url) } else { signed.url.clone() };
    if opts.json {
        return print_json(&serde_json::json!({"url": absolute, "expires_at": signed.expires_at}));
    }
    println!("{absolute}");
    Ok(())
}

pub async fn usage(c: &Client, human: bool, opts: &ClientOptions) -> CliResult<()> {
    let u = c.usage().await?;
    if opts.json {
        return print_json(&u);
    }
    println!(
        "used {} of {} ({} files; earlier versions {}, trash {})",
        remote::size(u.used_bytes + u.versions_bytes + u.trash_bytes, human),
        remote::size(u.quota_bytes, human),
        u.file_count,
        remote::size(u.versions_bytes, human),
        remote::size(u.trash_bytes, human),
    );
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum DevicesCommand {
    /// Your devices.
    #[command(after_help = "Example: nimbus devices ls --json")]
    Ls,
    /// Add a device; its secret is shown once.
    #[command(after_help = "Example: nimbus devices add 'living-room NAS' nas-1")]
    Add { name: String, peer_id: String },
    /// Remove a device: its sessions end at once.
    #[command(after_help = "Example: nimbus devices rm 3f9c0e…")]
    Rm { id: String },
}

pub async fn devices(c: &Client, cmd: DevicesCommand, opts: &ClientOptions) -> CliResult<()> {
    match cmd {
        DevicesCommand::Ls => {
            let all = c.devices().await?;
            if opts.json {
                return print_json(&all);
            }
            for d in all {
                println!("{}\t{}\t{}", d.id, d.peer_id, d.name);
            }
            Ok(())
        }
        DevicesCommand::Add { name, peer_id } => {
            let d = c.create_device(&name, &peer_id).await?;
            if opts.json {
                return print_json(&d);
            }
            println!("{}", d.secret.unwrap_or_default());
            eprintln!("This is the device's secret: it is not shown again.");
            Ok(())
        }
        DevicesCommand::Rm { id } => Ok(c.delete_device(&id).await?),
    }
}

#[derive(Subcommand, Debug)]
pub enum MessagesCommand {
    /// Your messages: received (default) or sent.
    #[command(after_help = "Example: nimbus messages ls --sent")]
    Ls {
        #[arg(long)]
        sent: bool,
    },
    /// Send a message, with text and/or a file (shared with the recipient).
    #[command(after_help = "Example: nimbus messages send bob --text 'see attached' --file report.pdf")]
    Send {
        to: String,
        #[arg(long)]
        text: Option<String>,
        #[arg(long)]
        file: Option<String>,
    },
    /// Mark a message read.
    #[command(after_help = "Example: nimbus messages read 3f9c0e…")]
    Read { id: String },
}

pub async fn messages(c: &Client, cmd: MessagesCommand, opts: &ClientOptions) -> CliResult<()> {
    match cmd {
        MessagesCommand::Ls { sent } => {
            let page = c.messages(if sent { "sent" } else { "inbox" }, Some(100), None).await?;
            if opts.json {
                return print_json(&page.items);
            }
            for m in page.items {
                let flag = if m.read_at.is_some() { " " } else { "*" };
                let file = m.file.map(|f| format!(" [{}]", f.name)).unwrap_or_default();
                println!(
                    "{flag} {}\t{} -> {}\t{}{file}",
                    m.id,
                    m.from.username,
                    m.to.username,
                    m.text.unwrap_or_default()
                );
            }
            Ok(())
        }
        MessagesCommand::Send { to, text, file } => {
            if text.is_none() && file.is_none() {
                return Err(CliError::usage("give --text, --file or both"));
            }
            let file_id = match file {
                Some(path) => Some(remote::file(c, &path).await?.id),
                None => None,
            };
            let m = c.send_message(&SendMessageRequest { to, text, file_id }).await?;
            if opts.json { print_json(&m) } else { Ok(()) }
        }
        MessagesCommand::Read { id } => Ok(c.mark_read(&id).await?),
    }
}
