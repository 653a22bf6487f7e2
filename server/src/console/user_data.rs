//! The Users pages' data: the list (searched and paged on the server, with each account's
//! lock) and a user's page with what its open tab needs. Every read goes through `manage`,
//! which checks `view-users`.

use super::service::{role_view, shown, Console};
use crate::{
    manage::client_query::AssignedRole,
    store::{login_failures::FailureRow, users::UserQuery, users::UserRow},
};
use app::{
    admin::{
        identity_providers::IdpLinkView, ServiceAccountView, UserConsentView, UserListView, UserPageView, UserRowView,
        UserSessionView,
    },
    pages::console::users::PAGE,
};
use http::request::Parts;

fn row_view(u: UserRow, failures: Option<&FailureRow>, now: i64) -> UserRowView {
    UserRowView {
        locked: failures.and_then(|f| f.locked_until).is_some_and(|t| t > now),
        id: u.id,
        username: u.username,
        email: u.email.unwrap_or_default(),
        first_name: u.first_name,
        last_name: u.last_name,
        enabled: u.enabled,
        password_temporary: u.password_temporary,
    }
}

/// A page of the realm's users matching `q` (username, email or names).
pub async fn users(console: &Console, parts: &Parts, realm: &str, q: &str, first: i64) -> Result<UserListView, String> {
    let admin = console.actor(parts).await?;
    let query = UserQuery { any: Some(q.trim().to_owned()).filter(|q| !q.is_empty()), ..Default::default() };
    let page = console.state.manager.users_page(realm, &query, first, PAGE, &admin.actor).await.map_err(shown)?;
    let now = console.state.now();
    Ok(UserListView {
        users: page.users.into_iter().map(|(u, f)| row_view(u, f.as_ref(), now)).collect(),
        total: page.total,
        first: first.max(0),
        max: PAGE,
    })
}

/// A user's page with what `tab` needs.
pub async fn user(
    console: &Console,
    parts: &Parts,
    realm: &str,
    id: &str,
    tab: &str,
    role_client: Option<&str>,
) -> Result<UserPageView, String> {
    let admin = console.actor(parts).await?;
    let (m, actor) = (&console.state.manager, &admin.actor);
    let user = m.user_by_id(realm, id, actor).await.map_err(shown)?;
    let failures = m.login_failures(realm, id, actor).await.map_err(shown)?;
    let settings = m.realm_row(realm).await.map_err(shown)?;
    let now = console.state.now();
    let (email_verified, created_at) = (user.email_verified, user.created_at);
    let mut page = UserPageView {
        user: row_view(user, failures.as_ref(), now),
        email_verified,
        created_at,
        failures: failures.as_ref().map(|f| f.failures).unwrap_or(0),
        last_failure: failures.as_ref().map(|f| f.last_failure),
        locked_until: failures.as_ref().and_then(|f| f.locked_until).filter(|t| *t > now),
        max_failures: settings.bruteforce_max_failures,
        lockout_seconds: settings.bruteforce_lockout_seconds,
        password_min_length: settings.password_min_length.max(1),
        roles: None,
        sessions: vec![],
        consents: vec![],
        idp_links: vec![],
        now,
    };
    match tab {
        "role-mapping" => {
            let (direct, all) = m.user_role_mapping(realm, id, actor).await.map_err(shown)?;
            let mut role_clients: Vec<String> = all.iter().filter_map(|r| r.client_id.clone()).collect();
            role_clients.sort();
            role_clients.dedup();
            let role_client = role_client.filter(|c| role_clients.iter().any(|r| r == c)).map(str::to_owned);
            let shown_here = |r: &AssignedRole| r.client_id == role_client;
            let assigned: Vec<AssignedRole> = direct.into_iter().filter(|r| shown_here(r)).collect();
            let available = all
                .into_iter()
                .filter(|r| shown_here(r) && !assigned.iter().any(|a| a.name == r.name))
                .map(role_view)
                .collect();
            page.roles = Some(ServiceAccountView {
                role_client,
                role_clients,
                available,
                assigned: assigned.into_iter().map(role_view).collect(),
            });
        }
        "sessions" => {
            let (_, sessions) = m.user_sessions(realm, id, actor).await.map_err(shown)?;
            page.sessions = sessions
                .into_iter()
                .map(|(s, clients)| UserSessionView {
                    id: s.id,
                    started_at: s.created_at,
                    last_seen_at: s.last_seen_at,
                    ip: s.ip.unwrap_or_default(),
                    clients: clients.into_iter().map(|(_, c)| c).collect(),
                })
                .collect();
        }
        "consents" => {
            let consents = m.user_consents(realm, id, actor).await.map_err(shown)?;
            page.consents = consents
                .into_iter()
                .map(|c| UserConsentView {
                    client_id: c.client_id,
                    client_name: c.client_name,
                    scopes: c.scopes.split_whitespace().map(str::to_owned).collect(),
                    granted_at: c.granted_at,
                })
                .collect();
        }
        "identity-provider-links" => {
            let links = m.federated_identities(realm, id, actor).await.map_err(shown)?;
            // Display names need view-identity-providers; without it the alias stands in.
            let providers = m.list_identity_providers(realm, actor).await.unwrap_or_default();
            let name = |alias: &str| {
                providers.iter().find(|p| p.alias == alias).map(|p| p.display_name.clone()).unwrap_or(alias.to_owned())
            };
            page.idp_links = links
                .into_iter()
                .map(|(alias, l)| IdpLinkView {
                    display_name: name(&alias),
                    alias,
                    username: l.username,
                    subject: l.subject,
                    linked_at: l.linked_at,
                })
                .collect();
        }
        _ => {}
    }
    Ok(page)
}
