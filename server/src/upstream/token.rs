//! Calls to an upstream provider's token and userinfo endpoints (RFC 6749 §4.1.3 and §6, OIDC
//! Core §5.3), authenticated as the provider's settings say: `client_secret_basic` (§2.3.1: id
//! and secret form-urlencoded, then Basic) or `client_secret_post`; a public client sends only
//! its `client_id`. Identity providers and service connections both call through here.

use super::{read_json, UpstreamError};
use crate::store::{identity_providers::IdpRow, service_connections::ConnectionRow};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::LazyLock;

/// One client for every upstream call: its connections are reused across sign-ins.
static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(super::http_client as fn() -> reqwest::Client);

/// The shared upstream client.
pub fn client() -> &'static reqwest::Client {
    &CLIENT
}

/// A token response (RFC 6749 §5.1), with Keycloak's `refresh_expires_in`.
#[derive(Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default = "bearer")]
    pub token_type: String,
    pub expires_in: Option<i64>,
    pub refresh_token: Option<String>,
    pub refresh_expires_in: Option<i64>,
    pub id_token: Option<String>,
    pub scope: Option<String>,
}

fn bearer() -> String {
    "Bearer".into()
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse").field("expires_in", &self.expires_in).finish_non_exhaustive()
    }
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Portcullis's registration at a provider: where and how it asks for tokens.
pub trait Registration {
    fn token_url(&self) -> &str;
    fn client_id(&self) -> &str;
    /// `client_secret_basic` or `client_secret_post`.
    fn client_auth_method(&self) -> &str;
}

impl Registration for IdpRow {
    fn token_url(&self) -> &str {
        &self.token_url
    }
    fn client_id(&self) -> &str {
        &self.client_id
    }
    fn client_auth_method(&self) -> &str {
        &self.client_auth_method
    }
}

impl Registration for ConnectionRow {
    fn token_url(&self) -> &str {
        &self.token_url
    }
    fn client_id(&self) -> &str {
        &self.client_id
    }
    fn client_auth_method(&self) -> &str {
        &self.client_auth_method
    }
}

/// POSTs `form` to the provider's token endpoint with its client authentication.
async fn post_token(
    reg: &impl Registration,
    secret: Option<&str>,
    mut form: Vec<(&str, String)>,
) -> Result<TokenResponse, UpstreamError> {
    let url = reg.token_url();
    let mut req = client().post(url).header(http::header::ACCEPT, "application/json");
    match secret {
        Some(secret) if reg.client_auth_method() == "client_secret_basic" => {
            req = req.basic_auth(form_encode(reg.client_id()), Some(form_encode(secret)));
        }
        Some(secret) => {
            form.push(("client_id", reg.client_id().to_owned()));
            form.push(("client_secret", secret.to_owned()));
        }
        None => form.push(("client_id", reg.client_id().to_owned())),
    }
    let res = req
        .form(&form)
        .send()
        .await
        .map_err(|e| UpstreamError::Unreachable { url: url.to_owned(), reason: super::without_url(&e) })?;
    read_json(url, res).await
}

/// Exchanges an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.5).
pub async fn exchange_code(
    reg: &impl Registration,
    secret: Option<&str>,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> Result<TokenResponse, UpstreamError> {
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.to_owned()),
        ("redirect_uri", redirect_uri.to_owned()),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v.to_owned()));
    }
    post_token(reg, secret, form).await
}

/// Refreshes an access token (RFC 6749 §6).
pub async fn refresh(
    reg: &impl Registration,
    secret: Option<&str>,
    refresh_token: &str,
) -> Result<TokenResponse, UpstreamError> {
    post_token(
        reg,
        secret,
        vec![("grant_type", "refresh_token".to_owned()), ("refresh_token", refresh_token.to_owned())],
    )
    .await
}

/// A token for the client itself (RFC 6749 §4.4); `scope` is sent when not empty.
pub async fn client_credentials(
    reg: &impl Registration,
    secret: Option<&str>,
    scope: &str,
) -> Result<TokenResponse, UpstreamError> {
    let mut form = vec![("grant_type", "client_credentials".to_owned())];
    if !scope.is_empty() {
        form.push(("scope", scope.to_owned()));
    }
    post_token(reg, secret, form).await
}

/// The provider's userinfo for `access_token` (a JSON object).
pub async fn userinfo(url: &str, access_token: &str) -> Result<Map<String, Value>, UpstreamError> {
    let res = client()
        .get(url)
        .bearer_auth(access_token)
        .header(http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| UpstreamError::Unreachable { url: url.to_owned(), reason: super::without_url(&e) })?;
    read_json(url, res).await
}
