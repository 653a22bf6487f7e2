//! `portcullis api-key …`: long-lived keys for the admin REST API and resource servers.

use super::{print_json, CliError, ACTOR};
use crate::manage::{
    api_key::{ApiKeyInfo, NewApiKey},
    service_account::RoleRef,
    Manager,
};
use clap::Subcommand;

/// `portcullis api-key …`.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Make a key; prints {"id": …, "key": …} with --json. The key is shown this once.
    Create {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        name: String,
        /// A project the key is limited to (repeatable; none: not limited)
        #[arg(long = "project")]
        projects: Vec<String>,
        /// A role the key holds: NAME for a realm role, CLIENT:NAME for a client role (repeatable)
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Seconds until it stops working (default: never)
        #[arg(long)]
        expires_in: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// List the realm's keys (never the keys themselves)
    List {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        json: bool,
    },
    /// Rename a key or change its expiry
    Update {
        #[arg(long, default_value = "default")]
        realm: String,
        /// The key's id
        id: String,
        #[arg(long)]
        name: Option<String>,
        /// Seconds from now until it stops working
        #[arg(long, conflicts_with = "no_expiry")]
        expires_in: Option<i64>,
        /// Never expires
        #[arg(long)]
        no_expiry: bool,
    },
    /// Revoke a key: it stops working at once
    #[command(alias = "revoke")]
    Delete {
        #[arg(long, default_value = "default")]
        realm: String,
        /// The key's id
        id: String,
    },
}

fn key_json(k: &ApiKeyInfo) -> serde_json::Value {
    let roles: Vec<String> = k.roles.iter().map(RoleRef::key).collect();
    serde_json::json!({
        "id": k.row.id,
        "name": k.row.name,
        "roles": roles,
        "projects": k.projects,
        "created_by": k.row.created_by,
        "created_at": k.row.created_at,
        "expires_at": k.row.expires_at,
        "last_used_at": k.row.last_used_at,
        "revoked_at": k.row.revoked_at,
    })
}

/// Runs an `api-key` command.
pub async fn run(m: &Manager, cmd: ApiKeyCommand) -> Result<(), CliError> {
    match cmd {
        ApiKeyCommand::Create { realm, name, projects, roles, expires_in, json } => {
            let roles = roles.iter().map(|r| RoleRef::parse(r)).collect();
            let (row, key) = m.create_api_key(&realm, NewApiKey { name, projects, roles, expires_in }, &ACTOR).await?;
            if json {
                print_json(&serde_json::json!({ "id": row.id, "name": row.name, "key": key }));
            } else {
                println!("created API key {} ({}); it is not shown again:\n{key}", row.name, row.id);
            }
        }
        ApiKeyCommand::List { realm, json } => {
            let keys = m.list_api_keys(&realm, &ACTOR, 0, 1000).await?;
            if json {
                print_json(&keys.iter().map(key_json).collect::<Vec<_>>());
            } else {
                for k in keys {
                    let state = if k.row.revoked_at.is_some() { "revoked" } else { "live" };
                    println!("{}\t{}\t{state}", k.row.id, k.row.name);
                }
            }
        }
        ApiKeyCommand::Update { realm, id, name, expires_in, no_expiry } => {
            let expires_in = if no_expiry { Some(None) } else { expires_in.map(Some) };
            let row = m.update_api_key(&realm, &id, name.as_deref(), expires_in, &ACTOR).await?;
            println!("updated API key {} ({})", row.name, row.id);
        }
        ApiKeyCommand::Delete { realm, id } => {
            let row = m.revoke_api_key(&realm, &id, &ACTOR).await?;
            println!("revoked API key {} ({})", row.name, row.id);
        }
    }
    Ok(())
}
