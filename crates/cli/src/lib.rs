//! The client commands of the `nimbus` binary: sign in once (`nimbus login`), then
//! `ls`, `put`, `get`, `sync`, `share`, `link` … against any Nimbus server. Listings
//! take `--json`; transfers show progress bars on a terminal; exit codes are documented
//! in [`fail`].

pub mod fail;
mod files;
mod login;
pub mod profile;
mod progress;
pub mod remote;
mod retention;
mod sharing;
mod sync;
mod transfer;

use clap::{Args, Subcommand};
use fail::{CliError, CliResult};

/// Options every client command takes.
#[derive(Args, Debug, Clone)]
pub struct ClientOptions {
    /// Which saved sign-in to use.
    #[arg(long, global = true, env = "NIMBUS_PROFILE", default_value = profile::DEFAULT_PROFILE)]
    pub profile: String,
    /// Print listings and results as JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Sign in to a server and save the token (asks for the password without echo).
    #[command(after_help = "Example: nimbus login --server https://cloud.example.org --username alice")]
    Login(login::LoginArgs),
    /// Sign out: the token is revoked on the server and forgotten here.
    #[command(after_help = "Example: nimbus logout --profile work")]
    Logout,
    /// List a folder (folders first), or a file.
    #[command(after_help = "Example: nimbus ls -lh photos/2024")]
    Ls(files::LsArgs),
    /// Upload files and folders; large files resume where an interrupted run stopped.
    #[command(after_help = "Example: nimbus put -j 4 ~/Pictures/trip photos/")]
    Put(files::PutArgs),
    /// Download files and folders; partial downloads resume, every file is verified.
    #[command(after_help = "Example: nimbus get photos/2024 ~/Downloads/")]
    Get(files::GetArgs),
    /// Print a file to standard output.
    #[command(after_help = "Example: nimbus cat notes/todo.txt | less")]
    Cat { path: String },
    /// Create a folder (and the folders above it).
    #[command(after_help = "Example: nimbus mkdir photos/2024/summer")]
    Mkdir { path: String },
    /// Move or rename a file or folder.
    #[command(after_help = "Example: nimbus mv notes/draft.txt notes/final.txt")]
    Mv { from: String, to: String },
    /// Copy a file on the server (no bytes are sent).
    #[command(after_help = "Example: nimbus cp report.pdf archive/report-2024.pdf")]
    Cp { from: String, to: String },
    /// Delete a file, or a folder with `-r`.
    #[command(after_help = "Example: nimbus rm -r old-photos")]
    Rm(files::RmArgs),
    /// Find files and folders whose name contains NAME.
    #[command(after_help = "Example: nimbus find invoice")]
    Find { name: String },
    /// Mirror a local folder to the server or the server to a local folder.
    #[command(
        after_help = "Examples:\n  nimbus sync ~/Documents docs\n  nimbus sync --delete --dry-run docs ~/Documents\n\nThe local side is the one written as ./name, ../name, /path or ~/path (else the one that exists here)."
    )]
    Sync(sync::SyncArgs),
    /// Share a file with another user (read-only).
    #[command(after_help = "Example: nimbus share report.pdf bob")]
    Share { path: String, user: String },
    /// Stop sharing a file with a user.
    #[command(after_help = "Example: nimbus unshare report.pdf bob")]
    Unshare { path: String, user: String },
    /// Files other users shared with you.
    #[command(after_help = "Example: nimbus shared --json | jq -r '.[].path'")]
    Shared,
    /// Public links: create, list, remove.
    #[command(subcommand, after_help = "Example: nimbus link create report.pdf --expires 7d")]
    Link(sharing::LinkCommand),
    /// A signed download URL that works without signing in until it expires.
    #[command(after_help = "Example: nimbus url report.pdf --expires 1h")]
    Url {
        path: String,
        /// How long it works: 30m, 12h, 7d … (default 1h).
        #[arg(long, default_value = "1h")]
        expires: String,
    },
    /// A file's IPFS content ID.
    #[command(after_help = "Example: nimbus cid photo.jpg")]
    Cid { path: String },
    /// Write a file's CAR export to standard output.
    #[command(after_help = "Example: nimbus car photo.jpg > photo.car")]
    Car { path: String },
    /// Space used and the quota.
    #[command(after_help = "Example: nimbus usage -H")]
    Usage {
        /// Sizes like 1.5 GiB.
        #[arg(short = 'H', long)]
        human: bool,
    },
    /// Devices that can sign in on their own.
    #[command(subcommand, after_help = "Example: nimbus devices add laptop laptop-1")]
    Devices(sharing::DevicesCommand),
    /// Messages to and from other users.
    #[command(subcommand, after_help = "Example: nimbus messages send bob --text 'see attached' --file report.pdf")]
    Messages(sharing::MessagesCommand),
    /// A file's earlier versions: list, print, restore, delete.
    #[command(subcommand, after_help = "Example: nimbus versions ls report.pdf")]
    Versions(retention::VersionsCommand),
    /// Deleted files and folders: list, restore, delete for good, empty.
    #[command(subcommand, after_help = "Example: nimbus trash restore 3f9c0e…")]
    Trash(retention::TrashCommand),
    /// Print shell completions.
    #[command(after_help = "Example: nimbus completions bash > /etc/bash_completion.d/nimbus")]
    Completions { shell: clap_complete::Shell },
}

/// Runs a client command; returns the process's exit code.
pub async fn run(command: ClientCommand, opts: ClientOptions, cli: &mut clap::Command) -> i32 {
    match dispatch(command, &opts, cli).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("nimbus: {e}");
            e.failure as i32
        }
    }
}

async fn dispatch(command: ClientCommand, opts: &ClientOptions, cli: &mut clap::Command) -> CliResult<()> {
    use ClientCommand as C;
    let client = || profile::signed_in_client(&opts.profile);
    match command {
        C::Login(args) => login::login(args, opts).await,
        C::Logout => login::logout(opts).await,
        C::Ls(args) => files::ls(&client()?, args, opts).await,
        C::Put(args) => files::put(&client()?, args, opts).await,
        C::Get(args) => files::get(&client()?, args, opts).await,
        C::Cat { path } => files::cat(&client()?, &path).await,
        C::Mkdir { path } => files::mkdir(&client()?, &path, opts).await,
        C::Mv { from, to } => files::mv(&client()?, &from, &to, opts).await,
        C::Cp { from, to } => files::cp(&client()?, &from, &to, opts).await,
        C::Rm(args) => files::rm(&client()?, args).await,
        C::Find { name } => files::find(&client()?, &name, opts).await,
        C::Sync(args) => sync::sync(&client()?, args, opts).await,
        C::Share { path, user } => sharing::share(&client()?, &path, &user, opts).await,
        C::Unshare { path, user } => sharing::unshare(&client()?, &path, &user).await,
        C::Shared => sharing::shared(&client()?, opts).await,
        C::Link(cmd) => sharing::link(&client()?, cmd, opts).await,
        C::Url { path, expires } => sharing::url(&client()?, &path, &expires, opts).await,
        C::Cid { path } => files::cid(&client()?, &path, opts).await,
        C::Car { path } => files::car(&client()?, &path).await,
        C::Usage { human } => sharing::usage(&client()?, human, opts).await,
        C::Devices(cmd) => sharing::devices(&client()?, cmd, opts).await,
        C::Messages(cmd) => sharing::messages(&client()?, cmd, opts).await,
        C::Versions(cmd) => retention::versions(&client()?, cmd, opts).await,
        C::Trash(cmd) => retention::trash(&client()?, cmd, opts).await,
        C::Completions { shell } => {
            clap_complete::generate(shell, cli, "nimbus", &mut std::io::stdout());
            Ok(())
        }
    }
}

/// Prints `value` as pretty JSON.
fn print_json(value: &impl serde::Serialize) -> CliResult<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::new(fail::Failure::Error, e.to_string()))?;
    println!("{text}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        command: ClientCommand,
        #[command(flatten)]
        options: ClientOptions,
    }

    #[test]
    fn the_commands_are_well_formed() {
        // clap checks names, short flags and defaults only when a command is built.
        Cli::command().debug_assert();
    }

    #[test]
    fn ls_takes_dash_h_for_human_sizes() {
        let cli = Cli::try_parse_from(["nimbus", "ls", "-lh", "photos"]).unwrap();
        assert!(matches!(cli.command, ClientCommand::Ls(_)));
    }
}
