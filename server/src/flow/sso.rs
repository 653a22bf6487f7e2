//! Single sign-on: the browser's session (tower-sessions) remembers, per realm, which SSO
//! session it holds; the SSO session itself is a `user_sessions` row, so logout, refresh tokens
//! and `sid` claims all refer to one thing.

use crate::{
    registry::Realm,
    state::AppState,
    store::{self, user_sessions::UserSessionRow, users::UserRow},
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// What the browser session holds for one realm.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SsoRef {
    pub session_id: String,
    pub user_id: String,
    pub auth_time: i64,
}

fn key(realm_id: &str) -> String {
    format!("sso.{realm_id}")
}

/// A live SSO session and its user.
#[derive(Debug, Clone)]
pub struct Sso {
    pub session_id: String,
    pub auth_time: i64,
    pub user: UserRow,
}

/// The browser's SSO session in `realm`, if it is still live (see [`live`]) and its user
/// still enabled and of this realm.
pub async fn current(state: &AppState, session: &Session, realm: &Realm) -> Result<Option<Sso>, sqlx::Error> {
    let Ok(Some(sso)) = session.get::<SsoRef>(&key(&realm.id)).await else {
        return Ok(None);
    };
    let now = state.now();
    let found = user_in_session(&mut state.db.read().await?, realm, &sso.user_id, &sso.session_id, now).await?;
    match found {
        Some(store::user_sessions::UserInSession { user, session_seen_at: Some(seen) }) => {
            // The read above takes no write turn; the rare write recording the use takes its own.
            if store::user_sessions::seen_due(seen, now) {
                store::user_sessions::touch(&mut state.db.write_one().await?, &sso.session_id, now).await?;
            }
            Ok(Some(Sso { session_id: sso.session_id, auth_time: sso.auth_time, user }))
        }
        _ => {
            let _ = session.remove::<SsoRef>(&key(&realm.id)).await;
            Ok(None)
        }
    }
}

/// The SSO session `id` of `realm` if it is live at `now`: not ended, not idle longer than
/// the realm's `sso_session_idle_timeout`, not older than its `sso_session_max_lifespan`
/// (Keycloak's two limits). Using it counts as activity. Every use of a session (pages,
/// code redemption, refresh of online tokens) goes through here.
pub async fn live(
    c: &mut impl store::Executes,
    realm: &Realm,
    id: &str,
    now: i64,
) -> Result<Option<UserSessionRow>, sqlx::Error> {
    let s = &realm.settings;
    let row = store::user_sessions::live(c, id, now, s.sso_session_idle_timeout, s.sso_session_max_lifespan).await?;
    Ok(row.filter(|r| r.realm_id == realm.id))
}

/// User `user_id` if enabled and of `realm`, with whether their session `session_id` is live
/// at `now` by the realm's limits (see [`live`]), in one query and without marking the session
/// used: what a token request checks before it writes.
pub async fn user_in_session(
    c: &mut impl store::Reads,
    realm: &Realm,
    user_id: &str,
    session_id: &str,
    now: i64,
) -> Result<Option<store::user_sessions::UserInSession>, sqlx::Error> {
    let s = &realm.settings;
    let (idle, max) = (s.sso_session_idle_timeout, s.sso_session_max_lifespan);
    let found = store::user_sessions::user_with_live_session(c, user_id, session_id, now, idle, max).await?;
    Ok(found.filter(|f| f.user.enabled && f.user.realm_id == realm.id))
}

/// Of what a token request read, the user only if enabled and of `realm`.
pub fn admitted(
    found: Option<store::user_sessions::UserWithRoles>,
    realm: &Realm,
) -> Option<store::user_sessions::UserWithRoles> {
    found.filter(|(f, _)| f.user.enabled && f.user.realm_id == realm.id)
}

/// Starts an SSO session for `user` (a new browser session id first: no fixation).
pub async fn start(
    state: &AppState,
    session: &Session,
    user: &UserRow,
    ip: &str,
    user_agent: Option<&str>,
) -> Result<SsoRef, String> {
    let now = state.now();
    let row = new_session_row(user, now, ip, user_agent);
    let mut conn = state.db.write_one().await.map_err(|e| e.to_string())?;
    store::user_sessions::insert(&mut conn, &row).await.map_err(|e| e.to_string())?;
    adopt(session, &row).await
}

/// Makes the stored SSO session `row` this browser's (a new browser session id first: no
/// fixation). The broker stores the row in the transaction that creates or links the user.
pub async fn adopt(session: &Session, row: &UserSessionRow) -> Result<SsoRef, String> {
    session.cycle_id().await.map_err(|e| e.to_string())?;
    crate::console::sessions::mark_signed_in(session).await.map_err(|e| e.to_string())?;
    let sso = SsoRef { session_id: row.id.clone(), user_id: row.user_id.clone(), auth_time: row.auth_time };
    session.insert(&key(&row.realm_id), &sso).await.map_err(|e| e.to_string())?;
    Ok(sso)
}

/// A new `user_sessions` row (also used by the password grant, which has no browser).
pub fn new_session_row(user: &UserRow, now: i64, ip: &str, user_agent: Option<&str>) -> UserSessionRow {
    UserSessionRow {
        id: store::new_id(),
        realm_id: user.realm_id.clone(),
        user_id: user.id.clone(),
        auth_time: now,
        created_at: now,
        last_seen_at: now,
        ended_at: None,
        ip: Some(ip.to_owned()),
        user_agent: user_agent.map(|u| u.chars().take(300).collect()),
    }
}

/// The SSO session this browser holds in `realm_id`, without checking it is live; an error
/// when the browser session cannot be read (which says nothing either way).
pub async fn browser_sso(session: &Session, realm_id: &str) -> Result<Option<SsoRef>, tower_sessions::session::Error> {
    session.get::<SsoRef>(&key(realm_id)).await
}

/// The id of the SSO session this browser holds in `realm_id`, without checking it is live.
pub async fn browser_session_id(session: &Session, realm_id: &str) -> Option<String> {
    browser_sso(session, realm_id).await.ok().flatten().map(|s| s.session_id)
}

/// Forgets the browser's SSO session in `realm_id`, returning its id.
pub async fn forget(session: &Session, realm_id: &str) -> Option<String> {
    session.remove::<SsoRef>(&key(realm_id)).await.ok().flatten().map(|s| s.session_id)
}

/// Ends an SSO session everywhere: the row, its online refresh tokens, and (by marker) every
/// access token that carries its `sid`.
pub async fn end_session(state: &AppState, realm_id: &str, session_id: &str) -> Result<(), sqlx::Error> {
    let mut tx = state.db.begin().await?;
    store::user_sessions::end_everywhere(&mut tx, realm_id, session_id, state.now()).await?;
    tx.commit().await
}
