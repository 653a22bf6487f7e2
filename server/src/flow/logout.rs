//! RP-initiated logout (OIDC RP-Initiated Logout 1.0). With a valid `id_token_hint` whose `sid`
//! is this browser's SSO session, the session ends at once; otherwise the user confirms on a
//! page (a third party cannot sign them out).
//! `post_logout_redirect_uri` must be registered for the client, exactly; otherwise the user
//! sees an error page, never a redirect.

use super::{paths, realm_path, sso};
use crate::{
    console::csrf,
    crypto::token_hash,
    net::ClientIp,
    oauth::{authorize::error_page, client_auth, error::OAuthError, form::Params, refresh_envelope},
    registry::Realm,
    state::AppState,
    store::{self, audit::NewAudit},
};
use axum::{
    body::Bytes,
    extract::{rejection::FormRejection, Path, RawQuery, State},
    http::{HeaderMap, Method, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

const PENDING: &str = "logout.pending";

/// Where to go after a confirmed logout.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AfterLogout {
    redirect: Option<String>,
    state: Option<String>,
}

#[derive(Debug, Deserialize)]
struct HintClaims {
    aud: serde_json::Value,
    #[serde(default)]
    sid: Option<String>,
}

/// Verifies an ID token of this realm, ignoring its expiry (a hint may be old).
fn verify_hint(realm: &Realm, token: &str) -> Option<HintClaims> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    let (alg, key) = realm.keys.verifier(header.kid.as_deref()?)?;
    // An access token is not an ID token.
    if header.alg != alg.jwt_algorithm() || header.typ.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("at+jwt")) {
        return None;
    }
    let mut v = jsonwebtoken::Validation::new(alg.jwt_algorithm());
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    v.set_issuer(&[&realm.issuer]);
    jsonwebtoken::decode::<HintClaims>(token, key, &v).ok().map(|d| d.claims)
}

fn first_audience(aud: &serde_json::Value) -> Option<String> {
    match aud {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_owned),
        _ => None,
    }
}

/// Keycloak's back-channel logout: a client posts its credentials and a refresh token; the
/// session that token belongs to ends (its refresh and access tokens with it); 204.
async fn backchannel_logout(
    state: &AppState,
    realm: &Realm,
    headers: &HeaderMap,
    params: &Params,
    ip: std::net::IpAddr,
) -> Response {
    let client = match client_auth::authenticate(state, realm, headers, params, ip).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let token = params.get("refresh_token").unwrap_or_default();
    let row = match state.db.conn().await {
        Ok(mut conn) => store::refresh_tokens::get(&mut conn, &token_hash(refresh_envelope::secret(token))).await,
        Err(e) => Err(e),
    };
    let row = match row {
        Ok(Some(r)) if r.client_pk == client.client.row.id && r.realm_id == realm.id && r.revoked_at.is_none() => r,
        Ok(_) => return OAuthError::invalid_grant("Invalid refresh token").into_response(),
        Err(e) => return OAuthError::from(e).into_response(),
    };
    let ended = async {
        let (mut tx, now) = (state.db.begin().await?, state.now());
        store::user_sessions::end_everywhere(&mut tx, &realm.id, &row.session_id, now).await?;
        // An offline token outlives its session: end its family too.
        store::refresh_tokens::end_family(&mut tx, &realm.id, &row.family_id, now).await?;
        tx.commit().await
    }
    .await;
    match ended {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => OAuthError::from(e).into_response(),
    }
}

fn bad(message: &str) -> Response {
    error_page(StatusCode::BAD_REQUEST, "Cannot sign out", message)
}

/// `GET|POST {realm}/protocol/openid-connect/logout`.
#[allow(clippy::too_many_arguments)]
pub async fn end_session(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    session: Session,
    ClientIp(ip): ClientIp,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let realm = match crate::flow::realm_or_page(&state, &realm_name).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let Ok(params) = Params::from_get_or_post(&method, &headers, query.as_deref(), &body) else {
        return bad("The request is malformed.");
    };
    if method == Method::POST && params.get("refresh_token").is_some() {
        return backchannel_logout(&state, &realm, &headers, &params, ip).await;
    }
    let hint = match params.get("id_token_hint") {
        Some(t) => match verify_hint(&realm, t) {
            Some(h) => Some(h),
            None => return bad("The id_token_hint is not a valid ID token of this realm."),
        },
        None => None,
    };
    let hint_client = hint.as_ref().and_then(|h| first_audience(&h.aud));
    let client_id = match (params.get("client_id"), hint_client.as_deref()) {
        (Some(a), Some(b)) if a != b => return bad("client_id does not match the id_token_hint."),
        (a, b) => a.or(b).map(str::to_owned),
    };
    let redirect = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let Some(client_id) = &client_id else {
                return bad("post_logout_redirect_uri needs id_token_hint or client_id.");
            };
            let client = state.registry.client(&realm, client_id).await.ok().flatten();
            if !client.is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri)) {
                return bad("post_logout_redirect_uri is not registered for this application.");
            }
            Some(uri.to_owned())
        }
    };
    let after = AfterLogout { redirect, state: params.get("state").map(str::to_owned) };
    // The hint proves which session the client means; only when that is this browser's own
    // session may it end without asking. Any other valid ID token of the realm (another
    // user's, an old one) gets the confirmation page: otherwise a page could sign visitors
    // out with a token of its own (a logout CSRF).
    let browser_sid = sso::browser_session_id(&session, &realm.id).await;
    let hint_is_this_browser = hint
        .as_ref()
        .and_then(|h| h.sid.as_deref())
        .is_some_and(|sid| browser_sid.as_deref().is_some_and(|b| crate::crypto::ct_eq(b.as_bytes(), sid.as_bytes())));
    match hint_is_this_browser {
        true => finish(&state, &session, &realm, after).await,
        false => {
            crate::console::sessions::keep_anonymous_short(&session).await;
            if session.insert(PENDING, &after).await.is_err() {
                return bad("Your session could not be saved.");
            }
            Redirect::to(&realm_path(&realm.name, paths::LOGOUT_PAGE)).into_response()
        }
    }
}

/// The confirmation form.
#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf: Option<String>,
}

/// `POST /realms/{realm}/login-actions/logout`.
pub async fn confirm(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    headers: axum::http::HeaderMap,
    session: Session,
    form: Result<Form<ConfirmForm>, FormRejection>,
) -> Response {
    let token = form.ok().and_then(|Form(f)| f.csrf);
    if !csrf::verify(&session, &headers, token.as_deref()).await {
        return error_page(StatusCode::FORBIDDEN, "Form expired", "The form has expired. Go back and try again.");
    }
    let realm = match crate::flow::realm_or_page(&state, &realm_name).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let after = session
        .remove::<AfterLogout>(PENDING)
        .await
        .ok()
        .flatten()
        .unwrap_or(AfterLogout { redirect: None, state: None });
    finish(&state, &session, &realm, after).await
}

/// Ends the browser's SSO session in the realm and goes where the client asked.
async fn finish(state: &AppState, session: &Session, realm: &Realm, after: AfterLogout) -> Response {
    if let Some(sid) = sso::forget(session, &realm.id).await {
        if let Err(e) = sso::end_session(state, &realm.id, &sid).await {
            tracing::error!(error = %e, "ending session");
        }
        if let Ok(mut conn) = state.db.conn().await {
            let ev = NewAudit {
                realm_id: Some(&realm.id),
                kind: "user.logout",
                actor: "user",
                subject: Some(&sid),
                ..Default::default()
            };
            let _ = store::audit::insert(&mut conn, &ev, state.now()).await;
        }
    }
    match after.redirect.and_then(|r| url::Url::parse(&r).ok()) {
        Some(mut url) => {
            if let Some(s) = after.state {
                url.query_pairs_mut().append_pair("state", &s);
            }
            Redirect::to(url.as_str()).into_response()
        }
        None => Redirect::to(&realm_path(&realm.name, paths::LOGGED_OUT_PAGE)).into_response(),
    }
}
