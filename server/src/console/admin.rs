//! The signed-in administrator of a console request: the user the session names, still
//! enabled, with the permissions their stored role mappings give them now.

use super::ADMIN_ID;
use crate::{
    manage::{actor::Holder, permissions::Permissions, Actor, ManageError},
    state::AppState,
    store,
};
use tower_sessions::Session;

/// An administrator acting through the console.
pub struct SignedIn {
    pub user: store::users::UserRow,
    pub permissions: Permissions,
    pub actor: Actor,
}

/// The session's administrator, if any.
pub async fn signed_in(state: &AppState, session: &Session) -> Result<Option<SignedIn>, ManageError> {
    let Some(id) = session.get::<String>(ADMIN_ID).await.map_err(|e| ManageError::Internal(e.to_string()))? else {
        return Ok(None);
    };
    let mut conn = state.db.conn().await?;
    let Some(user) = store::users::by_id(&mut conn, &id).await?.filter(|u| u.enabled) else {
        return Ok(None);
    };
    drop(conn);
    let permissions = state.manager.permissions_of(&user).await?;
    let actor = Actor::user(user.username.clone(), permissions.clone()).held_by(Holder::User(user.id.clone()));
    Ok(Some(SignedIn { user, permissions, actor }))
}
