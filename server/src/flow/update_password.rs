//! `POST /realms/{realm}/login-actions/update-password`: a user who signed in with a temporary
//! password (set by an administrator, Keycloak's `UPDATE_PASSWORD` required action) chooses a
//! new one before the sign-in continues. Until then there is no SSO session: the browser
//! session only remembers, for a few minutes, whose password was just verified.

use super::{login, paths, realm_path};
use crate::{console::csrf, manage::ManageError, net::ClientIp, state::AppState, store::users::UserRow};
use axum::{
    extract::{rejection::FormRejection, Path, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// How long after the temporary password was verified the new one may be chosen.
pub const TTL_SECS: i64 = 10 * 60;

/// Whose temporary password this browser just verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordChange {
    pub user_id: String,
    pub username: String,
    pub verified_at: i64,
}

fn key(realm_id: &str) -> String {
    format!("update_password.{realm_id}")
}

/// Remembers that `user`'s temporary password was just verified in this browser.
pub async fn begin(session: &Session, user: &UserRow, now: i64) -> Result<(), String> {
    let change = PasswordChange { user_id: user.id.clone(), username: user.username.clone(), verified_at: now };
    // A new browser session id first, as for a sign-in: a fixed id learns nothing.
    session.cycle_id().await.map_err(|e| e.to_string())?;
    session.insert(&key(&user.realm_id), &change).await.map_err(|e| e.to_string())
}

/// The password change waiting in this browser for `realm_id`, if still recent.
pub async fn current(session: &Session, realm_id: &str, now: i64) -> Option<PasswordChange> {
    let change = session.get::<PasswordChange>(&key(realm_id)).await.ok().flatten()?;
    (now - change.verified_at < TTL_SECS).then_some(change)
}

/// The form.
#[derive(Deserialize)]
pub struct UpdatePasswordForm {
    #[serde(default)]
    password_new: String,
    #[serde(default)]
    password_confirm: String,
    csrf: Option<String>,
    rid: Option<String>,
}

fn back(realm: &str, rid: Option<&str>, error: &str) -> Response {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    if let Some(r) = rid {
        url.append_pair("rid", r);
    }
    url.append_pair("error", error);
    Redirect::to(&format!("{}?{}", realm_path(realm, paths::LOGIN_PAGE), url.finish())).into_response()
}

/// Handles the form: checks the two fields agree and meet the realm's policy, saves the
/// password (clearing the temporary flag), then signs the user in and continues.
pub async fn update(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    session: Session,
    form: Result<Form<UpdatePasswordForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return back(&realm_name, None, "invalid");
    };
    let rid = form.rid.as_deref().filter(|r| !r.is_empty());
    if !csrf::verify(&session, &headers, form.csrf.as_deref()).await {
        return back(&realm_name, rid, "csrf");
    }
    let realm = match super::realm_or_page(&state, &realm_name).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let now = state.now();
    let Some(change) = current(&session, &realm.id, now).await else {
        return back(&realm_name, rid, "password-expired");
    };
    if form.password_new.is_empty() {
        return back(&realm_name, rid, "password-blank");
    }
    if form.password_new != form.password_confirm {
        return back(&realm_name, rid, "password-mismatch");
    }
    let user = match state.manager.replace_temporary_password(&realm_name, &change.user_id, form.password_new).await {
        Ok(u) => u,
        Err(ManageError::Invalid(m)) if m.contains("at least") => return back(&realm_name, rid, "password-short"),
        Err(ManageError::Invalid(_) | ManageError::NotFound(_)) => {
            let _ = session.remove::<PasswordChange>(&key(&realm.id)).await;
            return back(&realm_name, rid, "password-expired");
        }
        Err(e) => {
            tracing::error!(error = %e, "updating a temporary password");
            return back(&realm_name, rid, "internal");
        }
    };
    let _ = session.remove::<PasswordChange>(&key(&realm.id)).await;
    login::signed_in(&state, &session, &realm, &user, rid, &peer.to_string(), &headers).await
}
