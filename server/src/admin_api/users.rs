//! `/users…`: Keycloak's `UserRepresentation` over realm users, with paging (`first`/`max`),
//! `count`, creation with a password credential, `reset-password`, and role mappings. A
//! client's service account answers at the id `service-account-user` gave (the client's id):
//! its role mappings are the service account's roles.

use super::{
    auth::ApiActor,
    error::ApiError,
    model::{
        created, query_number, ApiJson, BruteForceStatus, ClientMappingsRepresentation, CredentialRepresentation,
        ErrorRepresentation, MappingsRepresentation, RealmPath, RoleRepresentation, UserClientPath, UserPath,
        UserRepresentation, UserSessionRepresentation,
    },
    roles::representation as role_representation,
};
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
    http::StatusCode,
    response::Response,
    Json,
};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

fn representation(u: &UserRow) -> UserRepresentation {
    UserRepresentation {
        id: Some(u.id.clone()),
        username: Some(u.username.clone()),
        enabled: Some(u.enabled),
        email: u.email.clone(),
        email_verified: Some(u.email_verified),
        first_name: Some(u.first_name.clone()),
        last_name: Some(u.last_name.clone()),
        attributes: Some(BTreeMap::new()),
        created_timestamp: Some(u.created_at * 1000),
        totp: Some(false),
        disableable_credential_types: Some(vec![]),
        required_actions: Some(required_actions(u)),
        not_before: Some(0),
        access: Some(json!({
            "manageGroupMembership": true, "view": true, "mapRoles": true, "impersonate": false, "manage": true
        })),
        ..Default::default()
    }
}

/// Keycloak's required action for a temporary password.
const UPDATE_PASSWORD: &str = "UPDATE_PASSWORD";

/// What the user must do at the next sign-in: `UPDATE_PASSWORD` while the password is
/// temporary (the only required action Portcullis has).
fn required_actions(u: &UserRow) -> Vec<String> {
    match u.password_temporary {
        true => vec![UPDATE_PASSWORD.to_owned()],
        false => vec![],
    }
}

fn flag(q: &HashMap<String, String>, k: &str) -> bool {
    q.get(k).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn query_of(q: &HashMap<String, String>) -> UserQuery {
    let text = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
    UserQuery { username: text("username"), email: text("email"), any: text("search"), exact: flag(q, "exact") }
}

/// Users, found and paged (`query-users`)
#[utoipa::path(get, path = "/users", tag = "Users",
    params(RealmPath, ("username" = Option<String>, Query, description = "A part of the username (all of it with `exact=true`)"),
        ("email" = Option<String>, Query, description = "A part of the email address (all of it with `exact=true`)"),
        ("search" = Option<String>, Query, description = "A part of the username, email or name"),
        ("exact" = Option<bool>, Query, description = "Match `username` and `email` exactly"),
        ("first" = Option<i64>, Query, description = "How many to skip"),
        ("max" = Option<i64>, Query, description = "How many at most (100 by default)")),
    responses((status = 200, body = Vec<UserRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn list(
    State(state): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<UserRepresentation>>, ApiError> {
    let (_, users) = state
        .manager
        .search_users(&realm, &query_of(&q), query_number(&q, "first", 0), query_number(&q, "max", 100), &actor)
        .await?;
    Ok(Json(users.iter().map(representation).collect()))
}

/// How many users match (`query-users`): a bare number
#[utoipa::path(get, path = "/users/count", tag = "Users", params(RealmPath, ("username" = Option<String>, Query, description = "A part of the username (all of it with `exact=true`)"),
        ("email" = Option<String>, Query, description = "A part of the email address (all of it with `exact=true`)"),
        ("search" = Option<String>, Query, description = "A part of the username, email or name"),
        ("exact" = Option<bool>, Query, description = "Match `username` and `email` exactly")),
    responses((status = 200, body = i64), (status = 404, body = ErrorRepresentation)))]
pub async fn count(
    State(state): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(actor): ApiActor,
) -> Result<Json<i64>, ApiError> {
    Ok(Json(state.manager.count_users(&realm, &query_of(&q), &actor).await?))
}

/// Create a user, with a password among `credentials` (`manage-users`)
#[utoipa::path(post, path = "/users", tag = "Users", params(RealmPath), request_body = UserRepresentation,
    responses((status = 201, description = "Created; `Location` names it (`…/users/{id}`)"),
        (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation), (status = 409, body = ErrorRepresentation)))]
pub async fn create(
    State(state): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(actor): ApiActor,
    ApiJson(rep): ApiJson<UserRepresentation>,
) -> Result<Response, ApiError> {
    let username = rep.username.clone().unwrap_or_default().to_lowercase();
    let req = NewUser {
        realm: realm.clone(),
        username: username.clone(),
        email: rep.email.clone().filter(|e| !e.is_empty()),
        first_name: rep.first_name.clone().unwrap_or_default(),
        last_name: rep.last_name.clone().unwrap_or_default(),
        email_verified: rep.email_verified.unwrap_or(false),
        disabled: rep.enabled == Some(false),
        password_temporary: rep.password_temporary()
            || rep.required_actions.iter().flatten().any(|a| a == UPDATE_PASSWORD),
        ..Default::default()
    };
    let id = match state.manager.create_user_with(req, rep.password(), &actor).await {
        Err(ManageError::Conflict(_)) => return Err(ApiError::conflict("User exists with same username")),
        other => other?,
    };
    let location = format!("{}/admin/realms/{realm}/users/{id}", state.public_url);
    Ok(created(location))
}

/// A user (`view-users`)
#[utoipa::path(get, path = "/users/{id}", tag = "Users", params(UserPath),
    responses((status = 200, body = UserRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn get(
    State(state): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<UserRepresentation>, ApiError> {
    Ok(Json(representation(&state.manager.user_by_id(&realm, &id, &actor).await?)))
}

/// Change a user (`manage-users`)
///
/// A partial merge; `"email": ""` removes the address; a password among `credentials` is set.
#[utoipa::path(put, path = "/users/{id}", tag = "Users", params(UserPath), request_body = UserRepresentation,
    responses((status = 204, description = "Changed"), (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation),
        (status = 409, body = ErrorRepresentation)))]
pub async fn update(
    State(state): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(actor): ApiActor,
    ApiJson(rep): ApiJson<UserRepresentation>,
) -> Result<StatusCode, ApiError> {
    let password = rep.password();
    let temporary = rep.password_temporary();
    let changes = UserChanges {
        // An email sent empty removes it; one not sent stays.
        email: rep.email.map(|e| Some(e).filter(|e| !e.is_empty())),
        email_verified: rep.email_verified,
        first_name: rep.first_name,
        last_name: rep.last_name,
        enabled: rep.enabled,
        // Of Keycloak's required actions only UPDATE_PASSWORD means something here; others
        // are accepted and have no effect.
        password_temporary: rep.required_actions.as_ref().map(|a| a.iter().any(|a| a == UPDATE_PASSWORD)),
    };
    state.manager.update_user(&realm, &id, changes, &actor).await?;
    if let Some(password) = password {
        state.manager.set_password(&realm, &id, password, temporary, &actor).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a user (`manage-users`)
#[utoipa::path(delete, path = "/users/{id}", tag = "Users", params(UserPath),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorRepresentation)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(actor): ApiActor,
) -> Result<StatusCode, ApiError> {
    state.manager.delete_user(&realm, &id, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a user's password (`manage-users`)
///
/// `temporary` (by default `true`, as in Keycloak) makes the user choose a new password at the
/// next sign-in (`requiredActions: ["UPDATE_PASSWORD"]` until then); the password grant refuses
/// the account meanwhile.
#[utoipa::path(put, path = "/users/{id}/reset-password", tag = "Users", params(UserPath),
    request_body = CredentialRepresentation,
    responses((status = 204, description = "Set"), (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(actor): ApiActor,
    ApiJson(rep): ApiJson<CredentialRepresentation>,
) -> Result<StatusCode, ApiError> {
    let password = rep.value.ok_or_else(|| ApiError::bad_request("a password value is required"))?;
    // Keycloak's default: a reset password is temporary unless `temporary: false` is sent.
    let temporary = rep.temporary.unwrap_or(true);
    state.manager.set_password(&realm, &id, password, temporary, &actor).await?;
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

fn role_rep(r: &OwnedRole, container: &str) -> RoleRepresentation {
    role_representation(&r.id, &r.name, &r.description, r.client_id.is_some(), container)
}

/// The roles a mapping request names, checked against the realm's (or the client's) roles:
/// each must carry its `name`, and an `id` that matches it when given (Keycloak's rule).
async fn wanted(
    state: &AppState,
    realm: &str,
    client_id: Option<&str>,
    body: &[RoleRepresentation],
    actor: &Actor,
) -> Result<Vec<RoleRef>, ApiError> {
    let roles = state.manager.list_roles(realm, client_id, actor).await?;
    body.iter()
        .map(|item| {
            let name = item.name.as_deref().ok_or_else(|| ApiError::not_found("Role not found"))?;
            let role = roles.iter().find(|r| r.name == name).ok_or_else(|| ApiError::not_found("Role not found"))?;
            if item.id.as_deref().is_some_and(|id| id != role.id) {
                return Err(ApiError::not_found("Role not found"));
            }
            Ok(RoleRef { client_id: client_id.map(str::to_owned), name: role.name.clone() })
        })
        .collect()
}

/// The roles a user (or service account) holds directly, by owner (`view-users`)
#[utoipa::path(get, path = "/users/{id}/role-mappings", tag = "Role mappings", params(UserPath),
    responses((status = 200, body = MappingsRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn mappings(
    State(state): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<MappingsRepresentation>, ApiError> {
    let holder = Holder::of(&state, &realm, &id, &actor).await?;
    let realm_id = state.manager.realm_row(&realm).await?.id;
    let direct = holder.direct(&state).await?;
    let realm_roles: Vec<RoleRepresentation> =
        direct.iter().filter(|r| r.client_id.is_none()).map(|r| role_rep(r, &realm_id)).collect();
    let mut clients = BTreeMap::<String, ClientMappingsRepresentation>::new();
    let mut conn = state.db.conn().await?;
    for r in direct.iter() {
        let Some(cid) = r.client_id.clone() else { continue };
        if !clients.contains_key(&cid) {
            let pk = store::clients::by_client_id(&mut conn, &realm_id, &cid).await?.map(|c| c.id).unwrap_or_default();
            clients.insert(cid.clone(), ClientMappingsRepresentation { id: pk, client: cid.clone(), mappings: vec![] });
        }
        if let Some(entry) = clients.get_mut(&cid) {
            let rep = role_rep(r, &entry.id);
            entry.mappings.push(rep);
        }
    }
    Ok(Json(MappingsRepresentation {
        realm_mappings: Some(realm_roles).filter(|r| !r.is_empty()),
        client_mappings: Some(clients).filter(|c| !c.is_empty()),
    }))
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
) -> Result<Json<Vec<RoleRepresentation>>, ApiError> {
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
    body: &[RoleRepresentation],
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

/// The realm roles a user holds directly (`view-users`)
#[utoipa::path(get, path = "/users/{id}/role-mappings/realm", tag = "Role mappings", params(UserPath),
    responses((status = 200, body = Vec<RoleRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn realm_list(
    State(s): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<RoleRepresentation>>, ApiError> {
    list_for(&s, &realm, &id, None, &a).await
}

/// Grant realm roles (`manage-users`, and for admin roles every permission they carry)
///
/// Each role is named by `name` (and `id`, which must then match).
#[utoipa::path(post, path = "/users/{id}/role-mappings/realm", tag = "Role mappings", params(UserPath), request_body = Vec<RoleRepresentation>,
    responses((status = 204, description = "Granted"), (status = 404, body = ErrorRepresentation)))]
pub async fn realm_add(
    State(s): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(a): ApiActor,
    ApiJson(body): ApiJson<Vec<RoleRepresentation>>,
) -> Result<StatusCode, ApiError> {
    change_for(&s, &realm, &id, None, &body, true, &a).await
}

/// Take realm roles away (`manage-users`); roles not held are no error
#[utoipa::path(delete, path = "/users/{id}/role-mappings/realm", tag = "Role mappings", params(UserPath), request_body = Vec<RoleRepresentation>,
    responses((status = 204, description = "Taken away"), (status = 404, body = ErrorRepresentation)))]
pub async fn realm_remove(
    State(s): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(a): ApiActor,
    ApiJson(body): ApiJson<Vec<RoleRepresentation>>,
) -> Result<StatusCode, ApiError> {
    change_for(&s, &realm, &id, None, &body, false, &a).await
}

/// A client's roles a user holds directly (`view-users`)
#[utoipa::path(get, path = "/users/{id}/role-mappings/clients/{client}", tag = "Role mappings",
    params(UserClientPath), responses((status = 200, body = Vec<RoleRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn client_list(
    State(s): State<AppState>,
    Path(UserClientPath { realm, id, client }): Path<UserClientPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<RoleRepresentation>>, ApiError> {
    list_for(&s, &realm, &id, Some(&client), &a).await
}

/// Grant a client's roles (`manage-users`, and for admin roles every permission they carry)
#[utoipa::path(post, path = "/users/{id}/role-mappings/clients/{client}", tag = "Role mappings",
    params(UserClientPath), request_body = Vec<RoleRepresentation>, responses((status = 204, description = "Granted"), (status = 404, body = ErrorRepresentation)))]
pub async fn client_add(
    State(s): State<AppState>,
    Path(UserClientPath { realm, id, client }): Path<UserClientPath>,
    ApiActor(a): ApiActor,
    ApiJson(body): ApiJson<Vec<RoleRepresentation>>,
) -> Result<StatusCode, ApiError> {
    change_for(&s, &realm, &id, Some(&client), &body, true, &a).await
}

/// Take a client's roles away (`manage-users`); roles not held are no error
#[utoipa::path(delete, path = "/users/{id}/role-mappings/clients/{client}", tag = "Role mappings",
    params(UserClientPath), request_body = Vec<RoleRepresentation>, responses((status = 204, description = "Taken away"), (status = 404, body = ErrorRepresentation)))]
pub async fn client_remove(
    State(s): State<AppState>,
    Path(UserClientPath { realm, id, client }): Path<UserClientPath>,
    ApiActor(a): ApiActor,
    ApiJson(body): ApiJson<Vec<RoleRepresentation>>,
) -> Result<StatusCode, ApiError> {
    change_for(&s, &realm, &id, Some(&client), &body, false, &a).await
}

/// A user's open sessions (`view-users`)
#[utoipa::path(get, path = "/users/{id}/sessions", tag = "Users", params(UserPath),
    responses((status = 200, body = Vec<UserSessionRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn sessions(
    State(state): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<UserSessionRepresentation>>, ApiError> {
    let (user, sessions) = state.manager.user_sessions(&realm, &id, &actor).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|(s, clients)| UserSessionRepresentation {
                id: s.id,
                username: user.username.clone(),
                user_id: Some(user.id.clone()),
                ip_address: s.ip,
                start: s.created_at * 1000,
                last_access: s.last_seen_at * 1000,
                remember_me: false,
                clients: clients.into_iter().collect(),
            })
            .collect(),
    ))
}

/// End every session of a user (`manage-users`)
#[utoipa::path(post, path = "/users/{id}/logout", tag = "Users", params(UserPath),
    responses((status = 204, description = "Signed out"), (status = 404, body = ErrorRepresentation)))]
pub async fn logout(
    State(state): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(actor): ApiActor,
) -> Result<StatusCode, ApiError> {
    state.manager.log_out(&realm, Some(&id), &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's sign-in failures and whether the account is locked (`view-users`)
#[utoipa::path(get, path = "/attack-detection/brute-force/users/{id}", tag = "Attack detection", params(UserPath),
    responses((status = 200, body = BruteForceStatus), (status = 404, body = ErrorRepresentation)))]
pub async fn brute_force_status(
    State(state): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<BruteForceStatus>, ApiError> {
    let counter = state.manager.login_failures(&realm, &id, &actor).await?;
    let now = state.now();
    Ok(Json(match counter {
        Some(f) => BruteForceStatus {
            num_failures: f.failures,
            disabled: f.locked_until.is_some_and(|t| t > now),
            last_ip_failure: "n/a".into(),
            last_failure: f.last_failure * 1000,
        },
        None => BruteForceStatus { last_ip_failure: "n/a".into(), ..Default::default() },
    }))
}

/// Unlock a user's account (`manage-users`)
#[utoipa::path(delete, path = "/attack-detection/brute-force/users/{id}", tag = "Attack detection",
    params(UserPath), responses((status = 204, description = "Unlocked"), (status = 404, body = ErrorRepresentation)))]
pub async fn unlock(
    State(state): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(actor): ApiActor,
) -> Result<StatusCode, ApiError> {
    state.manager.unlock(&realm, Some(&id), &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlock every account of the realm (`manage-users`)
#[utoipa::path(delete, path = "/attack-detection/brute-force/users", tag = "Attack detection", params(RealmPath),
    responses((status = 204, description = "Unlocked"), (status = 404, body = ErrorRepresentation)))]
pub async fn unlock_all(
    State(state): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
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
) -> Result<Json<Vec<RoleRepresentation>>, ApiError> {
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
            .map(|r| role_representation(&r.id, &r.name, &r.description, client.is_some(), &container))
            .collect(),
    ))
}

/// The realm roles a user could be given: those not held directly (`view-users`)
#[utoipa::path(get, path = "/users/{id}/role-mappings/realm/available", tag = "Role mappings", params(UserPath),
    responses((status = 200, body = Vec<RoleRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn realm_available(
    State(s): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<RoleRepresentation>>, ApiError> {
    derived(&s, &realm, &id, None, false, &a).await
}

/// The realm roles a user holds in effect, composites expanded (`view-users`)
#[utoipa::path(get, path = "/users/{id}/role-mappings/realm/composite", tag = "Role mappings", params(UserPath),
    responses((status = 200, body = Vec<RoleRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn realm_composite(
    State(s): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<RoleRepresentation>>, ApiError> {
    derived(&s, &realm, &id, None, true, &a).await
}

/// A client's roles a user could be given (`view-users`)
#[utoipa::path(get, path = "/users/{id}/role-mappings/clients/{client}/available", tag = "Role mappings",
    params(UserClientPath), responses((status = 200, body = Vec<RoleRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn client_available(
    State(s): State<AppState>,
    Path(UserClientPath { realm, id, client }): Path<UserClientPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<RoleRepresentation>>, ApiError> {
    derived(&s, &realm, &id, Some(&client), false, &a).await
}

/// A client's roles a user holds in effect, composites expanded (`view-users`)
#[utoipa::path(get, path = "/users/{id}/role-mappings/clients/{client}/composite", tag = "Role mappings",
    params(UserClientPath), responses((status = 200, body = Vec<RoleRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn client_composite(
    State(s): State<AppState>,
    Path(UserClientPath { realm, id, client }): Path<UserClientPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<RoleRepresentation>>, ApiError> {
    derived(&s, &realm, &id, Some(&client), true, &a).await
}
