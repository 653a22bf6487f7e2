//! `portcullis idp …`: a realm's upstream identity providers (PRODUCT §1, §10), with the same
//! operations, checks and audit as the console and the admin API (`manage::identity_provider`).

use super::{print_json, CliError, ACTOR};
use crate::{
    manage::{
        identity_provider::{FirstLoginReview, IdpChanges, IdpKind},
        Manager,
    },
    store::identity_providers::IdpRow,
};
use clap::{Args, Subcommand};
use std::io::Read;

/// `portcullis idp …`.
#[derive(Debug, Subcommand)]
pub enum IdpCommand {
    /// Add an upstream provider by its discovery URL, or by its endpoints; prints its settings
    /// with --json (never the secret)
    Create {
        #[arg(long, default_value = "default")]
        realm: String,
        /// 1-64 lowercase letters, digits, '-', '_' or '.' (part of the broker URLs)
        #[arg(long)]
        alias: String,
        #[command(flatten)]
        settings: IdpSettings,
        #[arg(long)]
        json: bool,
    },
    /// List the realm's providers, in sign-in page order
    List {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        json: bool,
    },
    /// Change a provider's settings (what is not given stays)
    Update {
        #[arg(long, default_value = "default")]
        realm: String,
        /// The provider's alias
        alias: String,
        /// A new alias
        #[arg(long)]
        new_alias: Option<String>,
        #[command(flatten)]
        settings: IdpSettings,
        /// Whether it shows on the sign-in page and may be used
        #[arg(long)]
        enabled: Option<bool>,
        #[arg(long)]
        json: bool,
    },
    /// Remove a provider, its users' links and the tokens kept through it
    Delete {
        #[arg(long, default_value = "default")]
        realm: String,
        /// The provider's alias
        alias: String,
    },
}

/// A provider's settings, for `create` and `update`.
#[derive(Debug, Args)]
pub struct IdpSettings {
    /// The provider's OpenID discovery URL (or its issuer): endpoints, issuer and JWKS are read
    /// from it
    #[arg(long, conflicts_with_all = ["authorization_url", "token_url"])]
    discovery_url: Option<String>,
    /// The authorization endpoint (manual set-up)
    #[arg(long)]
    authorization_url: Option<String>,
    /// The token endpoint (manual set-up)
    #[arg(long)]
    token_url: Option<String>,
    /// The userinfo endpoint (needed for --type oauth2; "" removes it)
    #[arg(long)]
    userinfo_url: Option<String>,
    /// The JWKS URL (needed for --type oidc without discovery)
    #[arg(long)]
    jwks_url: Option<String>,
    /// The issuer its ID tokens carry (needed for --type oidc without discovery)
    #[arg(long)]
    issuer: Option<String>,
    /// oidc (ID tokens checked against the JWKS) or oauth2 (the identity from userinfo)
    #[arg(long = "type", value_parser = ["oidc", "oauth2"])]
    kind: Option<String>,
    /// The client id Portcullis has at the provider
    #[arg(long)]
    client_id: Option<String>,
    /// Read the client secret from standard input (an empty line removes it)
    #[arg(long)]
    client_secret_stdin: bool,
    /// client_secret_basic or client_secret_post
    #[arg(long)]
    client_auth_method: Option<String>,
    /// A scope to ask the provider for (repeatable; replaces the list)
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Use PKCE with the provider (on by default)
    #[arg(long)]
    pkce: Option<bool>,
    /// Keep the upstream tokens (sealed) for apps; "--store-tokens false" turns it off
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    store_tokens: Option<bool>,
    /// Take the provider's email addresses as verified; "--trust-email false" turns it off
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    trust_email: Option<bool>,
    /// The name on the sign-in page's button (default: the alias)
    #[arg(long)]
    display_name: Option<String>,
    /// The place on the sign-in page (0-10000)
    #[arg(long)]
    gui_order: Option<i64>,
    /// The upstream claim that becomes the username (default preferred_username)
    #[arg(long)]
    username_claim: Option<String>,
    /// The upstream claim that becomes the email (default email)
    #[arg(long)]
    email_claim: Option<String>,
    /// The upstream claim that becomes the name (default name)
    #[arg(long)]
    name_claim: Option<String>,
    /// When a first sign-in shows the upstream profile for review: on, missing (only when the
    /// username or email is missing or taken; the default) or off
    #[arg(long, value_parser = ["on", "missing", "off"])]
    review_profile: Option<String>,
}

impl IdpSettings {
    fn changes(self) -> Result<IdpChanges, CliError> {
        let client_secret = if self.client_secret_stdin { Some(read_secret()?) } else { None };
        Ok(IdpChanges {
            kind: self.kind.as_deref().and_then(IdpKind::parse),
            discovery_url: self.discovery_url,
            issuer: self.issuer,
            authorization_url: self.authorization_url,
            token_url: self.token_url,
            userinfo_url: self.userinfo_url.map(Some),
            jwks_url: self.jwks_url.map(Some),
            client_id: self.client_id,
            client_secret,
            client_auth_method: self.client_auth_method,
            scopes: (!self.scopes.is_empty()).then_some(self.scopes),
            pkce: self.pkce,
            username_claim: self.username_claim,
            email_claim: self.email_claim,
            name_claim: self.name_claim,
            store_tokens: self.store_tokens,
            trust_email: self.trust_email,
            display_name: self.display_name,
            gui_order: self.gui_order,
            first_login_review: self.review_profile.as_deref().and_then(FirstLoginReview::parse),
            ..Default::default()
        })
    }
}

/// The first line of standard input, without its line ending.
fn read_secret() -> Result<String, CliError> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| CliError::Other(format!("cannot read the client secret from standard input: {e}")))?;
    Ok(s.lines().next().unwrap_or_default().to_owned())
}

fn idp_json(p: &IdpRow) -> serde_json::Value {
    serde_json::json!({
        "id": p.id,
        "alias": p.alias,
        "display_name": p.display_name,
        "type": p.kind,
        "enabled": p.enabled,
        "discovery_url": p.discovery_url,
        "issuer": p.issuer,
        "authorization_url": p.authorization_url,
        "token_url": p.token_url,
        "userinfo_url": p.userinfo_url,
        "jwks_url": p.jwks_url,
        "client_id": p.client_id,
        "client_secret_set": p.client_secret_sealed.is_some(),
        "client_auth_method": p.client_auth_method,
        "scopes": p.scopes.split_whitespace().collect::<Vec<_>>(),
        "pkce": p.pkce,
        "username_claim": p.username_claim,
        "email_claim": p.email_claim,
        "name_claim": p.name_claim,
        "store_tokens": p.store_tokens,
        "trust_email": p.trust_email,
        "gui_order": p.gui_order,
        "review_profile": p.first_login_review,
    })
}

/// Runs an `idp` command.
pub async fn run(m: &Manager, cmd: IdpCommand) -> Result<(), CliError> {
    match cmd {
        IdpCommand::Create { realm, alias, settings, json } => {
            let new = IdpChanges { alias: Some(alias), ..settings.changes()? };
            let p = m.create_identity_provider(&realm, new, &ACTOR).await?;
            if json {
                print_json(&idp_json(&p));
            } else {
                println!("created identity provider {} ({}, {})", p.alias, p.kind, p.authorization_url);
            }
        }
        IdpCommand::List { realm, json } => {
            let providers = m.list_identity_providers(&realm, &ACTOR).await?;
            if json {
                print_json(&providers.iter().map(idp_json).collect::<Vec<_>>());
            } else {
                for p in providers {
                    let state = if p.enabled { "enabled" } else { "disabled" };
                    println!("{}\t{}\t{}\t{state}\t{}", p.alias, p.kind, p.display_name, p.authorization_url);
                }
            }
        }
        IdpCommand::Update { realm, alias, new_alias, settings, enabled, json } => {
            let changes = IdpChanges { alias: new_alias, enabled, ..settings.changes()? };
            let p = m.update_identity_provider(&realm, &alias, changes, &ACTOR).await?;
            if json {
                print_json(&idp_json(&p));
            } else {
                println!("updated identity provider {}", p.alias);
            }
        }
        IdpCommand::Delete { realm, alias } => {
            m.delete_identity_provider(&realm, &alias, &ACTOR).await?;
            println!("deleted identity provider {alias}");
        }
    }
    Ok(())
}
