//! Clients: creation from a template, secrets (generation, regeneration with a grace period),
//! enable/disable, not-before and deletion.

use super::{actor::perm::MANAGE_CLIENTS, on_unique, Actor, ManageError, Manager};
use crate::{
    crypto::{password, random_token},
    model::{scope, validate, GrantType, Template},
    store::{self, audit::NewAudit, clients::ClientRow, realms::RealmRow},
};
use serde::Serialize;

/// Longest access-token lifespan a client may be given (one day).
pub const MAX_ACCESS_TOKEN_LIFESPAN: i64 = 24 * 3600;

/// What `client create` asks for.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    pub realm: String,
    pub template: String,
    pub client_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    /// Realm roles for the service account.
    pub roles: Vec<String>,
    /// Client roles for the service account, as `(owning client id, role)`.
    pub client_roles: Vec<(String, String)>,
    pub access_token_lifespan: Option<i64>,
    /// Overrides of the template's choices.
    pub options: ClientOptions,
}

/// Settings that override a template's defaults.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Grant types replacing the template's (e.g. add `password` or `implicit`).
    pub grant_types: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// ES256, RS256 or EdDSA; default the realm's (RS256).
    pub id_token_alg: Option<String>,
    /// Seconds; 0 means refresh tokens never expire.
    pub refresh_token_lifespan: Option<i64>,
    /// Seconds in which a rotated refresh token still returns its successor.
    pub refresh_reuse_window: Option<i64>,
    pub consent_required: Option<bool>,
    pub refresh_token_rotation: Option<bool>,
    /// Confidential clients only: public clients always use PKCE.
    pub pkce_required: Option<bool>,
    /// Keycloak's "full scope allowed" (default on): off, user tokens carry only the roles of
    /// `scope_roles` and `scope_client_roles`, plus the client's own roles.
    pub full_scope_allowed: Option<bool>,
    /// Web Origins (`+`: the redirect URIs' origins).
    pub web_origins: Vec<String>,
    /// Realm roles in the client's role scope mappings.
    pub scope_roles: Vec<String>,
    /// Client roles in the client's role scope mappings, as `(owning client id, role)`.
    pub scope_client_roles: Vec<(String, String)>,
}

/// A created client; `client_secret` is shown once and never stored.
#[derive(Serialize)]
pub struct CreatedClient {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub realm: String,
    pub template: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub grant_types: Vec<&'static str>,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub default_scopes: Vec<String>,
    pub access_token_lifespan: i64,
}

impl std::fmt::Debug for CreatedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedClient").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

/// A new secret, shown once.
pub struct NewSecret {
    pub client_id: String,
    pub client_secret: String,
    /// Until when the previous secret keeps working (`None`: it stopped now).
    pub previous_valid_until: Option<i64>,
}

/// Built-in clients (`realm-management`) hold the realm's admin permissions: they are not
/// changed, disabled or deleted.
fn refuse_builtin(client: &ClientRow) -> Result<(), ManageError> {
    if client.builtin {
        return Err(invalid(format!("{:?} is a built-in client and cannot be changed", client.client_id)));
    }
    Ok(())
}

/// Where a role given at creation goes.
#[derive(Clone, Copy)]
enum RoleTarget {
    /// To the client's service account.
    ServiceAccount,
    /// Into the client's role scope mappings.
    Scope,
}

impl RoleTarget {
    async fn assign(self, tx: &mut store::Tx, client_pk: &str, role_id: &str) -> sqlx::Result<()> {
        match self {
            RoleTarget::ServiceAccount => store::roles::assign_to_service_account(tx, client_pk, role_id).await,
            RoleTarget::Scope => store::roles::add_scope_mapping(tx, client_pk, role_id).await,
        }
    }
}

pub(super) fn invalid(msg: String) -> ManageError {
    ManageError::Invalid(msg)
}

/// Longest client name.
pub(super) const MAX_NAME: usize = 200;

/// An access-token lifespan a client may have.
pub(super) fn check_access_token_lifespan(seconds: i64) -> Result<(), ManageError> {
    if !(1..=MAX_ACCESS_TOKEN_LIFESPAN).contains(&seconds) {
        return Err(invalid(format!(
            "--access-token-lifespan must be between 1 and {MAX_ACCESS_TOKEN_LIFESPAN} seconds"
        )));
    }
    Ok(())
}

/// A refresh-token lifespan (0: never expires) and reuse window a client may have.
pub(super) fn check_refresh_settings(lifespan: Option<i64>, reuse_window: Option<i64>) -> Result<(), ManageError> {
    if lifespan.is_some_and(|l| !(0..=10 * 365 * 24 * 3600).contains(&l)) {
        return Err(invalid("--refresh-token-lifespan must be between 0 (never expires) and 10 years".into()));
    }
    if reuse_window.is_some_and(|w| !(0..=60).contains(&w)) {
        return Err(invalid("--refresh-reuse-window must be between 0 and 60 seconds".into()));
    }
    Ok(())
}

impl Manager {
    /// Creates a client from a template; returns its id and, for confidential clients, the
    /// secret (the only time it is ever shown).
    pub async fn create_client(&self, req: NewClient, actor: &Actor) -> Result<CreatedClient, ManageError> {
        let realm = self.realm_row(&req.realm).await?;
        actor.require(&realm.id, MANAGE_CLIENTS)?;
        let actor = actor.name();
        let template: Template = req.template.parse().map_err(invalid)?;
        let defaults = apply_options(template, &req.options)?;
        let client_id = req.client_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        validate::client_id(&client_id).map_err(invalid)?;
        for uri in &req.options.post_logout_redirect_uris {
            validate::redirect_uri(uri, template)
                .map_err(|e| invalid(e.replace("redirect URI", "post-logout redirect URI")))?;
        }
        if !defaults.uses_redirects && !req.redirect_uris.is_empty() {
            return Err(invalid(format!("{template} clients do not use redirect URIs; remove --redirect-uri")));
        }
        for uri in &req.redirect_uris {
            validate::redirect_uri(uri, template).map_err(invalid)?;
        }
        for s in &req.scopes {
            if !scope::is_scope_token(s) {
                return Err(invalid(format!("invalid scope {s:?}: no spaces, quotes or backslashes")));
            }
        }
        if (!req.roles.is_empty() || !req.client_roles.is_empty()) && !defaults.confidential {
            return Err(invalid(format!(
                "{template} clients are public and have no service account; roles need a confidential client (service or web)"
            )));
        }
        let scope_roles = req.options.scope_roles.iter().chain(req.options.scope_client_roles.iter().map(|(_, r)| r));
        for role in req.roles.iter().chain(req.client_roles.iter().map(|(_, r)| r)).chain(scope_roles) {
            validate::role_name(role).map_err(invalid)?;
        }
        if let Some(l) = req.access_token_lifespan {
            check_access_token_lifespan(l)?;
        }
        let name = req.name.clone().unwrap_or_else(|| client_id.clone());
        if name.trim().is_empty() || name.chars().count() > MAX_NAME {
            return Err(invalid(format!("the client name must be 1-{MAX_NAME} characters")));
        }

        // Allowed scopes: the ones asked for, plus the OIDC built-ins for user-facing clients.
        // Defaults (granted when a request names none): a service client's own scopes; for
        // user-facing clients `profile` and `email`, as in Keycloak.
        let (allowed, default_scopes): (Vec<String>, Vec<String>) = if template == Template::Service {
            (req.scopes.clone(), req.scopes.clone())
        } else {
            let mut allowed: Vec<String> = scope::BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
            allowed.extend(req.scopes.iter().filter(|s| !allowed.contains(s)).cloned().collect::<Vec<_>>());
            (allowed, vec!["profile".into(), "email".into()])
        };
        // And the realm's scopes for new clients (Keycloak's realm default client scopes).
        let (mut allowed, mut default_scopes) = (allowed, default_scopes);
        let mut conn = self.db.conn().await?;
        for s in store::scopes::list(&mut conn, &realm.id).await? {
            let Some(kind) = s.new_clients.as_deref() else { continue };
            if kind == "default" && !default_scopes.contains(&s.name) {
                default_scopes.push(s.name.clone());
            }
            if !allowed.contains(&s.name) {
                allowed.push(s.name);
            }
        }
        drop(conn);

        let secret = defaults.confidential.then(random_token::<32>);
        let secret_hash = match &secret {
            Some(s) => Some(password::hash(s.clone()).await.map_err(|e| ManageError::Internal(e.to_string()))?),
            None => None,
        };

        let now = self.now();
        let row = ClientRow {
            id: store::new_id(),
            realm_id: realm.id.clone(),
            client_id: client_id.clone(),
            name,
            description: req.description.clone().unwrap_or_default(),
            template: template.to_string(),
            confidential: defaults.confidential,
            enabled: true,
            grant_types: GrantType::format_list(&defaults.grant_types),
            redirect_uris: serde_json::to_string(&req.redirect_uris).unwrap_or_else(|_| "[]".into()),
            post_logout_redirect_uris: serde_json::to_string(&req.options.post_logout_redirect_uris)
                .unwrap_or_else(|_| "[]".into()),
            access_token_lifespan: req.access_token_lifespan,
            refresh_token_lifespan: req.options.refresh_token_lifespan,
            refresh_token_rotation: defaults.refresh_token_rotation,
            refresh_reuse_window: req.options.refresh_reuse_window.unwrap_or(5),
            pkce_required: defaults.pkce_required,
            consent_required: defaults.consent_required,
            id_token_alg: req.options.id_token_alg.clone(),
            not_before: 0,
            created_by: actor.to_owned(),
            updated_by: actor.to_owned(),
            created_at: now,
            updated_at: now,
            full_scope_allowed: req.options.full_scope_allowed.unwrap_or(true),
            builtin: false,
            web_origins: serde_json::to_string(&req.options.web_origins).unwrap_or_else(|_| "[]".into()),
        };
        let exists = || format!("client {client_id:?} already exists in realm {:?}", realm.name);
        let mut tx = self.db.begin().await?;
        if store::clients::by_client_id(&mut tx, &realm.id, &client_id).await?.is_some() {
            return Err(ManageError::Conflict(exists()));
        }
        store::clients::insert(&mut tx, &row).await.map_err(on_unique(exists))?;
        if let (Some(hash), Some(secret)) = (&secret_hash, &secret) {
            let sealed = realm.retrievable_secrets.then(|| self.seal_secret(&row.id, secret));
            store::clients::insert_secret(&mut tx, &row.id, &store::new_id(), hash, sealed.as_deref(), now).await?;
        }
        for s in &allowed {
            let description = scope::BUILTIN.iter().find(|(n, _)| n == s).map(|(_, d)| *d).unwrap_or("");
            let scope_id = store::scopes::ensure(&mut tx, &realm.id, s, description, false, now).await?;
            store::clients::add_scope(&mut tx, &row.id, &scope_id, default_scopes.contains(s)).await?;
        }
        // The service account's roles, then the role scope mappings (Keycloak's model: both
        // name realm roles by name and client roles by their owning client).
        for (target, realm_roles, client_roles) in [
            (RoleTarget::ServiceAccount, &req.roles, &req.client_roles),
            (RoleTarget::Scope, &req.options.scope_roles, &req.options.scope_client_roles),
        ] {
            for role in realm_roles {
                let role_id = store::roles::ensure_realm_role(&mut tx, &realm.id, role, now).await?;
                target.assign(&mut tx, &row.id, &role_id).await?;
            }
            for (owner, role) in client_roles {
                let owner_pk = if owner == &client_id {
                    row.id.clone()
                } else {
                    store::clients::by_client_id(&mut tx, &realm.id, owner)
                        .await?
                        .ok_or_else(|| {
                            invalid(format!(
                                "client role {owner}:{role}: no client {owner:?} in realm {:?}",
                                realm.name
                            ))
                        })?
                        .id
                };
                let role_id = store::roles::ensure_client_role(&mut tx, &realm.id, &owner_pk, role, now).await?;
                target.assign(&mut tx, &row.id, &role_id).await?;
            }
        }
        let audit = NewAudit {
            kind: "client.created",
            actor,
            client_id: Some(&client_id),
            detail: Some(serde_json::json!({ "template": template.as_str() })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "client", &client_id, audit).await?;

        Ok(CreatedClient {
            client_id,
            client_secret: secret,
            realm: realm.name,
            template: template.to_string(),
            kind: if defaults.confidential { "confidential" } else { "public" },
            grant_types: defaults.grant_types.iter().map(|g| g.as_str()).collect(),
            redirect_uris: req.redirect_uris,
            scopes: allowed,
            default_scopes,
            access_token_lifespan: req.access_token_lifespan.unwrap_or(realm.access_token_lifespan),
        })
    }

    /// The realm and the (changeable, so not built-in) client `client_id` of it, once `actor`
    /// is found to hold `permission` there.
    pub(super) async fn client_row(
        &self,
        realm: &str,
        client_id: &str,
        actor: &Actor,
        permission: &str,
    ) -> Result<(RealmRow, ClientRow), ManageError> {
        let realm = self.realm_row(realm).await?;
        actor.require(&realm.id, permission)?;
        let mut conn = self.db.conn().await?;
        let client = store::clients::by_client_id(&mut conn, &realm.id, client_id)
            .await?
            .ok_or_else(|| ManageError::NotFound(format!("no client {client_id:?} in realm {:?}", realm.name)))?;
        refuse_builtin(&client)?;
        Ok((realm, client))
    }

    /// Deletes a client. Its tokens stop working at once: the client no longer resolves, so
    /// introspection reports them inactive and userinfo refuses them.
    pub async fn delete_client(&self, realm: &str, client_id: &str, actor: &Actor) -> Result<(), ManageError> {
        let (realm, client) = self.client_row(realm, client_id, actor, MANAGE_CLIENTS).await?;
        let actor = actor.name();
        let mut tx = self.db.begin().await?;
        store::clients::delete(&mut tx, &client.id).await?;
        let audit = NewAudit { kind: "client.deleted", actor, client_id: Some(client_id), ..Default::default() };
        self.finish(tx, &realm.id, "client", client_id, audit).await?;
        Ok(())
    }

    /// Enables or disables a client; a disabled client's tokens stop working at once.
    pub async fn set_client_enabled(
        &self,
        realm: &str,
        client_id: &str,
        enabled: bool,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        let (realm, client) = self.client_row(realm, client_id, actor, MANAGE_CLIENTS).await?;
        let actor = actor.name();
        let mut tx = self.db.begin().await?;
        store::clients::set_enabled(&mut tx, &client.id, enabled, actor, self.now()).await?;
        let kind = if enabled { "client.enabled" } else { "client.disabled" };
        let audit = NewAudit { kind, actor, client_id: Some(client_id), ..Default::default() };
        self.finish(tx, &realm.id, "client", client_id, audit).await?;
        Ok(())
    }

    /// Sets the client's not-before to `at` (now when `None`).
    pub async fn set_client_not_before(
        &self,
        realm: &str,
        client_id: &str,
        at: Option<i64>,
        actor: &Actor,
    ) -> Result<i64, ManageError> {
        let (realm, client) = self.client_row(realm, client_id, actor, MANAGE_CLIENTS).await?;
        let actor = actor.name();
        let at = at.unwrap_or_else(|| self.now());
        let mut tx = self.db.begin().await?;
        store::clients::set_not_before(&mut tx, &client.id, at, actor, self.now()).await?;
        let audit = NewAudit {
            kind: "client.not_before",
            actor,
            client_id: Some(client_id),
            detail: Some(serde_json::json!({ "not_before": at })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "client", client_id, audit).await?;
        Ok(at)
    }

    /// The sealed form of a client's secret, bound to the client.
    fn seal_secret(&self, client_pk: &str, secret: &str) -> String {
        use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};
        STANDARD_NO_PAD.encode(self.master.seal(secret.as_bytes(), format!("client secret {client_pk}").as_bytes()))
    }

    /// The client's current secret, when its realm keeps secrets retrievable and this one was
    /// made since (`None` otherwise: only its hash exists). Needs `manage-clients`.
    pub async fn client_secret_value(
        &self,
        realm: &str,
        client_id: &str,
        actor: &Actor,
    ) -> Result<Option<String>, ManageError> {
        use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};
        let (_, client) = self.client_row(realm, client_id, actor, MANAGE_CLIENTS).await?;
        let mut conn = self.db.conn().await?;
        let secrets = store::clients::valid_secrets(&mut conn, &client.id, self.now()).await?;
        let Some(sealed) = secrets.into_iter().find(|s| s.expires_at.is_none()).and_then(|s| s.sealed) else {
            return Ok(None);
        };
        let context = format!("client secret {}", client.id);
        let opened = STANDARD_NO_PAD
            .decode(sealed)
            .ok()
            .and_then(|b| self.master.open(&b, context.as_bytes()).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| ManageError::Internal("a sealed client secret does not open with this master key".into()))?;
        Ok(Some(opened))
    }

    /// Issues a new secret. The previous one keeps working for `grace_secs` (0: it stops now).
    pub async fn regenerate_secret(
        &self,
        realm: &str,
        client_id: &str,
        grace_secs: i64,
        actor: &Actor,
    ) -> Result<NewSecret, ManageError> {
        if !(0..=30 * 24 * 3600).contains(&grace_secs) {
            return Err(invalid("the grace period must be between 0 and 2592000 seconds (30 days)".into()));
        }
        let (realm, client) = self.client_row(realm, client_id, actor, MANAGE_CLIENTS).await?;
        let actor = actor.name();
        if !client.confidential {
            return Err(invalid(format!("client {client_id:?} is public and has no secret")));
        }
        let secret = random_token::<32>();
        let hash = password::hash(secret.clone()).await.map_err(|e| ManageError::Internal(e.to_string()))?;
        let now = self.now();
        let until = now + grace_secs;
        let mut tx = self.db.begin().await?;
        store::clients::supersede_secrets(&mut tx, &client.id, until, now).await?;
        let sealed = realm.retrievable_secrets.then(|| self.seal_secret(&client.id, &secret));
        store::clients::insert_secret(&mut tx, &client.id, &store::new_id(), &hash, sealed.as_deref(), now).await?;
        let audit = NewAudit {
            kind: "client.secret_regenerated",
            actor,
            client_id: Some(client_id),
            detail: Some(serde_json::json!({ "grace_seconds": grace_secs })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "client", client_id, audit).await?;
        Ok(NewSecret {
            client_id: client_id.to_owned(),
            client_secret: secret,
            previous_valid_until: (grace_secs > 0).then_some(until),
        })
    }
}

/// The template's defaults with `options` applied and checked.
fn apply_options(
    template: Template,
    o: &ClientOptions,
) -> Result<crate::model::template::TemplateDefaults, ManageError> {
    let mut d = template.defaults();
    if !o.grant_types.is_empty() {
        let grants: Vec<GrantType> =
            o.grant_types.iter().map(|g| g.parse()).collect::<Result<_, _>>().map_err(invalid)?;
        if !d.confidential && grants.contains(&GrantType::ClientCredentials) {
            return Err(invalid(format!("{template} clients are public and cannot use client_credentials")));
        }
        d.uses_redirects |= grants.iter().any(|g| matches!(g, GrantType::AuthorizationCode | GrantType::Implicit));
        d.grant_types = grants;
    }
    if let Some(alg) = &o.id_token_alg {
        alg.parse::<crate::crypto::jws::SigningAlg>().map_err(invalid)?;
    }
    check_refresh_settings(o.refresh_token_lifespan, o.refresh_reuse_window)?;
    for origin in &o.web_origins {
        validate::web_origin(origin).map_err(invalid)?;
    }
    if let Some(c) = o.consent_required {
        d.consent_required = c;
    }
    if let Some(r) = o.refresh_token_rotation {
        d.refresh_token_rotation = r;
    }
    match o.pkce_required {
        Some(false) if !d.confidential => {
            return Err(invalid(format!("{template} clients are public and always use PKCE")));
        }
        Some(p) => d.pkce_required = p,
        None => {}
    }
    Ok(d)
}
