//! `/users…`: Keycloak's `UserRepresentation` over realm users, with paging (`first`/`max`),
//! `count`, creation with a password credential, `reset-password`, and role mappings. A
//! client's service account answers at the id `service-account-user` gave (the client's id):
//! its role mappings are the service account's roles.

use super::{auth::ApiActor, error::ApiError};
use crate::{
    manage::{
        service_account::RoleRef,
        user::{NewUser, UserChanges},
        Actor, ManageError,
    },
    state::AppState,
    store::{
        self,
        roles::OwnedRole,
        users::{UserQuery, UserRow},
    },
};
use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

fn representation(u: &UserRow) -> Value {
    json!({
        "id": u.id,
        "username": u.username,
        "enabled": u.enabled,
        "email": u.email,
        "emailVerified": u.email_verified,
        "firstName": u.first_name,
        "lastName": u.last_name,
        "attributes": {},
        "createdTimestamp": u.created_at * 1000,
        "totp": false,
        "disableableCredentialTypes": [],
        "requiredActions": [],
        "notBefore": 0,
        "access": { "manageGroupMembership": true, "view": true, "mapRoles": true, "impersonate": false, "manage": true },
    })
}

fn flag(q: &HashMap<String, String>, k: &str) -> bool {
    q.get(k).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn query_of(q: &HashMap<String, String>) -> UserQuery {
    let text = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
    UserQuery { username: text("username"), email: text("email"), any: text("search"), exact: flag(q, "exact") }
}

/// `GET /users?username=&email=&search=&exact=&first=&max=`.
pub async fn list(
    State(state): State<AppState>,
    Path(realm): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    let number = |k: &str, d: i64| q.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
    let (_, users) =
        state.manager.search_users(&realm, &query_of(&q), number("first", 0), number("max", 100), &actor).await?;
    Ok(Json(users.iter().map(representation).collect()))
}

/// `GET /users/count`: a bare number.
pub async fn count(
    State(state): State<AppState>,
    Path(realm): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(actor): ApiActor,
) -> Result<Json<i64>, ApiError> {
    Ok(Json(state.manager.count_users(&realm, &query_of(&q), &actor).await?))
}

fn text(rep: &Value, k: &str) -> Option<String> {
    rep.get(k).and_then(Value::as_str).map(str::to_owned)
}

/// The password of a `credentials` list (`[{"type": "password", "value": …}]`).
fn password_of(rep: &Value) -> Option<String> {
    rep.get("credentials")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == "password")?
        .get("value")?
        .as_str()
        .map(str::to_owned)
}

/// `POST /users`: 201, `Location: …/users/{id}`.
pub async fn create(
    State(state): State<AppState>,
    Path(realm): Path<String>,
    ApiActor(actor): ApiActor,
    Json(rep): Json<Value>,
) -> Result<Response, ApiError> {
    let username = text(&rep, "username").unwrap_or_default().to_lowercase();
    let req = NewUser {
        realm: realm.clone(),
        username: username.clone(),
        email: text(&rep, "email").filter(|e| !e.is_empty()),
        first_name: text(&rep, "firstName").unwrap_or_default(),
        last_name: text(&rep, "lastName").unwrap_or_default(),
        email_verified: rep.get("emailVerified").and_then(Value::as_bool).unwrap_or(false),
        disabled: rep.get("enabled").and_then(Value::as_bool) == Some(false),
        ..Default::default()
    };
    let id = match state.manager.create_user_with(req, password_of(&rep), &actor).await {
        Err(ManageError::Conflict(_)) => return Err(ApiError::conflict("User exists with same username")),
        other => other?,
    };
    let location = format!("{}/admin/realms/{realm}/users/{id}", state.public_url);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

/// `GET /users/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(representation(&state.manager.user_by_id(&realm, &id, &actor).await?)))
}

/// `PUT /users/{id}`: a partial merge, 204.
pub async fn update(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
    Json(rep): Json<Value>,
) -> Result<StatusCode, ApiError> {
    let changes = UserChanges {
        email: rep.get("email").map(|e| e.as_str().filter(|e| !e.is_empty()).map(str::to_owned)),
        email_verified: rep.get("emailVerified").and_then(Value::as_bool),
        first_name: text(&rep, "firstName"),
        last_name: text(&rep, "lastName"),
        enabled: rep.get("enabled").and_then(Value::as_bool),
    };
    state.manager.update_user(&realm, &id, changes, &actor).await?;
    if let Some(password) = password_of(&rep) {
        state.manager.set_password(&realm, &id, password, &actor).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /users/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
) -> Result<StatusCode, ApiError> {
    state.manager.delete_user(&realm, &id, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /users/{id}/reset-password` with `{"type": "password", "value": …}`: 204.
pub async fn reset_password(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
    Json(rep): Json<Value>,
) -> Result<StatusCode, ApiError> {
    let password = text(&rep, "value").ok_or_else(|| ApiError::bad_request("a password value is required"))?;
    state.manager.set_password(&realm, &id, password, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whose role mappings a path's `{id}` names: a user, or a client's service account.
enum Holder {
    User(UserRow),
    ServiceAccount { client_id: String, client_pk: String },
}

impl Holder {
    async fn of(state: &AppState, realm: &str, id: &str, actor: &Actor) -> Result<Self, ApiError> {
        match state.manager.user_by_id(realm, id, actor).await {
            Ok(u) => return Ok(Holder::User(u)),
            Err(ManageError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let realm_row = state.manager.realm_row(realm).await?;
        let mut conn = state.db.conn().await?;
        let client = store::clients::by_pk(&mut conn, id)
            .await?
            .filter(|c| {
                c.realm_id == realm_row.id && c.grant_types.split_whitespace().any(|g| g == "client_credentials")
            })
            .ok_or_else(|| ApiError::not_found("User not found"))?;
        Ok(Holder::ServiceAccount { client_id: client.client_id, client_pk: client.id })
    }

    async fn direct(&self, state: &AppState) -> Result<Vec<OwnedRole>, ApiError> {
        let mut conn = state.db.conn().await?;
        Ok(match self {
            Holder::User(u) => store::roles::direct_of_user(&mut conn, &u.id).await?,
            Holder::ServiceAccount { client_pk, .. } => {
                store::roles::direct_of_service_account(&mut conn, client_pk).await?
            }
        })
    }

    async fn set(
        &self,
        state: &AppState,
        realm: &str,
        roles: Vec<RoleRef>,
        grant: bool,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        if roles.is_empty() {
            return Ok(());
        }
        match self {
            Holder::User(u) => {
                let realm_roles: Vec<String> =
                    roles.iter().filter(|r| r.client_id.is_none()).map(|r| r.name.clone()).collect();
                let client_roles: Vec<(String, String)> =
                    roles.into_iter().filter_map(|r| r.client_id.map(|c| (c, r.name))).collect();
                state.manager.set_user_roles(realm, &u.username, &realm_roles, &client_roles, grant, actor).await?;
            }
            Holder::ServiceAccount { client_id, .. } => {
                state.manager.set_service_account_roles(realm, client_id, &roles, grant, actor).await?;
            }
        }
        Ok(())
    }
}

fn role_rep(r: &OwnedRole, container: &str) -> Value {
    json!({
        "id": r.id, "name": r.name, "description": r.description, "composite": false,
        "clientRole": r.client_id.is_some(), "containerId": container,
    })
}

/// The roles a mapping request names, checked against the realm's (or the client's) roles:
/// each must carry its `name`, and an `id` that matches it when given (Keycloak's rule).
async fn wanted(
    state: &AppState,
    realm: &str,
    client_id: Option<&str>,
    body: &Value,
    actor: &Actor,
) -> Result<Vec<RoleRef>, ApiError> {
    let roles = state.manager.list_roles(realm, client_id, actor).await?;
    let items = body.as_array().ok_or_else(|| ApiError::bad_request("a list of roles is expected"))?;
    items
        .iter()
        .map(|item| {
            let name = item.get("name").and_then(Value::as_str).ok_or_else(|| ApiError::not_found("Role not found"))?;
            let role = roles.iter().find(|r| r.name == name).ok_or_else(|| ApiError::not_found("Role not found"))?;
            if item.get("id").and_then(Value::as_str).is_some_and(|id| id != role.id) {
                return Err(ApiError::not_found("Role not found"));
            }
            Ok(RoleRef { client_id: client_id.map(str::to_owned), name: role.name.clone() })
        })
        .collect()
}

/// `GET /users/{id}/role-mappings`.
pub async fn mappings(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Value>, ApiError> {
    let holder = Holder::of(&state, &realm, &id, &actor).await?;
    let realm_id = state.manager.realm_row(&realm).await?.id;
    let direct = holder.direct(&state).await?;
    let mut out = Map::new();
    let realm_roles: Vec<Value> =
        direct.iter().filter(|r| r.client_id.is_none()).map(|r| role_rep(r, &realm_id)).collect();
    if !realm_roles.is_empty() {
        out.insert("realmMappings".into(), json!(realm_roles));
    }
    let mut clients = Map::new();
    let mut conn = state.db.conn().await?;
    for r in direct.iter().filter(|r| r.client_id.is_some()) {
        let cid = r.client_id.clone().unwrap_or_default();
        let pk = store::clients::by_client_id(&mut conn, &realm_id, &cid).await?.map(|c| c.id).unwrap_or_default();
        let entry = clients.entry(cid.clone()).or_insert_with(|| json!({ "id": pk, "client": cid, "mappings": [] }));
        if let Some(list) = entry["mappings"].as_array_mut() {
            list.push(role_rep(r, &pk));
        }
    }
    if !clients.is_empty() {
        out.insert("clientMappings".into(), Value::Object(clients));
    }
    Ok(Json(Value::Object(out)))
}

/// The client id of `client_pk` (a path's client), or 404 `Client not found`.
async fn client_of(state: &AppState, realm: &str, client_pk: &str, actor: &Actor) -> Result<String, ApiError> {
    super::clients::client_id_of(state, realm, client_pk, actor).await.map_err(|e| match e.status() {
        StatusCode::NOT_FOUND => ApiError::not_found("Client not found"),
        _ => e,
    })
}

async fn list_for(
    state: &AppState,
    realm: &str,
    id: &str,
    client: Option<&str>,
    actor: &Actor,
) -> Result<Json<Vec<Value>>, ApiError> {
    let holder = Holder::of(state, realm, id, actor).await?;
    let realm_id = state.manager.realm_row(realm).await?.id;
    let client_id = match client {
        Some(pk) => Some(client_of(state, realm, pk, actor).await?),
        None => None,
    };
    let container = client.unwrap_or(&realm_id).to_owned();
    let direct = holder.direct(state).await?;
    Ok(Json(direct.iter().filter(|r| r.client_id == client_id).map(|r| role_rep(r, &container)).collect()))
}

async fn change_for(
    state: &AppState,
    realm: &str,
    id: &str,
    client: Option<&str>,
    body: &Value,
    grant: bool,
    actor: &Actor,
) -> Result<StatusCode, ApiError> {
    let holder = Holder::of(state, realm, id, actor).await?;
    let client_id = match client {
        Some(pk) => Some(client_of(state, realm, pk, actor).await?),
        None => None,
    };
    let roles = wanted(state, realm, client_id.as_deref(), body, actor).await?;
    // Taking away a role the holder does not have is no error in Keycloak.
    let roles = match grant {
        true => roles,
        false => {
            let held = holder.direct(state).await?;
            roles.into_iter().filter(|r| held.iter().any(|h| h.name == r.name && h.client_id == r.client_id)).collect()
        }
    };
    holder.set(state, realm, roles, grant, actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /users/{id}/role-mappings/realm`.
pub async fn realm_list(
    State(s): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    list_for(&s, &realm, &id, None, &a).await
}

/// `POST /users/{id}/role-mappings/realm` with `RoleRepresentation[]`: 204.
pub async fn realm_add(
    State(s): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(a): ApiActor,
    Json(body): Json<Value>,
) -> Result<StatusCode, ApiError> {
    change_for(&s, &realm, &id, None, &body, true, &a).await
}

/// `DELETE /users/{id}/role-mappings/realm` with `RoleRepresentation[]`: 204.
pub async fn realm_remove(
    State(s): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(a): ApiActor,
    Json(body): Json<Value>,
) -> Result<StatusCode, ApiError> {
    change_for(&s, &realm, &id, None, &body, false, &a).await
}

/// `GET /users/{id}/role-mappings/clients/{client}`.
pub async fn client_list(
    State(s): State<AppState>,
    Path((realm, id, client)): Path<(String, String, String)>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    list_for(&s, &realm, &id, Some(&client), &a).await
}

/// `POST /users/{id}/role-mappings/clients/{client}`: 204.
pub async fn client_add(
    State(s): State<AppState>,
    Path((realm, id, client)): Path<(String, String, String)>,
    ApiActor(a): ApiActor,
    Json(body): Json<Value>,
) -> Result<StatusCode, ApiError> {
    change_for(&s, &realm, &id, Some(&client), &body, true, &a).await
}

/// `DELETE /users/{id}/role-mappings/clients/{client}`: 204.
pub async fn client_remove(
    State(s): State<AppState>,
    Path((realm, id, client)): Path<(String, String, String)>,
    ApiActor(a): ApiActor,
    Json(body): Json<Value>,
) -> Result<StatusCode, ApiError> {
    change_for(&s, &realm, &id, Some(&client), &body, false, &a).await
}

/// `GET /users/{id}/sessions`: the user's open sessions.
pub async fn sessions(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    let (user, sessions) = state.manager.user_sessions(&realm, &id, &actor).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|(s, clients)| {
                let clients: Map<String, Value> = clients.into_iter().map(|(pk, cid)| (pk, json!(cid))).collect();
                json!({
                    "id": s.id,
                    "username": user.username,
                    "userId": user.id,
                    "ipAddress": s.ip,
                    "start": s.created_at * 1000,
                    "lastAccess": s.last_seen_at * 1000,
                    "rememberMe": false,
                    "clients": clients,
                })
            })
            .collect(),
    ))
}

/// `POST /users/{id}/logout`: every session of the user ends, 204.
pub async fn logout(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
) -> Result<StatusCode, ApiError> {
    state.manager.log_out(&realm, Some(&id), &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /attack-detection/brute-force/users/{id}`.
pub async fn brute_force_status(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Value>, ApiError> {
    let counter = state.manager.login_failures(&realm, &id, &actor).await?;
    let now = state.now();
    Ok(Json(match counter {
        Some(f) => json!({
            "numFailures": f.failures,
            "disabled": f.locked_until.is_some_and(|t| t > now),
            "lastIPFailure": "n/a",
            "lastFailure": f.last_failure * 1000,
        }),
        None => json!({ "numFailures": 0, "disabled": false, "lastIPFailure": "n/a", "lastFailure": 0 }),
    }))
}

/// `DELETE /attack-detection/brute-force/users/{id}`: the account is unlocked, 204.
pub async fn unlock(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
) -> Result<StatusCode, ApiError> {
    state.manager.unlock(&realm, Some(&id), &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /attack-detection/brute-force/users`: every account of the realm is unlocked, 204.
pub async fn unlock_all(
    State(state): State<AppState>,
    Path(realm): Path<String>,
    ApiActor(actor): ApiActor,
) -> Result<StatusCode, ApiError> {
    state.manager.unlock(&realm, None, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The roles a holder has in effect (composites expanded), of the realm or of `client_id`.
async fn effective(state: &AppState, holder: &Holder) -> Result<Vec<store::roles::GrantedRole>, ApiError> {
    let mut conn = state.db.conn().await?;
    Ok(match holder {
        Holder::User(u) => store::roles::of_user(&mut conn, &u.id).await?,
        Holder::ServiceAccount { client_pk, .. } => store::roles::of_service_account(&mut conn, client_pk).await?,
    })
}

/// `…/role-mappings/realm/available` and `…/composite`, and the same for a client's roles:
/// the roles not held directly, or every role held in effect.
async fn derived(
    state: &AppState,
    realm: &str,
    id: &str,
    client: Option<&str>,
    composite: bool,
    actor: &Actor,
) -> Result<Json<Vec<Value>>, ApiError> {
    let holder = Holder::of(state, realm, id, actor).await?;
    let realm_id = state.manager.realm_row(realm).await?.id;
    let client_id = match client {
        Some(pk) => Some(client_of(state, realm, pk, actor).await?),
        None => None,
    };
    let container = client.unwrap_or(&realm_id).to_owned();
    let roles = state.manager.list_roles(realm, client_id.as_deref(), actor).await?;
    let keep: Box<dyn Fn(&str) -> bool> = match composite {
        true => {
            let held = effective(state, &holder).await?;
            Box::new(move |name| held.iter().any(|g| g.name == name && g.client_id == client_id))
        }
        false => {
            let direct = holder.direct(state).await?;
            Box::new(move |name| !direct.iter().any(|d| d.name == name && d.client_id == client_id))
        }
    };
    Ok(Json(
        roles
            .iter()
            .filter(|r| keep(&r.name))
            .map(|r| {
                json!({
                    "id": r.id, "name": r.name, "description": r.description, "composite": false,
                    "clientRole": client.is_some(), "containerId": container,
                })
            })
            .collect(),
    ))
}

/// `GET /users/{id}/role-mappings/realm/available`.
pub async fn realm_available(
    State(s): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    derived(&s, &realm, &id, None, false, &a).await
}

/// `GET /users/{id}/role-mappings/realm/composite`.
pub async fn realm_composite(
    State(s): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    derived(&s, &realm, &id, None, true, &a).await
}

/// `GET /users/{id}/role-mappings/clients/{client}/available`.
pub async fn client_available(
    State(s): State<AppState>,
    Path((realm, id, client)): Path<(String, String, String)>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    derived(&s, &realm, &id, Some(&client), false, &a).await
}

/// `GET /users/{id}/role-mappings/clients/{client}/composite`.
pub async fn client_composite(
    State(s): State<AppState>,
    Path((realm, id, client)): Path<(String, String, String)>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    derived(&s, &realm, &id, Some(&client), true, &a).await
}
