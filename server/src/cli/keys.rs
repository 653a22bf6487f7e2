//! `portcullis key …`: the realm's signing keys, their rotation and its settings.

use super::{print_json, CliError, ACTOR};
use crate::manage::{
    keys::{parse_alg, KeySettingsChange},
    Manager,
};
use clap::Subcommand;

/// `portcullis key …`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// List the realm's signing keys (Active, Published, Retiring, Retired) and rotation settings
    List {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        json: bool,
    },
    /// Rotate: publish a new key now, signing after the publish delay; the old key retires
    /// once every token it signed has expired
    Rotate {
        #[arg(long, default_value = "default")]
        realm: String,
        /// ES256, RS256 or EdDSA (default: every algorithm)
        #[arg(long)]
        alg: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change the rotation settings
    Update {
        #[arg(long, default_value = "default")]
        realm: String,
        /// Rotate automatically when the newest key is this many days old (0 = never)
        #[arg(long, allow_negative_numbers = true)]
        rotation_days: Option<i64>,
        /// Seconds a new key is published before it signs
        #[arg(long, allow_negative_numbers = true)]
        publish_delay: Option<i64>,
        #[arg(long)]
        json: bool,
    },
}

fn key_json(k: &crate::manage::keys::KeyInfo) -> serde_json::Value {
    serde_json::json!({
        "kid": k.kid,
        "algorithm": k.alg,
        "status": k.state.as_str(),
        "created_at": k.created_at,
        "active_from": k.active_from,
        "retire_at": k.retire_at,
    })
}

/// Runs a `key` command.
pub async fn run(m: &Manager, cmd: KeyCommand) -> Result<(), CliError> {
    match cmd {
        KeyCommand::List { realm, json } => {
            let view = m.list_keys(&realm, &ACTOR).await?;
            if json {
                print_json(&serde_json::json!({
                    "rotation_days": view.settings.key_rotation_days,
                    "publish_delay": view.settings.key_publish_delay,
                    "keys": view.keys.iter().map(key_json).collect::<Vec<_>>(),
                }));
            } else {
                for k in &view.keys {
                    let retire = k.retire_at.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
                    println!(
                        "{}\t{}\t{}\tsigns from {}\tretires {}",
                        k.kid,
                        k.alg,
                        k.state.as_str(),
                        k.active_from,
                        retire
                    );
                }
            }
        }
        KeyCommand::Rotate { realm, alg, json } => {
            let alg = alg.as_deref().map(parse_alg).transpose()?;
            let keys = m.rotate_keys(&realm, alg, &ACTOR).await?;
            if json {
                print_json(&keys.iter().map(key_json).collect::<Vec<_>>());
            } else {
                for k in &keys {
                    println!("published {} key {}: it signs from {}", k.alg, k.kid, k.active_from);
                }
            }
        }
        KeyCommand::Update { realm, rotation_days, publish_delay, json } => {
            if rotation_days.is_none() && publish_delay.is_none() {
                return Err(CliError::Other("nothing to change: give --rotation-days or --publish-delay".into()));
            }
            let change = KeySettingsChange { rotation_days, publish_delay };
            let s = m.update_key_settings(&realm, change, &ACTOR).await?;
            if json {
                print_json(&serde_json::json!({
                    "rotation_days": s.key_rotation_days,
                    "publish_delay": s.key_publish_delay,
                }));
            } else {
                println!(
                    "realm {realm}: keys rotate every {} days (0 = never), published {} seconds before they sign",
                    s.key_rotation_days, s.key_publish_delay
                );
            }
        }
    }
    Ok(())
}
