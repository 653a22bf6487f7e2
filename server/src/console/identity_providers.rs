//! The Identity Providers pages: their data (never a client secret, only whether one is set)
//! and their forms: `Create` (`identity-providers/new`), `Save` on a provider's page
//! (`identity-providers/{alias}`) and `Delete` (`identity-providers/{alias}/delete`). Each calls
//! one `manage::identity_provider` operation, which checks `manage-identity-providers` and
//! writes its audit event in the same transaction.

use super::{
    forms::{Fields, Posted},
    service::{shown, Console},
};
use crate::{
    flow::broker,
    manage::{
        identity_provider::{FirstLoginReview, IdpChanges, IdpKind},
        ManageError,
    },
    state::AppState,
    store::identity_providers::IdpRow,
};
use app::{
    admin::identity_providers::{IdpListView, IdpView},
    components::shell::{console_href, escape},
};
use axum::{extract::Path, response::Response};
use http::request::Parts;

fn view(state: &AppState, realm: &str, p: IdpRow) -> IdpView {
    IdpView {
        redirect_uri: broker::redirect_uri(state, realm, &p.alias),
        has_secret: p.client_secret_sealed.is_some(),
        alias: p.alias,
        display_name: p.display_name,
        kind: p.kind,
        enabled: p.enabled,
        discovery_url: p.discovery_url.unwrap_or_default(),
        issuer: p.issuer.unwrap_or_default(),
        authorization_url: p.authorization_url,
        token_url: p.token_url,
        userinfo_url: p.userinfo_url.unwrap_or_default(),
        jwks_url: p.jwks_url.unwrap_or_default(),
        client_id: p.client_id,
        client_auth_method: p.client_auth_method,
        scopes: p.scopes,
        pkce: p.pkce,
        username_claim: p.username_claim,
        email_claim: p.email_claim,
        name_claim: p.name_claim,
        store_tokens: p.store_tokens,
        trust_email: p.trust_email,
        gui_order: p.gui_order,
        first_login_review: p.first_login_review,
        updated_at: p.updated_at,
    }
}

/// The list page's data.
pub async fn list(console: &Console, parts: &Parts, realm: &str) -> Result<IdpListView, String> {
    let admin = console.actor(parts).await?;
    let rows = console.state.manager.list_identity_providers(realm, &admin.actor).await.map_err(shown)?;
    Ok(IdpListView { providers: rows.into_iter().map(|p| view(&console.state, realm, p)).collect() })
}

/// A provider's page data.
pub async fn one(console: &Console, parts: &Parts, realm: &str, alias: &str) -> Result<IdpView, String> {
    let admin = console.actor(parts).await?;
    let row = console.state.manager.identity_provider(realm, alias, &admin.actor).await.map_err(shown)?;
    Ok(view(&console.state, realm, row))
}

fn page(realm: &str, alias: &str) -> String {
    console_href(realm, &format!("identity-providers/{}", escape(alias)))
}

/// The form's settings as changes. `creating`: blanks fall back to the defaults; editing: a
/// blank client secret keeps the current one.
fn changes(f: &Fields, creating: bool) -> Result<IdpChanges, ManageError> {
    let kind = IdpKind::parse(f.get("kind")).ok_or_else(|| ManageError::Invalid("choose the provider type".into()))?;
    let text = |name: &str| Some(f.get(name).to_owned());
    let optional = |name: &str| Some(Some(f.get(name).to_owned()).filter(|v| !v.is_empty()));
    let gui_order = match f.get("gui_order") {
        "" => 0,
        n => n.parse().map_err(|_| ManageError::Invalid("the display order must be a whole number".into()))?,
    };
    let scopes: Vec<String> = f.get("scopes").split_whitespace().map(str::to_owned).collect();
    let first_login_review = match f.get("first_login_review") {
        "" => None,
        r => Some(FirstLoginReview::parse(r).ok_or_else(|| ManageError::Invalid("choose when to review".into()))?),
    };
    let mut c = IdpChanges {
        display_name: Some(f.get("display_name").to_owned()).filter(|d| !d.is_empty()),
        kind: Some(kind),
        enabled: Some(f.checked("enabled")),
        client_id: text("client_id"),
        client_secret: Some(f.get("client_secret").to_owned()).filter(|s| !s.is_empty()),
        client_auth_method: text("client_auth_method"),
        // Blank: OpenID's default (openid profile email) stays; an OAuth 2.0 provider asks for none.
        scopes: (kind == IdpKind::OAuth2 || !scopes.is_empty()).then_some(scopes),
        pkce: Some(f.checked("pkce")),
        username_claim: text("username_claim"),
        email_claim: text("email_claim"),
        name_claim: text("name_claim"),
        store_tokens: Some(f.checked("store_tokens")),
        trust_email: Some(f.checked("trust_email")),
        gui_order: Some(gui_order),
        first_login_review,
        ..Default::default()
    };
    match kind {
        IdpKind::Oidc => {
            let url = f.get("discovery_url");
            if url.is_empty() && creating {
                return Err(ManageError::Invalid("the discovery URL: enter the provider's discovery URL".into()));
            }
            c.discovery_url = Some(url.to_owned()).filter(|u| !u.is_empty());
        }
        IdpKind::OAuth2 => {
            c.authorization_url = text("authorization_url");
            c.token_url = text("token_url");
            c.userinfo_url = optional("userinfo_url");
            c.jwks_url = optional("jwks_url");
        }
    }
    Ok(c)
}

/// The form field a `manage` message is about (its messages name the setting first).
fn field_of(message: &str, kind: &str) -> Option<&'static str> {
    const STARTS: &[(&str, &str)] = &[
        ("invalid alias", "alias"),
        ("an alias", "alias"),
        ("identity provider", "alias"),
        ("the display name", "display_name"),
        ("the display order", "gui_order"),
        ("the discovery url", "discovery_url"),
        ("an openid provider needs", "discovery_url"),
        ("the authorization url", "authorization_url"),
        ("the token url", "token_url"),
        ("the userinfo url", "userinfo_url"),
        ("an oauth 2.0 provider needs", "userinfo_url"),
        ("the jwks url", "jwks_url"),
        ("the client id", "client_id"),
        ("a client id", "client_id"),
        ("the client authentication", "client_auth_method"),
        ("each scope", "scopes"),
        ("the username claim", "username_claim"),
        ("the email claim", "email_claim"),
        ("the name claim", "name_claim"),
        ("choose the provider type", "kind"),
        ("the provider type", "kind"),
        ("choose when to review", "first_login_review"),
    ];
    let m = message.to_lowercase();
    if m.starts_with("give a discovery url") {
        return Some(if kind == "oauth2" { "authorization_url" } else { "discovery_url" });
    }
    STARTS.iter().find(|(s, _)| m.starts_with(s)).map(|(_, f)| *f)
}

async fn refused(posted: &Posted, back: &str, e: ManageError) -> Response {
    let field = field_of(&e.to_string(), posted.fields.get("kind"));
    posted.failed_beside(back, e, field).await
}

/// `POST /admin/{realm}/console/identity-providers/new`: `Create`, then the provider's page
/// (which shows the redirect URI to register upstream).
pub async fn create(Path(realm): Path<String>, posted: Posted) -> Response {
    let (m, actor) = (&posted.state().manager, &posted.admin.actor);
    let back = console_href(&realm, "identity-providers/new");
    let made = match changes(&posted.fields, true) {
        Ok(c) => {
            let c = IdpChanges { alias: Some(posted.fields.get("alias").to_owned()), ..c };
            m.create_identity_provider(&realm, c, actor).await
        }
        Err(e) => Err(e),
    };
    match made {
        Ok(row) => {
            let message = format!(
                "Identity provider {} created. Register the redirect URI below at the provider.",
                row.display_name
            );
            posted.done(&page(&realm, &row.alias), message, None).await
        }
        Err(e) => refused(&posted, &back, e).await,
    }
}

/// `POST /admin/{realm}/console/identity-providers/{alias}`: `Save`.
pub async fn update(Path((realm, alias)): Path<(String, String)>, posted: Posted) -> Response {
    let (m, actor) = (&posted.state().manager, &posted.admin.actor);
    let here = page(&realm, &alias);
    let saved = match changes(&posted.fields, false) {
        Ok(c) => m.update_identity_provider(&realm, &alias, c, actor).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(row) => posted.done(&here, format!("Identity provider {} saved.", row.display_name), None).await,
        Err(e) => refused(&posted, &here, e).await,
    }
}

/// `POST /admin/{realm}/console/identity-providers/{alias}/delete`: the confirmed `Delete`.
pub async fn delete(Path((realm, alias)): Path<(String, String)>, posted: Posted) -> Response {
    let (m, actor) = (&posted.state().manager, &posted.admin.actor);
    let list = console_href(&realm, "identity-providers");
    match m.delete_identity_provider(&realm, &alias, actor).await {
        Ok(()) => {
            let message = format!("Identity provider {alias} deleted, with its users' links and kept tokens.");
            posted.done(&list, message, None).await
        }
        Err(e) => posted.failed(&list, e).await,
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn messages_land_beside_their_fields() {
        assert_eq!(field_of("invalid alias \"A b\": use 1-64 lowercase letters", "oidc"), Some("alias"));
        assert_eq!(field_of("Identity provider \"gh\" already exists", "oauth2"), Some("alias"));
        assert_eq!(field_of("the token URL: \"http://x\" must be an https URL", "oauth2"), Some("token_url"));
        assert_eq!(field_of("the discovery URL: the issuer does not match", "oidc"), Some("discovery_url"));
        assert_eq!(
            field_of("give a discovery URL, or the authorization and token URLs", "oauth2"),
            Some("authorization_url")
        );
        assert_eq!(field_of("the display order must be between 0 and 10000", "oidc"), Some("gui_order"));
        assert_eq!(field_of("this needs the manage-identity-providers permission", "oidc"), None);
    }
}
