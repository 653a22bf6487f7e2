//! `portcullis backup FILE` and `portcullis restore FILE`: SQLite only (PostgreSQL uses
//! `pg_dump`/`pg_restore`); the work is in `store::backup`.
//!
//! The master key is not in a backup. The signing keys and sealed secrets in it are encrypted
//! with that key, so it is kept separately, and a restore refuses a backup made with another.

use super::CliError;
use crate::{
    clock::{Clock, SystemClock},
    config::{Config, MasterKeySource},
    crypto::master_key::MasterKey,
    store::{self, backup},
};
use std::path::PathBuf;

/// `portcullis backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Where to write the copy of the SQLite database
    file: PathBuf,
    /// Replace FILE if it exists
    #[arg(long)]
    force: bool,
}

/// `portcullis restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A file written by `portcullis backup`
    file: PathBuf,
    /// Replace the configured database if it exists (stop the server first)
    #[arg(long)]
    force: bool,
}

impl From<backup::BackupError> for CliError {
    fn from(e: backup::BackupError) -> Self {
        CliError::Other(e.to_string())
    }
}

/// Where the master key lives, for the reminder (never the key itself).
fn key_location(config: &Config) -> String {
    match &config.master_key {
        MasterKeySource::File(p) => format!("the file {}", p.display()),
        MasterKeySource::Inline(_) => "PORTCULLIS_MASTER_KEY".to_owned(),
    }
}

/// Writes a consistent copy of the running (or stopped) SQLite database to `args.file`.
pub async fn run_backup(config: &Config, args: BackupArgs) -> Result<(), CliError> {
    let source = backup::sqlite_path(&config.database_url)?;
    if !source.is_file() {
        return Err(backup::BackupError::NoDatabase(source.display().to_string()).into());
    }
    let db = store::Db::open_with(&config.database_url, config.durability)
        .await
        .map_err(crate::startup::StartError::from)?;
    let result = backup::backup(&db, &args.file, args.force, SystemClock.now()).await;
    db.close().await;
    result?;
    println!("backup written to {}", args.file.display());
    println!(
        "the master key is not in the backup: keep a copy of {} separately; the backup's signing keys and sealed secrets need it",
        key_location(config)
    );
    Ok(())
}

/// The configured master key, without creating a key file (a restore needs the original key).
fn configured_key(config: &Config) -> Result<MasterKey, CliError> {
    let key = match &config.master_key {
        MasterKeySource::Inline(k) => MasterKey::from_base64(k),
        MasterKeySource::File(p) => match std::fs::read_to_string(p) {
            Ok(text) => MasterKey::from_base64(&text),
            Err(e) => {
                return Err(CliError::Other(format!(
                    "cannot read the master key file {}: {e}; put the key the backup was made with there, or set PORTCULLIS_MASTER_KEY",
                    p.display()
                )))
            }
        },
    };
    key.map_err(|e| CliError::Other(e.to_string()))
}

/// Replaces the configured SQLite database with the backup `args.file`.
pub async fn run_restore(config: &Config, args: RestoreArgs) -> Result<(), CliError> {
    let target = backup::sqlite_path(&config.database_url)?;
    let info = backup::inspect(&args.file).await?;
    let master = configured_key(config)?;
    backup::check_key(&info, &master)?;
    if target.exists() && !args.force {
        return Err(backup::BackupError::Exists(target.display().to_string()).into());
    }
    backup::ensure_unused(&target).await?;
    backup::restore(&args.file, &target, &config.database_url, SystemClock.now()).await?;
    println!("restored {} into {}", args.file.display(), target.display());
    println!(
        "start the server with the same master key ({}, fingerprint {})",
        key_location(config),
        master.fingerprint()
    );
    Ok(())
}
