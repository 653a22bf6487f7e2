//! The OAuth Clients pages' forms: create, a client's tabs (settings, credentials, service
//! account roles, project access, revocation, sessions) and delete. Each calls one `manage`
//! operation, which checks the permission and writes its audit event in the same transaction.

use super::forms::{Fields, Posted};
use crate::manage::{client::NewClient, client_update::ClientChanges, service_account::RoleRef, ManageError};
use app::{
    components::shell::{console_href, escape},
    text,
};
use axum::{extract::Path, response::Response};

fn tab(realm: &str, client_id: &str, tab: &str) -> String {
    console_href(realm, &format!("clients/{}/{tab}", escape(client_id)))
}

/// A lifespan field: blank is the realm's default (`Some(None)`), else whole seconds.
fn lifespan(fields: &Fields, name: &str, label: &str) -> Result<Option<Option<i64>>, ManageError> {
    match fields.get(name) {
        "" => Ok(Some(None)),
        v => v
            .parse()
            .map(|n| Some(Some(n)))
            .map_err(|_| ManageError::Invalid(format!("{label} must be a whole number of seconds"))),
    }
}

/// `POST /admin/{realm}/console/clients/new`.
pub async fn create(Path(realm): Path<String>, posted: Posted) -> Response {
    let f = &posted.fields;
    let optional = |name: &str| Some(f.get(name).to_owned()).filter(|v| !v.is_empty());
    let req = NewClient {
        realm: realm.clone(),
        template: f.get("template").to_owned(),
        client_id: optional("client_id"),
        name: optional("name"),
        description: optional("description"),
        redirect_uris: f.lines("redirect_uris"),
        ..Default::default()
    };
    let m = &posted.state().manager;
    match m.create_client(req, &posted.admin.actor).await {
        Ok(c) => {
            let secret = c.client_secret.is_some();
            let (to, message) = match secret {
                true => (
                    "credentials",
                    format!("Client {} created. Copy its secret now: it is shown only this once.", c.client_id),
                ),
                false => ("settings", format!("Client {} created.", c.client_id)),
            };
            posted.done(&tab(&realm, &c.client_id, to), message, c.client_secret).await
        }
        Err(e) => posted.failed(&console_href(&realm, "clients/new"), e).await,
    }
}

/// `POST /admin/{realm}/console/clients/{client_id}/{tab}`: the tab's change (or `delete`).
pub async fn change(Path((realm, client_id, tab_name)): Path<(String, String, String)>, posted: Posted) -> Response {
    let here = tab(&realm, &client_id, &tab_name);
    let result = apply(&realm, &client_id, &tab_name, &posted).await;
    match result {
        Ok((location, message, secret)) => posted.done(&location.unwrap_or(here), message, secret).await,
        Err(e) => {
            let back = match tab_name.as_str() {
                "delete" => console_href(&realm, "clients"),
                "service-account-roles" => with_role_source(&here, posted.fields.get("roles")),
                _ => here,
            };
            posted.failed(&back, e).await
        }
    }
}

fn with_role_source(href: &str, roles: &str) -> String {
    match roles {
        "" => href.to_owned(),
        r => format!("{href}?roles={}", escape(r)),
    }
}

/// What a tab's form does: where to go (the tab itself when `None`), what to say, and a new
/// secret to show once.
type Applied = (Option<String>, String, Option<String>);

async fn apply(realm: &str, client_id: &str, tab_name: &str, posted: &Posted) -> Result<Applied, ManageError> {
    let (m, actor, f) = (&posted.state().manager, &posted.admin.actor, &posted.fields);
    match (tab_name, f.get("op")) {
        ("settings", _) => {
            let changes = ClientChanges {
                name: Some(f.get("name").to_owned()),
                description: Some(f.get("description").to_owned()),
                enabled: Some(f.checked("enabled")),
                redirect_uris: Some(f.lines("redirect_uris")),
                post_logout_redirect_uris: Some(f.lines("post_logout_redirect_uris")),
                web_origins: Some(f.lines("web_origins")),
                grant_types: Some(f.all("grant_types")),
                access_token_lifespan: lifespan(f, "access_token_lifespan", "Access Token Lifespan")?,
                refresh_token_lifespan: lifespan(f, "refresh_token_lifespan", "Refresh Token Lifespan")?,
                refresh_token_rotation: Some(f.checked("refresh_token_rotation")),
                refresh_reuse_window: match f.get("refresh_reuse_window") {
                    "" => None,
                    v => Some(v.parse().map_err(|_| {
                        ManageError::Invalid("the refresh reuse window must be a whole number of seconds".into())
                    })?),
                },
                id_token_alg: Some(Some(f.get("id_token_alg").to_owned()).filter(|a| !a.is_empty())),
                pkce_required: Some(f.checked("pkce_required")),
                consent_required: Some(f.checked("consent_required")),
                full_scope_allowed: Some(f.checked("full_scope_allowed")),
                scopes: Some(f.all("scope")),
                default_scopes: Some(f.all("default_scope")),
                ..Default::default()
            };
            let updated = m.update_client(realm, client_id, changes, actor).await?;
            let message = match updated.changed.len() {
                0 => "Nothing to save: the settings were already so.".to_owned(),
                _ => format!(
                    "Saved: {}.",
                    updated.changed.keys().map(|k| k.replace('_', " ")).collect::<Vec<_>>().join(", ")
                ),
            };
            Ok((None, message, None))
        }
        ("credentials", _) => {
            let grace = match f.get("grace") {
                "" => 0,
                g => g
                    .parse()
                    .map_err(|_| ManageError::Invalid("the grace period must be a whole number of seconds".into()))?,
            };
            let s = m.regenerate_secret(realm, client_id, grace, actor).await?;
            let old = match s.previous_valid_until {
                Some(t) => format!("The old secret keeps working until {}.", text::utc(t)),
                None => "The old secret no longer works.".to_owned(),
            };
            Ok((
                None,
                format!("New secret made; copy it now, it is shown only this once. {old}"),
                Some(s.client_secret),
            ))
        }
        ("service-account-roles", op @ ("add" | "remove")) => {
            let roles: Vec<RoleRef> = f.all("role").iter().map(|r| RoleRef::parse(r)).collect();
            let n = m.set_service_account_roles(realm, client_id, &roles, op == "add", actor).await?;
            let here = with_role_source(&tab(realm, client_id, tab_name), f.get("roles"));
            let verb = if op == "add" { "added" } else { "removed" };
            Ok((Some(here), format!("{} {verb}.", text::count(n as i64, "role")), None))
        }
        ("project-access", _) => {
            let changes = ClientChanges { projects: Some(f.all("project")), ..Default::default() };
            m.update_client(realm, client_id, changes, actor).await?;
            Ok((None, "Project access saved.".to_owned(), None))
        }
        ("revocation", "revoke-all") | ("sessions", _) => {
            let family = Some(f.get("family")).filter(|v| !v.is_empty());
            let n = m.revoke_client_sessions(realm, client_id, family, actor).await?;
            Ok((
                None,
                format!(
                    "{} revoked: their refresh and access tokens no longer work.",
                    text::count(n as i64, "session")
                ),
                None,
            ))
        }
        ("revocation", op) => {
            let at = match op {
                "now" => None,
                "clear" => Some(0),
                _ => Some(text::parse_datetime_local(f.get("not_before")).ok_or_else(|| {
                    ManageError::Invalid("Not Before must be a date and time, such as 2026-11-30T09:00".into())
                })?),
            };
            let at = m.set_client_not_before(realm, client_id, at, actor).await?;
            let message = match at {
                0 => "Not Before cleared.".to_owned(),
                t => format!("Not Before set to {}: tokens issued before then no longer work.", text::utc(t)),
            };
            Ok((None, message, None))
        }
        ("delete", _) => {
            m.delete_client(realm, client_id, actor).await?;
            Ok((
                Some(console_href(realm, "clients")),
                format!("Client {client_id} deleted; everything it held is revoked."),
                None,
            ))
        }
        _ => Err(ManageError::NotFound("there is no such form".into())),
    }
}
