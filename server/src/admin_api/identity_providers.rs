//! Identity providers in Keycloak's shape: `GET|POST /identity-provider/instances`,
//! `GET|PUT|DELETE /identity-provider/instances/{alias}`, and a user's links to upstream
//! accounts, `GET /users/{id}/federated-identity`, `POST|DELETE …/federated-identity/{alias}`.
//! Each handler is one call to `manage::identity_provider`; this file only translates
//! Keycloak's `IdentityProviderRepresentation` (settings as strings in `config`) to `IdpChanges`.
//! The client secret is write-only: a read answers `**********` when one is set, and a `PUT`
//! sending that mask back keeps the secret (Keycloak's convention).

use super::{
    auth::ApiActor,
    error::ApiError,
    model::{created, flag, ApiJson, Attribute, Attributes, ErrorRepresentation, RealmPath},
};
use crate::{
    manage::identity_provider::{FirstLoginReview, IdpChanges, IdpKind},
    state::AppState,
    store::identity_providers::{IdpRow, LinkRow},
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What a read shows in place of a set client secret; sent back, it keeps the secret.
pub const SECRET_MASK: &str = "**********";

/// Keycloak's `IdentityProviderRepresentation`: an upstream OpenID Connect or OAuth 2.0 provider.
///
/// `config` holds the settings as strings, as Keycloak keeps them: `clientId`, `clientSecret`
/// (write-only), `authorizationUrl`, `tokenUrl`, `userInfoUrl`, `jwksUrl`, `issuer`,
/// `defaultScope` (space-separated), `pkceEnabled` (`"true"`/`"false"`), `clientAuthMethod`
/// (`client_secret_basic` or `client_secret_post`), `useJwksUrl` and `validateSignature`
/// (always `"true"` for OpenID providers: Portcullis always checks ID token signatures against
/// the JWKS), `guiOrder`; and Portcullis's own `discoveryUrl` (the endpoints, issuer and JWKS
/// are read from the provider's OpenID discovery document), `usernameClaim`, `emailClaim`,
/// `nameClaim` (which upstream claims become the user's username, email and name). Other
/// Keycloak keys are accepted and ignored.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityProviderRepresentation {
    /// 1–64 lowercase letters, digits, `-`, `_` or `.`; part of the broker URLs.
    pub alias: Option<String>,
    /// Portcullis's id for it (read-only).
    pub internal_id: Option<String>,
    /// The name on the sign-in page's button; the alias by default.
    pub display_name: Option<String>,
    /// `oidc` (Keycloak's `keycloak-oidc` is taken as `oidc`) or `oauth2`.
    pub provider_id: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub enabled: Option<bool>,
    /// Keep the upstream's tokens (sealed) for apps to fetch through the broker endpoint.
    #[serde(default, deserialize_with = "flag")]
    pub store_token: Option<bool>,
    /// Take the upstream's email address as verified.
    #[serde(default, deserialize_with = "flag")]
    pub trust_email: Option<bool>,
    /// The place on the sign-in page (0–10000), also read from `config.guiOrder`.
    pub gui_order: Option<Attribute>,
    /// When a first sign-in shows the upstream profile for review: `on`, `missing` (only when the
    /// username or email is missing or taken; the default) or `off`. Keycloak's field of the
    /// same name.
    pub update_profile_first_login_mode: Option<String>,
    pub config: Option<Attributes>,
}

/// A user's link to an upstream account (Keycloak's `FederatedIdentityRepresentation`).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FederatedIdentityRepresentation {
    /// The provider's alias.
    pub identity_provider: Option<String>,
    /// The user's id at the provider (its `sub`).
    pub user_id: Option<String>,
    /// The user's name at the provider.
    pub user_name: Option<String>,
}

/// `{realm}` and `{alias}`, an identity provider's alias.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdpPath {
    /// The realm's name.
    pub realm: String,
    /// The provider's alias.
    pub alias: String,
}

/// `{realm}`, `{id}` (a user) and `{alias}`, an identity provider's alias.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserIdpPath {
    /// The realm's name.
    pub realm: String,
    /// The user's id.
    pub id: String,
    /// The provider's alias.
    pub alias: String,
}

/// `{realm}` and `{id}`, a user.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserIdPath {
    /// The realm's name.
    pub realm: String,
    /// The user's id.
    pub id: String,
}

fn text(s: &str) -> Attribute {
    Attribute(s.to_owned())
}

fn representation(row: IdpRow) -> IdentityProviderRepresentation {
    let oidc = row.kind == IdpKind::Oidc.as_str();
    let mut config = Attributes::new();
    let mut put = |key: &str, value: &str| {
        config.insert(key.to_owned(), text(value));
    };
    put("clientId", &row.client_id);
    if row.client_secret_sealed.is_some() {
        put("clientSecret", SECRET_MASK);
    }
    put("authorizationUrl", &row.authorization_url);
    put("tokenUrl", &row.token_url);
    for (key, value) in [
        ("userInfoUrl", &row.userinfo_url),
        ("jwksUrl", &row.jwks_url),
        ("issuer", &row.issuer),
        ("discoveryUrl", &row.discovery_url),
    ] {
        if let Some(v) = value {
            put(key, v);
        }
    }
    put("defaultScope", &row.scopes);
    put("pkceEnabled", &row.pkce.to_string());
    if row.pkce {
        put("pkceMethod", "S256");
    }
    put("clientAuthMethod", &row.client_auth_method);
    put("useJwksUrl", &oidc.to_string());
    put("validateSignature", &oidc.to_string());
    put("usernameClaim", &row.username_claim);
    put("emailClaim", &row.email_claim);
    put("nameClaim", &row.name_claim);
    put("guiOrder", &row.gui_order.to_string());
    IdentityProviderRepresentation {
        alias: Some(row.alias),
        internal_id: Some(row.id),
        display_name: Some(row.display_name),
        provider_id: Some(row.kind),
        enabled: Some(row.enabled),
        store_token: Some(row.store_tokens),
        trust_email: Some(row.trust_email),
        gui_order: Some(Attribute(row.gui_order.to_string())),
        update_profile_first_login_mode: Some(row.first_login_review),
        config: Some(config),
    }
}

/// The changes a representation asks for; what it does not carry stays as it is.
fn changes(rep: IdentityProviderRepresentation) -> Result<IdpChanges, ApiError> {
    let config = rep.config.unwrap_or_default();
    let get = |key: &str| config.get(key).map(|a| a.0.trim().to_owned());
    // Keycloak's forms send "" for a setting left empty: for what must have a value, absent.
    let given = |key: &str| get(key).filter(|v| !v.is_empty());
    let boolean = |key: &str| -> Result<Option<bool>, ApiError> {
        given(key)
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(ApiError::bad_request(format!("config.{key} must be \"true\" or \"false\""))),
            })
            .transpose()
    };
    let kind = rep
        .provider_id
        .map(|p| {
            IdpKind::parse(&p).ok_or_else(|| ApiError::bad_request("providerId must be oidc, keycloak-oidc or oauth2"))
        })
        .transpose()?;
    for key in ["useJwksUrl", "validateSignature"] {
        if boolean(key)? == Some(false) && kind != Some(IdpKind::OAuth2) {
            return Err(ApiError::bad_request(format!(
                "config.{key}: Portcullis always verifies an OpenID provider's ID tokens with its JWKS"
            )));
        }
    }
    let gui_order = match rep.gui_order.map(|a| a.0).filter(|v| !v.is_empty()).or_else(|| given("guiOrder")) {
        Some(v) => Some(v.trim().parse::<i64>().map_err(|_| ApiError::bad_request("guiOrder must be a whole number"))?),
        None => None,
    };
    let first_login_review = rep
        .update_profile_first_login_mode
        .filter(|m| !m.is_empty())
        .map(|m| {
            FirstLoginReview::parse(&m)
                .ok_or_else(|| ApiError::bad_request("updateProfileFirstLoginMode must be on, missing or off"))
        })
        .transpose()?;
    let client_secret = get("clientSecret").filter(|s| s != SECRET_MASK);
    Ok(IdpChanges {
        alias: rep.alias,
        display_name: rep.display_name,
        kind,
        enabled: rep.enabled,
        discovery_url: given("discoveryUrl"),
        issuer: get("issuer"),
        authorization_url: given("authorizationUrl"),
        token_url: given("tokenUrl"),
        userinfo_url: get("userInfoUrl").map(Some),
        jwks_url: get("jwksUrl").map(Some),
        client_id: given("clientId"),
        client_secret,
        client_auth_method: given("clientAuthMethod"),
        scopes: get("defaultScope").map(|s| s.split_whitespace().map(str::to_owned).collect()),
        pkce: boolean("pkceEnabled")?,
        username_claim: given("usernameClaim"),
        email_claim: given("emailClaim"),
        name_claim: given("nameClaim"),
        store_tokens: rep.store_token,
        trust_email: rep.trust_email,
        gui_order,
        first_login_review,
    })
}

/// The realm's identity providers, in sign-in page order (`view-identity-providers`)
#[utoipa::path(get, path = "/identity-provider/instances", tag = "Identity providers", params(RealmPath),
    responses((status = 200, body = Vec<IdentityProviderRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn list(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<IdentityProviderRepresentation>>, ApiError> {
    let rows = s.manager.list_identity_providers(&realm, &a).await?;
    Ok(Json(rows.into_iter().map(representation).collect()))
}

/// Add an identity provider (`manage-identity-providers`)
///
/// `alias` and `config.clientId` are required, and either `config.discoveryUrl` (an OpenID
/// provider; its document is read and checked now) or the endpoints: `authorizationUrl` and
/// `tokenUrl`, with `issuer` and `jwksUrl` for `oidc`, or `userInfoUrl` for `oauth2`. Answers
/// 201 with `Location`.
#[utoipa::path(post, path = "/identity-provider/instances", tag = "Identity providers", params(RealmPath),
    request_body = IdentityProviderRepresentation,
    responses((status = 201, description = "Created; `Location` names it (`…/instances/{alias}`)"),
        (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation),
        (status = 409, body = ErrorRepresentation)))]
pub async fn create(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<IdentityProviderRepresentation>,
) -> Result<Response, ApiError> {
    let row = s.manager.create_identity_provider(&realm, changes(rep)?, &a).await?;
    Ok(created(format!("{}/admin/realms/{realm}/identity-provider/instances/{}", s.public_url, row.alias)))
}

/// One identity provider (`view-identity-providers`); the client secret shows as `**********`
#[utoipa::path(get, path = "/identity-provider/instances/{alias}", tag = "Identity providers", params(IdpPath),
    responses((status = 200, body = IdentityProviderRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn get(
    State(s): State<AppState>,
    Path(IdpPath { realm, alias }): Path<IdpPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<IdentityProviderRepresentation>, ApiError> {
    Ok(Json(representation(s.manager.identity_provider(&realm, &alias, &a).await?)))
}

/// Change an identity provider (`manage-identity-providers`)
///
/// A partial merge: what is sent changes, the rest stays. `clientSecret` sent as `**********`
/// keeps the secret, `""` removes it; a new `discoveryUrl` reads the endpoints again.
#[utoipa::path(put, path = "/identity-provider/instances/{alias}", tag = "Identity providers", params(IdpPath),
    request_body = IdentityProviderRepresentation,
    responses((status = 204, description = "Changed"), (status = 400, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation), (status = 409, body = ErrorRepresentation)))]
pub async fn update(
    State(s): State<AppState>,
    Path(IdpPath { realm, alias }): Path<IdpPath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<IdentityProviderRepresentation>,
) -> Result<StatusCode, ApiError> {
    s.manager.update_identity_provider(&realm, &alias, changes(rep)?, &a).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove an identity provider, its users' links and the tokens kept through it
/// (`manage-identity-providers`)
#[utoipa::path(delete, path = "/identity-provider/instances/{alias}", tag = "Identity providers", params(IdpPath),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorRepresentation)))]
pub async fn delete(
    State(s): State<AppState>,
    Path(IdpPath { realm, alias }): Path<IdpPath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    s.manager.delete_identity_provider(&realm, &alias, &a).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn link_representation((alias, link): (String, LinkRow)) -> FederatedIdentityRepresentation {
    FederatedIdentityRepresentation {
        identity_provider: Some(alias),
        user_id: Some(link.subject),
        user_name: Some(link.username),
    }
}

/// A user's links to upstream accounts (`view-users`)
#[utoipa::path(get, path = "/users/{id}/federated-identity", tag = "Users", params(UserIdPath),
    responses((status = 200, body = Vec<FederatedIdentityRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn federated_identities(
    State(s): State<AppState>,
    Path(UserIdPath { realm, id }): Path<UserIdPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<FederatedIdentityRepresentation>>, ApiError> {
    let links = s.manager.federated_identities(&realm, &id, &a).await?;
    Ok(Json(links.into_iter().map(link_representation).collect()))
}

/// Link a user to an account at the provider `{alias}` (`manage-users`)
///
/// The body names the upstream account: `userId` (its `sub`) and `userName`; its
/// `identityProvider` is the path's alias. 409 when the user already has a link to this provider
/// or the account is linked to another user.
#[utoipa::path(post, path = "/users/{id}/federated-identity/{alias}", tag = "Users", params(UserIdpPath),
    request_body = FederatedIdentityRepresentation,
    responses((status = 204, description = "Linked"), (status = 400, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation), (status = 409, body = ErrorRepresentation)))]
pub async fn link(
    State(s): State<AppState>,
    Path(UserIdpPath { realm, id, alias }): Path<UserIdpPath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<FederatedIdentityRepresentation>,
) -> Result<StatusCode, ApiError> {
    let subject = rep.user_id.unwrap_or_default();
    let username = rep.user_name.unwrap_or_else(|| subject.clone());
    s.manager.link_federated_identity(&realm, &id, &alias, &subject, &username, &a).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a user's link to the provider `{alias}` and the tokens kept through it (`manage-users`)
#[utoipa::path(delete, path = "/users/{id}/federated-identity/{alias}", tag = "Users", params(UserIdpPath),
    responses((status = 204, description = "Unlinked"), (status = 404, body = ErrorRepresentation)))]
pub async fn unlink(
    State(s): State<AppState>,
    Path(UserIdpPath { realm, id, alias }): Path<UserIdpPath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    s.manager.unlink_federated_identity(&realm, &id, &alias, &a).await?;
    Ok(StatusCode::NO_CONTENT)
}
