//! The person's half of the device flow (RFC 8628 §3.3): enter the user code (rate-limited per
//! client IP, so codes cannot be guessed), sign in if needed, then approve or deny on a screen
//! that names the client, its scopes, and when and from where the request came (§5.4).

use super::{
    brute_force::{self, LoginError},
    paths,
    pending::{self, DeviceApproval, Pending},
    realm_path, sso,
};
use crate::{
    console::csrf,
    crypto::token_hash,
    model::user_code,
    net::ClientIp,
    oauth::authorize::error_page,
    state::AppState,
    store::{self, audit::NewAudit},
};
use axum::{
    extract::{rejection::FormRejection, Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;
use tower_sessions::Session;

/// Wrong codes from one IP before it is locked out (with growing delays before that).
pub const WRONG_CODE_LIMIT: i64 = 10;
/// How long the lockout lasts.
pub const WRONG_CODE_LOCKOUT: i64 = 15 * 60;

fn page(realm: &str, query: &[(&str, String)]) -> Response {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        q.append_pair(k, v);
    }
    let q = q.finish();
    let path = realm_path(realm, paths::DEVICE_PAGE);
    Redirect::to(&if q.is_empty() { path } else { format!("{path}?{q}") }).into_response()
}

fn refused(realm: &str, e: &LoginError, typed: &str) -> Response {
    let mut q = vec![("error", e.code().to_owned()), ("user_code", typed.chars().take(20).collect())];
    if let Some(s) = e.retry_after() {
        q.push(("retry", s.to_string()));
    }
    page(realm, &q)
}

/// The code-entry form.
#[derive(Deserialize)]
pub struct CodeForm {
    user_code: String,
    csrf: Option<String>,
}

/// `POST /realms/{realm}/login-actions/device`.
pub async fn enter_code(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    ClientIp(peer): ClientIp,
    headers: axum::http::HeaderMap,
    session: Session,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return page(&realm_name, &[("error", "invalid".into())]);
    };
    if !csrf::verify(&session, &headers, form.csrf.as_deref()).await {
        return page(
            &realm_name,
            &[("error", "csrf".into()), ("user_code", form.user_code.chars().take(20).collect())],
        );
    }
    let realm = match crate::flow::realm_or_page(&state, &realm_name).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let now = state.now();
    let key = format!("device:{}", crate::net::limit_key(peer));
    let Ok(mut conn) = state.db.conn().await else {
        return refused(&realm_name, &LoginError::Internal, &form.user_code);
    };
    if let Err(e) = brute_force::check(&mut conn, &realm.id, &key, WRONG_CODE_LOCKOUT, true, now).await {
        return refused(&realm_name, &e, &form.user_code);
    }
    let found = match user_code::normalize(&form.user_code) {
        Some(code) => store::device_codes::by_user_code(&mut conn, &token_hash(&code)).await.ok().flatten(),
        None => None,
    };
    let Some(found) = found.filter(|d| d.realm_id == realm.id && d.status == "pending" && d.expires_at > now) else {
        let error =
            match brute_force::count_failure(&mut conn, &realm.id, &key, WRONG_CODE_LIMIT, WRONG_CODE_LOCKOUT, now)
                .await
            {
                Ok(true) => LoginError::Locked(WRONG_CODE_LOCKOUT),
                Ok(false) => LoginError::Invalid,
                Err(e) => e,
            };
        let ev = NewAudit {
            realm_id: Some(&realm.id),
            kind: "device.code_rejected",
            actor: "anonymous",
            ip: Some(&peer.to_string()),
            ..Default::default()
        };
        let _ = store::audit::insert(&mut conn, &ev, now).await;
        return refused(&realm_name, &error, &form.user_code);
    };
    let client_id = store::clients::by_pk(&mut conn, &found.client_pk).await.ok().flatten().map(|c| c.client_id);
    let Some(client_id) = client_id else {
        return refused(&realm_name, &LoginError::Invalid, &form.user_code);
    };
    let approval = DeviceApproval {
        realm_id: realm.id.clone(),
        device_code_hash: found.device_code_hash,
        client_id,
        created_at: now,
    };
    let rid = match pending::put(&session, &Pending::Device(approval), now).await {
        Ok(r) => r,
        Err(_) => return refused(&realm_name, &LoginError::Internal, &form.user_code),
    };
    match sso::current(&state, &session, &realm).await {
        Ok(Some(_)) => page(&realm_name, &[("rid", rid)]),
        _ => Redirect::to(&format!("{}?rid={rid}", realm_path(&realm_name, paths::LOGIN_PAGE))).into_response(),
    }
}

/// The approval form.
#[derive(Deserialize)]
pub struct DecisionForm {
    rid: String,
    decision: String,
    csrf: Option<String>,
}

/// `POST /realms/{realm}/login-actions/device-decision`.
pub async fn decide(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    headers: axum::http::HeaderMap,
    session: Session,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return page(&realm_name, &[("error", "expired".into())]);
    };
    if !csrf::verify(&session, &headers, form.csrf.as_deref()).await {
        return error_page(StatusCode::FORBIDDEN, "Form expired", "The form has expired. Go back and try again.");
    }
    let realm = match crate::flow::realm_or_page(&state, &realm_name).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let now = state.now();
    let Some(Pending::Device(approval)) = pending::get(&session, &form.rid, &realm.id, now).await else {
        return page(&realm_name, &[("error", "expired".into())]);
    };
    let Ok(Some(sso)) = sso::current(&state, &session, &realm).await else {
        return Redirect::to(&format!("{}?rid={}", realm_path(&realm_name, paths::LOGIN_PAGE), form.rid))
            .into_response();
    };
    let approved = form.decision == "approve";
    let result = async {
        let mut tx = state.db.begin().await?;
        let decided = store::device_codes::decide(
            &mut tx,
            &realm.id,
            &approval.device_code_hash,
            approved,
            &sso.user.id,
            &sso.session_id,
            sso.auth_time,
            now,
        )
        .await?;
        if decided {
            let ev = NewAudit {
                realm_id: Some(&realm.id),
                kind: if approved { "device.approved" } else { "device.denied" },
                actor: &sso.user.username,
                client_id: Some(&approval.client_id),
                subject: Some(&sso.user.id),
                ..Default::default()
            };
            store::audit::insert(&mut tx, &ev, now).await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(decided)
    }
    .await;
    pending::take(&session, &form.rid, now).await;
    match result {
        Ok(true) => page(&realm_name, &[("done", if approved { "approved" } else { "denied" }.into())]),
        Ok(false) => page(&realm_name, &[("error", "expired".into())]),
        Err(e) => crate::unavailable::failure_page("recording the device decision", e),
    }
}
