//! Identity providers (issue 12, PRODUCT §10): upstream OpenID Connect or OAuth 2.0 providers a
//! realm's users may sign in through, and the links between local users and upstream accounts.
//!
//! An OpenID provider is added by its discovery URL: its endpoints, issuer and JWKS are read
//! from its document (and checked, Discovery §4.3) before anything is written. A plain OAuth 2.0
//! provider is added by its endpoints, with a userinfo endpoint the user's identity comes from.
//! The client secret is sealed under the master key, bound to the provider's row; nothing ever
//! shows it again. Reading needs `view-identity-providers` (or `manage-…`), changing
//! `manage-identity-providers`; a user's links need `view-users` / `manage-users`.

use super::{
    actor::perm::{MANAGE_IDENTITY_PROVIDERS, MANAGE_USERS, VIEW_IDENTITY_PROVIDERS},
    client::invalid,
    Actor, ManageError, Manager,
};
use crate::{
    store::{
        self,
        audit::NewAudit,
        identity_providers::{IdpRow, LinkRow},
        realms::RealmRow,
        users::UserRow,
    },
    upstream::{self, discovery},
};

/// Whether a provider speaks OpenID Connect (ID tokens checked against its JWKS) or plain OAuth
/// 2.0 (the identity comes from its userinfo endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdpKind {
    Oidc,
    OAuth2,
}

impl IdpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdpKind::Oidc => "oidc",
            IdpKind::OAuth2 => "oauth2",
        }
    }

    /// `oidc` (Keycloak also says `keycloak-oidc`) or `oauth2`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "oidc" | "keycloak-oidc" => Some(IdpKind::Oidc),
            "oauth2" => Some(IdpKind::OAuth2),
            _ => None,
        }
    }
}

/// When a first sign-in through the provider shows the upstream profile for review before the
/// local user is made (Keycloak's "review profile" step of the first broker login).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstLoginReview {
    /// Always.
    On,
    /// Only when the username or email is missing, or already someone else's in the realm.
    Missing,
    /// Never: a taken username gets a suffix, a taken email is left out.
    Off,
}

impl FirstLoginReview {
    pub fn as_str(self) -> &'static str {
        match self {
            FirstLoginReview::On => "on",
            FirstLoginReview::Missing => "missing",
            FirstLoginReview::Off => "off",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "on" => Some(FirstLoginReview::On),
            "missing" => Some(FirstLoginReview::Missing),
            "off" => Some(FirstLoginReview::Off),
            _ => None,
        }
    }
}

/// How Portcullis authenticates at the provider's token endpoint.
pub const AUTH_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];

/// A provider's settings as given: everything for a create, what changes for an update.
#[derive(Debug, Clone, Default)]
pub struct IdpChanges {
    pub alias: Option<String>,
    pub display_name: Option<String>,
    pub kind: Option<IdpKind>,
    pub enabled: Option<bool>,
    /// When given, the endpoints, issuer and JWKS are read from this document.
    pub discovery_url: Option<String>,
    pub issuer: Option<String>,
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    /// `Some(None)` clears it.
    pub userinfo_url: Option<Option<String>>,
    pub jwks_url: Option<Option<String>>,
    pub client_id: Option<String>,
    /// A new secret (sealed before it is stored); `Some("")` clears it (a public client).
    pub client_secret: Option<String>,
    pub client_auth_method: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub pkce: Option<bool>,
    pub username_claim: Option<String>,
    pub email_claim: Option<String>,
    pub name_claim: Option<String>,
    pub store_tokens: Option<bool>,
    pub trust_email: Option<bool>,
    pub gui_order: Option<i64>,
    pub first_login_review: Option<FirstLoginReview>,
}

/// An alias (of an identity provider or a service connection): 1–64 lowercase letters, digits,
/// `-`, `_` or `.` (it is part of URLs and role names), and not `new` (the console's Create
/// pages are `…/new`).
pub(super) fn check_alias(alias: &str) -> Result<(), ManageError> {
    if alias == "new" {
        return Err(invalid("invalid alias \"new\": it is reserved (the console's Create pages)".into()));
    }
    let ok = (1..=64).contains(&alias.len())
        && alias.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    ok.then_some(())
        .ok_or_else(|| invalid(format!("invalid alias {alias:?}: use 1-64 lowercase letters, digits, '-', '_' or '.'")))
}

pub(super) fn check_text(what: &str, value: &str, max: usize) -> Result<(), ManageError> {
    if value.trim().is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(invalid(format!("{what} must be 1-{max} characters, without control characters")));
    }
    Ok(())
}

pub(super) fn endpoint(what: &str, url: &str) -> Result<String, ManageError> {
    upstream::check_endpoint(url).map(|_| url.to_owned()).map_err(|e| invalid(format!("{what}: {e}")))
}

/// The row `changes` make of `row`, checked; the secret is left to the caller.
fn apply(row: &mut IdpRow, c: &IdpChanges) -> Result<(), ManageError> {
    if let Some(a) = &c.alias {
        check_alias(a)?;
        row.alias = a.clone();
    }
    if let Some(d) = &c.display_name {
        check_text("the display name", d, 100)?;
        row.display_name = d.trim().to_owned();
    }
    if let Some(k) = c.kind {
        row.kind = k.as_str().to_owned();
    }
    if let Some(e) = c.enabled {
        row.enabled = e;
    }
    if let Some(i) = &c.issuer {
        row.issuer = Some(i.trim().to_owned()).filter(|i| !i.is_empty());
    }
    if let Some(u) = &c.authorization_url {
        row.authorization_url = endpoint("the authorization URL", u)?;
    }
    if let Some(u) = &c.token_url {
        row.token_url = endpoint("the token URL", u)?;
    }
    if let Some(u) = &c.userinfo_url {
        row.userinfo_url =
            u.as_deref().filter(|u| !u.is_empty()).map(|u| endpoint("the userinfo URL", u)).transpose()?;
    }
    if let Some(u) = &c.jwks_url {
        row.jwks_url = u.as_deref().filter(|u| !u.is_empty()).map(|u| endpoint("the JWKS URL", u)).transpose()?;
    }
    if let Some(id) = &c.client_id {
        check_text("the client id", id, 255)?;
        row.client_id = id.clone();
    }
    if let Some(m) = &c.client_auth_method {
        if !AUTH_METHODS.contains(&m.as_str()) {
            return Err(invalid(format!("the client authentication must be one of {}", AUTH_METHODS.join(", "))));
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
    if let Some(p) = c.pkce {
        row.pkce = p;
    }
    for (what, value, field) in [
        ("the username claim", &c.username_claim, &mut row.username_claim),
        ("the email claim", &c.email_claim, &mut row.email_claim),
        ("the name claim", &c.name_claim, &mut row.name_claim),
    ] {
        if let Some(v) = value {
            check_text(what, v, 64)?;
            *field = v.trim().to_owned();
        }
    }
    if let Some(s) = c.store_tokens {
        row.store_tokens = s;
    }
    if let Some(t) = c.trust_email {
        row.trust_email = t;
    }
    if let Some(o) = c.gui_order {
        if !(0..=10_000).contains(&o) {
            return Err(invalid("the display order must be between 0 and 10000".into()));
        }
        row.gui_order = o;
    }
    if let Some(r) = c.first_login_review {
        row.first_login_review = r.as_str().to_owned();
    }
    if row.authorization_url.is_empty() || row.token_url.is_empty() {
        return Err(invalid("give a discovery URL, or the authorization and token URLs".into()));
    }
    match IdpKind::parse(&row.kind) {
        Some(IdpKind::Oidc) if row.issuer.is_none() || row.jwks_url.is_none() => {
            Err(invalid("an OpenID provider needs its issuer and JWKS URL (or a discovery URL)".into()))
        }
        Some(IdpKind::OAuth2) if row.userinfo_url.is_none() => {
            Err(invalid("an OAuth 2.0 provider needs a userinfo URL: the user's identity comes from it".into()))
        }
        Some(_) => Ok(()),
        None => Err(invalid("the provider type must be oidc or oauth2".into())),
    }
}

/// The discovered endpoints as changes (they replace what was set by hand).
async fn discovered(url: &str) -> Result<IdpChanges, ManageError> {
    let url = endpoint("the discovery URL", &discovery::discovery_url(url))?;
    let doc = discovery::discover(&upstream::http_client(), &url)
        .await
        .map_err(|e| invalid(format!("the discovery URL: {e}")))?;
    Ok(IdpChanges {
        kind: Some(IdpKind::Oidc),
        discovery_url: Some(url),
        issuer: Some(doc.issuer),
        authorization_url: Some(doc.authorization_endpoint),
        token_url: Some(doc.token_endpoint),
        userinfo_url: Some(doc.userinfo_endpoint),
        jwks_url: Some(doc.jwks_uri),
        ..Default::default()
    })
}

impl Manager {
    async fn idp_realm(&self, realm: &str, actor: &Actor, change: bool) -> Result<RealmRow, ManageError> {
        let realm = self.realm_row(realm).await?;
        if change {
            actor.require(&realm.id, MANAGE_IDENTITY_PROVIDERS)?;
        } else {
            actor.require_any(&realm.id, &[VIEW_IDENTITY_PROVIDERS, MANAGE_IDENTITY_PROVIDERS])?;
        }
        Ok(realm)
    }

    async fn idp_in(&self, realm: &RealmRow, alias: &str) -> Result<IdpRow, ManageError> {
        let not_found = || ManageError::NotFound(format!("Identity provider {alias:?} not found"));
        // An alias no provider can have is not asked for (PostgreSQL refuses text with NUL).
        check_alias(alias).map_err(|_| not_found())?;
        let mut conn = self.db.conn().await?;
        store::identity_providers::by_alias(&mut conn, &realm.id, alias).await?.ok_or_else(not_found)
    }

    fn seal_idp_secret(&self, id: &str, secret: &str) -> Option<String> {
        use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};
        (!secret.is_empty())
            .then(|| STANDARD_NO_PAD.encode(self.master.seal(secret.as_bytes(), format!("idp secret {id}").as_bytes())))
    }

    /// The provider's client secret in the clear, for calling its token endpoint.
    pub fn idp_secret(&self, row: &IdpRow) -> Result<Option<String>, ManageError> {
        use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};
        let Some(sealed) = &row.client_secret_sealed else { return Ok(None) };
        STANDARD_NO_PAD
            .decode(sealed)
            .ok()
            .and_then(|b| self.master.open(&b, format!("idp secret {}", row.id).as_bytes()).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .map(Some)
            .ok_or_else(|| {
                ManageError::Internal("an identity provider's secret does not open with this master key".into())
            })
    }

    /// The realm's providers, in sign-in page order.
    pub async fn list_identity_providers(&self, realm: &str, actor: &Actor) -> Result<Vec<IdpRow>, ManageError> {
        let realm = self.idp_realm(realm, actor, false).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::identity_providers::list(&mut conn, &realm.id).await?)
    }

    /// One provider by alias.
    pub async fn identity_provider(&self, realm: &str, alias: &str, actor: &Actor) -> Result<IdpRow, ManageError> {
        let realm = self.idp_realm(realm, actor, false).await?;
        self.idp_in(&realm, alias).await
    }

    /// Adds a provider: `alias` and `client_id` are required, and either `discovery_url` or the
    /// endpoints. The display name defaults to the alias.
    pub async fn create_identity_provider(
        &self,
        realm: &str,
        new: IdpChanges,
        actor: &Actor,
    ) -> Result<IdpRow, ManageError> {
        let realm = self.idp_realm(realm, actor, true).await?;
        let alias = new.alias.clone().ok_or_else(|| invalid("an alias is required".into()))?;
        check_alias(&alias)?;
        if new.client_id.is_none() {
            return Err(invalid("a client id is required".into()));
        }
        let now = self.now();
        let id = uuid::Uuid::new_v4().to_string();
        let mut row = IdpRow {
            id: id.clone(),
            realm_id: realm.id.clone(),
            alias: alias.clone(),
            display_name: alias.clone(),
            kind: new.kind.unwrap_or(IdpKind::Oidc).as_str().to_owned(),
            enabled: true,
            discovery_url: None,
            issuer: None,
            authorization_url: String::new(),
            token_url: String::new(),
            userinfo_url: None,
            jwks_url: None,
            client_id: String::new(),
            client_secret_sealed: None,
            client_auth_method: AUTH_METHODS[0].to_owned(),
            scopes: "openid profile email".into(),
            pkce: true,
            username_claim: "preferred_username".into(),
            email_claim: "email".into(),
            name_claim: "name".into(),
            store_tokens: false,
            trust_email: false,
            gui_order: 0,
            first_login_review: FirstLoginReview::Missing.as_str().to_owned(),
            created_at: now,
            updated_at: now,
        };
        if let Some(url) = &new.discovery_url {
            let found = discovered(url).await?;
            row.discovery_url = found.discovery_url.clone();
            apply(&mut row, &IdpChanges { client_id: new.client_id.clone(), ..found })?;
        }
        apply(&mut row, &IdpChanges { discovery_url: None, ..new.clone() })?;
        if row.kind == IdpKind::OAuth2.as_str() {
            row.scopes = new.scopes.as_ref().map(|s| s.join(" ")).unwrap_or_default();
        }
        row.client_secret_sealed = new.client_secret.as_deref().and_then(|s| self.seal_idp_secret(&id, s));
        let mut tx = self.db.begin().await?;
        if !store::identity_providers::insert(&mut tx, &row).await? {
            return Err(ManageError::Conflict(format!("Identity provider {alias:?} already exists")));
        }
        let audit = NewAudit {
            kind: "idp.created",
            actor: actor.name(),
            detail: Some(serde_json::json!({ "alias": alias, "type": row.kind, "issuer": row.issuer })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "identity_provider", &alias, audit).await?;
        Ok(row)
    }

    /// Changes a provider's settings (a new discovery URL reads the endpoints again).
    pub async fn update_identity_provider(
        &self,
        realm: &str,
        alias: &str,
        changes: IdpChanges,
        actor: &Actor,
    ) -> Result<IdpRow, ManageError> {
        let realm = self.idp_realm(realm, actor, true).await?;
        let mut row = self.idp_in(&realm, alias).await?;
        if let Some(url) = changes.discovery_url.as_deref().filter(|u| Some(*u) != row.discovery_url.as_deref()) {
            let found = discovered(url).await?;
            row.discovery_url = found.discovery_url.clone();
            apply(&mut row, &found)?;
        }
        apply(&mut row, &IdpChanges { discovery_url: None, ..changes.clone() })?;
        if let Some(secret) = &changes.client_secret {
            row.client_secret_sealed = self.seal_idp_secret(&row.id, secret);
        }
        row.updated_at = self.now();
        let mut tx = self.db.begin().await?;
        store::identity_providers::update(&mut tx, &row)
            .await
            .map_err(super::on_unique(|| format!("Identity provider {:?} already exists", row.alias)))?;
        let audit = NewAudit {
            kind: "idp.updated",
            actor: actor.name(),
            detail: Some(serde_json::json!({ "alias": row.alias, "secret_changed": changes.client_secret.is_some() })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "identity_provider", alias, audit).await?;
        Ok(row)
    }

    /// Removes a provider, its users' links and the tokens kept through it.
    pub async fn delete_identity_provider(&self, realm: &str, alias: &str, actor: &Actor) -> Result<(), ManageError> {
        let realm = self.idp_realm(realm, actor, true).await?;
        let row = self.idp_in(&realm, alias).await?;
        let mut tx = self.db.begin().await?;
        store::identity_providers::delete(&mut tx, &row.id).await?;
        let audit = NewAudit {
            kind: "idp.deleted",
            actor: actor.name(),
            detail: Some(serde_json::json!({ "alias": alias })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "identity_provider", alias, audit).await
    }

    /// A user's upstream accounts, as `(alias, link)` (`view-users`).
    pub async fn federated_identities(
        &self,
        realm: &str,
        user_id: &str,
        actor: &Actor,
    ) -> Result<Vec<(String, LinkRow)>, ManageError> {
        let user = self.user_by_id(realm, user_id, actor).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::identity_providers::links_of_user(&mut conn, &user.id).await?)
    }

    /// The realm, user and provider a change of links is about, once the actor may make it
    /// (`manage-users`).
    async fn link_parties(
        &self,
        realm: &str,
        user_id: &str,
        alias: &str,
        actor: &Actor,
    ) -> Result<(RealmRow, UserRow, IdpRow), ManageError> {
        let realm = self.realm_row(realm).await?;
        actor.require(&realm.id, MANAGE_USERS)?;
        let user = self.user_in(&realm, user_id).await?;
        let idp = self.idp_in(&realm, alias).await?;
        Ok((realm, user, idp))
    }

    /// Links a user to an upstream account by hand (`manage-users`).
    pub async fn link_federated_identity(
        &self,
        realm: &str,
        user_id: &str,
        alias: &str,
        subject: &str,
        username: &str,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        let (realm_row, user, idp) = self.link_parties(realm, user_id, alias, actor).await?;
        check_text("the upstream user id", subject, 255)?;
        check_text("the upstream username", username, 255)?;
        let link = LinkRow {
            provider_pk: idp.id.clone(),
            subject: subject.to_owned(),
            user_id: user.id.clone(),
            username: username.to_owned(),
            linked_at: self.now(),
        };
        let mut tx = self.db.begin().await?;
        if !store::identity_providers::link(&mut tx, &link).await? {
            return Err(ManageError::Conflict(format!(
                "User is already linked with provider {alias:?}, or that account belongs to another user"
            )));
        }
        let audit = NewAudit {
            kind: "user.idp_linked",
            actor: actor.name(),
            subject: Some(&user.id),
            detail: Some(serde_json::json!({ "alias": alias, "upstream_username": username })),
            ..Default::default()
        };
        self.finish(tx, &realm_row.id, "user", &user.id, audit).await
    }

    /// Removes a user's link to a provider and the tokens kept through it (`manage-users`).
    pub async fn unlink_federated_identity(
        &self,
        realm: &str,
        user_id: &str,
        alias: &str,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        let (realm_row, user, idp) = self.link_parties(realm, user_id, alias, actor).await?;
        let mut tx = self.db.begin().await?;
        if !store::identity_providers::unlink(&mut tx, &user.id, &idp.id).await? {
            return Err(ManageError::NotFound(format!("User is not linked with provider {alias:?}")));
        }
        let audit = NewAudit {
            kind: "user.idp_unlinked",
            actor: actor.name(),
            subject: Some(&user.id),
            detail: Some(serde_json::json!({ "alias": alias })),
            ..Default::default()
        };
        self.finish(tx, &realm_row.id, "user", &user.id, audit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank() -> IdpRow {
        IdpRow {
            id: "x".into(),
            realm_id: "r".into(),
            alias: "up".into(),
            display_name: "up".into(),
            kind: "oidc".into(),
            enabled: true,
            discovery_url: None,
            issuer: None,
            authorization_url: String::new(),
            token_url: String::new(),
            userinfo_url: None,
            jwks_url: None,
            client_id: "c".into(),
            client_secret_sealed: None,
            client_auth_method: "client_secret_basic".into(),
            scopes: String::new(),
            pkce: true,
            username_claim: "preferred_username".into(),
            email_claim: "email".into(),
            name_claim: "name".into(),
            store_tokens: false,
            trust_email: false,
            gui_order: 0,
            first_login_review: "missing".into(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn manual_providers_need_what_their_kind_uses() {
        let endpoints = IdpChanges {
            authorization_url: Some("https://up.example.com/auth".into()),
            token_url: Some("https://up.example.com/token".into()),
            ..Default::default()
        };
        // OpenID without issuer and JWKS: refused; with them: fine.
        assert!(apply(&mut blank(), &endpoints).is_err());
        let oidc = IdpChanges {
            issuer: Some("https://up.example.com".into()),
            jwks_url: Some(Some("https://up.example.com/jwks".into())),
            ..endpoints.clone()
        };
        assert!(apply(&mut blank(), &oidc).is_ok());
        // OAuth 2.0 needs userinfo.
        let oauth = IdpChanges { kind: Some(IdpKind::OAuth2), ..endpoints.clone() };
        assert!(apply(&mut blank(), &oauth).is_err());
        let oauth = IdpChanges { userinfo_url: Some(Some("https://up.example.com/me".into())), ..oauth };
        assert!(apply(&mut blank(), &oauth).is_ok());
        // Plain http to a remote host, bad aliases and methods are refused.
        let http = IdpChanges { token_url: Some("http://up.example.com/token".into()), ..oidc.clone() };
        assert!(apply(&mut blank(), &http).is_err());
        for alias in ["", "Up", "a b", "x/y"] {
            assert!(apply(&mut blank(), &IdpChanges { alias: Some(alias.into()), ..oidc.clone() }).is_err(), "{alias}");
        }
        let method = IdpChanges { client_auth_method: Some("private_key_jwt".into()), ..oidc };
        assert!(apply(&mut blank(), &method).is_err());
    }
}
