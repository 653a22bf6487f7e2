//! A client as the protocol sees it: settings parsed once, its valid secrets and its service
//! account's roles.

use super::LoadError;
use crate::{
    model::GrantType,
    store::{
        self,
        clients::{ClientRow, SecretRow},
        Executes,
    },
};
use std::{collections::BTreeMap, sync::Arc};

/// A loaded client.
#[derive(Debug)]
pub struct Client {
    /// The row's primary key, shared cheaply with counters.
    pub pk: Arc<str>,
    pub row: ClientRow,
    pub grant_types: Vec<GrantType>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub allowed_scopes: Vec<String>,
    pub default_scopes: Vec<String>,
    /// Secrets that verify now or will until their grace period ends.
    pub secrets: Vec<SecretRow>,
    /// The service account's realm roles.
    pub realm_roles: Vec<String>,
    /// The service account's client roles, by owning client id.
    pub client_roles: BTreeMap<String, Vec<String>>,
    /// The role scope mappings (realm roles, client roles by owner), used when full scope is off.
    pub scope_mappings: (Vec<String>, BTreeMap<String, Vec<String>>),
    /// The projects it may ask a `project-{id}` token for.
    pub projects: Vec<String>,
}

impl Client {
    pub(super) async fn load(c: &mut impl Executes, row: ClientRow) -> Result<Client, LoadError> {
        let corrupt = |detail: String| LoadError::Corrupt { realm: row.realm_id.clone(), detail };
        let grant_types = GrantType::parse_list(&row.grant_types).map_err(corrupt)?;
        let redirect_uris: Vec<String> =
            serde_json::from_str(&row.redirect_uris).map_err(|e| corrupt(e.to_string()))?;
        let post_logout_redirect_uris: Vec<String> =
            serde_json::from_str(&row.post_logout_redirect_uris).map_err(|e| corrupt(e.to_string()))?;
        let scopes = store::clients::scopes(c, &row.id).await?;
        // Secrets are loaded with a horizon of "ever valid"; expiry is checked at use.
        let secrets = store::clients::valid_secrets(c, &row.id, 0).await?;
        let (realm_roles, client_roles) = store::roles::split(store::roles::of_service_account(c, &row.id).await?);
        let scope_mappings = store::roles::split(store::roles::scope_mappings(c, &row.id).await?);
        let projects = store::projects::of_client(c, &row.id).await?;
        Ok(Client {
            pk: Arc::from(row.id.as_str()),
            grant_types,
            redirect_uris,
            post_logout_redirect_uris,
            default_scopes: scopes.iter().filter(|(_, d)| *d).map(|(n, _)| n.clone()).collect(),
            allowed_scopes: scopes.into_iter().map(|(n, _)| n).collect(),
            secrets,
            realm_roles,
            client_roles,
            scope_mappings,
            projects,
            row,
        })
    }

    /// The client id.
    /// The origins its Web Origins allow (`+`: its redirect URIs' origins).
    pub fn web_origins(&self) -> Vec<String> {
        let listed: Vec<String> = serde_json::from_str(&self.row.web_origins).unwrap_or_default();
        crate::model::validate::allowed_origins(&listed, &self.redirect_uris)
    }

    pub fn client_id(&self) -> &str {
        &self.row.client_id
    }

    /// Whether the client may use `grant`.
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// The subset of a user's roles this client's tokens carry: all of them with full scope
    /// allowed (the default), else those in the client's role scope mappings plus the client's
    /// own client roles (Keycloak's rule).
    pub fn roles_in_scope(
        &self,
        realm_roles: Vec<String>,
        client_roles: BTreeMap<String, Vec<String>>,
    ) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
        if self.row.full_scope_allowed {
            return (realm_roles, client_roles);
        }
        let (scope_realm, scope_client) = &self.scope_mappings;
        let realm_roles = realm_roles.into_iter().filter(|r| scope_realm.contains(r)).collect();
        let client_roles = client_roles
            .into_iter()
            .filter_map(|(owner, roles)| {
                let own = owner == self.row.client_id;
                let mapped = scope_client.get(&owner);
                let kept: Vec<String> =
                    roles.into_iter().filter(|r| own || mapped.is_some_and(|m| m.contains(r))).collect();
                (!kept.is_empty()).then_some((owner, kept))
            })
            .collect();
        (realm_roles, client_roles)
    }

    /// The secrets that verify at `now`.
    pub fn live_secrets(&self, now: i64) -> impl Iterator<Item = &SecretRow> {
        self.secrets.iter().filter(move |s| s.expires_at.is_none_or(|t| t > now))
    }
}
