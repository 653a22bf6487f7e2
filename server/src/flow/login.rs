//! `POST /realms/{realm}/login-actions/authenticate`: the sign-in form. Checks the CSRF token
//! and the password (behind `brute_force`), starts the SSO session with a new session id, then
//! continues the pending authorization request.

use super::{brute_force, paths, pending, realm_path, sso};
use crate::{
    console::csrf,
    net::ClientIp,
    oauth::authorize,
    registry::Realm,
    state::AppState,
    store::{self, audit::NewAudit, users::UserRow},
};
use axum::{
    extract::{rejection::FormRejection, Path, State},
    http::{header, HeaderMap},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;
use tower_sessions::Session;

/// The sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: Option<String>,
    rid: Option<String>,
}

/// Back to the sign-in page with an error code (and the request id, to keep going).
pub(super) fn back(realm: &str, rid: Option<&str>, error: &str, retry: Option<i64>) -> Response {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    if let Some(r) = rid {
        url.append_pair("rid", r);
    }
    url.append_pair("error", error);
    if let Some(s) = retry {
        url.append_pair("retry", &s.to_string());
    }
    Redirect::to(&format!("{}?{}", realm_path(realm, paths::LOGIN_PAGE), url.finish())).into_response()
}

/// Handles the form.
pub async fn authenticate(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    session: Session,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return back(&realm_name, None, "invalid", None);
    };
    let rid = form.rid.as_deref().filter(|r| !r.is_empty());
    if !csrf::verify(&session, &headers, form.csrf.as_deref()).await {
        return back(&realm_name, rid, "csrf", None);
    }
    let realm = match crate::flow::realm_or_page(&state, &realm_name).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let now = state.now();
    if let Some(r) = rid {
        if pending::get(&session, r, &realm.id, now).await.is_none() {
            return back(&realm_name, None, "expired", None);
        }
    }
    let ip = peer.to_string();
    let user = match brute_force::password_login(&state, &realm, &form.username, &form.password, peer).await {
        Ok(u) => u,
        Err(e) => return back(&realm_name, rid, e.code(), e.retry_after()),
    };
    if user.password_temporary {
        // The password was right, but an administrator made it temporary: a new one first.
        if let Err(e) = super::update_password::begin(&session, &user, now).await {
            tracing::error!(error = %e, "remembering a password change");
            return back(&realm_name, rid, "internal", None);
        }
        return back_to_page(&realm_name, rid);
    }
    signed_in(&state, &session, &realm, &user, rid, &ip, &headers).await
}

/// The sign-in page again, without an error (it shows what comes next).
fn back_to_page(realm: &str, rid: Option<&str>) -> Response {
    let page = realm_path(realm, paths::LOGIN_PAGE);
    match rid {
        Some(r) => {
            let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("rid", r).finish();
            Redirect::to(&format!("{page}?{query}")).into_response()
        }
        None => Redirect::to(&page).into_response(),
    }
}

/// The user is who they said: starts the SSO session, records the sign-in, and continues the
/// pending request `rid` (if it is still there).
pub(super) async fn signed_in(
    state: &AppState,
    session: &Session,
    realm: &Realm,
    user: &UserRow,
    rid: Option<&str>,
    ip: &str,
    headers: &HeaderMap,
) -> Response {
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    if let Err(e) = sso::start(state, session, user, ip, user_agent).await {
        tracing::error!(error = %e, "starting SSO session");
        return back(&realm.name, rid, "internal", None);
    }
    continue_signed_in(state, session, realm, user, rid, ip, None).await
}

/// After the SSO session started (by a password, or by an upstream provider: `detail` names
/// it): records the sign-in and continues the pending request `rid` (if it is still there).
pub(super) async fn continue_signed_in(
    state: &AppState,
    session: &Session,
    realm: &Realm,
    user: &UserRow,
    rid: Option<&str>,
    ip: &str,
    detail: Option<serde_json::Value>,
) -> Response {
    let realm_name = realm.name.clone();
    let now = state.now();
    let pending = match rid {
        Some(r) => pending::get(session, r, &realm.id, now).await,
        None => None,
    };
    if let Ok(mut conn) = state.db.conn().await {
        let ev = NewAudit {
            realm_id: Some(&realm.id),
            kind: "user.login",
            actor: &user.username,
            subject: Some(&user.id),
            ip: Some(ip),
            detail,
            ..Default::default()
        };
        if let Err(e) = store::audit::insert(&mut conn, &ev, now).await {
            tracing::warn!(error = %e, "cannot record audit event");
        }
    }
    match (pending, rid) {
        (Some(pending::Pending::Authorize(mut req)), Some(rid)) => {
            // The sign-in just made satisfies prompt=login.
            req.prompt_login = false;
            authorize::proceed(state, session, realm, Some(rid), req).await
        }
        (Some(pending::Pending::Device(_)), Some(rid)) => {
            Redirect::to(&format!("{}?rid={rid}", realm_path(&realm_name, paths::DEVICE_PAGE))).into_response()
        }
        _ => Redirect::to(&realm_path(&realm_name, paths::LOGIN_PAGE)).into_response(),
    }
}
