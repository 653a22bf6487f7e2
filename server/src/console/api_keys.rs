//! The API Keys page: its data, and its form (create a key, shown once; revoke one).

use super::{forms::Posted, service::Console};
use crate::manage::{
    api_key::{ApiKeyInfo, NewApiKey},
    service_account::RoleRef,
};
use app::{
    admin::{ApiKeyView, ApiKeysView},
    components::shell::console_href,
};
use axum::{extract::Path, response::Response};
use http::request::Parts;

/// How many keys the page lists.
const SHOWN: i64 = 500;

/// The page's data: the keys the administrator may see, what a new one may hold.
pub async fn data(console: &Console, parts: &Parts, realm: &str) -> Result<ApiKeysView, String> {
    let admin = console.actor(parts).await?;
    let m = &console.state.manager;
    let keys = m.list_api_keys(realm, &admin.actor, 0, SHOWN).await.map_err(super::service::shown)?;
    let (roles, projects, all) = m.api_key_choices(realm, &admin.actor).await.map_err(super::service::shown)?;
    let view = |k: ApiKeyInfo| ApiKeyView {
        revocable: k.row.revoked_at.is_none() && m.may_revoke_api_key(&k.row, &admin.actor),
        id: k.row.id,
        name: k.row.name,
        roles: k.roles.iter().map(RoleRef::key).collect(),
        projects: k.projects,
        created_by: k.row.created_by,
        created_at: k.row.created_at,
        expires_at: k.row.expires_at,
        last_used_at: k.row.last_used_at,
        revoked_at: k.row.revoked_at,
    };
    Ok(ApiKeysView {
        keys: keys.into_iter().map(view).collect(),
        grantable_roles: roles.iter().map(RoleRef::key).collect(),
        projects: projects.into_iter().map(|p| (p.id, p.name)).collect(),
        all,
        now: console.state.now(),
    })
}

/// `POST /admin/{realm}/console/api-keys`: `Create` (`Name`, `Projects`, `Roles`, `Expires in
/// (days)`), or with `revoke=ID` the key's `Revoke`.
pub async fn change(Path(realm): Path<String>, posted: Posted) -> Response {
    let (m, actor, f) = (&posted.state().manager, &posted.admin.actor, &posted.fields);
    let here = console_href(&realm, "api-keys");
    let revoke = f.get("revoke");
    if !revoke.is_empty() {
        return match m.revoke_api_key(&realm, revoke, actor).await {
            Ok(k) => posted.done(&here, format!("API key {} revoked: it no longer works.", k.name), None).await,
            Err(e) => posted.failed(&here, e).await,
        };
    }
    let expires_in = match f.get("expires_in_days").trim() {
        "" => None,
        days => match days.parse::<i64>() {
            Ok(d) if d > 0 => Some(d.saturating_mul(86_400)),
            _ => {
                let e = crate::manage::ManageError::Invalid(
                    "--expires-in must be a whole number of days, 1 or more (blank: never)".into(),
                );
                return posted.failed(&here, e).await;
            }
        },
    };
    let new = NewApiKey {
        name: f.get("name").to_owned(),
        projects: f.all("project"),
        roles: f.all("role").iter().map(|r| RoleRef::parse(r)).collect(),
        expires_in,
    };
    match m.create_api_key(&realm, new, actor).await {
        Ok((row, key)) => {
            let message = format!("API key {} created. Copy it now: it is not shown again.", row.name);
            posted.done(&here, message, Some(key)).await
        }
        Err(e) => posted.failed(&here, e).await,
    }
}
