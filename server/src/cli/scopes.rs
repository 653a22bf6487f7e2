//! `portcullis scope …`: the realm's scopes, their implications, what new clients get.

use super::{print_json, CliError, ACTOR};
use crate::manage::{scope::ScopeChanges, ManageError, Manager};
use clap::Subcommand;

/// `portcullis scope …`.
#[derive(Debug, Subcommand)]
pub enum ScopeCommand {
    /// Create a scope
    Create {
        #[arg(long, default_value = "default")]
        realm: String,
        /// What clients put in `scope`, e.g. read:dataset
        name: String,
        /// Shown on the consent page
        #[arg(long, default_value = "")]
        description: String,
        /// A scope holding this one also grants (repeatable)
        #[arg(long = "implies")]
        implies: Vec<String>,
        /// What new clients get of it: default, optional or none
        #[arg(long)]
        new_clients: Option<String>,
    },
    /// List the scopes, what each grants in the end, and what new clients get
    List {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        json: bool,
    },
    /// Change a scope's description, implications or what new clients get
    Update {
        #[arg(long, default_value = "default")]
        realm: String,
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// Replaces what it implies (repeatable)
        #[arg(long = "implies", conflicts_with = "no_implies")]
        implies: Vec<String>,
        /// It implies nothing
        #[arg(long)]
        no_implies: bool,
        /// default, optional or none
        #[arg(long)]
        new_clients: Option<String>,
    },
    /// Delete a scope (clients lose it; the built-in OIDC scopes stay)
    Delete {
        #[arg(long, default_value = "default")]
        realm: String,
        name: String,
    },
}

fn new_clients(v: Option<String>) -> Option<Option<String>> {
    v.map(|v| (v != "none").then_some(v))
}

/// The id of the realm's scope `name`.
async fn id_of(m: &Manager, realm: &str, name: &str) -> Result<String, CliError> {
    let scopes = m.list_scopes(realm, &ACTOR).await?;
    let found = scopes.into_iter().find(|s| s.name == name);
    Ok(found.ok_or_else(|| ManageError::NotFound(format!("no scope {name:?} in realm {realm:?}")))?.id)
}

/// Runs a `scope` command.
pub async fn run(m: &Manager, cmd: ScopeCommand) -> Result<(), CliError> {
    match cmd {
        ScopeCommand::Create { realm, name, description, implies, new_clients: new } => {
            let changes =
                ScopeChanges { description: Some(description), implies: Some(implies), new_clients: new_clients(new) };
            m.create_scope_with(&realm, &name, changes, &ACTOR).await?;
            println!("created scope {name}");
        }
        ScopeCommand::List { realm, json } => {
            let graph = m.scope_graph(&realm, &ACTOR).await?;
            if json {
                let rows: Vec<_> = graph
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "id": s.row.id, "name": s.row.name, "description": s.row.description,
                            "builtin": s.row.builtin, "new_clients": s.row.new_clients,
                            "implies": s.implies, "grants": s.grants, "clients": s.clients,
                        })
                    })
                    .collect();
                print_json(&rows);
            } else {
                for s in graph {
                    println!(
                        "{}\t{}\t→ {}",
                        s.row.name,
                        s.row.new_clients.as_deref().unwrap_or("-"),
                        s.grants.join(" ")
                    );
                }
            }
        }
        ScopeCommand::Update { realm, name, description, implies, no_implies, new_clients: new } => {
            let id = id_of(m, &realm, &name).await?;
            let implies = if no_implies { Some(vec![]) } else { (!implies.is_empty()).then_some(implies) };
            let changes = ScopeChanges { description, implies, new_clients: new_clients(new) };
            m.update_scope(&realm, &id, changes, &ACTOR).await?;
            println!("updated scope {name}");
        }
        ScopeCommand::Delete { realm, name } => {
            let id = id_of(m, &realm, &name).await?;
            m.delete_scope(&realm, &id, &ACTOR).await?;
            println!("deleted scope {name}");
        }
    }
    Ok(())
}
