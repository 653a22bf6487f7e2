//! `POST /realms/{realm}/login-actions/consent`: Allow records the scopes (remembered per user
//! and client until revoked) and completes the request; Deny sends `access_denied` back.

use super::{pending, sso};
use crate::{
    console::csrf,
    oauth::{
        authorize::{self, error_page, Refusal},
        error::{ErrorCode, OAuthError},
    },
    state::AppState,
    store::{self, audit::NewAudit},
};
use axum::{
    extract::{rejection::FormRejection, Path, State},
    http::StatusCode,
    response::Response,
    Form,
};
use serde::Deserialize;
use tower_sessions::Session;

/// The consent form.
#[derive(Deserialize)]
pub struct ConsentForm {
    rid: String,
    decision: String,
    csrf: Option<String>,
}

/// Handles the form.
pub async fn decide(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    headers: axum::http::HeaderMap,
    session: Session,
    form: Result<Form<ConsentForm>, FormRejection>,
) -> Response {
    let expired = || {
        error_page(StatusCode::BAD_REQUEST, "This request has expired", "Go back to the application and start again.")
    };
    let Ok(Form(form)) = form else { return expired() };
    if !csrf::verify(&session, &headers, form.csrf.as_deref()).await {
        return error_page(StatusCode::FORBIDDEN, "Form expired", "The form has expired. Go back and try again.");
    }
    let realm = match crate::flow::realm_or_page(&state, &realm_name).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let now = state.now();
    let Some(pending::Pending::Authorize(mut req)) = pending::get(&session, &form.rid, &realm.id, now).await else {
        return expired();
    };
    let Ok(Some(sso)) = sso::current(&state, &session, &realm).await else {
        // Signed out meanwhile: sign in again, then come back here.
        return authorize::proceed(&state, &session, &realm, Some(&form.rid), req).await;
    };
    if form.decision != "allow" {
        pending::take(&session, &form.rid, now).await;
        let error = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
        return Refusal::Redirect {
            to: req.redirect_uri.clone(),
            mode: req.response_mode,
            state: req.state.clone(),
            error,
        }
        .into_response(&realm.issuer);
    }
    let Ok(Some(client)) = state.registry.client(&realm, &req.client_id).await else {
        return expired();
    };
    let result = async {
        let mut tx = state.db.begin().await?;
        let mut granted: Vec<String> = store::consents::get(&mut tx, &sso.user.id, &client.row.id)
            .await?
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        for s in &req.scopes {
            if !granted.contains(s) {
                granted.push(s.clone());
            }
        }
        store::consents::put(&mut tx, &sso.user.id, &client.row.id, &granted.join(" "), now).await?;
        let ev = NewAudit {
            realm_id: Some(&realm.id),
            kind: "consent.granted",
            actor: &sso.user.username,
            client_id: Some(client.client_id()),
            subject: Some(&sso.user.id),
            detail: Some(serde_json::json!({ "scopes": req.scopes })),
            ..Default::default()
        };
        store::audit::insert(&mut tx, &ev, now).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        return crate::unavailable::failure_page("recording consent", e);
    }
    // The consent given now satisfies prompt=consent.
    req.prompt_consent = false;
    authorize::proceed(&state, &session, &realm, Some(&form.rid), req).await
}
