//! Sign-in and sign-out of the admin console, and the guard in front of its pages.
//!
//! Sign-in checks the CSRF token, then the password behind the same brute-force guard as the
//! end-user sign-in (`flow::brute_force`: per-account reservation, per-address counter,
//! argon2id in the bounded pool, a dummy hash when the account does not exist) and answers
//! every failure with the same message. Success changes the session id (no fixation).

use super::{csrf, ADMIN_ID};
use crate::{
    flow::brute_force,
    manage::realm::{DEFAULT_REALM, MASTER_REALM},
    net::ClientIp,
    state::AppState,
    store::{self, audit::NewAudit},
};
use axum::{
    extract::{rejection::FormRejection, Request, State},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;
use tower_sessions::Session;

/// Where a signed-in administrator lands.
pub const HOME: &str = "/admin/default/console/clients";
/// The sign-in page.
pub const LOGIN: &str = "/admin/login";

/// The sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: Option<String>,
    /// The realm the administrator belongs to; `master` when absent.
    realm: Option<String>,
}

fn back_with(error: &str, realm: Option<&str>) -> Response {
    back_to_login(&[("error", error.to_owned())], realm)
}

/// Back to the sign-in page with a wait or lockout and its seconds.
fn back_with_retry(error: &str, seconds: i64, realm: Option<&str>) -> Response {
    back_to_login(&[("error", error.to_owned()), ("retry", seconds.to_string())], realm)
}

fn back_to_login(params: &[(&str, String)], realm: Option<&str>) -> Response {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if let Some(r) = realm {
        q.append_pair("realm", r);
    }
    for (k, v) in params {
        q.append_pair(k, v);
    }
    Redirect::to(&format!("{LOGIN}?{}", q.finish())).into_response()
}

async fn audit(state: &AppState, kind: &str, actor: &str, ip: std::net::IpAddr) {
    let ip = ip.to_string();
    let ev = NewAudit { kind, actor, ip: Some(&ip), ..Default::default() };
    let result = async {
        let mut conn = state.db.conn().await?;
        store::audit::insert(&mut conn, &ev, state.now()).await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot record audit event");
    }
}

/// `POST /admin/login`: an administrator is a user of a realm — `master` unless the form
/// names another — who holds admin permissions there (the master realm's `admin`, or any
/// `realm-management` role). The password is checked behind the realm's brute-force guard, the
/// same counters as the realm's own sign-in page.
pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    session: Session,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return back_with("invalid", None);
    };
    let realm_name = form.realm.clone().filter(|r| !r.is_empty() && r.len() <= 100);
    let back = |error: &str| back_with(error, realm_name.as_deref());
    if !csrf::verify(&session, &headers, form.csrf.as_deref()).await {
        return back("csrf");
    }
    let realm = match state.registry.realm(realm_name.as_deref().unwrap_or(MASTER_REALM)).await {
        Ok(Some(r)) if r.settings.enabled => r,
        _ => return back("invalid"),
    };
    let guard = brute_force::Guard {
        failed_kind: "admin.login_failed",
        locked_kind: "admin.locked",
        ..brute_force::Guard::for_realm(&realm)
    };
    // A locked-out attempt is refused before anything is looked up or written (no audit row:
    // a flood of refused attempts must not grow the database).
    let realm_id = realm.id.clone();
    let result =
        brute_force::guarded_login(&state, guard, &form.username, form.password, ip, move |state, name| async move {
            let mut conn = state.db.conn().await?;
            let user = store::users::by_username(&mut conn, &realm_id, &name).await?;
            Ok(user.map(|u| brute_force::Candidate {
                id: u.id.clone(),
                hash: u.password_hash.clone().filter(|_| u.enabled),
                account: u,
            }))
        })
        .await;
    let user = match result {
        Ok(user) => user,
        Err(e @ (brute_force::LoginError::Locked(_) | brute_force::LoginError::Wait(_))) => {
            return back_with_retry(e.code(), e.retry_after().unwrap_or(1), realm_name.as_deref())
        }
        Err(_) => return back("invalid"),
    };
    // A temporary password is replaced on the realm's own sign-in page first (the step lives
    // there, with the realm's policy); until then it opens nothing here.
    if user.password_temporary {
        return back("temporary");
    }
    let permissions = match state.manager.permissions_of(&user).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "loading permissions");
            return back("invalid");
        }
    };
    if !permissions.superuser && permissions.roles.is_empty() {
        audit(&state, "admin.login_forbidden", &user.username, ip).await;
        return back("forbidden");
    }
    if let Err(e) = session.cycle_id().await {
        tracing::error!(error = %e, "cycling session id");
        return back("invalid");
    }
    // A fresh CSRF token for the signed-in session.
    let _ = session.remove::<String>("csrf").await;
    if let Err(e) = super::sessions::mark_signed_in(&session).await {
        tracing::error!(error = %e, "storing session");
        return back("invalid");
    }
    if let Err(e) = session.insert(ADMIN_ID, &user.id).await {
        tracing::error!(error = %e, "storing session");
        return back("invalid");
    }
    audit(&state, "admin.login", &user.username, ip).await;
    let home_realm = if permissions.superuser { DEFAULT_REALM } else { realm.name.as_str() };
    Redirect::to(&format!("/admin/{home_realm}/console/clients")).into_response()
}

/// The sign-out form.
#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: Option<String>,
}

/// `POST /admin/logout`.
pub async fn sign_out(
    headers: axum::http::HeaderMap,
    session: Session,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> Response {
    let token = form.ok().and_then(|Form(f)| f.csrf);
    if !csrf::verify(&session, &headers, token.as_deref()).await {
        return (axum::http::StatusCode::FORBIDDEN, "invalid or missing CSRF token").into_response();
    }
    if let Err(e) = session.flush().await {
        tracing::error!(error = %e, "ending session");
    }
    Redirect::to(LOGIN).into_response()
}

/// `GET /admin`: the clients of the default realm, or the sign-in page.
pub async fn home(session: Session) -> Redirect {
    if signed_in(&session).await {
        Redirect::to(HOME)
    } else {
        Redirect::to(LOGIN)
    }
}

async fn signed_in(session: &Session) -> bool {
    matches!(session.get::<String>(ADMIN_ID).await, Ok(Some(_)))
}

/// `GET /admin/switch?realm=NAME`: the realm switcher without JavaScript.
pub async fn switch_realm(
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Redirect {
    let realm = q.get("realm").map(String::as_str).unwrap_or(DEFAULT_REALM);
    Redirect::to(&app::components::shell::console_href(realm, "clients"))
}

/// Sends anonymous visitors of console pages to the sign-in page.
pub async fn guard(session: Session, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_page = req.method() == axum::http::Method::GET && path.starts_with("/admin/") && path != LOGIN;
    if is_page && !signed_in(&session).await {
        return Redirect::to(LOGIN).into_response();
    }
    next.run(req).await
}
