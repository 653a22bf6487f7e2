//! Sign-in and sign-out of the admin console, and the guard in front of its pages.
//!
//! Sign-in checks the CSRF token, then the password behind the same brute-force guard as the
//! end-user sign-in (`flow::brute_force`: per-account reservation, per-address counter,
//! argon2id in the bounded pool, a dummy hash when the account does not exist) and answers
//! every failure with the same message. Success changes the session id (no fixation).

use super::{csrf, ADMIN_ID};
use crate::{
    flow::brute_force,
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

/// Back to the sign-in page with a wait or lockout and its seconds.
fn back_with_retry(error: &str, seconds: i64) -> Response {
    Redirect::to(&format!("{LOGIN}?error={error}&retry={seconds}")).into_response()
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

/// The guard of the console's sign-in. Its counters live under the `default` realm (which
/// always exists) with keys of their own (`admin:…`), until administrators become users of
/// the master realm.
async fn admin_guard(state: &AppState) -> Option<brute_force::Guard> {
    let realm = state.registry.realm("default").await.ok().flatten()?;
    Some(brute_force::Guard {
        namespace: "admin",
        failed_kind: "admin.login_failed",
        locked_kind: "admin.locked",
        ..brute_force::Guard::for_realm(&realm)
    })
}

/// `POST /admin/login`.
pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    session: Session,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return back_with("invalid");
    };
    if !csrf::verify(&session, &headers, form.csrf.as_deref()).await {
        return back_with("csrf");
    }
    let Some(guard) = admin_guard(&state).await else {
        return back_with("invalid");
    };
    // A locked-out attempt is refused before anything is looked up or written (no audit row:
    // a flood of refused attempts must not grow the database).
    let result =
        brute_force::guarded_login(&state, guard, &form.username, form.password, ip, |state, name| async move {
            let mut conn = state.db.conn().await?;
            let admin = store::admins::by_username(&mut conn, &name).await?;
            Ok(admin.map(|a| brute_force::Candidate {
                id: a.id.clone(),
                hash: Some(a.password_hash.clone()).filter(|_| a.enabled),
                account: a,
            }))
        })
        .await;
    match result {
        Ok(admin) => {
            if let Err(e) = session.cycle_id().await {
                tracing::error!(error = %e, "cycling session id");
                return back_with("invalid");
            }
            // A fresh CSRF token for the signed-in session.
            let _ = session.remove::<String>("csrf").await;
            if let Err(e) = super::sessions::mark_signed_in(&session).await {
                tracing::error!(error = %e, "storing session");
                return back_with("invalid");
            }
            if let Err(e) = session.insert(ADMIN_ID, &admin.id).await {
                tracing::error!(error = %e, "storing session");
                return back_with("invalid");
            }
            audit(&state, "admin.login", &admin.username, ip).await;
            Redirect::to(HOME).into_response()
        }
        Err(e @ (brute_force::LoginError::Locked(_) | brute_force::LoginError::Wait(_))) => {
            back_with_retry(e.code(), e.retry_after().unwrap_or(1))
        }
        Err(_) => back_with("invalid"),
    }
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

/// Sends anonymous visitors of console pages to the sign-in page.
pub async fn guard(session: Session, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_page = req.method() == axum::http::Method::GET && path.starts_with("/admin/") && path != LOGIN;
    if is_page && !signed_in(&session).await {
        return Redirect::to(LOGIN).into_response();
    }
    next.run(req).await
}
