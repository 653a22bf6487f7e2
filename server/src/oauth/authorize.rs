//! The authorization endpoint (RFC 6749 §3.1, §4.1.1, §4.2.1; OIDC Core §3.1.2; RFC 7636).
//!
//! Errors about the client or the redirect URI are shown as a page and never redirected
//! (§4.1.2.1): that is the [`Refusal::Page`] variant, and nothing before the redirect URI is
//! validated can produce a redirect. Every later error redirects with `error`, `state` and `iss`
//! (RFC 9207). A valid request waits in the browser's session (`flow::pending`) for sign-in and
//! consent, then ends in [`complete`]: a code, or for clients allowed it, implicit tokens.

use super::{
    error::{ErrorCode, OAuthError},
    form::Params,
    tokens::{self, UserGrant},
};
use crate::{
    crypto::{random_token, token_hash},
    flow::{
        self,
        pending::{self, AuthRequest, Pending, ResponseMode, ResponseType},
        sso::{self, Sso},
    },
    model::{pkce, redirect, GrantType, Template},
    registry::{Client, Realm},
    state::AppState,
    store::{self, auth_codes::AuthCodeRow},
};
use axum::{
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{header, HeaderMap, Method, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
};
use std::borrow::Cow;
use tower_sessions::Session;

/// The response types served (for discovery).
pub const RESPONSE_TYPES: &[&str] = &["code", "token", "id_token token"];
/// The response modes served.
pub const RESPONSE_MODES: &[&str] = &["query", "fragment"];
/// The `prompt` values understood.
pub const PROMPTS: &[&str] = &["none", "login", "consent", "select_account"];

/// Why an authorization request is refused.
#[derive(Debug)]
pub enum Refusal {
    /// Shown to the user; never redirected (unknown client, bad redirect URI, malformed request).
    Page { title: &'static str, message: Cow<'static, str> },
    /// Sent back to the client's redirect URI.
    Redirect { to: String, mode: ResponseMode, state: Option<String>, error: OAuthError },
}

/// The error page (HTML, 400 or 500).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Html(app::pages::error::render_document(title, message)))
        .into_response()
}

impl Refusal {
    fn page(title: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Refusal::Page { title, message: message.into() }
    }

    fn redirect(req: &AuthRequest, error: OAuthError) -> Self {
        Refusal::Redirect { to: req.redirect_uri.clone(), mode: req.response_mode, state: req.state.clone(), error }
    }

    /// The response: the page, or the redirect to the client.
    pub fn into_response(self, issuer: &str) -> Response {
        match self {
            Refusal::Page { title, message } => error_page(StatusCode::BAD_REQUEST, title, &message),
            Refusal::Redirect { to, mode, state, error } => {
                let mut params = vec![("error", error.code.as_str().to_owned())];
                if let Some(d) = error.description {
                    params.push(("error_description", d.into_owned()));
                }
                if let Some(s) = state {
                    params.push(("state", s));
                }
                params.push(("iss", issuer.to_owned()));
                redirect_with(&to, mode, &params)
            }
        }
    }
}

/// A 303 to `uri` with `params` in its query or fragment (built with `url`, never by hand).
pub fn redirect_with(uri: &str, mode: ResponseMode, params: &[(&str, String)]) -> Response {
    let Ok(mut url) = url::Url::parse(uri) else {
        return error_page(StatusCode::BAD_REQUEST, "Invalid redirect URI", "The redirect URI cannot be parsed.");
    };
    match mode {
        ResponseMode::Query => {
            let mut q = url.query_pairs_mut();
            for (k, v) in params {
                q.append_pair(k, v);
            }
        }
        ResponseMode::Fragment => {
            let mut f = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in params {
                f.append_pair(k, v);
            }
            url.set_fragment(Some(&f.finish()));
        }
    }
    Redirect::to(url.as_str()).into_response()
}

/// Validates an authorization request up to the point where it can wait for the user.
pub fn validate(realm: &Realm, client: Option<&Client>, p: &Params, now: i64) -> Result<AuthRequest, Refusal> {
    let client_id = p
        .get("client_id")
        .ok_or_else(|| Refusal::page("Invalid request", "The request names no client (client_id)."))?;
    let client = client.filter(|c| c.row.enabled).ok_or_else(|| {
        Refusal::page("Unknown application", format!("No enabled application {client_id:?} exists in this realm."))
    })?;
    let native = client.row.template == Template::Native.as_str();
    let (redirect_uri, given) = match p.get("redirect_uri") {
        Some(uri) if redirect::matches(&client.redirect_uris, uri, native) => (uri.to_owned(), true),
        Some(_) => {
            return Err(Refusal::page(
                "Invalid redirect URI",
                "The redirect URI is not registered for this application. It must match a registered URI exactly.",
            ))
        }
        None if client.redirect_uris.len() == 1 => (client.redirect_uris[0].clone(), false),
        None => return Err(Refusal::page("Invalid request", "The request has no redirect_uri.")),
    };
    // From here on, errors go back to the client.
    let response_type = match p.get("response_type") {
        Some("code") => ResponseType::Code,
        Some("token") => ResponseType::Token,
        Some(rt)
            if rt.split(' ').filter(|s| !s.is_empty()).collect::<std::collections::BTreeSet<_>>()
                == ["id_token", "token"].into_iter().collect() =>
        {
            ResponseType::IdTokenToken
        }
        _ => ResponseType::Code,
    };
    let default_mode = if response_type == ResponseType::Code { ResponseMode::Query } else { ResponseMode::Fragment };
    let mut req = AuthRequest {
        realm: realm.name.clone(),
        realm_id: realm.id.clone(),
        client_id: client_id.to_owned(),
        redirect_uri,
        redirect_uri_given: given,
        response_type,
        response_mode: default_mode,
        scopes: Vec::new(),
        state: p.get("state").map(str::to_owned),
        nonce: p.get("nonce").map(str::to_owned),
        code_challenge: None,
        prompt_none: false,
        prompt_login: false,
        prompt_consent: false,
        max_age: None,
        login_hint: p.get("login_hint").map(|h| h.chars().take(255).collect()),
        created_at: now,
    };
    let fail = |req: &AuthRequest, code: ErrorCode, msg: &str| {
        Err(Refusal::redirect(req, OAuthError::new(code, msg.to_owned())))
    };
    match p.get("response_mode") {
        None => {}
        Some("query") if response_type == ResponseType::Code => req.response_mode = ResponseMode::Query,
        Some("fragment") => req.response_mode = ResponseMode::Fragment,
        Some(_) => return fail(&req, ErrorCode::InvalidRequest, "unsupported response_mode (use query or fragment)"),
    }
    match p.get("response_type") {
        None => return fail(&req, ErrorCode::InvalidRequest, "missing parameter: response_type"),
        Some("code") | Some("token") => {}
        Some(_) if response_type == ResponseType::IdTokenToken => {}
        Some(_) => {
            return fail(
                &req,
                ErrorCode::UnsupportedResponseType,
                "supported response types: code, token, id_token token",
            )
        }
    }
    if !realm.settings.oauth_clients_enabled {
        return fail(&req, ErrorCode::UnauthorizedClient, "OAuth clients are disabled in this realm");
    }
    let grant = if response_type == ResponseType::Code { GrantType::AuthorizationCode } else { GrantType::Implicit };
    if !client.allows_grant(grant) {
        return fail(&req, ErrorCode::UnauthorizedClient, "this application may not use this response type");
    }
    let scopes = match super::grant::resolve_scope(realm, client, p.get("scope")) {
        Ok(s) => s,
        Err(e) => return Err(Refusal::redirect(&req, e)),
    };
    req.scopes = scopes;
    if response_type == ResponseType::IdTokenToken {
        if req.nonce.is_none() {
            return fail(&req, ErrorCode::InvalidRequest, "nonce is required for the id_token response type");
        }
        if !req.scopes.iter().any(|s| s == "openid") {
            return fail(&req, ErrorCode::InvalidScope, "the id_token response type needs the openid scope");
        }
    }
    if req.nonce.as_ref().is_some_and(|n| n.len() > 512) || req.state.as_ref().is_some_and(|s| s.len() > 2048) {
        return fail(&req, ErrorCode::InvalidRequest, "state or nonce is too long");
    }
    match (p.get("code_challenge"), p.get("code_challenge_method")) {
        (Some(c), Some("S256")) if pkce::valid_challenge(c) => req.code_challenge = Some(c.to_owned()),
        (Some(_), Some("S256")) => return fail(&req, ErrorCode::InvalidRequest, "malformed code_challenge"),
        (Some(_), Some("plain")) | (Some(_), None) => {
            return fail(&req, ErrorCode::InvalidRequest, "code_challenge_method must be S256 (plain is not allowed)")
        }
        (Some(_), Some(_)) => return fail(&req, ErrorCode::InvalidRequest, "unsupported code_challenge_method"),
        (None, Some(_)) => {
            return fail(&req, ErrorCode::InvalidRequest, "code_challenge_method without code_challenge")
        }
        (None, None) => {}
    }
    let pkce_required = client.row.pkce_required || !client.row.confidential;
    if response_type == ResponseType::Code && pkce_required && req.code_challenge.is_none() {
        return fail(
            &req,
            ErrorCode::InvalidRequest,
            "PKCE is required: send code_challenge and code_challenge_method=S256",
        );
    }
    for prompt in p.get("prompt").unwrap_or_default().split(' ').filter(|s| !s.is_empty()) {
        match prompt {
            "none" => req.prompt_none = true,
            "login" | "select_account" => req.prompt_login = true,
            "consent" => req.prompt_consent = true,
            _ => return fail(&req, ErrorCode::InvalidRequest, "unsupported prompt value"),
        }
    }
    if req.prompt_none && (req.prompt_login || req.prompt_consent) {
        return fail(&req, ErrorCode::InvalidRequest, "prompt=none cannot be combined with other values");
    }
    if let Some(max_age) = p.get("max_age") {
        match max_age.parse::<i64>() {
            Ok(m) if m >= 0 => req.max_age = Some(m),
            _ => return fail(&req, ErrorCode::InvalidRequest, "max_age must be a non-negative integer"),
        }
    }
    if p.get("request").is_some() || p.get("request_uri").is_some() {
        return Err(Refusal::redirect(
            &req,
            OAuthError::new(ErrorCode::InvalidRequest, "request objects are not supported"),
        ));
    }
    Ok(req)
}

/// `GET|POST {realm}/protocol/openid-connect/auth`.
pub async fn authorize(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    session: Session,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let realm = match crate::flow::realm_or_page(&state, &realm_name).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let now = state.now();
    let params = match Params::from_get_or_post(&method, &headers, query.as_deref(), &body) {
        Ok(p) => p,
        Err(e) => {
            let message = e.description.unwrap_or(Cow::Borrowed("The request is malformed."));
            return Refusal::page("Invalid request", message).into_response(&realm.issuer);
        }
    };
    let client = match params.get("client_id") {
        Some(id) => match state.registry.client(&realm, id).await {
            Ok(c) => c,
            Err(e) => return internal(e),
        },
        None => None,
    };
    match validate(&realm, client.as_deref(), &params, now) {
        Ok(req) => proceed(&state, &session, &realm, None, req).await,
        Err(refusal) => refusal.into_response(&realm.issuer),
    }
}

fn internal(e: impl crate::unavailable::Failure) -> Response {
    crate::unavailable::failure_page("authorization", e)
}

/// Moves a validated request on: to the sign-in page, the consent page, or completion.
/// `rid` names the pending request when it is already stored.
pub async fn proceed(
    state: &AppState,
    session: &Session,
    realm: &Realm,
    rid: Option<&str>,
    req: AuthRequest,
) -> Response {
    let now = state.now();
    let client = match state.registry.client(realm, &req.client_id).await {
        Ok(Some(c)) if c.row.enabled => c,
        Ok(_) => {
            return Refusal::page("Unknown application", "This application no longer exists.")
                .into_response(&realm.issuer)
        }
        Err(e) => return internal(e),
    };
    let sso = match sso::current(state, session, realm).await {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let needs_login = match &sso {
        None => true,
        Some(s) => req.prompt_login || req.max_age.is_some_and(|m| now - s.auth_time > m),
    };
    let pending = Pending::Authorize(req.clone());
    let store_and_go = |page: &'static str| async move {
        let rid = match rid {
            Some(r) => {
                if pending::update(session, r, &pending, now).await.is_err() {
                    return internal("storing the request");
                }
                r.to_owned()
            }
            None => match pending::put(session, &pending, now).await {
                Ok(r) => r,
                Err(e) => return internal(e),
            },
        };
        Redirect::to(&format!("{}?rid={rid}", flow::realm_path(&realm.name, page))).into_response()
    };
    let Some(sso) = sso.filter(|_| !needs_login) else {
        if req.prompt_none {
            return oidc_error(&req, "login_required", &realm.issuer);
        }
        return store_and_go(flow::paths::LOGIN_PAGE).await;
    };
    let consented = match consent_covers(state, &client, &sso, &req).await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let Some(consented) = consented else {
        if req.prompt_none {
            return oidc_error(&req, "consent_required", &realm.issuer);
        }
        return store_and_go(flow::paths::CONSENT_PAGE).await;
    };
    if let Some(r) = rid {
        pending::take(session, r, now).await;
    }
    match complete(state, realm, &client, &req, &sso, consented).await {
        Ok(resp) => resp,
        Err(e) => Refusal::redirect(&req, e).into_response(&realm.issuer),
    }
}

/// OIDC's `login_required` / `consent_required` (OIDC Core §3.1.2.6), sent back to the client.
fn oidc_error(req: &AuthRequest, code: &str, issuer: &str) -> Response {
    let mut params = vec![("error", code.to_owned())];
    if let Some(s) = &req.state {
        params.push(("state", s.clone()));
    }
    params.push(("iss", issuer.to_owned()));
    redirect_with(&req.redirect_uri, req.response_mode, &params)
}

/// Proof that a request passed the consent rules, made only by [`consent_covers`]: [`complete`],
/// the one place codes and implicit tokens come from, takes one, so nothing is issued to a
/// consent-required client without a consent record covering what is issued.
pub struct Consented(());

/// Whether the user's remembered consent covers the request (or the client needs none).
pub async fn consent_covers(
    state: &AppState,
    client: &Client,
    sso: &Sso,
    req: &AuthRequest,
) -> Result<Option<Consented>, sqlx::Error> {
    if client.row.consent_required && req.prompt_consent {
        // Asked again on purpose: only a consent given after this request counts.
        return Ok(None);
    }
    Ok(consent_on_record(state, client, &sso.user.id, &req.scopes).await?.then_some(Consented(())))
}

/// Whether a consent-required client has a consent record of `user_id` covering every one of
/// `scopes`. No record is no consent, whatever the scope (an empty scope included).
async fn consent_on_record(
    state: &AppState,
    client: &Client,
    user_id: &str,
    scopes: &[String],
) -> Result<bool, sqlx::Error> {
    if !client.row.consent_required {
        return Ok(true);
    }
    let mut conn = state.db.conn().await?;
    let Some(granted) = store::consents::get(&mut conn, user_id, &client.row.id).await? else {
        return Ok(false);
    };
    let granted: Vec<&str> = granted.split(' ').filter(|s| !s.is_empty()).collect();
    Ok(scopes.iter().all(|s| granted.contains(&s.as_str())))
}

/// Ends an authorized request: stores a code (or signs implicit tokens) and redirects.
pub async fn complete(
    state: &AppState,
    realm: &Realm,
    client: &Client,
    req: &AuthRequest,
    sso: &Sso,
    _consented: Consented,
) -> Result<Response, OAuthError> {
    let now = state.now();
    let mut params: Vec<(&str, String)> = Vec::new();
    match req.response_type {
        ResponseType::Code => {
            let code = random_token::<32>();
            let row = AuthCodeRow {
                code_hash: token_hash(&code),
                realm_id: realm.id.clone(),
                client_pk: client.row.id.clone(),
                user_id: sso.user.id.clone(),
                session_id: sso.session_id.clone(),
                redirect_uri: req.redirect_uri.clone(),
                scope: req.scopes.join(" "),
                nonce: req.nonce.clone(),
                code_challenge: req.code_challenge.clone(),
                auth_time: sso.auth_time,
                created_at: now,
                expires_at: now + realm.settings.auth_code_lifespan,
                used_at: None,
                family_id: None,
            };
            store::auth_codes::insert(&mut state.db.read().await?, &row).await?;
            params.push(("code", code));
        }
        ResponseType::Token | ResponseType::IdTokenToken => {
            let mut conn = state.db.conn().await?;
            let (realm_roles, client_roles) = tokens::user_roles(&mut conn, client, &sso.user.id).await?;
            let family = random_token::<16>();
            let grant = UserGrant {
                realm,
                client,
                user: &sso.user,
                session_id: &sso.session_id,
                auth_time: sso.auth_time,
                scopes: &req.scopes,
                nonce: req.nonce.as_deref(),
                family_id: &family,
                offline: false,
                grant: GrantType::Implicit,
            };
            let with_id_token = req.response_type == ResponseType::IdTokenToken;
            let (access, id) = tokens::sign(&grant, &realm_roles, &client_roles, with_id_token, now)?;
            if let Some(id) = id {
                params.push(("id_token", id));
            }
            params.push(("access_token", access.token));
            params.push(("token_type", "Bearer".into()));
            params.push(("expires_in", access.expires_in.to_string()));
            params.push(("scope", req.scopes.join(" ")));
            state.stats.count(&client.pk, &realm.id, client.client_id(), GrantType::Implicit);
        }
    }
    if let Some(s) = &req.state {
        params.push(("state", s.clone()));
    }
    params.push(("session_state", sso.session_id.clone()));
    params.push(("iss", realm.issuer.clone()));
    Ok(redirect_with(&req.redirect_uri, req.response_mode, &params))
}
