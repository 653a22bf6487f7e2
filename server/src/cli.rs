//! The command line (PRODUCT §1, a contract outside tests rely on).
//!
//! Every data command opens the database, applies migrations and makes sure the `default`
//! realm exists, so commands work before the first `serve`. Failures print one line saying
//! what to fix and exit non-zero; operations are transactional, so nothing is half-written.

use crate::{
    clock::SystemClock,
    config::{Config, Flags},
    manage::{
        client::{ClientOptions, NewClient},
        client_update::ClientChanges,
        realm::RealmChanges,
        user::NewUser,
        Actor, ManageError, Manager,
    },
    startup::{self, Application, StartError},
    store,
};
use clap::{Parser, Subcommand};
use std::{io::Read, sync::Arc};

mod activity;
mod api_keys;
mod backup;
mod idp;
mod keys;
mod scopes;

/// The command line acts as the machine's operator: whoever runs it holds the database.
static ACTOR: std::sync::LazyLock<Actor> = std::sync::LazyLock::new(|| Actor::operator("cli"));

/// Portcullis: an OAuth 2.0 / OpenID Connect authorization server.
#[derive(Debug, Parser)]
#[command(name = "portcullis", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub flags: Flags,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
// Parsed once per process: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the server (the default)
    Serve,
    /// Apply database migrations and exit
    Migrate,
    /// Realms
    #[command(subcommand)]
    Realm(RealmCommand),
    /// Realm users
    #[command(subcommand)]
    User(UserCommand),
    /// OAuth clients
    #[command(subcommand)]
    Client(ClientCommand),
    /// Realm roles and client roles
    #[command(subcommand)]
    Role(RoleCommand),
    /// Admin console accounts
    #[command(subcommand)]
    Admin(AdminCommand),
    /// A realm's projects
    #[command(subcommand)]
    Project(ProjectCommand),
    /// A realm's signing keys and their rotation
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Realm scopes (Keycloak's client scopes)
    #[command(subcommand)]
    Scope(scopes::ScopeCommand),
    /// Long-lived keys for the admin REST API and resource servers
    #[command(subcommand)]
    ApiKey(api_keys::ApiKeyCommand),
    /// Upstream identity providers users may sign in through
    #[command(subcommand)]
    Idp(idp::IdpCommand),
    /// A realm's audit log and its retention
    #[command(subcommand)]
    Audit(activity::AuditCommand),
    /// A realm's open SSO sessions
    #[command(subcommand)]
    Session(activity::SessionCommand),
    /// Copy the SQLite database to FILE while the server runs (PostgreSQL: use pg_dump)
    Backup(backup::BackupArgs),
    /// Replace the SQLite database with a backup FILE (stop the server first)
    Restore(backup::RestoreArgs),
}

/// `portcullis project …`.
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project; prints {"id": …, "name": …} with --json
    Create {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        name: String,
        /// 1-64 lowercase letters, digits or '-' (default: generated)
        #[arg(long)]
        id: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        json: bool,
    },
    /// List the realm's projects
    List {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        json: bool,
    },
    /// Rename a project or change its description (its id stays)
    Update {
        #[arg(long, default_value = "default")]
        realm: String,
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a project: clients and API keys lose access to it
    Delete {
        #[arg(long, default_value = "default")]
        realm: String,
        id: String,
    },
}

/// `portcullis role …`: a realm role, or with `--client` a role of that client.
#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Create a role
    Create {
        #[arg(long, default_value = "default")]
        realm: String,
        /// The client holding the role (default: a realm role)
        #[arg(long)]
        client: Option<String>,
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List the roles
    List {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        client: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change a role's description
    Update {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        client: Option<String>,
        name: String,
        #[arg(long)]
        description: String,
    },
    /// Make CHILD part of the composite role NAME (holders of NAME hold CHILD too)
    AddComposite(CompositeFlags),
    /// Take CHILD out of the composite role NAME
    RemoveComposite(CompositeFlags),
    /// Delete a role; refused while anyone holds it, unless --force
    Delete {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        client: Option<String>,
        name: String,
        /// Also take it from everyone who holds it
        #[arg(long)]
        force: bool,
    },
}

/// A composite role and one of its children.
#[derive(Debug, clap::Args)]
pub struct CompositeFlags {
    #[arg(long, default_value = "default")]
    realm: String,
    /// The client holding NAME (default: a realm role)
    #[arg(long)]
    client: Option<String>,
    name: String,
    /// The client holding CHILD (default: a realm role)
    #[arg(long)]
    child_client: Option<String>,
    child: String,
}

/// `portcullis realm …`
#[derive(Debug, Subcommand)]
pub enum RealmCommand {
    /// List the realms
    List {
        #[arg(long)]
        json: bool,
    },
    /// Delete a realm with everything in it (not master)
    Delete { name: String },
    /// Create a realm with fresh signing keys
    Create {
        name: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Make every token issued before now (or --at) stop working
    NotBefore {
        name: String,
        /// Unix time; default now
        #[arg(long)]
        at: Option<i64>,
    },
    /// Turn the OAuth clients feature flag on or off
    OauthClients {
        name: String,
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Set how long SSO sessions last (defaults: 1800 s idle, 36000 s at most)
    SsoSession {
        name: String,
        /// Seconds without use after which a session ends
        #[arg(long)]
        idle: Option<i64>,
        /// Seconds after sign-in after which a session ends, used or not
        #[arg(long)]
        max: Option<i64>,
    },
    /// Change realm settings (only those given)
    Update {
        name: String,
        #[arg(long)]
        display_name: Option<String>,
        /// The OAuth clients feature flag
        #[arg(long, value_parser = ["on", "off"])]
        oauth_clients: Option<String>,
        /// Default access-token lifespan, seconds
        #[arg(long)]
        access_token_lifespan: Option<i64>,
        /// Default refresh-token lifespan, seconds (0 = never expires)
        #[arg(long)]
        refresh_token_lifespan: Option<i64>,
        /// SSO session idle timeout, seconds
        #[arg(long)]
        sso_session_idle: Option<i64>,
        /// SSO session maximum lifespan, seconds
        #[arg(long)]
        sso_session_max: Option<i64>,
        /// Keep new client secrets sealed so the admin API can give them back (Keycloak's
        /// GET …/client-secret); off, only their hashes are kept
        #[arg(long, value_parser = ["on", "off"])]
        retrievable_secrets: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// `portcullis user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a realm user; the password is read from standard input
    Create {
        #[arg(long)]
        realm: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: Option<String>,
        /// A realm role (repeatable; created if missing)
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Read the password from standard input
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List a realm's users (username, email, enabled, locked); --search matches username,
    /// email or names
    List {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        search: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change a user's email, names or enabled state, and give them realm roles
    Update {
        #[arg(long, default_value = "default")]
        realm: String,
        username: String,
        /// "" removes it
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        first_name: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
        #[arg(long, value_parser = ["true", "false"])]
        enabled: Option<String>,
        /// An existing realm role to give (repeatable)
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// Delete a user, with their sessions, tokens and consents
    Delete {
        #[arg(long, default_value = "default")]
        realm: String,
        username: String,
    },
    /// Set a user's password, read from standard input
    ResetPassword {
        #[arg(long, default_value = "default")]
        realm: String,
        username: String,
        /// Read the password from standard input
        #[arg(long, required = true)]
        password_stdin: bool,
        /// The user must choose a new password at the next sign-in
        #[arg(long)]
        temporary: bool,
    },
    /// Forget a user's failed sign-ins (unlock the account)
    Unlock {
        #[arg(long, default_value = "default")]
        realm: String,
        username: String,
    },
    /// Give a user existing roles
    Grant(RoleMappingFlags),
    /// Take roles from a user
    Ungrant(RoleMappingFlags),
}

/// The user and roles of `user grant` / `user ungrant`.
#[derive(Debug, clap::Args)]
pub struct RoleMappingFlags {
    #[arg(long, default_value = "default")]
    realm: String,
    #[arg(long)]
    username: String,
    /// A realm role (repeatable)
    #[arg(long = "role")]
    roles: Vec<String>,
    /// A client role CLIENT_ID:ROLE (repeatable)
    #[arg(long = "client-role")]
    client_roles: Vec<String>,
}

/// `portcullis client …`
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Create a client from a template (service, web, spa, native, device)
    Create {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        template: String,
        /// Default: a generated UUID
        #[arg(long)]
        client_id: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// An exact redirect URI (repeatable)
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// An allowed scope (repeatable; created in the realm if missing)
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// A realm role for the service account (repeatable; created if missing)
        #[arg(long = "role")]
        roles: Vec<String>,
        /// A client role for the service account, as CLIENT_ID:ROLE (repeatable)
        #[arg(long = "client-role")]
        client_roles: Vec<String>,
        /// Access-token lifespan in seconds (default: the realm's, 300)
        #[arg(long)]
        access_token_lifespan: Option<i64>,
        #[command(flatten)]
        options: ClientFlags,
        /// Print one JSON object (with the secret, shown only now)
        #[arg(long)]
        json: bool,
    },
    /// List a realm's clients
    List {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a client; its tokens stop working at once
    Delete {
        #[arg(long, default_value = "default")]
        realm: String,
        client_id: String,
    },
    /// Disable a client; its tokens stop working at once
    Disable {
        #[arg(long, default_value = "default")]
        realm: String,
        client_id: String,
    },
    /// Enable a client again
    Enable {
        #[arg(long, default_value = "default")]
        realm: String,
        client_id: String,
    },
    /// Make every token the client got before now (or --at) stop working
    NotBefore {
        #[arg(long, default_value = "default")]
        realm: String,
        client_id: String,
        /// Unix time; default now
        #[arg(long)]
        at: Option<i64>,
    },
    /// Change settings of an existing client (only the ones given; lists given replace)
    Update(Box<UpdateFlags>),
    /// Issue a new secret (shown once); the old one works for --grace seconds more
    RegenerateSecret {
        #[arg(long, default_value = "default")]
        realm: String,
        client_id: String,
        #[arg(long, default_value_t = 0)]
        grace: i64,
        #[arg(long)]
        json: bool,
    },
}

/// `client update`: each flag given changes that setting; repeated flags replace the list.
#[derive(Debug, clap::Args)]
pub struct UpdateFlags {
    #[arg(long, default_value = "default")]
    realm: String,
    client_id: String,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    description: Option<String>,
    #[arg(long, value_parser = ["on", "off"])]
    enabled: Option<String>,
    /// An exact redirect URI (repeatable; replaces the list)
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// An exact post-logout redirect URI (repeatable; replaces the list)
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// A grant type (repeatable; replaces the list)
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// A scope the client may ask for (repeatable; replaces the list)
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// A default scope, granted when a request names none (repeatable; replaces the defaults;
    /// each must be one of the client's scopes)
    #[arg(long = "default-scope")]
    default_scopes: Vec<String>,
    /// Seconds, or `default` for the realm's
    #[arg(long)]
    access_token_lifespan: Option<String>,
    /// Seconds (0 = never expires), or `default` for the realm's
    #[arg(long)]
    refresh_token_lifespan: Option<String>,
    #[arg(long)]
    refresh_reuse_window: Option<i64>,
    #[arg(long, value_parser = ["on", "off"])]
    refresh_rotation: Option<String>,
    #[arg(long, value_parser = ["on", "off"])]
    pkce: Option<String>,
    #[arg(long, value_parser = ["on", "off"])]
    consent: Option<String>,
    /// Keycloak's "full scope allowed"
    #[arg(long, value_parser = ["on", "off"])]
    full_scope: Option<String>,
    /// RS256, ES256 or EdDSA, or `default` for the realm's
    #[arg(long)]
    id_token_alg: Option<String>,
    /// A project the client may ask a `project-{ID}` token for (repeatable; replaces the list)
    #[arg(long = "project")]
    projects: Vec<String>,
    /// A Web Origin (repeatable; replaces the list; `+`: the redirect URIs' origins)
    #[arg(long = "web-origin")]
    web_origins: Vec<String>,
    /// Takes every project away (no `project-{ID}` tokens)
    #[arg(long, conflicts_with = "projects")]
    no_projects: bool,
    /// As at `client create`: the same as --consent off
    #[arg(long)]
    no_consent: bool,
    /// As at `client create`: the same as --pkce off
    #[arg(long)]
    no_pkce: bool,
    /// As at `client create`: the same as --refresh-rotation off
    #[arg(long)]
    no_refresh_rotation: bool,
    /// As at `client create`: the same as --full-scope off
    #[arg(long)]
    no_full_scope: bool,
    #[arg(long)]
    json: bool,
}

/// `on`/`off` as a bool; `no_flag` (create's spelling) means off.
fn on_off(v: Option<String>, no_flag: bool) -> Option<bool> {
    v.map(|v| v == "on").or(no_flag.then_some(false))
}

/// `default` (the realm's) or a value of `flag`.
fn or_default<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<Option<Option<T>>, CliError> {
    v.map(|v| match v.as_str() {
        "default" => Ok(None),
        _ => v.parse().map(Some).map_err(|_| CliError::Other(format!("invalid {flag} {v:?}: a number, or default"))),
    })
    .transpose()
}

/// The non-empty list, or no change.
fn list(v: Vec<String>) -> Option<Vec<String>> {
    (!v.is_empty()).then_some(v)
}

impl TryFrom<UpdateFlags> for ClientChanges {
    type Error = CliError;

    fn try_from(f: UpdateFlags) -> Result<Self, CliError> {
        Ok(ClientChanges {
            name: f.name,
            description: f.description,
            enabled: on_off(f.enabled, false),
            redirect_uris: list(f.redirect_uris),
            post_logout_redirect_uris: list(f.post_logout_redirect_uris),
            grant_types: list(f.grant_types),
            scopes: list(f.scopes),
            default_scopes: list(f.default_scopes),
            access_token_lifespan: or_default("--access-token-lifespan", f.access_token_lifespan)?,
            refresh_token_lifespan: or_default("--refresh-token-lifespan", f.refresh_token_lifespan)?,
            refresh_reuse_window: f.refresh_reuse_window,
            refresh_token_rotation: on_off(f.refresh_rotation, f.no_refresh_rotation),
            pkce_required: on_off(f.pkce, f.no_pkce),
            consent_required: on_off(f.consent, f.no_consent),
            full_scope_allowed: on_off(f.full_scope, f.no_full_scope),
            id_token_alg: f.id_token_alg.map(|a| (a != "default").then_some(a)),
            projects: if f.no_projects { Some(vec![]) } else { list(f.projects) },
            web_origins: list(f.web_origins),
        })
    }
}

/// Overrides of a template's choices.
#[derive(Debug, clap::Args)]
pub struct ClientFlags {
    /// A grant type replacing the template's (repeatable): authorization_code, refresh_token,
    /// client_credentials, password, implicit, urn:ietf:params:oauth:grant-type:device_code
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// An exact post-logout redirect URI (repeatable)
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// ID-token signing algorithm: RS256 (default), ES256 or EdDSA
    #[arg(long)]
    id_token_alg: Option<String>,
    /// Refresh-token lifespan in seconds; 0 = never expires (default: the realm's, 30 days)
    #[arg(long)]
    refresh_token_lifespan: Option<i64>,
    /// Seconds a rotated refresh token still returns its successor (default 5)
    #[arg(long)]
    refresh_reuse_window: Option<i64>,
    /// Do not ask users for consent (first-party applications)
    #[arg(long)]
    no_consent: bool,
    /// Keep the same refresh token on every refresh
    #[arg(long)]
    no_refresh_rotation: bool,
    /// Do not require PKCE (confidential clients only)
    #[arg(long)]
    no_pkce: bool,
    /// Keycloak's "full scope allowed" off: user tokens carry only the roles named by
    /// --scope-role / --scope-client-role (and the client's own roles)
    #[arg(long)]
    no_full_scope: bool,
    /// A realm role in the client's role scope mappings (repeatable)
    #[arg(long = "scope-role")]
    scope_roles: Vec<String>,
    /// A client role CLIENT_ID:ROLE in the client's role scope mappings (repeatable)
    #[arg(long = "scope-client-role")]
    scope_client_roles: Vec<String>,
    /// A Web Origin whose pages may call the endpoints with credentials (repeatable; `+`: the
    /// redirect URIs' origins)
    #[arg(long = "web-origin")]
    web_origins: Vec<String>,
}

/// `CLIENT_ID:ROLE` arguments of `flag`.
fn client_role_pairs(flag: &str, list: &[String]) -> Result<Vec<(String, String)>, CliError> {
    list.iter()
        .map(|cr| {
            cr.split_once(':')
                .filter(|(c, r)| !c.is_empty() && !r.is_empty())
                .map(|(c, r)| (c.to_owned(), r.to_owned()))
                .ok_or_else(|| CliError::Other(format!("invalid {flag} {cr:?}: use CLIENT_ID:ROLE")))
        })
        .collect()
}

impl TryFrom<ClientFlags> for ClientOptions {
    type Error = CliError;

    fn try_from(f: ClientFlags) -> Result<Self, CliError> {
        Ok(ClientOptions {
            web_origins: f.web_origins,
            grant_types: f.grant_types,
            post_logout_redirect_uris: f.post_logout_redirect_uris,
            id_token_alg: f.id_token_alg,
            refresh_token_lifespan: f.refresh_token_lifespan,
            refresh_reuse_window: f.refresh_reuse_window,
            consent_required: f.no_consent.then_some(false),
            refresh_token_rotation: f.no_refresh_rotation.then_some(false),
            pkce_required: f.no_pkce.then_some(false),
            full_scope_allowed: f.no_full_scope.then_some(false),
            scope_client_roles: client_role_pairs("--scope-client-role", &f.scope_client_roles)?,
            scope_roles: f.scope_roles,
        })
    }
}

/// `portcullis admin …`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a superuser of the admin console; the password is read from standard input
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// Why a command failed: its message is the one line printed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Manage(#[from] ManageError),
    #[error("{0}")]
    Other(String),
}

fn read_password() -> Result<String, CliError> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| CliError::Other(format!("cannot read the password from standard input: {e}")))?;
    let password = s.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(&s).to_owned();
    if password.is_empty() {
        return Err(CliError::Other(
            "no password on standard input (pipe it in: echo 'secret' | portcullis ...)".into(),
        ));
    }
    Ok(password)
}

fn print_json(value: &impl serde::Serialize) {
    println!("{}", serde_json::to_string(value).unwrap_or_default());
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let config = Config::load(&cli.flags)?;
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Serve = command {
        return serve(config).await;
    }
    if let Command::Migrate = command {
        let db = store::Db::open_with(&config.database_url, config.durability).await.map_err(StartError::from)?;
        db.migrate().await.map_err(StartError::from)?;
        println!("migrations applied to {}", store::redact_url(&config.database_url));
        return Ok(());
    }
    match command {
        Command::Backup(args) => return backup::run_backup(&config, args).await,
        Command::Restore(args) => return backup::run_restore(&config, args).await,
        _ => {}
    }
    let manager = startup::open(&config, Arc::new(SystemClock)).await?;
    let result = run_admin(&manager, command).await;
    manager.db.close().await;
    result
}

async fn run_admin(m: &Manager, command: Command) -> Result<(), CliError> {
    match command {
        Command::Serve | Command::Migrate | Command::Backup(_) | Command::Restore(_) => {}
        Command::Realm(RealmCommand::Create { name, display_name, json }) => {
            let realm = m.create_realm(&name, display_name.as_deref(), &ACTOR).await?;
            if json {
                print_json(
                    &serde_json::json!({"id": realm.id, "name": realm.name, "display_name": realm.display_name}),
                );
            } else {
                println!("created realm {}", realm.name);
            }
        }
        Command::Realm(RealmCommand::List { json }) => {
            let realms = m.list_realms(&ACTOR).await?;
            if json {
                let rows: Vec<_> = realms
                    .iter()
                    .map(|r| serde_json::json!({"id": r.id, "name": r.name, "display_name": r.display_name, "enabled": r.enabled}))
                    .collect();
                print_json(&rows);
            } else {
                for r in realms {
                    println!("{}\t{}", r.name, r.display_name);
                }
            }
        }
        Command::Realm(RealmCommand::Delete { name }) => {
            m.delete_realm(&name, &ACTOR).await?;
            println!("deleted realm {name}");
        }
        Command::Realm(RealmCommand::NotBefore { name, at }) => {
            let at = m.set_realm_not_before(&name, at, &ACTOR).await?;
            println!("realm {name}: tokens issued before {at} no longer work");
        }
        Command::Realm(RealmCommand::OauthClients { name, state }) => {
            m.set_oauth_clients_enabled(&name, state == "on", &ACTOR).await?;
            println!("realm {name}: OAuth clients {state}");
        }
        Command::Realm(RealmCommand::SsoSession { name, idle, max }) => {
            let changes =
                RealmChanges { sso_session_idle_timeout: idle, sso_session_max_lifespan: max, ..Default::default() };
            m.update_realm(&name, changes, &ACTOR).await?;
            let row = m.realm_row(&name).await?;
            println!(
                "realm {name}: SSO sessions end after {} s idle, {} s at most",
                row.sso_session_idle_timeout, row.sso_session_max_lifespan
            );
        }
        Command::Realm(RealmCommand::Update {
            name,
            display_name,
            oauth_clients,
            access_token_lifespan,
            refresh_token_lifespan,
            sso_session_idle,
            sso_session_max,
            retrievable_secrets,
            json,
        }) => {
            let changes = RealmChanges {
                display_name,
                oauth_clients_enabled: oauth_clients.map(|v| v == "on"),
                access_token_lifespan,
                refresh_token_lifespan,
                sso_session_idle_timeout: sso_session_idle,
                sso_session_max_lifespan: sso_session_max,
                retrievable_secrets: retrievable_secrets.map(|v| v == "on"),
            };
            let changed = m.update_realm(&name, changes, &ACTOR).await?;
            if json {
                print_json(&serde_json::json!({ "realm": name, "changed": changed }));
            } else if changed.is_empty() {
                println!("realm {name}: nothing to change");
            } else {
                let fields: Vec<&str> = changed.keys().map(String::as_str).collect();
                println!("realm {name}: changed {}", fields.join(", "));
            }
        }
        Command::User(UserCommand::Create { realm, username, email, roles, password_stdin: _ }) => {
            let password = read_password()?;
            let id = m
                .create_user(
                    NewUser { realm, username: username.clone(), email, roles, ..Default::default() },
                    password,
                    &ACTOR,
                )
                .await?;
            println!("created user {username} ({id})");
        }
        Command::User(
            cmd @ (UserCommand::List { .. }
            | UserCommand::Update { .. }
            | UserCommand::Delete { .. }
            | UserCommand::ResetPassword { .. }
            | UserCommand::Unlock { .. }),
        ) => run_user(m, cmd).await?,
        Command::User(UserCommand::Grant(f)) => set_user_roles(m, f, true).await?,
        Command::User(UserCommand::Ungrant(f)) => set_user_roles(m, f, false).await?,
        Command::Admin(AdminCommand::Create { username, password_stdin: _ }) => {
            let password = read_password()?;
            m.create_admin(&username, password, &ACTOR).await?;
            println!("created admin {username}");
        }
        Command::Client(cmd) => run_client(m, cmd).await?,
        Command::Key(cmd) => keys::run(m, cmd).await?,
        Command::ApiKey(cmd) => api_keys::run(m, cmd).await?,
        Command::Idp(cmd) => idp::run(m, cmd).await?,
        Command::Scope(cmd) => scopes::run(m, cmd).await?,
        Command::Audit(cmd) => activity::run_audit(m, cmd).await?,
        Command::Session(cmd) => activity::run_session(m, cmd).await?,
        Command::Project(ProjectCommand::Create { realm, name, id, description, json }) => {
            let new = crate::manage::project::NewProject { id: id.as_deref(), name: &name, description: &description };
            let p = m.create_project(&realm, new, &ACTOR).await?;
            if json {
                print_json(&serde_json::json!({ "id": p.id, "name": p.name }));
            } else {
                println!("created project {} ({})", p.id, p.name);
            }
        }
        Command::Project(ProjectCommand::List { realm, json }) => {
            let projects = m.list_projects(&realm, &ACTOR).await?;
            if json {
                print_json(&projects);
            } else {
                for p in projects {
                    println!("{}\t{}", p.id, p.name);
                }
            }
        }
        Command::Project(ProjectCommand::Update { realm, id, name, description }) => {
            let p = m.update_project(&realm, &id, name.as_deref(), description.as_deref(), &ACTOR).await?;
            println!("updated project {} ({})", p.id, p.name);
        }
        Command::Project(ProjectCommand::Delete { realm, id }) => {
            let p = m.delete_project(&realm, &id, &ACTOR).await?;
            println!("deleted project {} ({})", p.id, p.name);
        }
        Command::Role(RoleCommand::Create { realm, client, name, description }) => {
            m.create_role(&realm, client.as_deref(), &name, &description, &ACTOR).await?;
            println!("created role {name}");
        }
        Command::Role(RoleCommand::List { realm, client, json }) => {
            let roles = m.list_roles(&realm, client.as_deref(), &ACTOR).await?;
            if json {
                print_json(&roles);
            } else {
                for r in roles {
                    println!("{}\t{}", r.name, r.description);
                }
            }
        }
        Command::Role(RoleCommand::Update { realm, client, name, description }) => {
            m.update_role(&realm, client.as_deref(), &name, &description, &ACTOR).await?;
            println!("updated role {name}");
        }
        Command::Role(RoleCommand::AddComposite(f)) => set_composite(m, f, true).await?,
        Command::Role(RoleCommand::RemoveComposite(f)) => set_composite(m, f, false).await?,
        Command::Role(RoleCommand::Delete { realm, client, name, force }) => {
            let taken = m.delete_role(&realm, client.as_deref(), &name, force, &ACTOR).await?;
            if taken.is_empty() {
                println!("deleted role {name}");
            } else {
                println!("deleted role {name}, taken from {}", taken.join(", "));
            }
        }
    }
    Ok(())
}

/// `role add-composite` / `role remove-composite`.
async fn set_composite(m: &Manager, f: CompositeFlags, add: bool) -> Result<(), CliError> {
    let (client, child_client) = (f.client.as_deref(), f.child_client.as_deref());
    m.set_composite(&f.realm, client, &f.name, child_client, &f.child, add, &ACTOR).await?;
    let verb = if add { "now includes" } else { "no longer includes" };
    println!("role {} {verb} {}", f.name, f.child);
    Ok(())
}

/// `user list|update|delete|reset-password|unlock`: the same `manage` operations as the
/// console's Users pages.
async fn run_user(m: &Manager, cmd: UserCommand) -> Result<(), CliError> {
    match cmd {
        UserCommand::List { realm, search, json } => {
            let query = store::users::UserQuery { any: search.filter(|s| !s.is_empty()), ..Default::default() };
            let page = m.users_page(&realm, &query, 0, 1000, &ACTOR).await?;
            let now = m.clock.now();
            let rows: Vec<serde_json::Value> = page
                .users
                .iter()
                .map(|(u, f)| {
                    serde_json::json!({
                        "id": u.id, "username": u.username, "email": u.email, "first_name": u.first_name,
                        "last_name": u.last_name, "enabled": u.enabled,
                        "locked": f.as_ref().and_then(|f| f.locked_until).is_some_and(|t| t > now),
                        "required_actions": if u.password_temporary { vec!["UPDATE_PASSWORD"] } else { vec![] },
                    })
                })
                .collect();
            if json {
                print_json(&rows);
            } else {
                for r in &rows {
                    let flag = |k: &str, word: &str| if r[k] == true { word.to_owned() } else { String::new() };
                    println!(
                        "{}\t{}\t{}\t{}",
                        r["username"].as_str().unwrap_or_default(),
                        r["email"].as_str().unwrap_or_default(),
                        if r["enabled"] == true { "enabled" } else { "disabled" },
                        flag("locked", "locked"),
                    );
                }
            }
        }
        UserCommand::Update { realm, username, email, first_name, last_name, enabled, roles } => {
            let user = m.user_by_username(&realm, &username, &ACTOR).await?;
            // Checked before anything is written, so a bad address changes nothing.
            if let Some(e) = email.as_deref().filter(|e| !e.is_empty()) {
                crate::model::validate::email(e).map_err(ManageError::Invalid)?;
            }
            if !roles.is_empty() {
                m.set_user_roles(&realm, &user.username, &roles, &[], true, &ACTOR).await?;
            }
            let changes = crate::manage::user::UserChanges {
                email: email.map(|e| Some(e).filter(|e| !e.is_empty())),
                first_name,
                last_name,
                enabled: enabled.map(|e| e == "true"),
                ..Default::default()
            };
            m.update_user(&realm, &user.id, changes, &ACTOR).await?;
            println!("updated user {username}");
        }
        UserCommand::Delete { realm, username } => {
            let user = m.user_by_username(&realm, &username, &ACTOR).await?;
            m.delete_user(&realm, &user.id, &ACTOR).await?;
            println!("deleted user {username}");
        }
        UserCommand::ResetPassword { realm, username, password_stdin: _, temporary } => {
            let user = m.user_by_username(&realm, &username, &ACTOR).await?;
            let password = read_password()?;
            m.set_password(&realm, &user.id, password, temporary, &ACTOR).await?;
            match temporary {
                true => println!("password of {username} set; temporary: it must be changed at the next sign-in"),
                false => println!("password of {username} set"),
            }
        }
        UserCommand::Unlock { realm, username } => {
            let user = m.user_by_username(&realm, &username, &ACTOR).await?;
            m.unlock(&realm, Some(&user.id), &ACTOR).await?;
            println!("unlocked user {username}");
        }
        _ => {}
    }
    Ok(())
}

/// `user grant` / `user ungrant`.
async fn set_user_roles(m: &Manager, f: RoleMappingFlags, grant: bool) -> Result<(), CliError> {
    let client_roles = client_role_pairs("--client-role", &f.client_roles)?;
    m.set_user_roles(&f.realm, &f.username, &f.roles, &client_roles, grant, &ACTOR).await?;
    let verb = if grant { "granted to" } else { "taken from" };
    println!("roles {verb} {}", f.username);
    Ok(())
}

async fn run_client(m: &Manager, cmd: ClientCommand) -> Result<(), CliError> {
    match cmd {
        ClientCommand::Create {
            realm,
            template,
            client_id,
            name,
            description,
            redirect_uris,
            scopes,
            roles,
            client_roles,
            access_token_lifespan,
            options,
            json,
        } => {
            let client_roles = client_role_pairs("--client-role", &client_roles)?;
            let req = NewClient {
                realm,
                template,
                client_id,
                name,
                description,
                redirect_uris,
                scopes,
                roles,
                client_roles,
                access_token_lifespan,
                options: options.try_into()?,
            };
            let created = m.create_client(req, &ACTOR).await?;
            if json {
                print_json(&created);
            } else {
                println!("created {} client {} in realm {}", created.template, created.client_id, created.realm);
                if let Some(secret) = &created.client_secret {
                    println!("client secret (shown only now): {secret}");
                }
            }
        }
        ClientCommand::List { realm, json } => {
            let realm_row = m.realm_row(&realm).await?;
            let mut conn = m.db.conn().await.map_err(ManageError::from)?;
            let rows = store::clients::list(&mut conn, &realm_row.id).await.map_err(ManageError::from)?;
            if json {
                let list: Vec<_> = rows
                    .iter()
                    .map(|c| serde_json::json!({"client_id": c.client_id, "name": c.name, "template": c.template, "enabled": c.enabled, "builtin": c.builtin}))
                    .collect();
                print_json(&list);
            } else {
                for c in rows {
                    println!(
                        "{}\t{}\t{}\t{}",
                        c.client_id,
                        if c.builtin { "built-in" } else { c.template.as_str() },
                        if c.enabled { "enabled" } else { "disabled" },
                        c.name
                    );
                }
            }
        }
        ClientCommand::Delete { realm, client_id } => {
            m.delete_client(&realm, &client_id, &ACTOR).await?;
            println!("deleted client {client_id}");
        }
        ClientCommand::Disable { realm, client_id } => {
            m.set_client_enabled(&realm, &client_id, false, &ACTOR).await?;
            println!("disabled client {client_id}");
        }
        ClientCommand::Enable { realm, client_id } => {
            m.set_client_enabled(&realm, &client_id, true, &ACTOR).await?;
            println!("enabled client {client_id}");
        }
        ClientCommand::NotBefore { realm, client_id, at } => {
            let at = m.set_client_not_before(&realm, &client_id, at, &ACTOR).await?;
            println!("client {client_id}: tokens issued before {at} no longer work");
        }
        ClientCommand::Update(flags) => {
            let (realm, client_id, json) = (flags.realm.clone(), flags.client_id.clone(), flags.json);
            let updated = m.update_client(&realm, &client_id, (*flags).try_into()?, &ACTOR).await?;
            if json {
                print_json(&updated);
            } else if updated.changed.is_empty() {
                println!("client {client_id}: nothing to change");
            } else {
                let fields: Vec<&str> = updated.changed.keys().map(String::as_str).collect();
                println!("client {client_id}: changed {}", fields.join(", "));
            }
        }
        ClientCommand::RegenerateSecret { realm, client_id, grace, json } => {
            let s = m.regenerate_secret(&realm, &client_id, grace, &ACTOR).await?;
            if json {
                print_json(&serde_json::json!({
                    "client_id": s.client_id,
                    "client_secret": s.client_secret,
                    "previous_secret_valid_until": s.previous_valid_until,
                }));
            } else {
                println!("new client secret (shown only now): {}", s.client_secret);
            }
        }
    }
    Ok(())
}

async fn serve(config: Config) -> Result<(), CliError> {
    let app = Application::build(config).await?;
    let addr = app.local_addr();
    // The handlers are installed before the contract lines: a SIGTERM sent as soon as they are
    // read drains and exits 0 instead of killing the process.
    let shutdown = shutdown_signal();
    tracing::info!(public_url = %app.state().public_url, "started");
    println!("listening on http://{addr}");
    if let Some(m) = app.management_addr() {
        println!("management on http://{m}");
    }
    app.run(shutdown).await.map_err(|e| CliError::Other(format!("server error: {e}")))
}

/// Resolves at the first SIGTERM or Ctrl-C; on Unix both are caught from the moment this is
/// called.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (term, int) = (signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok());
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! { _ = wait(term) => {}, _ = wait(int) => {} }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
