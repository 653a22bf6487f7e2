//! Keycloak's representations, as the handlers read and write them. Each derives `ToSchema`,
//! so the OpenAPI document (`openapi`) describes exactly what is served. Every field is
//! optional: a request carries what it changes (partial-merge `PUT`), an answer what it knows.
//! Reading is as lenient as Keycloak's clients are: booleans may come as `"true"`, seconds
//! as floats, attribute values as bare numbers.

use axum::{
    extract::{FromRequest, Request},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;

/// A JSON body; a malformed one is a 400 with Keycloak's body (not axum's plain text).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(ApiError::bad_request(e.body_text())),
        }
    }
}

/// A boolean, or Keycloak's string form of one.
pub(super) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    })
}

/// Whole seconds from any JSON number (Keycloak's console sends `Date.now() / 1000`).
fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.and_then(|v| v.as_f64()).map(|v| v as i64))
}

/// One value of Keycloak's `attributes` string map (numbers and booleans sent bare are taken
/// as their text; `null` as empty).
#[derive(Debug, Clone, PartialEq, Eq, ToSchema)]
#[schema(value_type = String)]
pub struct Attribute(pub String);

impl Serialize for Attribute {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Attribute {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Attribute(match Value::deserialize(d)? {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        }))
    }
}

/// Keycloak's `attributes`: names to strings.
pub type Attributes = BTreeMap<String, Attribute>;

/// Reads attribute `name`, if sent.
pub fn attribute(attributes: &Option<Attributes>, name: &str) -> Option<String> {
    attributes.as_ref()?.get(name).map(|a| a.0.clone())
}

/// A number from the query (`first`, `max`, …), or `default` when absent or not a number,
/// as Keycloak's paging is lenient.
pub fn query_number<T: std::str::FromStr>(q: &HashMap<String, String>, key: &str, default: T) -> T {
    q.get(key).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Keycloak's answer to a create: 201 with `Location` naming the new object, and no body.
pub fn created(location: String) -> Response {
    (StatusCode::CREATED, [(header::LOCATION, location)]).into_response()
}

/// Keycloak's `RealmRepresentation` (the fields Portcullis keeps).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RealmRepresentation {
    pub id: Option<String>,
    /// The realm's name (its URL segment).
    pub realm: Option<String>,
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub enabled: Option<bool>,
    pub ssl_required: Option<String>,
    /// Tokens issued before this time (seconds since the epoch) are rejected; 0 = none.
    #[serde(default, deserialize_with = "seconds")]
    pub not_before: Option<i64>,
    #[serde(default, deserialize_with = "seconds")]
    pub access_token_lifespan: Option<i64>,
    #[serde(default, deserialize_with = "seconds")]
    pub access_code_lifespan: Option<i64>,
    #[serde(default, deserialize_with = "seconds")]
    pub sso_session_idle_timeout: Option<i64>,
    #[serde(default, deserialize_with = "seconds")]
    pub sso_session_max_lifespan: Option<i64>,
    #[serde(rename = "oauth2DeviceCodeLifespan", default, deserialize_with = "seconds")]
    pub device_code_lifespan: Option<i64>,
    #[serde(rename = "oauth2DevicePollingInterval", default, deserialize_with = "seconds")]
    pub device_polling_interval: Option<i64>,
    #[serde(default, deserialize_with = "flag")]
    pub brute_force_protected: Option<bool>,
    pub failure_factor: Option<i64>,
    pub default_signature_algorithm: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub revoke_refresh_token: Option<bool>,
    /// Portcullis's switches: `oauthClientsEnabled`, `retrievableClientSecrets` (`"true"`/`"false"`).
    pub attributes: Option<Attributes>,
}

/// What the caller may do with an object (Keycloak's `access`).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Access {
    pub view: bool,
    pub configure: bool,
    pub manage: bool,
}

/// Keycloak's `ClientRepresentation`. `id` is the internal id used in paths; `clientId` is
/// what the client sends. The flow switches choose its grant types; `attributes` carries
/// `access.token.lifespan`, `pkce.code.challenge.method`, `post.logout.redirect.uris` (`##`
/// between URIs), `oauth2.device.authorization.grant.enabled`, `use.refresh.tokens` and
/// `client.secret.creation.time`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientRepresentation {
    pub id: Option<String>,
    pub client_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    pub public_client: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    pub bearer_only: Option<bool>,
    pub client_authenticator_type: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    /// Origins allowed to call the protocol endpoints from a browser; `+` = the redirect URIs' origins.
    pub web_origins: Option<Vec<String>>,
    #[serde(default, deserialize_with = "flag")]
    pub standard_flow_enabled: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    pub implicit_flow_enabled: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    pub direct_access_grants_enabled: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    pub service_accounts_enabled: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    pub consent_required: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    pub full_scope_allowed: Option<bool>,
    pub protocol: Option<String>,
    /// Tokens of this client issued before this time (seconds since the epoch) are rejected.
    #[serde(default, deserialize_with = "seconds")]
    pub not_before: Option<i64>,
    pub attributes: Option<Attributes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_client_scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optional_client_scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub access: Option<Access>,
}

/// Keycloak's `CredentialRepresentation`: a password (`type: "password"`) or a client secret
/// (`type: "secret"`; `value` only where the secret is shown or kept retrievable).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialRepresentation {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, deserialize_with = "flag", skip_serializing_if = "Option::is_none")]
    pub temporary: Option<bool>,
}

/// Keycloak's `RoleRepresentation`. In a role-mapping request each item names a role by
/// `name` (and `id`, which must then match).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleRepresentation {
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub composite: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    pub client_role: Option<bool>,
    /// The realm's id, or the client's internal id.
    pub container_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<BTreeMap<String, Vec<String>>>,
}

/// Keycloak's `ClientScopeRepresentation`. A client's default and optional scopes list only
/// `id` and `name`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientScopeRepresentation {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// `consent.screen.text` is taken as the description when `description` is absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
}

/// Keycloak's `UserRepresentation`. A client's service account is a user too
/// (`serviceAccountClientId`). `credentials` (on create or update) may carry a password.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserRepresentation {
    pub id: Option<String>,
    pub username: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub enabled: Option<bool>,
    /// `""` on update removes it.
    pub email: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub email_verified: Option<bool>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub attributes: Option<BTreeMap<String, Vec<String>>>,
    /// Milliseconds since the epoch.
    pub created_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_actions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disableable_credential_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account_client_id: Option<String>,
    #[serde(skip_serializing)]
    pub credentials: Option<Vec<CredentialRepresentation>>,
    #[serde(skip_serializing_if = "Option::is_none", skip_deserializing)]
    #[schema(value_type = Option<Object>)]
    pub access: Option<Value>,
}

impl UserRepresentation {
    /// The password among `credentials`, if one was sent.
    pub fn password(&self) -> Option<String> {
        self.credentials.as_ref()?.iter().find(|c| c.kind.as_deref() == Some("password"))?.value.clone()
    }

    /// Whether the password among `credentials` was sent as `temporary` (`false` if not said).
    pub fn password_temporary(&self) -> bool {
        let credentials = self.credentials.iter().flatten();
        credentials.filter(|c| c.kind.as_deref() == Some("password")).any(|c| c.temporary == Some(true))
    }
}

/// Keycloak's `UserSessionRepresentation`. Times are milliseconds since the epoch; `clients`
/// maps internal client ids to client ids.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserSessionRepresentation {
    pub id: String,
    pub username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    pub start: i64,
    pub last_access: i64,
    pub remember_me: bool,
    pub clients: BTreeMap<String, String>,
}

/// A client's roles held by a user (Keycloak's `ClientMappingsRepresentation`).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct ClientMappingsRepresentation {
    /// The client's internal id.
    pub id: String,
    /// The client's id.
    pub client: String,
    pub mappings: Vec<RoleRepresentation>,
}

/// Keycloak's `MappingsRepresentation`: the roles held directly, by owner.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MappingsRepresentation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm_mappings: Option<Vec<RoleRepresentation>>,
    /// Keyed by client id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_mappings: Option<BTreeMap<String, ClientMappingsRepresentation>>,
}

/// A user's sign-in failures (Keycloak's brute-force status).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BruteForceStatus {
    pub num_failures: i64,
    /// Whether the account is locked now.
    pub disabled: bool,
    #[serde(rename = "lastIPFailure")]
    pub last_ip_failure: String,
    /// Milliseconds since the epoch; 0 = never.
    pub last_failure: i64,
}

/// Keycloak's `GlobalRequestResult` (Portcullis has no adapters to push to: both empty).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GlobalRequestResult {
    pub success_requests: Vec<String>,
    pub failed_requests: Vec<String>,
}

/// `{"count": n}`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct Count {
    pub count: i64,
}

/// The server's version and time (`systemInfo` of `/admin/serverinfo`).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemInfo {
    pub version: String,
    /// Seconds since the epoch.
    pub server_time: i64,
    pub uptime_millis: i64,
}

/// `profileInfo` of `/admin/serverinfo`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileInfo {
    pub name: String,
    pub disabled_features: Vec<String>,
    pub preview_features: Vec<String>,
    pub experimental_features: Vec<String>,
}

/// `/admin/serverinfo`: the fields scripts read; the provider catalogues are empty.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    pub system_info: SystemInfo,
    pub profile_info: ProfileInfo,
    #[schema(value_type = Object)]
    pub builtin_protocol_mappers: Value,
    #[schema(value_type = Object)]
    pub client_installations: Value,
    #[schema(value_type = Object)]
    pub component_types: Value,
    #[schema(value_type = Vec<Object>)]
    pub password_policies: Value,
    #[schema(value_type = Object)]
    pub enums: Value,
    #[schema(value_type = Object)]
    pub themes: Value,
    #[schema(value_type = Object)]
    pub providers: Value,
    #[schema(value_type = Object)]
    pub protocol_mapper_types: Value,
    #[schema(value_type = Vec<Object>)]
    pub identity_providers: Value,
    #[schema(value_type = Vec<Object>)]
    pub client_importers: Value,
}

/// A project (Portcullis): a group of clients an administrator can be given.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRepresentation {
    /// Chosen on create, or made from the name.
    pub id: Option<String>,
    pub name: Option<String>,
    /// At most 255 characters.
    pub description: Option<String>,
    /// Milliseconds since the epoch.
    pub created_timestamp: Option<i64>,
}

/// One entry of the audit log (Portcullis): who changed what, when.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventRepresentation {
    pub id: i64,
    /// Milliseconds since the epoch.
    pub time: i64,
    /// What happened, e.g. `client.create`.
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: String,
    pub client_id: Option<String>,
    pub subject: Option<String>,
    pub ip_address: Option<String>,
    #[schema(value_type = Object)]
    pub details: Value,
}

/// Tokens issued in one interval, by client and grant (Portcullis).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenIssuance {
    /// The interval's start, milliseconds since the epoch.
    pub time: i64,
    pub client_id: String,
    /// The grant, e.g. `client_credentials`.
    pub grant_type: String,
    pub count: i64,
}

/// Keycloak's error bodies: `error` for 400, 401, 403 and 404 (and 500, with
/// `error_description`), `errorMessage` for 409.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct ErrorRepresentation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(rename = "errorMessage", skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// `{realm}`: a realm's name.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RealmPath {
    /// The realm's name.
    pub realm: String,
}

/// `{realm}` and `{id}`, a client's internal id (not its `clientId`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ClientPath {
    /// The realm's name.
    pub realm: String,
    /// The client's internal id (`id` of its representation).
    pub id: String,
}

/// `{realm}`, `{id}` (a client's internal id) and `{name}`, one of its roles.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ClientRolePath {
    /// The realm's name.
    pub realm: String,
    /// The client's internal id.
    pub id: String,
    /// The role's name.
    pub name: String,
}

/// `{realm}`, `{id}` (a client's internal id) and `{scope}`, a client scope's id.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ClientScopePath {
    /// The realm's name.
    pub realm: String,
    /// The client's internal id.
    pub id: String,
    /// The client scope's id.
    pub scope: String,
}

/// `{realm}` and `{name}`, a realm role.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RolePath {
    /// The realm's name.
    pub realm: String,
    /// The role's name.
    pub name: String,
}

/// `{realm}` and `{id}`, the id of a role, a client scope or a project.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// The realm's name.
    pub realm: String,
    /// The object's id.
    pub id: String,
}

/// `{realm}` and `{id}`, a user (or a client's service account, by the client's internal id).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// The realm's name.
    pub realm: String,
    /// The user's id, or a client's internal id for its service account.
    pub id: String,
}

/// `{realm}`, `{id}` (a user) and `{client}`, a client's internal id.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserClientPath {
    /// The realm's name.
    pub realm: String,
    /// The user's id, or a client's internal id for its service account.
    pub id: String,
    /// The internal id of the client whose roles are meant.
    pub client: String,
}
