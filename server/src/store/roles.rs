//! `roles` (realm roles and client roles), `service_account_roles` and `user_roles`.

use super::{lite, Executes, Reads};
use crate::{lite_row, on, read};

/// Creates the realm role if missing; returns its id.
pub async fn ensure_realm_role(c: &mut impl Executes, realm_id: &str, name: &str, now: i64) -> sqlx::Result<String> {
    const INSERT: &str = "INSERT INTO roles (id, realm_id, client_pk, name, created_at) \
                          VALUES ($1, $2, NULL, $3, $4) ON CONFLICT DO NOTHING";
    const SELECT: &str = "SELECT id FROM roles WHERE realm_id = $1 AND client_pk IS NULL AND name = $2";
    on!(c, e => {
        sqlx::query(INSERT).bind(super::new_id()).bind(realm_id).bind(name).bind(now).execute(&mut *e).await?;
        sqlx::query_scalar(SELECT).bind(realm_id).bind(name).fetch_one(&mut *e).await
    })
}

/// Creates the client role if missing; returns its id.
pub async fn ensure_client_role(
    c: &mut impl Executes,
    realm_id: &str,
    client_pk: &str,
    name: &str,
    now: i64,
) -> sqlx::Result<String> {
    const INSERT: &str = "INSERT INTO roles (id, realm_id, client_pk, name, created_at) \
                          VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
    const SELECT: &str = "SELECT id FROM roles WHERE client_pk = $1 AND name = $2";
    on!(c, e => {
        sqlx::query(INSERT).bind(super::new_id()).bind(realm_id).bind(client_pk).bind(name).bind(now).execute(&mut *e).await?;
        sqlx::query_scalar(SELECT).bind(client_pk).bind(name).fetch_one(&mut *e).await
    })
}

/// Grants a role to a client's service account.
pub async fn assign_to_service_account(c: &mut impl Executes, client_pk: &str, role_id: &str) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO service_account_roles (client_pk, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    on!(c, e => sqlx::query(SQL).bind(client_pk).bind(role_id).execute(e).await.map(|_| ()))
}

/// Puts a role into a client's role scope mappings (used when full scope is off).
pub async fn add_scope_mapping(c: &mut impl Executes, client_pk: &str, role_id: &str) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO client_scope_roles (client_pk, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    on!(c, e => sqlx::query(SQL).bind(client_pk).bind(role_id).execute(e).await.map(|_| ()))
}

/// The roles in a client's role scope mappings.
pub async fn scope_mappings(c: &mut impl Executes, client_pk: &str) -> sqlx::Result<Vec<GrantedRole>> {
    const SQL: &str = "SELECT oc.client_id AS client_id, r.name AS name FROM client_scope_roles csr \
                       JOIN roles r ON r.id = csr.role_id LEFT JOIN clients oc ON oc.id = r.client_pk \
                       WHERE csr.client_pk = $1 ORDER BY r.name";
    on!(c, e => sqlx::query_as(SQL).bind(client_pk).fetch_all(e).await)
}

/// Grants a role to a user.
pub async fn assign_to_user(c: &mut impl Executes, user_id: &str, role_id: &str) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    on!(c, e => sqlx::query(SQL).bind(user_id).bind(role_id).execute(e).await.map(|_| ()))
}

/// Takes a role from a user; whether they held it directly.
pub async fn unassign_from_user(c: &mut impl Executes, user_id: &str, role_id: &str) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2";
    on!(c, e => sqlx::query(SQL).bind(user_id).bind(role_id).execute(e).await.map(|r| r.rows_affected() > 0))
}

/// A granted role: `client_id` is `None` for a realm role, else the owning client's id.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GrantedRole {
    pub client_id: Option<String>,
    pub name: String,
}

lite_row!(GrantedRole { client_id, name });

/// The roles a set of directly granted roles amounts to: those roles and, transitively, the
/// children of the composites among them (`UNION` stops at cycles). `$1` selects the direct
/// grants.
pub(super) fn expanded(direct: &str) -> String {
    format!(
        "WITH RECURSIVE granted(role_id) AS ({direct} \
           UNION SELECT rc.child_id FROM role_composites rc JOIN granted g ON rc.role_id = g.role_id) \
         SELECT oc.client_id AS client_id, r.name AS name FROM granted g JOIN roles r ON r.id = g.role_id \
         LEFT JOIN clients oc ON oc.id = r.client_pk ORDER BY r.name"
    )
}

/// The roles of a client's service account, composites expanded.
pub async fn of_service_account(c: &mut impl Executes, client_pk: &str) -> sqlx::Result<Vec<GrantedRole>> {
    let sql = expanded("SELECT role_id FROM service_account_roles WHERE client_pk = $1");
    on!(c, e => sqlx::query_as(&sql).bind(client_pk).fetch_all(e).await)
}

/// The roles of a user, composites expanded.
pub async fn of_user(c: &mut impl Reads, user_id: &str) -> sqlx::Result<Vec<GrantedRole>> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| expanded("SELECT role_id FROM user_roles WHERE user_id = $1"));
    read!(c, l => lite::all(l, &SQL, &[&user_id], <GrantedRole as lite::FromLite>::from_lite),
        e => sqlx::query_as(SQL.as_str()).bind(user_id).fetch_all(e).await)
}

/// What holding one role amounts to: the role and, transitively, its children.
pub async fn expand(c: &mut impl Executes, role_id: &str) -> sqlx::Result<Vec<GrantedRole>> {
    let sql = expanded("SELECT CAST($1 AS TEXT)");
    on!(c, e => sqlx::query_as(&sql).bind(role_id).fetch_all(e).await)
}

/// Takes a role from a client's service account; whether it held it directly.
pub async fn unassign_from_service_account(
    c: &mut impl Executes,
    client_pk: &str,
    role_id: &str,
) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM service_account_roles WHERE client_pk = $1 AND role_id = $2";
    on!(c, e => sqlx::query(SQL).bind(client_pk).bind(role_id).execute(e).await.map(|r| r.rows_affected() > 0))
}

/// A role with the client id of its owner (`None`: a realm role).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnedRole {
    pub id: String,
    pub name: String,
    pub description: String,
    pub client_id: Option<String>,
}

const OWNED: &str = "SELECT r.id, r.name, r.description, oc.client_id AS client_id FROM roles r \
                     LEFT JOIN clients oc ON oc.id = r.client_pk";

/// The roles granted directly to a client's service account.
pub async fn direct_of_service_account(c: &mut impl Executes, client_pk: &str) -> sqlx::Result<Vec<OwnedRole>> {
    let sql = format!(
        "{OWNED} JOIN service_account_roles sar ON sar.role_id = r.id WHERE sar.client_pk = $1 ORDER BY r.name"
    );
    on!(c, e => sqlx::query_as(&sql).bind(client_pk).fetch_all(e).await)
}

/// The roles granted directly to a user.
pub async fn direct_of_user(c: &mut impl Executes, user_id: &str) -> sqlx::Result<Vec<OwnedRole>> {
    let sql = format!("{OWNED} JOIN user_roles ur ON ur.role_id = r.id WHERE ur.user_id = $1 ORDER BY r.name");
    on!(c, e => sqlx::query_as(&sql).bind(user_id).fetch_all(e).await)
}

/// Splits granted roles into realm roles and client roles by owning client id.
pub fn split(roles: Vec<GrantedRole>) -> (Vec<String>, std::collections::BTreeMap<String, Vec<String>>) {
    let mut realm_roles = Vec::new();
    let mut client_roles: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for role in roles {
        match role.client_id {
            Some(owner) => client_roles.entry(owner).or_default().push(role.name),
            None => realm_roles.push(role.name),
        }
    }
    (realm_roles, client_roles)
}

/// A role as listed: its id, name, description, and the client holding it (`None`: a realm role).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct RoleRow {
    pub id: String,
    pub name: String,
    pub description: String,
    #[serde(skip)]
    pub client_pk: Option<String>,
}

/// The realm roles of a realm (`client_pk` `None`) or the roles of one client, by name.
pub async fn list(c: &mut impl Executes, realm_id: &str, client_pk: Option<&str>) -> sqlx::Result<Vec<RoleRow>> {
    const SQL: &str = "SELECT id, name, description, client_pk FROM roles WHERE realm_id = $1 \
                       AND (($2 IS NULL AND client_pk IS NULL) OR client_pk = $2) ORDER BY name";
    on!(c, e => sqlx::query_as(SQL).bind(realm_id).bind(client_pk).fetch_all(e).await)
}

/// Every role of a realm, realm roles and client roles alike, by name.
pub async fn all_of_realm(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<OwnedRole>> {
    let sql = format!("{OWNED} WHERE r.realm_id = $1 ORDER BY r.name");
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).fetch_all(e).await)
}

/// A role of the realm by its id, with its owner's client id.
pub async fn owned_by_id(c: &mut impl Executes, realm_id: &str, role_id: &str) -> sqlx::Result<Option<OwnedRole>> {
    let sql = format!("{OWNED} WHERE r.realm_id = $1 AND r.id = $2");
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(role_id).fetch_optional(e).await)
}

/// Creates a role; `false` when one of that name already exists there.
pub async fn create(
    c: &mut impl Executes,
    realm_id: &str,
    client_pk: Option<&str>,
    name: &str,
    description: &str,
    now: i64,
) -> sqlx::Result<bool> {
    const SQL: &str = "INSERT INTO roles (id, realm_id, client_pk, name, description, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
    on!(c, e => sqlx::query(SQL).bind(super::new_id()).bind(realm_id).bind(client_pk).bind(name).bind(description)
        .bind(now).execute(e).await.map(|r| r.rows_affected() > 0))
}

/// Who holds a role: usernames of users and client ids of service accounts (`client:ID`).
pub async fn holders(c: &mut impl Executes, role_id: &str) -> sqlx::Result<Vec<String>> {
    const SQL: &str = "SELECT u.username FROM user_roles ur JOIN users u ON u.id = ur.user_id WHERE ur.role_id = $1 \
                       UNION ALL SELECT 'client:' || cl.client_id FROM service_account_roles sar \
                       JOIN clients cl ON cl.id = sar.client_pk WHERE sar.role_id = $1";
    on!(c, e => sqlx::query_scalar(SQL).bind(role_id).fetch_all(e).await)
}

/// Changes a role's description.
pub async fn set_description(c: &mut impl Executes, role_id: &str, description: &str) -> sqlx::Result<u64> {
    on!(c, e => sqlx::query("UPDATE roles SET description = $2 WHERE id = $1").bind(role_id).bind(description)
        .execute(e).await.map(|r| r.rows_affected()))
}

/// Deletes a role (its assignments and scope mappings go with it).
pub async fn delete(c: &mut impl Executes, role_id: &str) -> sqlx::Result<u64> {
    on!(c, e => sqlx::query("DELETE FROM roles WHERE id = $1").bind(role_id).execute(e).await.map(|r| r.rows_affected()))
}

/// Makes `child_id` part of the composite `role_id`.
pub async fn add_composite(c: &mut impl Executes, role_id: &str, child_id: &str) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO role_composites (role_id, child_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    on!(c, e => sqlx::query(SQL).bind(role_id).bind(child_id).execute(e).await.map(|_| ()))
}

/// Takes `child_id` out of the composite `role_id`; whether it was in it.
pub async fn remove_composite(c: &mut impl Executes, role_id: &str, child_id: &str) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM role_composites WHERE role_id = $1 AND child_id = $2";
    on!(c, e => sqlx::query(SQL).bind(role_id).bind(child_id).execute(e).await.map(|r| r.rows_affected() > 0))
}

/// Whether `to` is `from` or one of its children, transitively.
pub async fn reaches(c: &mut impl Executes, from: &str, to: &str) -> sqlx::Result<bool> {
    const SQL: &str = "WITH RECURSIVE reach(role_id) AS (SELECT CAST($1 AS TEXT) \
                         UNION SELECT rc.child_id FROM role_composites rc JOIN reach r ON rc.role_id = r.role_id) \
                       SELECT COUNT(*) FROM reach WHERE role_id = $2";
    on!(c, e => sqlx::query_scalar::<_, i64>(SQL).bind(from).bind(to).fetch_one(e).await.map(|n| n > 0))
}

/// The direct children of a composite role: `(owning client id, name)`.
pub async fn composites(c: &mut impl Executes, role_id: &str) -> sqlx::Result<Vec<GrantedRole>> {
    const SQL: &str = "SELECT oc.client_id AS client_id, r.name AS name FROM role_composites rc \
                       JOIN roles r ON r.id = rc.child_id LEFT JOIN clients oc ON oc.id = r.client_pk \
                       WHERE rc.role_id = $1 ORDER BY r.name";
    on!(c, e => sqlx::query_as(SQL).bind(role_id).fetch_all(e).await)
}
