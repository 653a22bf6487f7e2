//! The Service Connections page: its data (never a secret or a token, only whether they are
//! set, and the status), its form (`Create`, `Save` of an edited connection, `Connect` of a
//! client-credentials one, `Delete`), and the code flow an administrator runs to connect an
//! authorization-code one: `GET …/service-connections/{alias}/connect` sends the browser to the
//! provider with `state` and a PKCE challenge kept in the admin's session, and
//! `GET …/service-connections/{alias}/callback` checks the state and exchanges the code. Each
//! calls one `manage::service_connection` operation (`manage-realm`, audited).

use super::{
    admin::signed_in,
    flash,
    forms::{Fields, Posted},
    login::LOGIN,
    service::{shown, Console},
};
use crate::{
    crypto::{b64, ct_eq, random_token, sha256},
    manage::{
        actor::perm::MANAGE_REALM,
        service_account::RoleRef,
        service_connection::{role_of, ConnectionChanges, ConnectionGrant},
        ManageError,
    },
    state::AppState,
    store::service_connections::ConnectionRow,
};
use app::{
    admin::{
        service_connections::{ConnectionView, ConnectionsView},
        Flash,
    },
    components::shell::{console_href, escape},
};
use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use http::request::Parts;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// The session key of a code flow under way.
const STARTED: &str = "service_connection_flow";
/// How long an administrator may take at the provider.
const FLOW_LIFETIME: i64 = 600;

/// `{public_url}/admin/{realm}/console/service-connections/{alias}/callback`: what to register
/// at the provider for the code grant.
pub fn callback_url(state: &AppState, realm: &str, alias: &str) -> String {
    format!("{}{}/{}/callback", state.public_url, console_href(realm, "service-connections"), escape(alias))
}

fn view(state: &AppState, realm: &str, c: ConnectionRow) -> ConnectionView {
    ConnectionView {
        callback_url: callback_url(state, realm, &c.alias),
        token_endpoint: format!("{}/realms/{}/service-connections/{}/token", state.public_url, realm, c.alias),
        role: role_of(&c).key(),
        has_secret: c.client_secret_sealed.is_some(),
        connected: c.tokens.access_sealed.is_some(),
        expires_at: c.tokens.expires_at,
        refreshed_at: c.tokens.refreshed_at,
        last_error: c.last_error,
        alias: c.alias,
        display_name: c.display_name,
        grant_type: c.grant_type,
        token_url: c.token_url,
        authorization_url: c.authorization_url.unwrap_or_default(),
        client_id: c.client_id,
        client_auth_method: c.client_auth_method,
        scopes: c.scopes,
    }
}

/// The page's data.
pub async fn data(console: &Console, parts: &Parts, realm: &str) -> Result<ConnectionsView, String> {
    let admin = console.actor(parts).await?;
    let m = &console.state.manager;
    let rows = m.list_service_connections(realm, &admin.actor).await.map_err(shown)?;
    let realm_row = m.realm_row(realm).await.map_err(shown)?;
    Ok(ConnectionsView {
        connections: rows.into_iter().map(|c| view(&console.state, realm, c)).collect(),
        can_manage: admin.actor.can(&realm_row.id, MANAGE_REALM),
        now: console.state.now(),
    })
}

/// The form's settings as changes (blank fields of an edit leave the setting alone).
fn changes(f: &Fields) -> ConnectionChanges {
    let given = |name: &str| Some(f.get(name).to_owned()).filter(|v| !v.is_empty());
    ConnectionChanges {
        alias: given("alias"),
        display_name: given("display_name"),
        grant: ConnectionGrant::parse(f.get("grant_type")),
        token_url: given("token_url"),
        authorization_url: Some(f.get("authorization_url").to_owned()),
        client_id: given("client_id"),
        client_secret: given("client_secret"),
        client_auth_method: given("client_auth_method"),
        scopes: Some(f.get("scopes").split_whitespace().map(str::to_owned).collect()),
        role: given("role").map(|r| RoleRef::parse(&r)),
    }
}

/// The field a refusal is about.
fn field_of(e: &ManageError) -> Option<&'static str> {
    let m = e.to_string();
    [
        ("alias", "alias"),
        ("display name", "display_name"),
        ("authorization URL", "authorization_url"),
        ("token URL", "token_url"),
        ("client id", "client_id"),
        ("client authentication", "client_auth_method"),
        ("scope", "scopes"),
        ("(--role)", "role"),
        ("already exists", "alias"),
    ]
    .into_iter()
    .find(|(words, _)| m.contains(words))
    .map(|(_, field)| field)
}

/// `POST /admin/{realm}/console/service-connections`: `Create`; with `update=ALIAS` its `Save`;
/// with `connect=ALIAS` its `Connect`; with `delete=ALIAS` its confirmed `Delete`.
pub async fn change(Path(realm): Path<String>, posted: Posted) -> Response {
    let (m, actor, f) = (&posted.state().manager, &posted.admin.actor, &posted.fields);
    let here = console_href(&realm, "service-connections");
    let (delete, connect, update) = (f.get("delete"), f.get("connect"), f.get("update"));
    if !delete.is_empty() {
        return match m.delete_service_connection(&realm, delete, actor).await {
            Ok(()) => posted.done(&here, format!("Service connection {delete} deleted."), None).await,
            Err(e) => posted.failed(&here, e).await,
        };
    }
    if !connect.is_empty() {
        return match m.connect_service_connection(&realm, connect, actor).await {
            Ok(c) => posted.done(&here, format!("{} connected.", c.display_name), None).await,
            Err(e) => posted.failed(&here, e).await,
        };
    }
    if !update.is_empty() {
        let edit = format!("{here}?edit={}", escape(update));
        let changes = ConnectionChanges { alias: None, role: None, ..changes(f) };
        return match m.update_service_connection(&realm, update, changes, actor).await {
            Ok(c) => posted.done(&here, format!("Service connection {} saved.", c.alias), None).await,
            Err(e) => {
                let field = field_of(&e);
                posted.failed_beside(&edit, e, field).await
            }
        };
    }
    match m.create_service_connection(&realm, changes(f), actor).await {
        Ok(c) => {
            let next = match c.grant_type == ConnectionGrant::ClientCredentials.as_str() {
                true => "Connect it to fetch its first token.",
                false => "Register its callback URL at the provider, then Connect.",
            };
            posted.done(&here, format!("Service connection {} created. {next}", c.alias), None).await
        }
        Err(e) => {
            let field = field_of(&e);
            posted.failed_beside(&here, e, field).await
        }
    }
}

/// A code flow started from the console, kept in the admin's session.
#[derive(Serialize, Deserialize)]
struct Started {
    realm: String,
    alias: String,
    state: String,
    verifier: String,
    created_at: i64,
}

/// Back to the page with `message` shown there.
async fn back(state: &AppState, session: &Session, realm: &str, message: String, error: bool) -> Response {
    let flash = Flash { message, error, ..Default::default() };
    if let Err(e) = flash::put(session, &state.manager.master, flash).await {
        tracing::error!(error = %e, "storing the console flash");
    }
    Redirect::to(&console_href(realm, "service-connections")).into_response()
}

/// `GET /admin/{realm}/console/service-connections/{alias}/connect`: to the provider's
/// authorization endpoint (RFC 6749 §4.1.1, PKCE S256).
pub async fn connect(
    State(state): State<AppState>,
    Path((realm, alias)): Path<(String, String)>,
    session: Session,
) -> Response {
    let admin = match signed_in(&state, &session).await {
        Ok(Some(a)) => a,
        _ => return Redirect::to(LOGIN).into_response(),
    };
    let (flow_state, verifier) = (random_token::<32>(), random_token::<32>());
    let challenge = b64(&sha256(verifier.as_bytes()));
    let redirect_uri = callback_url(&state, &realm, &alias);
    let m = &state.manager;
    let url = match m
        .service_connection_authorize_url(&realm, &alias, &redirect_uri, &flow_state, &challenge, &admin.actor)
        .await
    {
        Ok(u) => u,
        Err(e) => return back(&state, &session, &realm, shown(e), true).await,
    };
    let started = Started { realm: realm.clone(), alias, state: flow_state, verifier, created_at: state.now() };
    if let Err(e) = session.insert(STARTED, started).await {
        tracing::error!(error = %e, "keeping a service connection's code flow");
        return back(&state, &session, &realm, "Something went wrong on the server; try again.".into(), true).await;
    }
    Redirect::to(&url).into_response()
}

/// What the provider sends back (RFC 6749 §4.1.2, §4.1.2.1).
#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /admin/{realm}/console/service-connections/{alias}/callback`: checks `state` against the
/// flow kept in the session (once), exchanges the code and stores the tokens.
pub async fn callback(
    State(state): State<AppState>,
    Path((realm, alias)): Path<(String, String)>,
    session: Session,
    Query(cb): Query<Callback>,
) -> Response {
    let admin = match signed_in(&state, &session).await {
        Ok(Some(a)) => a,
        _ => return Redirect::to(LOGIN).into_response(),
    };
    let started: Option<Started> = session.remove(STARTED).await.ok().flatten();
    let sent = cb.state.unwrap_or_default();
    let started = started.filter(|s| {
        s.realm == realm
            && s.alias == alias
            && state.now() - s.created_at <= FLOW_LIFETIME
            && ct_eq(s.state.as_bytes(), sent.as_bytes())
    });
    let Some(started) = started else {
        let message = format!("Connecting {alias} expired or was not started here. Connect again.");
        return back(&state, &session, &realm, message, true).await;
    };
    if let Some(error) = cb.error {
        let described = cb.error_description.map(|d| format!(" ({d})")).unwrap_or_default();
        let message = format!("The provider did not connect {alias}: {error}{described}");
        return back(&state, &session, &realm, message, true).await;
    }
    let Some(code) = cb.code.filter(|c| !c.is_empty() && c.len() <= 4096) else {
        return back(&state, &session, &realm, format!("The provider sent no code for {alias}."), true).await;
    };
    let redirect_uri = callback_url(&state, &realm, &alias);
    let m = &state.manager;
    match m.complete_service_connection(&realm, &alias, &code, &redirect_uri, &started.verifier, &admin.actor).await {
        Ok(c) => back(&state, &session, &realm, format!("{} connected.", c.display_name), false).await,
        Err(e) => back(&state, &session, &realm, shown(e), true).await,
    }
}
