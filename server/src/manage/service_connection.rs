//! Service connections (issue 12, item 3; ServiceNow's "OAuth profile"): the realm itself, not
//! a user, connected once by an administrator to a third-party API, by the client credentials
//! grant or by the code flow the administrator runs in the console. Portcullis keeps the token
//! fresh ([`Manager::refresh_service_connection`], from the janitor and on demand) and serves it
//! to services whose token carries the connection's role
//! (`GET /realms/{realm}/service-connections/{alias}/token`).
//!
//! The role is a client role `read-connection-{alias}` of the built-in `broker` client, made
//! with the connection and deleted with it, unless the administrator names an existing role.
//! The client secret and the tokens are sealed under the master key, bound to the row. Reading
//! needs `view-realm` (or `manage-realm`), changing and connecting `manage-realm`.

use super::{
    actor::perm::{MANAGE_REALM, VIEW_REALM},
    admin_roles::BROKER,
    client::invalid,
    identity_provider::{check_alias, check_text, endpoint},
    service_account::RoleRef,
    Actor, ManageError, Manager,
};
use crate::{
    store::{
        self,
        audit::NewAudit,
        realms::RealmRow,
        service_connections::{ConnectionRow, ConnectionTokens},
    },
    upstream::{
        self,
        token::{self as upstream_token, TokenResponse},
        UpstreamError,
    },
};
use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};

/// How long an access token is taken to live when the provider does not say (`expires_in`):
/// 30 days, the ServiceNow seed's default for tokens it receives.
pub const DEFAULT_ACCESS_LIFESPAN: i64 = 30 * 86_400;
/// How long a refresh token is taken to live when the provider does not say
/// (`refresh_expires_in`): 365 days, the seed's default.
pub const DEFAULT_REFRESH_LIFESPAN: i64 = 365 * 86_400;

/// How a connection gets its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionGrant {
    /// RFC 6749 §4.4: Portcullis asks with the client's own credentials, whenever it needs to.
    ClientCredentials,
    /// RFC 6749 §4.1: an administrator signs in at the provider once, from the console; the
    /// refresh token keeps the connection alive.
    AuthorizationCode,
}

impl ConnectionGrant {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionGrant::ClientCredentials => "client_credentials",
            ConnectionGrant::AuthorizationCode => "authorization_code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "client_credentials" => Some(ConnectionGrant::ClientCredentials),
            "authorization_code" => Some(ConnectionGrant::AuthorizationCode),
            _ => None,
        }
    }
}

/// A connection's settings as given: everything for a create, what changes for an update.
#[derive(Debug, Clone, Default)]
pub struct ConnectionChanges {
    pub alias: Option<String>,
    pub display_name: Option<String>,
    pub grant: Option<ConnectionGrant>,
    pub token_url: Option<String>,
    /// The provider's authorization endpoint (the code grant); `Some("")` clears it.
    pub authorization_url: Option<String>,
    pub client_id: Option<String>,
    /// A new secret (sealed before it is stored); `Some("")` clears it.
    pub client_secret: Option<String>,
    pub client_auth_method: Option<String>,
    pub scopes: Option<Vec<String>>,
    /// Create only: an existing role a service needs instead of the default
    /// `broker:read-connection-{alias}`.
    pub role: Option<RoleRef>,
}

/// The role a service needs by default to read connection `alias`.
pub fn default_role(alias: &str) -> RoleRef {
    RoleRef { client_id: Some(BROKER.to_owned()), name: format!("read-connection-{alias}") }
}

/// The role a connection's readers need.
pub fn role_of(row: &ConnectionRow) -> RoleRef {
    RoleRef { client_id: row.role_client.clone(), name: row.role_name.clone() }
}

/// The row `changes` make of `row`, checked; the secret and the role are left to the caller.
fn apply(row: &mut ConnectionRow, c: &ConnectionChanges) -> Result<(), ManageError> {
    if let Some(d) = &c.display_name {
        check_text("the display name", d, 100)?;
        row.display_name = d.trim().to_owned();
    }
    if let Some(g) = c.grant {
        row.grant_type = g.as_str().to_owned();
    }
    if let Some(u) = &c.token_url {
        row.token_url = endpoint("the token URL", u.trim())?;
    }
    if let Some(u) = &c.authorization_url {
        let u = u.trim();
        row.authorization_url = (!u.is_empty()).then(|| endpoint("the authorization URL", u)).transpose()?;
    }
    if let Some(id) = &c.client_id {
        check_text("the client id", id, 255)?;
        row.client_id = id.trim().to_owned();
    }
    if let Some(m) = &c.client_auth_method {
        if !super::identity_provider::AUTH_METHODS.contains(&m.as_str()) {
            return Err(invalid(format!(
                "the client authentication must be one of {}",
                super::identity_provider::AUTH_METHODS.join(", ")
            )));
        }
        row.client_auth_method = m.clone();
    }
    if let Some(scopes) = &c.scopes {
        let ok = scopes.iter().all(|s| !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()));
        if !ok || scopes.len() > 50 {
            return Err(invalid("each scope must be 1-128 visible ASCII characters, at most 50 scopes".into()));
        }
        row.scopes = scopes.join(" ");
    }
    if row.token_url.is_empty() {
        return Err(invalid("the token URL is required".into()));
    }
    if row.grant_type == ConnectionGrant::AuthorizationCode.as_str() && row.authorization_url.is_none() {
        return Err(invalid("the authorization URL is required for the authorization code grant".into()));
    }
    Ok(())
}

/// An upstream failure in words for the administrator: the provider's own `error` and
/// `error_description` (RFC 6749 §5.2) when it gave them.
pub fn upstream_message(e: &UpstreamError) -> String {
    if let UpstreamError::Status { status, body, .. } = e {
        let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
        let field = |k: &str| parsed.as_ref().and_then(|v| v.get(k)).and_then(|v| v.as_str()).map(str::to_owned);
        if let Some(error) = field("error") {
            let described = field("error_description").map(|d| format!(" ({d})")).unwrap_or_default();
            return format!("the provider refused ({status}): {error}{described}");
        }
    }
    e.to_string()
}

fn context(id: &str, what: &str) -> Vec<u8> {
    format!("connection {what} {id}").into_bytes()
}

impl Manager {
    fn seal_for(&self, id: &str, what: &str, value: &str) -> String {
        STANDARD_NO_PAD.encode(self.master.seal(value.as_bytes(), &context(id, what)))
    }

    fn open_for(&self, id: &str, what: &str, sealed: &str) -> Result<String, ManageError> {
        STANDARD_NO_PAD
            .decode(sealed)
            .ok()
            .and_then(|b| self.master.open(&b, &context(id, what)).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                ManageError::Internal(format!("a service connection's {what} does not open with this master key"))
            })
    }

    /// The connection's current access token in the clear (`None` until connected).
    pub fn service_connection_access_token(&self, row: &ConnectionRow) -> Result<Option<String>, ManageError> {
        row.tokens.access_sealed.as_deref().map(|s| self.open_for(&row.id, "access", s)).transpose()
    }

    /// The tokens to store for a token response. A response without a refresh token keeps the
    /// previous one (RFC 6749 §6); lifespans the provider does not give are the defaults.
    fn sealed_tokens(&self, row: &ConnectionRow, res: &TokenResponse, now: i64) -> ConnectionTokens {
        let (refresh_sealed, refresh_expires_at) = match &res.refresh_token {
            Some(r) => (
                Some(self.seal_for(&row.id, "refresh", r)),
                Some(now + res.refresh_expires_in.filter(|s| *s > 0).unwrap_or(DEFAULT_REFRESH_LIFESPAN)),
            ),
            None => (row.tokens.refresh_sealed.clone(), row.tokens.refresh_expires_at),
        };
        ConnectionTokens {
            access_sealed: Some(self.seal_for(&row.id, "access", &res.access_token)),
            refresh_sealed,
            token_type: Some(res.token_type.clone()),
            granted_scope: res.scope.clone().or_else(|| Some(row.scopes.clone()).filter(|s| !s.is_empty())),
            expires_at: Some(now + res.expires_in.filter(|s| *s > 0).unwrap_or(DEFAULT_ACCESS_LIFESPAN)),
            refresh_expires_at,
            refreshed_at: Some(now),
        }
    }

    /// Asks the provider for new tokens: by the stored refresh token while it lives, else (or
    /// when the provider refuses it) by the client credentials grant where that is the grant.
    async fn fetch_tokens(&self, row: &ConnectionRow) -> Result<TokenResponse, String> {
        let secret = row.client_secret_sealed.as_deref().map(|s| self.open_for(&row.id, "secret", s)).transpose();
        let secret = secret.map_err(|e| e.to_string())?;
        let now = self.now();
        let live_refresh =
            row.tokens.refresh_sealed.as_deref().filter(|_| row.tokens.refresh_expires_at.is_none_or(|at| at > now));
        let mut failure = None;
        if let Some(sealed) = live_refresh {
            let refresh_token = self.open_for(&row.id, "refresh", sealed).map_err(|e| e.to_string())?;
            match upstream_token::refresh(row, secret.as_deref(), &refresh_token).await {
                Ok(res) => return Ok(res),
                Err(e) => failure = Some(upstream_message(&e)),
            }
        }
        if row.grant_type != ConnectionGrant::ClientCredentials.as_str() {
            return Err(failure.unwrap_or_else(|| {
                "the refresh token expired or was never given: connect again from the console".to_owned()
            }));
        }
        upstream_token::client_credentials(row, secret.as_deref(), &row.scopes).await.map_err(|e| upstream_message(&e))
    }

    /// Stores `res` as the connection's tokens; returns the row as stored.
    async fn store_tokens(&self, mut row: ConnectionRow, res: &TokenResponse) -> Result<ConnectionRow, ManageError> {
        row.tokens = self.sealed_tokens(&row, res, self.now());
        row.last_error = None;
        let mut conn = self.db.conn().await?;
        store::service_connections::put_tokens(&mut conn, &row.id, &row.tokens).await?;
        Ok(row)
    }

    /// Records a failed fetch on the row (the status the console shows); the tokens stay.
    async fn record_failure(&self, row: &ConnectionRow, error: &str) {
        let stored = async {
            let mut conn = self.db.conn().await?;
            store::service_connections::set_error(&mut conn, &row.id, store::audit::bounded(error, 1000)).await
        };
        if let Err(e) = stored.await {
            tracing::warn!(error = %e, "recording a service connection's failure");
        }
    }

    /// Gets the connection new tokens from its provider and stores them (the janitor, and the
    /// token endpoint when the stored one expired). A failure is recorded on the row and
    /// returned as `Invalid` with the provider's words; the stored tokens stay.
    pub async fn refresh_service_connection(&self, row: &ConnectionRow) -> Result<ConnectionRow, ManageError> {
        match self.fetch_tokens(row).await {
            Ok(res) => self.store_tokens(row.clone(), &res).await,
            Err(e) => {
                self.record_failure(row, &e).await;
                Err(invalid(format!("{}: {e}", row.display_name)))
            }
        }
    }

    async fn connection_realm(&self, realm: &str, actor: &Actor, change: bool) -> Result<RealmRow, ManageError> {
        let realm = self.realm_row(realm).await?;
        match change {
            true => actor.require(&realm.id, MANAGE_REALM)?,
            false => actor.require_any(&realm.id, &[VIEW_REALM, MANAGE_REALM])?,
        }
        Ok(realm)
    }

    async fn connection_in(&self, realm: &RealmRow, alias: &str) -> Result<ConnectionRow, ManageError> {
        let not_found = || ManageError::NotFound(format!("Service connection {alias:?} not found"));
        // An alias no connection can have is not asked for (PostgreSQL refuses text with NUL).
        check_alias(alias).map_err(|_| not_found())?;
        let mut conn = self.db.conn().await?;
        store::service_connections::by_alias(&mut conn, &realm.id, alias).await?.ok_or_else(not_found)
    }

    /// The realm's connections, by alias.
    pub async fn list_service_connections(
        &self,
        realm: &str,
        actor: &Actor,
    ) -> Result<Vec<ConnectionRow>, ManageError> {
        let realm = self.connection_realm(realm, actor, false).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::service_connections::list(&mut conn, &realm.id).await?)
    }

    /// One connection by alias.
    pub async fn service_connection(
        &self,
        realm: &str,
        alias: &str,
        actor: &Actor,
    ) -> Result<ConnectionRow, ManageError> {
        let realm = self.connection_realm(realm, actor, false).await?;
        self.connection_in(&realm, alias).await
    }

    /// A connection by realm and alias for the token endpoint (no actor: the caller checked the
    /// service's token).
    pub async fn service_connection_for_service(
        &self,
        realm_id: &str,
        alias: &str,
    ) -> Result<Option<ConnectionRow>, ManageError> {
        if check_alias(alias).is_err() {
            return Ok(None);
        }
        let mut conn = self.db.conn().await?;
        Ok(store::service_connections::by_alias(&mut conn, realm_id, alias).await?)
    }

    /// Adds a connection (not connected yet): `alias`, `token_url` and `client_id` are
    /// required. Makes its default role unless `role` names an existing one.
    pub async fn create_service_connection(
        &self,
        realm: &str,
        new: ConnectionChanges,
        actor: &Actor,
    ) -> Result<ConnectionRow, ManageError> {
        let realm = self.connection_realm(realm, actor, true).await?;
        let alias = new.alias.clone().ok_or_else(|| invalid("an alias is required".into()))?;
        check_alias(&alias)?;
        if new.client_id.is_none() {
            return Err(invalid("a client id is required".into()));
        }
        let now = self.now();
        let id = store::new_id();
        let role = new.role.clone().unwrap_or_else(|| default_role(&alias));
        let mut row = ConnectionRow {
            id: id.clone(),
            realm_id: realm.id.clone(),
            alias: alias.clone(),
            display_name: alias.clone(),
            grant_type: ConnectionGrant::ClientCredentials.as_str().to_owned(),
            token_url: String::new(),
            authorization_url: None,
            client_id: String::new(),
            client_secret_sealed: None,
            client_auth_method: super::identity_provider::AUTH_METHODS[0].to_owned(),
            scopes: String::new(),
            role_client: role.client_id.clone(),
            role_name: role.name.clone(),
            tokens: ConnectionTokens::default(),
            last_error: None,
            created_at: now,
            updated_at: now,
        };
        apply(&mut row, &new)?;
        row.client_secret_sealed =
            new.client_secret.as_deref().filter(|s| !s.is_empty()).map(|s| self.seal_for(&id, "secret", s));
        let mut tx = self.db.begin().await?;
        if new.role.is_some() {
            let roles = store::roles::all_of_realm(&mut tx, &realm.id).await?;
            if !roles.iter().any(|r| r.client_id == role.client_id && r.name == role.name) {
                return Err(invalid(format!("no role {:?} in this realm (--role)", role.key())));
            }
        } else {
            let broker = store::clients::by_client_id(&mut tx, &realm.id, BROKER)
                .await?
                .ok_or_else(|| ManageError::Internal("the realm has no broker client".into()))?;
            let description = format!("Reads the token of service connection {alias}");
            store::roles::create(&mut tx, &realm.id, Some(&broker.id), &role.name, &description, now).await?;
        }
        if !store::service_connections::insert(&mut tx, &row).await? {
            return Err(ManageError::Conflict(format!("Service connection {alias:?} already exists")));
        }
        let audit = NewAudit {
            kind: "service_connection.created",
            actor: actor.name(),
            detail: Some(serde_json::json!({
                "alias": alias, "grant_type": row.grant_type, "token_url": row.token_url, "role": role.key(),
            })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "service_connection", &alias, audit).await?;
        Ok(row)
    }

    /// Changes a connection's settings (the alias and role stay; the tokens stay until the
    /// next connect or refresh).
    pub async fn update_service_connection(
        &self,
        realm: &str,
        alias: &str,
        changes: ConnectionChanges,
        actor: &Actor,
    ) -> Result<ConnectionRow, ManageError> {
        let realm = self.connection_realm(realm, actor, true).await?;
        let mut row = self.connection_in(&realm, alias).await?;
        apply(&mut row, &changes)?;
        if let Some(secret) = &changes.client_secret {
            row.client_secret_sealed = (!secret.is_empty()).then(|| self.seal_for(&row.id, "secret", secret));
        }
        row.updated_at = self.now();
        let mut tx = self.db.begin().await?;
        store::service_connections::update(&mut tx, &row).await?;
        let audit = NewAudit {
            kind: "service_connection.updated",
            actor: actor.name(),
            detail: Some(serde_json::json!({ "alias": alias, "secret_changed": changes.client_secret.is_some() })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "service_connection", alias, audit).await?;
        Ok(row)
    }

    /// Removes a connection, its tokens and its default role (a role the administrator named
    /// stays).
    pub async fn delete_service_connection(&self, realm: &str, alias: &str, actor: &Actor) -> Result<(), ManageError> {
        let realm = self.connection_realm(realm, actor, true).await?;
        let row = self.connection_in(&realm, alias).await?;
        let mut tx = self.db.begin().await?;
        store::service_connections::delete(&mut tx, &row.id).await?;
        if role_of(&row) == default_role(alias) {
            let roles = store::roles::all_of_realm(&mut tx, &realm.id).await?;
            let default = roles.iter().find(|r| r.client_id.as_deref() == Some(BROKER) && r.name == row.role_name);
            if let Some(r) = default {
                store::roles::delete(&mut tx, &r.id).await?;
            }
        }
        let audit = NewAudit {
            kind: "service_connection.deleted",
            actor: actor.name(),
            detail: Some(serde_json::json!({ "alias": alias })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "service_connection", alias, audit).await
    }

    /// Connects a client-credentials connection now: asks the provider for a token and stores
    /// it. A refusal (`invalid_client`, the provider down) comes back in the provider's words
    /// and stores no token.
    pub async fn connect_service_connection(
        &self,
        realm: &str,
        alias: &str,
        actor: &Actor,
    ) -> Result<ConnectionRow, ManageError> {
        let realm = self.connection_realm(realm, actor, true).await?;
        let row = self.connection_in(&realm, alias).await?;
        if row.grant_type != ConnectionGrant::ClientCredentials.as_str() {
            return Err(invalid(format!(
                "{} uses the authorization code grant: connect it from the console, signing in at the provider",
                row.display_name
            )));
        }
        let secret = row.client_secret_sealed.as_deref().map(|s| self.open_for(&row.id, "secret", s)).transpose()?;
        let res = upstream_token::client_credentials(&row, secret.as_deref(), &row.scopes).await;
        self.connected(&realm, row, res, actor).await
    }

    /// Where to send the administrator's browser to connect a code-flow connection (RFC 6749
    /// §4.1.1 with PKCE, RFC 7636 §4.3).
    pub async fn service_connection_authorize_url(
        &self,
        realm: &str,
        alias: &str,
        redirect_uri: &str,
        state: &str,
        code_challenge: &str,
        actor: &Actor,
    ) -> Result<String, ManageError> {
        let realm = self.connection_realm(realm, actor, true).await?;
        let row = self.connection_in(&realm, alias).await?;
        let base = row
            .authorization_url
            .as_deref()
            .filter(|_| row.grant_type == ConnectionGrant::AuthorizationCode.as_str())
            .ok_or_else(|| {
                invalid(format!("{} uses the client credentials grant: connect it directly", row.display_name))
            })?;
        let mut url = upstream::check_endpoint(base).map_err(invalid)?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &row.client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("state", state)
                .append_pair("code_challenge", code_challenge)
                .append_pair("code_challenge_method", "S256");
            if !row.scopes.is_empty() {
                q.append_pair("scope", &row.scopes);
            }
        }
        Ok(url.into())
    }

    /// Finishes connecting a code-flow connection: exchanges the code the provider sent back
    /// (RFC 6749 §4.1.3) and stores the tokens.
    pub async fn complete_service_connection(
        &self,
        realm: &str,
        alias: &str,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
        actor: &Actor,
    ) -> Result<ConnectionRow, ManageError> {
        let realm = self.connection_realm(realm, actor, true).await?;
        let row = self.connection_in(&realm, alias).await?;
        let secret = row.client_secret_sealed.as_deref().map(|s| self.open_for(&row.id, "secret", s)).transpose()?;
        let res = upstream_token::exchange_code(&row, secret.as_deref(), code, redirect_uri, Some(code_verifier)).await;
        self.connected(&realm, row, res, actor).await
    }

    /// Stores a connect's tokens with its audit event, or records and returns its failure.
    async fn connected(
        &self,
        realm: &RealmRow,
        mut row: ConnectionRow,
        res: Result<TokenResponse, UpstreamError>,
        actor: &Actor,
    ) -> Result<ConnectionRow, ManageError> {
        let res = match res {
            Ok(r) => r,
            Err(e) => {
                let message = upstream_message(&e);
                self.record_failure(&row, &message).await;
                return Err(invalid(format!("Connecting {} did not work: {message}", row.display_name)));
            }
        };
        row.tokens = self.sealed_tokens(&row, &res, self.now());
        row.last_error = None;
        let mut tx = self.db.begin().await?;
        store::service_connections::put_tokens(&mut tx, &row.id, &row.tokens).await?;
        let audit = NewAudit {
            kind: "service_connection.connected",
            actor: actor.name(),
            detail: Some(serde_json::json!({ "alias": row.alias, "expires_at": row.tokens.expires_at })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "service_connection", &row.alias, audit).await?;
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_words_are_kept_and_the_code_grant_needs_its_endpoint() {
        let e = UpstreamError::Status {
            url: "https://up.example.com/token".into(),
            status: 401,
            body: r#"{"error":"invalid_client","error_description":"bad secret"}"#.into(),
        };
        assert_eq!(upstream_message(&e), "the provider refused (401): invalid_client (bad secret)");
        let mut row = ConnectionRow {
            id: "x".into(),
            realm_id: "r".into(),
            alias: "crm".into(),
            display_name: "crm".into(),
            grant_type: "authorization_code".into(),
            token_url: String::new(),
            authorization_url: None,
            client_id: "c".into(),
            client_secret_sealed: None,
            client_auth_method: "client_secret_basic".into(),
            scopes: String::new(),
            role_client: None,
            role_name: "r".into(),
            tokens: ConnectionTokens::default(),
            last_error: None,
            created_at: 0,
            updated_at: 0,
        };
        let token = ConnectionChanges { token_url: Some("https://up.example.com/token".into()), ..Default::default() };
        assert!(apply(&mut row, &token).is_err(), "the code grant without an authorization URL");
        let auth = ConnectionChanges { authorization_url: Some("https://up.example.com/auth".into()), ..token };
        assert!(apply(&mut row, &auth).is_ok());
        let http = ConnectionChanges { token_url: Some("http://up.example.com/token".into()), ..Default::default() };
        assert!(apply(&mut row, &http).is_err(), "plain http to a remote host");
        assert!(check_alias("a b").is_err() && check_alias("crm-1").is_ok());
    }
}
