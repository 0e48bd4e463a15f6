//! `versions` and `trash`: a file's earlier contents, and what was deleted.

use crate::fail::CliResult;
use crate::remote;
use crate::{ClientOptions, print_json};
use clap::Subcommand;
use nimbus_client::Client;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum VersionsCommand {
    /// A file's earlier versions, newest first (id, when, size, SHA-256).
    #[command(after_help = "Example: nimbus versions ls report.pdf")]
    Ls { path: String },
    /// Write an earlier version to standard output.
    #[command(after_help = "Example: nimbus versions cat report.pdf 3f9c0e… > old.pdf")]
    Cat { path: String, id: String },
    /// Make an earlier version current (the current content becomes a version).
    #[command(after_help = "Example: nimbus versions restore report.pdf 3f9c0e…")]
    Restore { path: String, id: String },
    /// Delete an earlier version for good.
    #[command(after_help = "Example: nimbus versions rm report.pdf 3f9c0e…")]
    Rm { path: String, id: String },
}

#[derive(Debug, Subcommand)]
pub enum TrashCommand {
    /// What is in the trash, newest first (id, kind, when deleted, size, path).
    #[command(after_help = "Example: nimbus trash ls")]
    Ls,
    /// Put an item back where it was, or at --to.
    #[command(after_help = "Example: nimbus trash restore 3f9c0e… --to 'old/report.pdf'")]
    Restore {
        id: String,
        #[arg(long)]
        to: Option<String>,
    },
    /// Delete one item for good.
    #[command(after_help = "Example: nimbus trash rm 3f9c0e…")]
    Rm { id: String },
    /// Delete everything in the trash for good.
    #[command(after_help = "Example: nimbus trash empty")]
    Empty,
}

pub async fn versions(c: &Client, cmd: VersionsCommand, opts: &ClientOptions) -> CliResult<()> {
    match cmd {
        VersionsCommand::Ls { path } => {
            let file = remote::file(c, &path).await?;
            let versions = c.versions(&file.id).await?.items;
            if opts.json {
                return print_json(&versions);
            }
            for v in versions {
                println!("{}\t{}\t{}\t{}", v.id, v.created_at, v.size, v.sha256);
            }
            Ok(())
        }
        VersionsCommand::Cat { path, id } => {
            let file = remote::file(c, &path).await?;
            let bytes = c.version_bytes(&file.id, &id).await?;
            std::io::stdout().lock().write_all(&bytes)?;
            Ok(())
        }
        VersionsCommand::Restore { path, id } => {
            let file = remote::file(c, &path).await?;
            let now = c.restore_version(&file.id, &id).await?;
            if opts.json { print_json(&now) } else { Ok(()) }
        }
        VersionsCommand::Rm { path, id } => {
            let file = remote::file(c, &path).await?;
            Ok(c.delete_version(&file.id, &id).await?)
        }
    }
}

pub async fn trash(c: &Client, cmd: TrashCommand, opts: &ClientOptions) -> CliResult<()> {
    match cmd {
        TrashCommand::Ls => {
            let items = c.trash().await?.items;
            if opts.json {
                return print_json(&items);
            }
            for t in items {
                println!("{}\t{}\t{}\t{}\t{}", t.id, t.kind, t.deleted_at, t.size, t.path);
            }
            Ok(())
        }
        TrashCommand::Restore { id, to } => {
            let item = c.restore_trash(&id, to.as_deref()).await?;
            if opts.json { print_json(&item) } else { Ok(()) }
        }
        TrashCommand::Rm { id } => Ok(c.purge_trash(&id).await?),
        TrashCommand::Empty => Ok(c.empty_trash().await?),
    }
}
