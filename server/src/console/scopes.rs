//! The Client Scopes page: its data, and its form (create, edit, delete a scope).

use super::{forms::Posted, service::Console};
use crate::manage::scope::ScopeChanges;
use app::{
    admin::{ScopeView, ScopesView},
    components::shell::console_href,
};
use axum::{extract::Path, response::Response};
use http::request::Parts;

/// The page's data: every scope with its implications, what it grants and its clients.
pub async fn data(console: &Console, parts: &Parts, realm: &str) -> Result<ScopesView, String> {
    let admin = console.actor(parts).await?;
    let graph = console.state.manager.scope_graph(realm, &admin.actor).await.map_err(super::service::shown)?;
    let scopes = graph
        .into_iter()
        .map(|s| ScopeView {
            id: s.row.id,
            name: s.row.name,
            description: s.row.description,
            builtin: s.row.builtin,
            new_clients: s.row.new_clients,
            implies: s.implies,
            grants: s.grants,
            clients: s.clients,
        })
        .collect();
    Ok(ScopesView { scopes })
}

/// `POST /admin/{realm}/console/client-scopes`: `Create` (`Name`, `Description`, `Implies`, `For
/// new clients`), `Save` of one scope (`id`), or its confirmed `Delete` (`delete=ID`).
pub async fn change(Path(realm): Path<String>, posted: Posted) -> Response {
    let (m, actor, f) = (&posted.state().manager, &posted.admin.actor, &posted.fields);
    let here = console_href(&realm, "client-scopes");
    let delete = f.get("delete");
    if !delete.is_empty() {
        let name = m.scope(&realm, delete, actor).await.map(|s| s.name);
        return match async { m.delete_scope(&realm, delete, actor).await.and(name) }.await {
            Ok(name) => posted.done(&here, format!("Scope {name} deleted."), None).await,
            Err(e) => posted.failed(&here, e).await,
        };
    }
    let changes = ScopeChanges {
        description: Some(f.get("description").trim().to_owned()),
        implies: Some(f.all("implies")),
        new_clients: Some(Some(f.get("new_clients")).filter(|v| !v.is_empty() && *v != "none").map(str::to_owned)),
    };
    let id = f.get("id");
    if id.is_empty() {
        let name = f.get("name").trim();
        return match m.create_scope_with(&realm, name, changes, actor).await {
            Ok(_) => posted.done(&here, format!("Scope {name} created."), None).await,
            Err(e) => posted.failed(&here, e).await,
        };
    }
    let back = format!("{here}?edit={}", app::components::shell::escape(id));
    match m.update_scope(&realm, id, changes, actor).await {
        Ok(()) => posted.done(&here, "Scope saved.".into(), None).await,
        Err(e) => posted.failed(&back, e).await,
    }
}
