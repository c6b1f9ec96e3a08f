//! The `relais` command line: one file per subcommand.

mod accounts;
mod backup;
mod check;
mod integration;
mod serve;
mod storage;

use std::path::PathBuf;

/// Facts of the build (`build.rs`).
pub mod build_info {
    include!(concat!(env!("OUT_DIR"), "/build_info.rs"));
}

use clap::{Parser, Subcommand};

use crate::app::{self, StartError};
use crate::clock::Clock;
use crate::config::{Config, ConfigError, Sources};
use crate::state::AppState;

#[derive(Parser, Debug)]
#[command(
    name = "relais",
    version = build_info::LONG_VERSION,
    about = "File transfer and client portal for creative studios"
)]
pub struct Cli {
    /// Configuration file (default: relais.toml in the working directory, if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server and the background jobs.
    Serve,
    /// Check the configuration, the database, the storage and the mail server.
    Check,
    /// Apply database migrations, then exit.
    Migrate {
        /// List the migrations that would run, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Copy the database and the objects to a backup target (prints the snapshot id last).
    Backup(backup::BackupArgs),
    /// Rebuild an empty database and empty storage from a backup.
    Restore(backup::RestoreArgs),
    /// Check live storage against the database, or a backup against its manifest.
    Verify(backup::VerifyArgs),
    /// Studio (administrator) accounts.
    #[command(subcommand)]
    Admin(accounts::AdminCommand),
    /// Client accounts.
    #[command(subcommand)]
    Client(accounts::ClientCommand),
    /// Personal API tokens.
    #[command(subcommand)]
    Token(accounts::TokenCommand),
    /// Object storage administration.
    #[command(subcommand)]
    Storage(storage::StorageCommand),
    /// The quote site's integration.
    #[command(subcommand)]
    Integration(integration::IntegrationCommand),
}

/// How a command failed; `main` turns it into a message and an exit code.
#[derive(Debug)]
pub enum Failure {
    /// The configuration is invalid (exit code 2).
    Config(ConfigError),
    /// Anything else (exit code 1).
    Other(String),
}

impl From<StartError> for Failure {
    fn from(e: StartError) -> Self {
        Failure::Other(e.to_string())
    }
}

pub async fn run(cli: Cli) -> Result<(), Failure> {
    let sources = Sources::from_process(cli.config.clone());
    let cfg = Config::load(&sources).map_err(Failure::Config)?;
    crate::telemetry::init(&cfg.log);
    match cli.command {
        Command::Serve => serve::run(cfg).await,
        Command::Check => check::run(cfg, &sources).await,
        Command::Migrate { dry_run: true } => {
            let db = crate::db::Db::connect(&cfg.database)
                .await
                .map_err(|e| Failure::Other(e.to_string()))?;
            db.refuse_newer().await.map_err(|e| Failure::Other(e.to_string()))?;
            let pending = db.pending_list().await.map_err(|e| Failure::Other(e.to_string()))?;
            if pending.is_empty() {
                println!("the database is up to date (schema {})", db.newest_migration());
            }
            for (version, description) in pending {
                println!("would apply {version:04} {description}");
            }
            Ok(())
        }
        Command::Migrate { dry_run: false } => {
            app::open_database(&cfg).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Backup(args) => backup::backup(cfg, args).await,
        Command::Restore(args) => backup::restore(cfg, args).await,
        Command::Verify(args) => backup::verify(cfg, args).await,
        Command::Admin(cmd) => accounts::admin(cfg, cmd).await,
        Command::Client(cmd) => accounts::client(cfg, cmd).await,
        Command::Token(cmd) => accounts::token(cfg, cmd).await,
        Command::Storage(cmd) => storage::run(cfg, cmd).await,
        Command::Integration(cmd) => integration::run(cfg, cmd).await,
    }
}

/// The state a one-shot command needs: database (migrated), storage and mail.
async fn command_state(cfg: Config) -> Result<AppState, Failure> {
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| Failure::Other(format!("cannot create data_dir {}: {e}", cfg.data_dir.display())))?;
    let db = app::open_database(&cfg).await?;
    let blobs = relais_storage::open(&cfg.storage).map_err(|e| Failure::Other(format!("storage: {e}")))?;
    Ok(app::build_state(cfg, db, blobs, Clock::system())?)
}
