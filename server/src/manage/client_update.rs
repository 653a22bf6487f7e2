//! Changing an existing client: any setting `client create` takes, checked by the same rules,
//! in one transaction with its audit event (which records each changed field before and after).
//! The CLI's `client update` calls it today; the console and the REST API will too.

use super::{
    actor::perm::MANAGE_CLIENTS,
    client::{check_access_token_lifespan, check_refresh_settings, invalid, MAX_NAME},
    Actor, ManageError, Manager,
};
use crate::{
    crypto::jws::SigningAlg,
    model::{scope, validate, GrantType, Template},
    store::{self, audit::NewAudit},
};
use serde_json::{json, Map, Value};

/// What to change; `None` leaves a setting as it is. For the optional settings, `Some(None)`
/// returns them to the realm's default.
#[derive(Debug, Clone, Default)]
pub struct ClientChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    /// Replaces the redirect URIs.
    pub redirect_uris: Option<Vec<String>>,
    /// Replaces the post-logout redirect URIs.
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Replaces the grant types.
    pub grant_types: Option<Vec<String>>,
    pub access_token_lifespan: Option<Option<i64>>,
    /// `Some(Some(0))`: refresh tokens never expire.
    pub refresh_token_lifespan: Option<Option<i64>>,
    pub refresh_reuse_window: Option<i64>,
    pub refresh_token_rotation: Option<bool>,
    pub pkce_required: Option<bool>,
    pub consent_required: Option<bool>,
    pub id_token_alg: Option<Option<String>>,
    pub full_scope_allowed: Option<bool>,
    /// Replaces the scopes the client may ask for (user-facing clients keep the OIDC built-ins).
    pub scopes: Option<Vec<String>>,
    /// Replaces which of its scopes are default (granted when a request names none); each must
    /// be one of its scopes.
    pub default_scopes: Option<Vec<String>>,
    /// Replaces the projects the client may ask a `project-{id}` token for.
    pub projects: Option<Vec<String>>,
    /// Replaces the Web Origins (`+`: the redirect URIs' origins).
    pub web_origins: Option<Vec<String>>,
}

/// A client's settings after a change, as the CLI prints them.
#[derive(Debug, serde::Serialize)]
pub struct UpdatedClient {
    pub client_id: String,
    pub realm: String,
    /// The fields that changed, each `{"before": …, "after": …}`.
    pub changed: Map<String, Value>,
}

/// Sets `field` of `row` to `value` when given, noting the change.
fn set<T: Clone + PartialEq + serde::Serialize>(
    changed: &mut Map<String, Value>,
    name: &str,
    field: &mut T,
    value: Option<T>,
) {
    if let Some(v) = value {
        if *field != v {
            changed.insert(name.to_owned(), json!({ "before": field.clone(), "after": v.clone() }));
            *field = v;
        }
    }
}

impl Manager {
    /// Applies `changes` to the client `client_id` of `realm`. Nothing is written unless every
    /// change is valid.
    pub async fn update_client(
        &self,
        realm: &str,
        client_id: &str,
        changes: ClientChanges,
        actor: &Actor,
    ) -> Result<UpdatedClient, ManageError> {
        let (realm, before) = self.client_row(realm, client_id, actor, MANAGE_CLIENTS).await?;
        let actor = actor.name();
        let mut conn = self.db.conn().await?;
        let current_scopes = store::clients::scopes(&mut conn, &before.id).await?;
        drop(conn);
        let template: Template = before.template.parse().map_err(invalid)?;
        let mut row = before.clone();
        let mut changed = Map::new();
        let c = changes;

        if let Some(name) = &c.name {
            if name.trim().is_empty() || name.chars().count() > MAX_NAME {
                return Err(invalid(format!("the client name must be 1-{MAX_NAME} characters")));
            }
        }
        set(&mut changed, "name", &mut row.name, c.name);
        set(&mut changed, "description", &mut row.description, c.description);
        set(&mut changed, "enabled", &mut row.enabled, c.enabled);

        let mut grants = GrantType::parse_list(&row.grant_types).map_err(invalid)?;
        if let Some(list) = &c.grant_types {
            grants = list.iter().map(|g| g.parse()).collect::<Result<_, _>>().map_err(invalid)?;
            if !row.confidential && grants.contains(&GrantType::ClientCredentials) {
                return Err(invalid(format!("{template} clients are public and cannot use client_credentials")));
            }
        }
        set(&mut changed, "grant_types", &mut row.grant_types, Some(GrantType::format_list(&grants)));

        let uses_redirects = grants.iter().any(|g| matches!(g, GrantType::AuthorizationCode | GrantType::Implicit));
        if let Some(uris) = &c.redirect_uris {
            if !uses_redirects && !uris.is_empty() {
                return Err(invalid("this client's grants use no redirect URIs; remove --redirect-uri".into()));
            }
            for uri in uris {
                validate::redirect_uri(uri, template).map_err(invalid)?;
            }
        }
        if let Some(uris) = &c.post_logout_redirect_uris {
            for uri in uris {
                validate::redirect_uri(uri, template)
                    .map_err(|e| invalid(e.replace("redirect URI", "post-logout redirect URI")))?;
            }
        }
        for origin in c.web_origins.iter().flatten() {
            validate::web_origin(origin).map_err(invalid)?;
        }
        let json_list = |l: Vec<String>| serde_json::to_string(&l).unwrap_or_else(|_| "[]".into());
        set(&mut changed, "web_origins", &mut row.web_origins, c.web_origins.map(json_list));
        set(&mut changed, "redirect_uris", &mut row.redirect_uris, c.redirect_uris.map(json_list));
        set(
            &mut changed,
            "post_logout_redirect_uris",
            &mut row.post_logout_redirect_uris,
            c.post_logout_redirect_uris.map(json_list),
        );

        if let Some(Some(l)) = c.access_token_lifespan {
            check_access_token_lifespan(l)?;
        }
        check_refresh_settings(c.refresh_token_lifespan.flatten(), c.refresh_reuse_window)?;
        set(&mut changed, "access_token_lifespan", &mut row.access_token_lifespan, c.access_token_lifespan);
        set(&mut changed, "refresh_token_lifespan", &mut row.refresh_token_lifespan, c.refresh_token_lifespan);
        set(&mut changed, "refresh_reuse_window", &mut row.refresh_reuse_window, c.refresh_reuse_window);
        set(&mut changed, "refresh_token_rotation", &mut row.refresh_token_rotation, c.refresh_token_rotation);
        if c.pkce_required == Some(false) && !row.confidential {
            return Err(invalid(format!("{template} clients are public and always use PKCE")));
        }
        set(&mut changed, "pkce_required", &mut row.pkce_required, c.pkce_required);
        set(&mut changed, "consent_required", &mut row.consent_required, c.consent_required);
        if let Some(Some(alg)) = &c.id_token_alg {
            alg.parse::<SigningAlg>().map_err(invalid)?;
        }
        set(&mut changed, "id_token_alg", &mut row.id_token_alg, c.id_token_alg);
        set(&mut changed, "full_scope_allowed", &mut row.full_scope_allowed, c.full_scope_allowed);

        // Scopes: the ones asked for (plus the OIDC built-ins for user-facing clients); the
        // defaults stay those still allowed (a service client's defaults are all of its scopes).
        let new_scopes = match (&c.scopes, &c.default_scopes) {
            (None, None) => None,
            (list, defaults) => {
                let allowed: Vec<String> = match list {
                    None => current_scopes.iter().map(|(n, _)| n.clone()).collect(),
                    Some(list) => {
                        if let Some(bad) = list.iter().find(|s| !scope::is_scope_token(s)) {
                            return Err(invalid(format!("invalid scope {bad:?}: no spaces, quotes or backslashes")));
                        }
                        let mut allowed: Vec<String> = if template == Template::Service {
                            Vec::new()
                        } else {
                            scope::BUILTIN.iter().map(|(n, _)| n.to_string()).collect()
                        };
                        allowed.extend(list.iter().filter(|s| !allowed.contains(s)).cloned().collect::<Vec<_>>());
                        allowed
                    }
                };
                if let Some(bad) = defaults.iter().flatten().find(|d| !allowed.contains(d)) {
                    return Err(invalid(format!(
                        "default scope {bad:?} is not one of the client's scopes; allow it first (--default-scope)"
                    )));
                }
                let was_default = |s: &str| current_scopes.iter().any(|(n, d)| n == s && *d);
                let with_defaults: Vec<(String, bool)> = allowed
                    .into_iter()
                    .map(|s| {
                        let default = match defaults {
                            Some(d) => d.contains(&s),
                            None => template == Template::Service || was_default(&s),
                        };
                        (s, default)
                    })
                    .collect();
                let before: Vec<&String> = current_scopes.iter().map(|(n, _)| n).collect();
                let after: Vec<&String> = with_defaults.iter().map(|(n, _)| n).collect();
                if before != after {
                    changed.insert("scopes".into(), json!({ "before": before, "after": after }));
                }
                let defaults_of =
                    |l: &[(String, bool)]| l.iter().filter(|(_, d)| *d).map(|(n, _)| n.clone()).collect::<Vec<_>>();
                let (before_defaults, after_defaults) = (defaults_of(&current_scopes), defaults_of(&with_defaults));
                if before_defaults != after_defaults {
                    changed
                        .insert("default_scopes".into(), json!({ "before": before_defaults, "after": after_defaults }));
                }
                Some(with_defaults)
            }
        };

        let new_projects = match c.projects {
            None => None,
            Some(mut wanted) => {
                wanted.sort();
                wanted.dedup();
                let mut conn = self.db.conn().await?;
                let known = store::projects::list(&mut conn, &realm.id).await?;
                if let Some(unknown) = wanted.iter().find(|p| !known.iter().any(|k| k.id == **p)) {
                    return Err(ManageError::NotFound(format!("no project {unknown:?} in realm {:?}", realm.name)));
                }
                let before = store::projects::of_client(&mut conn, &before.id).await?;
                if before != wanted {
                    changed.insert("projects".into(), json!({ "before": before, "after": wanted }));
                }
                Some(wanted)
            }
        };

        if changed.is_empty() {
            return Ok(UpdatedClient { client_id: client_id.to_owned(), realm: realm.name, changed });
        }
        let now = self.now();
        row.updated_by = actor.to_owned();
        row.updated_at = now;
        let mut tx = self.db.begin().await?;
        store::clients::update_settings(&mut tx, &row).await?;
        if let Some(scopes) = &new_scopes {
            store::clients::clear_scopes(&mut tx, &row.id).await?;
            for (s, is_default) in scopes {
                let description = scope::BUILTIN.iter().find(|(n, _)| n == s).map(|(_, d)| *d).unwrap_or("");
                let scope_id = store::scopes::ensure(&mut tx, &realm.id, s, description, false, now).await?;
                store::clients::add_scope(&mut tx, &row.id, &scope_id, *is_default).await?;
            }
        }
        if let Some(projects) = &new_projects {
            store::projects::set_for_client(&mut tx, &row.id, &realm.id, projects).await?;
        }
        let audit = NewAudit {
            kind: "client.updated",
            actor,
            client_id: Some(client_id),
            detail: Some(Value::Object(changed.clone())),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "client", client_id, audit).await?;
        Ok(UpdatedClient { client_id: client_id.to_owned(), realm: realm.name, changed })
    }
}
