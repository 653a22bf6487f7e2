//! The server's implementation of the console pages' service: each method finds the signed-in
//! administrator and calls the `manage` read that checks their permission.

use super::{admin::signed_in, csrf, flash};
use crate::{
    manage::{
        admin_roles::{PERMISSIONS, REALM_ADMIN},
        client_query::{AssignedRole, ClientDetail},
        ManageError,
    },
    state::AppState,
    store,
};
use app::{
    admin::{
        ApiGroup, ApiOperation, ApiReferenceView, AuditView, ClientListView, ClientPageView, ClientRowView, ClientView,
        Frame, ProjectRowView, ProjectView, ProjectsView, RealmSettingsView, RoleView, RolesView, ServiceAccountView,
        SessionView,
    },
    pages::console::clients::PAGE,
    service::ConsoleService,
};
use http::request::Parts;
use tower_sessions::Session;

/// The console service over the shared state.
pub struct Console {
    pub state: AppState,
}

fn session(parts: &Parts) -> Result<&Session, String> {
    parts.extensions.get::<Session>().ok_or_else(|| "no session".to_owned())
}

/// What a page shows for a refusal; details of internal failures stay in the log.
pub(super) fn shown(e: ManageError) -> String {
    match e {
        e @ ManageError::Db(_) => crate::unavailable::failure_text("console", e),
        ManageError::Internal(_) => {
            tracing::error!(error = %e, "console");
            "something went wrong on the server; try again".to_owned()
        }
        e => e.to_string(),
    }
}

fn internal(e: impl std::fmt::Display) -> String {
    tracing::error!(error = %e, "console");
    "internal error".to_owned()
}

const SIGN_IN: &str = "Sign in to use the admin console.";

impl Console {
    pub(super) async fn actor(&self, parts: &Parts) -> Result<super::admin::SignedIn, String> {
        signed_in(&self.state, session(parts)?).await.map_err(shown)?.ok_or_else(|| SIGN_IN.to_owned())
    }
}

pub(super) fn role_view(r: AssignedRole) -> RoleView {
    let key = crate::manage::service_account::RoleRef { client_id: r.client_id.clone(), name: r.name.clone() }.key();
    RoleView { key, client_id: r.client_id, name: r.name, description: r.description, holders: vec![] }
}

fn client_view(d: &ClientDetail, now: i64) -> ClientView {
    let c = &d.client;
    let list = |json: &str| serde_json::from_str::<Vec<String>>(json).unwrap_or_default();
    ClientView {
        client_id: c.client_id.clone(),
        name: c.name.clone(),
        description: c.description.clone(),
        template: c.template.clone(),
        confidential: c.confidential,
        enabled: c.enabled,
        grant_types: c.grant_types.split_whitespace().map(str::to_owned).collect(),
        redirect_uris: list(&c.redirect_uris),
        post_logout_redirect_uris: list(&c.post_logout_redirect_uris),
        web_origins: list(&c.web_origins),
        scopes: d.scopes.iter().map(|(s, _)| s.clone()).collect(),
        default_scopes: d.scopes.iter().filter(|(_, default)| *default).map(|(s, _)| s.clone()).collect(),
        access_token_lifespan: c.access_token_lifespan,
        realm_access_token_lifespan: d.realm.access_token_lifespan,
        refresh_token_lifespan: c.refresh_token_lifespan,
        realm_refresh_token_lifespan: d.realm.refresh_token_lifespan,
        refresh_token_rotation: c.refresh_token_rotation,
        refresh_reuse_window: c.refresh_reuse_window,
        id_token_alg: c.id_token_alg.clone(),
        pkce_required: c.pkce_required,
        consent_required: c.consent_required,
        full_scope_allowed: c.full_scope_allowed,
        not_before: c.not_before,
        created_by: c.created_by.clone(),
        created_at: c.created_at,
        updated_by: c.updated_by.clone(),
        updated_at: c.updated_at,
        secret_created_at: d.secrets.iter().find(|s| s.expires_at.is_none()).map(|s| s.created_at),
        previous_secret_until: d.secrets.iter().filter_map(|s| s.expires_at).filter(|t| *t > now).max(),
    }
}

#[async_trait::async_trait]
impl ConsoleService for Console {
    async fn csrf_token(&self, parts: &Parts) -> Result<String, String> {
        csrf::token(session(parts)?, parts).await.map_err(internal)
    }

    async fn frame(&self, parts: &Parts, realm: &str) -> Result<Frame, String> {
        let admin = self.actor(parts).await?;
        let mut conn = self.state.db.conn().await.map_err(internal)?;
        let realms = store::realms::list(&mut conn).await.map_err(internal)?;
        drop(conn);
        let p = &admin.permissions;
        // Only a superuser learns whether a realm exists; others hear that it is not theirs.
        let Some(_) = realms.iter().find(|r| r.name == realm && (p.superuser || r.id == p.realm_id)) else {
            return Err(match p.superuser {
                true => format!("There is no realm {realm:?}."),
                false => format!("You do not administer realm {realm:?}."),
            });
        };
        // Every permission the administrator holds here, composites and realm-admin expanded.
        let permissions = match p.superuser || p.roles.contains(REALM_ADMIN) {
            true => PERMISSIONS.iter().map(|(n, _)| n.to_string()).chain([REALM_ADMIN.to_owned()]).collect(),
            false => p.roles.iter().cloned().collect(),
        };
        let session = session(parts)?;
        let flash = flash::take(session, &self.state.manager.master).await.map_err(internal)?;
        let csrf = csrf::token(session, parts).await.map_err(internal)?;
        Ok(Frame {
            username: admin.user.username,
            realm: realm.to_owned(),
            realms: realms.into_iter().filter(|r| p.superuser || r.id == p.realm_id).map(|r| r.name).collect(),
            permissions,
            csrf,
            flash,
        })
    }

    async fn clients(&self, parts: &Parts, realm: &str, q: &str, first: i64) -> Result<ClientListView, String> {
        let admin = self.actor(parts).await?;
        let page = self.state.manager.search_clients(realm, q, first, PAGE, &admin.actor).await.map_err(shown)?;
        Ok(ClientListView {
            clients: page
                .clients
                .into_iter()
                .map(|c| ClientRowView {
                    grant_types: c.grant_types.split_whitespace().map(str::to_owned).collect(),
                    client_id: c.client_id,
                    name: c.name,
                    template: c.template,
                    confidential: c.confidential,
                    enabled: c.enabled,
                })
                .collect(),
            total: page.total,
            first: first.max(0),
            max: PAGE,
        })
    }

    async fn client(
        &self,
        parts: &Parts,
        realm: &str,
        client_id: &str,
        tab: &str,
        role_client: Option<&str>,
    ) -> Result<ClientPageView, String> {
        let admin = self.actor(parts).await?;
        let (m, actor) = (&self.state.manager, &admin.actor);
        let detail = m.client_detail(realm, client_id, actor).await.map_err(shown)?;
        let now = self.state.now();
        let mut page = ClientPageView {
            client: client_view(&detail, now),
            service_account: None,
            sessions: vec![],
            audit: vec![],
            projects: vec![],
            realm_scopes: vec![],
            now,
        };
        match tab {
            "settings" => {
                let scopes = m.list_scopes(realm, actor).await.map_err(shown)?;
                page.realm_scopes = scopes.into_iter().map(|s| (s.name, s.description)).collect();
            }
            "service-account-roles" if detail.client.confidential => {
                let all = m.assignable_roles(realm, actor).await.map_err(shown)?;
                let mut role_clients: Vec<String> = all.iter().filter_map(|r| r.client_id.clone()).collect();
                role_clients.dedup();
                let role_client = role_client.filter(|c| role_clients.iter().any(|r| r == c)).map(str::to_owned);
                let shown_here = |r: &AssignedRole| r.client_id == role_client;
                let assigned: Vec<AssignedRole> =
                    detail.service_account_roles.iter().filter(|r| shown_here(r)).cloned().collect();
                let available = all
                    .into_iter()
                    .filter(|r| shown_here(r) && !assigned.iter().any(|a| a.name == r.name))
                    .map(role_view)
                    .collect();
                page.service_account = Some(ServiceAccountView {
                    role_client,
                    role_clients,
                    available,
                    assigned: assigned.into_iter().map(role_view).collect(),
                });
            }
            "project-access" => {
                let projects = m.list_projects(realm, actor).await.map_err(shown)?;
                page.projects = projects
                    .into_iter()
                    .map(|p| ProjectView { granted: detail.projects.contains(&p.id), id: p.id, name: p.name })
                    .collect();
            }
            "revocation" | "sessions" => {
                let families = m.client_sessions(realm, client_id, 500, actor).await.map_err(shown)?;
                page.sessions = families
                    .into_iter()
                    .map(|f| SessionView {
                        family_id: f.family_id,
                        username: f.username,
                        started_at: f.started_at,
                        last_refreshed_at: f.last_refreshed_at,
                        offline: f.offline,
                    })
                    .collect();
            }
            "audit" => {
                let events = m.client_audit(realm, client_id, 200, actor).await.map_err(shown)?;
                page.audit = events
                    .into_iter()
                    .map(|e| AuditView { at: e.at, kind: e.kind, actor: e.actor, detail: e.detail })
                    .collect();
            }
            _ => {}
        }
        Ok(page)
    }

    async fn roles(&self, parts: &Parts, realm: &str, client: Option<&str>) -> Result<RolesView, String> {
        let admin = self.actor(parts).await?;
        let m = &self.state.manager;
        let roles = m.roles_with_holders(realm, client, &admin.actor).await.map_err(shown)?;
        // The clients that have roles, to pick from (any other client id can be typed).
        let all = m.assignable_roles(realm, &admin.actor).await.unwrap_or_default();
        let mut clients: Vec<String> = all.into_iter().filter_map(|r| r.client_id).collect();
        clients.sort();
        clients.dedup();
        Ok(RolesView {
            client: client.map(str::to_owned),
            clients,
            roles: roles
                .into_iter()
                .map(|(r, holders)| RoleView {
                    key: match client {
                        Some(c) => format!("{c}:{}", r.name),
                        None => r.name.clone(),
                    },
                    client_id: client.map(str::to_owned),
                    name: r.name,
                    description: r.description,
                    holders,
                })
                .collect(),
        })
    }

    async fn realm_settings(&self, parts: &Parts, realm: &str) -> Result<RealmSettingsView, String> {
        let admin = self.actor(parts).await?;
        let r = self.state.manager.realm_settings(realm, &admin.actor).await.map_err(shown)?;
        Ok(RealmSettingsView {
            name: r.name,
            display_name: r.display_name,
            oauth_clients_enabled: r.oauth_clients_enabled,
            access_token_lifespan: r.access_token_lifespan,
            refresh_token_lifespan: r.refresh_token_lifespan,
            sso_session_idle_timeout: r.sso_session_idle_timeout,
            sso_session_max_lifespan: r.sso_session_max_lifespan,
            retrievable_secrets: r.retrievable_secrets,
        })
    }

    async fn client_scopes(&self, parts: &Parts, realm: &str) -> Result<app::admin::ScopesView, String> {
        super::scopes::data(self, parts, realm).await
    }

    async fn api_keys(&self, parts: &Parts, realm: &str) -> Result<app::admin::ApiKeysView, String> {
        super::api_keys::data(self, parts, realm).await
    }

    async fn service_connections(
        &self,
        parts: &Parts,
        realm: &str,
    ) -> Result<app::admin::service_connections::ConnectionsView, String> {
        super::service_connections::data(self, parts, realm).await
    }

    async fn identity_providers(
        &self,
        parts: &Parts,
        realm: &str,
    ) -> Result<app::admin::identity_providers::IdpListView, String> {
        super::identity_providers::list(self, parts, realm).await
    }

    async fn identity_provider(
        &self,
        parts: &Parts,
        realm: &str,
        alias: &str,
    ) -> Result<app::admin::identity_providers::IdpView, String> {
        super::identity_providers::one(self, parts, realm, alias).await
    }

    async fn projects(&self, parts: &Parts, realm: &str) -> Result<ProjectsView, String> {
        let admin = self.actor(parts).await?;
        let rows = self.state.manager.projects_with_clients(realm, &admin.actor).await.map_err(shown)?;
        let projects = rows
            .into_iter()
            .map(|(p, clients)| ProjectRowView {
                id: p.id,
                name: p.name,
                description: p.description,
                created_at: p.created_at,
                clients,
            })
            .collect();
        Ok(ProjectsView { projects })
    }

    async fn users(&self, parts: &Parts, realm: &str, q: &str, first: i64) -> Result<app::admin::UserListView, String> {
        super::user_data::users(self, parts, realm, q, first).await
    }

    async fn user(
        &self,
        parts: &Parts,
        realm: &str,
        id: &str,
        tab: &str,
        role_client: Option<&str>,
    ) -> Result<app::admin::UserPageView, String> {
        super::user_data::user(self, parts, realm, id, tab, role_client).await
    }

    async fn api_reference(&self, parts: &Parts, realm: &str) -> Result<ApiReferenceView, String> {
        let admin = self.actor(parts).await?;
        let row = self.state.manager.realm_row(realm).await.map_err(shown)?;
        // Any administrator of the realm may read it: it describes, it does nothing.
        let admin_here = PERMISSIONS.iter().any(|(p, _)| admin.actor.can(&row.id, p));
        if !admin_here {
            return Err(format!("you hold no admin permission in realm {realm:?}"));
        }
        let realm = app::components::shell::escape(realm);
        let base = format!("{}/admin/realms/{realm}", self.state.public_url);
        let token_url = format!("{}/realms/{realm}/protocol/openid-connect/token", self.state.public_url);
        Ok(ApiReferenceView { base, token_url, groups: API_GROUPS.clone() })
    }

    async fn audit_log(
        &self,
        parts: &Parts,
        realm: &str,
        query: &app::admin::AuditQueryView,
    ) -> Result<app::admin::AuditLogView, String> {
        self.audit_log_view(parts, realm, query).await
    }

    async fn sessions(&self, parts: &Parts, realm: &str, first: i64) -> Result<app::admin::SessionsView, String> {
        self.sessions_view(parts, realm, first).await
    }

    async fn dashboard(&self, parts: &Parts, realm: &str, range: &str) -> Result<app::admin::DashboardView, String> {
        self.dashboard_view(parts, realm, range).await
    }

    async fn signing_keys(&self, parts: &Parts, realm: &str) -> Result<app::admin::SigningKeysView, String> {
        self.signing_keys_view(parts, realm).await
    }
}

/// The document's operations by tag, made once: the document does not change while running.
static API_GROUPS: std::sync::LazyLock<Vec<ApiGroup>> = std::sync::LazyLock::new(api_groups);

/// The document's operations by tag, in the document's tag order, each tag's in path order.
fn api_groups() -> Vec<ApiGroup> {
    let doc = &*crate::admin_api::openapi::DOCUMENT;
    let mut groups: Vec<ApiGroup> = doc
        .tags
        .iter()
        .flatten()
        .map(|t| ApiGroup {
            tag: t.name.clone(),
            description: t.description.clone().unwrap_or_default(),
            operations: vec![],
        })
        .collect();
    for (path, item) in doc.paths.paths.iter() {
        let operations = [("get", &item.get), ("post", &item.post), ("put", &item.put), ("delete", &item.delete)];
        for (method, op) in operations {
            let Some(op) = op else { continue };
            let tag = op.tags.iter().flatten().next().cloned().unwrap_or_default();
            let operation = ApiOperation {
                method: method.to_owned(),
                path: path.clone(),
                summary: op.summary.clone().unwrap_or_default(),
                description: op.description.clone().unwrap_or_default(),
                responses: op
                    .responses
                    .responses
                    .iter()
                    .map(|(status, r)| {
                        let what = match r {
                            utoipa::openapi::RefOr::T(r) if !r.description.is_empty() => r.description.clone(),
                            _ => http::StatusCode::from_bytes(status.as_bytes())
                                .ok()
                                .and_then(|s| s.canonical_reason())
                                .unwrap_or_default()
                                .to_owned(),
                        };
                        (status.clone(), what)
                    })
                    .collect(),
            };
            match groups.iter_mut().find(|g| g.tag == tag) {
                Some(g) => g.operations.push(operation),
                None => groups.push(ApiGroup { tag, description: String::new(), operations: vec![operation] }),
            }
        }
    }
    groups.retain(|g| !g.operations.is_empty());
    groups
}
