//! The `nimbus` binary: `nimbus serve` runs the server, `nimbus admin …` manages users
//! on its database, and the client commands (`nimbus login`, `ls`, `put`, `get`, `sync`
//! …, in the `nimbus-cli` crate) work against any Nimbus server. Every option can also come from a `NIMBUS_*` variable or the TOML
//! file given with `--config` (flags win over variables, variables over the file).

use clap::{CommandFactory, Parser, Subcommand};
use nimbus_server::admin_cli::AdminCommand;
use nimbus_server::config::{Config, Overrides};
use nimbus_server::{App, telemetry};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "nimbus", version, about = "Self-hosted multi-user cloud file store")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    client: nimbus_cli::ClientOptions,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (default: SQLite + local disk under ./nimbus-data on 127.0.0.1:8080).
    Serve(ServeArgs),
    /// Manage users on the configured database.
    Admin {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: AdminCommand,
    },
    #[command(flatten)]
    Client(nimbus_cli::ClientCommand),
}

/// Where the metadata lives, for commands that work on it directly.
#[derive(clap::Args)]
struct StoreArgs {
    /// A TOML file with the same keys as the environment variables (see config/example.toml).
    #[arg(long, env = "NIMBUS_CONFIG")]
    config: Option<PathBuf>,
    /// Where the SQLite database lives [default: ./nimbus-data].
    #[arg(long, env = "NIMBUS_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// `sqlite://…` or `postgres://user@host/db` [default: sqlite://<data-dir>/nimbus.db].
    #[arg(long, env = "NIMBUS_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

/// The options most often set on the command line; every other one is in
/// config/example.toml and has a `NIMBUS_*` variable of the same name.
#[derive(clap::Args)]
#[command(after_help = "Example: nimbus serve --listen 0.0.0.0:8080 --data-dir /srv/nimbus")]
struct ServeArgs {
    /// A TOML file with the same keys as the environment variables (see config/example.toml).
    #[arg(long, env = "NIMBUS_CONFIG")]
    config: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "NIMBUS_LISTEN")]
    listen: Option<SocketAddr>,
    /// Where the SQLite database and local blobs live [default: ./nimbus-data].
    #[arg(long, env = "NIMBUS_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// `sqlite://…` or `postgres://user@host/db` [default: sqlite://<data-dir>/nimbus.db].
    #[arg(long, env = "NIMBUS_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// `file:///dir` or `s3://bucket/prefix` (with NIMBUS_S3_ENDPOINT, AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY) [default: file://<data-dir>/blobs].
    #[arg(long, env = "NIMBUS_BLOB_STORE")]
    blob_store: Option<String>,
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=required` or `smtps://user:pass@host`
    /// [default: none, mail is written to the log].
    #[arg(long, env = "NIMBUS_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Client(command) => {
            let code = nimbus_cli::run(command, cli.client, &mut Cli::command()).await;
            std::process::exit(code);
        }
        Command::Serve(args) => serve(args).await,
        Command::Admin { store, command } => {
            let flags = Overrides { data_dir: store.data_dir, database_url: store.database_url, ..Default::default() };
            let config = Config::load(store.config.as_deref(), flags)?;
            telemetry::init(config.log_format);
            nimbus_server::admin_cli::run(config, command).await
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let flags = Overrides {
        listen: args.listen,
        data_dir: args.data_dir,
        database_url: args.database_url,
        blob_store: args.blob_store,
        smtp_url: args.smtp_url,
    };
    let config = Config::load(args.config.as_deref(), flags)?;
    telemetry::init(config.log_format);
    let app = App::build(config).await?;
    // Said on stderr whatever the log level: what a person needs to start using it.
    eprintln!("{}", app.startup_summary().await?);
    app.run_until(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
