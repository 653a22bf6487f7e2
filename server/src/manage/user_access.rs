//! What a user has handed out and an administrator can take back: one SSO session (with its
//! tokens), and the consents the user remembered for clients (Keycloak's "Consents" tab).

use super::{
    actor::perm::MANAGE_USERS, admin_roles::REALM_MANAGEMENT, client_query::AssignedRole, Actor, ManageError, Manager,
};
use crate::store::{
    self, audit::NewAudit, consents::ConsentRow, login_failures::FailureRow, users::UserQuery, users::UserRow,
};

/// A page of users, each with the brute-force counter of their account.
pub struct UsersPage {
    pub users: Vec<(UserRow, Option<FailureRow>)>,
    pub total: i64,
}

impl Manager {
    /// The users matching `query`, `max` from `first`, with their failure counters and how many
    /// match in all (`view-users` or `query-users`).
    pub async fn users_page(
        &self,
        realm: &str,
        query: &UserQuery,
        first: i64,
        max: i64,
        actor: &Actor,
    ) -> Result<UsersPage, ManageError> {
        let realm = self.users_realm(realm, actor).await?;
        let mut conn = self.db.conn().await?;
        let rows = store::users::search(&mut conn, &realm.id, query, first.max(0), max.clamp(1, 1000)).await?;
        let total = store::users::count(&mut conn, &realm.id, query).await?;
        let mut users = Vec::with_capacity(rows.len());
        for u in rows {
            let key = super::user::account_key(&u.username);
            let failures = store::login_failures::get(&mut conn, &realm.id, &key).await?;
            users.push((u, failures));
        }
        Ok(UsersPage { users, total })
    }

    /// The roles the user `id` holds directly, and every role of the realm (realm roles and
    /// clients' roles) — `realm-management`'s only those the actor holds, the ones it may hand
    /// out (`view-users`).
    pub async fn user_role_mapping(
        &self,
        realm: &str,
        id: &str,
        actor: &Actor,
    ) -> Result<(Vec<AssignedRole>, Vec<AssignedRole>), ManageError> {
        let realm = self.users_realm(realm, actor).await?;
        let user = self.user_in(&realm, id).await?;
        let mut conn = self.db.conn().await?;
        let direct = store::roles::direct_of_user(&mut conn, &user.id).await?;
        let mut all: Vec<AssignedRole> =
            store::roles::all_of_realm(&mut conn, &realm.id).await?.into_iter().map(AssignedRole::from).collect();
        all.retain(|r| r.client_id.as_deref() != Some(REALM_MANAGEMENT) || actor.can(&realm.id, &r.name));
        Ok((direct.into_iter().map(AssignedRole::from).collect(), all))
    }

    /// The consents the user `id` has given, by client (`view-users`).
    pub async fn user_consents(&self, realm: &str, id: &str, actor: &Actor) -> Result<Vec<ConsentRow>, ManageError> {
        let realm = self.users_realm(realm, actor).await?;
        let user = self.user_in(&realm, id).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::consents::of_user(&mut conn, &user.id).await?)
    }

    /// Forgets the consent the user `id` gave the client `client_id` (`manage-users`): the next
    /// authorization asks again. Tokens already issued stay until they expire or are revoked.
    pub async fn revoke_consent(
        &self,
        realm: &str,
        id: &str,
        client_id: &str,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        let realm = self.realm_row(realm).await?;
        actor.require(&realm.id, MANAGE_USERS)?;
        let user = self.user_in(&realm, id).await?;
        let mut tx = self.db.begin().await?;
        let not_given = || ManageError::NotFound(format!("{} has no consent for client {client_id:?}", user.username));
        let client = store::clients::by_client_id(&mut tx, &realm.id, client_id).await?.ok_or_else(not_given)?;
        if !store::consents::delete(&mut tx, &user.id, &client.id).await? {
            return Err(not_given());
        }
        let audit = NewAudit {
            realm_id: Some(&realm.id),
            kind: "user.consent.revoke",
            actor: actor.name(),
            client_id: Some(client_id),
            subject: Some(&user.id),
            detail: Some(serde_json::json!({ "username": user.username, "client_id": client_id })),
            ..Default::default()
        };
        store::audit::insert(&mut tx, &audit, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends one SSO session of the user `id` (`manage-users`), with its refresh tokens and the
    /// access tokens carrying its `sid`.
    pub async fn end_user_session(
        &self,
        realm: &str,
        id: &str,
        session_id: &str,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        let realm = self.realm_row(realm).await?;
        actor.require(&realm.id, MANAGE_USERS)?;
        let user = self.user_in(&realm, id).await?;
        let now = self.now();
        let mut conn = self.db.conn().await?;
        let open = store::user_sessions::open_of_user(&mut conn, &user.id, now, i64::MAX / 4, i64::MAX / 4).await?;
        drop(conn);
        if !open.iter().any(|s| s.id == session_id) {
            return Err(ManageError::NotFound("that session has already ended".into()));
        }
        let mut tx = self.db.begin().await?;
        store::user_sessions::end_everywhere(&mut tx, &realm.id, session_id, now).await?;
        let audit = NewAudit {
            realm_id: Some(&realm.id),
            kind: "user.session_ended",
            actor: actor.name(),
            subject: Some(&user.id),
            detail: Some(serde_json::json!({ "username": user.username, "sessions": 1 })),
            ..Default::default()
        };
        store::audit::insert(&mut tx, &audit, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
