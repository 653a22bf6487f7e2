//! Sign-in and sign-out of the admin console, and the guard in front of its pages.
//!
//! Sign-in checks the CSRF token, the per-IP failure limit, then the password (argon2id, off
//! the runtime, against a dummy hash when the account does not exist) and answers every
//! failure with the same message. Success changes the session id (no fixation).

use super::{csrf, ADMIN_ID};
use crate::{
    crypto::password,
    state::AppState,
    store::{self, audit::NewAudit},
};
use axum::{
    extract::{rejection::FormRejection, ConnectInfo, Request, State},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;
use std::net::SocketAddr;
use tower_sessions::Session;

/// Where a signed-in administrator lands.
pub const HOME: &str = "/admin/realms/default/clients";
/// The sign-in page.
pub const LOGIN: &str = "/admin/login";

/// The sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: Option<String>,
}

fn back_with(error: &str) -> Response {
    Redirect::to(&format!("{LOGIN}?error={error}")).into_response()
}

async fn audit(state: &AppState, kind: &str, actor: &str, ip: &SocketAddr) {
    let ip = ip.ip().to_string();
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

/// `POST /admin/login`.
pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return back_with("invalid");
    };
    if !csrf::verify(&session, form.csrf.as_deref()).await {
        return back_with("csrf");
    }
    let now = state.now();
    if state.limits.check_failures(peer.ip(), now).is_err() {
        audit(&state, "admin.login_locked", &form.username, &peer).await;
        return back_with("locked");
    }
    let admin = match state.db.conn().await {
        Ok(mut conn) => store::admins::by_username(&mut conn, &form.username).await,
        Err(e) => Err(e),
    };
    let admin = match admin {
        Ok(a) => a.filter(|a| a.enabled),
        Err(e) => {
            tracing::error!(error = %e, "loading admin");
            return back_with("invalid");
        }
    };
    let ok = password::verify(admin.as_ref().map(|a| a.password_hash.clone()), form.password).await;
    match admin.filter(|_| ok) {
        Some(admin) => {
            if let Err(e) = session.cycle_id().await {
                tracing::error!(error = %e, "cycling session id");
                return back_with("invalid");
            }
            // A fresh CSRF token for the signed-in session.
            let _ = session.remove::<String>("csrf").await;
            if let Err(e) = session.insert(ADMIN_ID, &admin.id).await {
                tracing::error!(error = %e, "storing session");
                return back_with("invalid");
            }
            audit(&state, "admin.login", &admin.username, &peer).await;
            Redirect::to(HOME).into_response()
        }
        None => {
            state.limits.record_failure(peer.ip(), now);
            audit(&state, "admin.login_failed", &form.username, &peer).await;
            back_with("invalid")
        }
    }
}

/// The sign-out form.
#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: Option<String>,
}

/// `POST /admin/logout`.
pub async fn sign_out(session: Session, form: Result<Form<LogoutForm>, FormRejection>) -> Response {
    let token = form.ok().and_then(|Form(f)| f.csrf);
    if !csrf::verify(&session, token.as_deref()).await {
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

/// Sends anonymous visitors of console pages to the sign-in page.
pub async fn guard(session: Session, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_page = req.method() == axum::http::Method::GET && path.starts_with("/admin/") && path != LOGIN;
    if is_page && !signed_in(&session).await {
        return Redirect::to(LOGIN).into_response();
    }
    next.run(req).await
}
