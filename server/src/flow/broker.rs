//! Federated sign-in (issue 12, item 2; PRODUCT §10), Keycloak's identity brokering:
//! `GET /realms/{realm}/broker/{alias}/login?rid=…` starts the code flow at the upstream provider
//! (`state`, `nonce` and a PKCE verifier kept in this browser's session, bound to the pending
//! request), and `GET /realms/{realm}/broker/{alias}/endpoint` (Keycloak's path, so upstream
//! registrations carry over) finishes it: the code is exchanged, the ID token checked (or, for
//! plain OAuth 2.0, userinfo asked), the upstream account mapped to a local user (by its link,
//! by a verified email when the provider is trusted to verify them, or a new user), and the
//! sign-in continues as a password sign-in does.
//!
//! A first sign-in may stop at Keycloak's "review profile" step (`first_login`), as the
//! provider's `first_login_review` says: always, only when the username or email is missing or
//! taken, or never. Every upstream failure is a page, never a 500, and the user, the link, the
//! kept tokens and the SSO session are written in one transaction or not at all.

use super::{broker_token, first_login, login, pending, realm_or_page};
use crate::{
    crypto::{b64, ct_eq, random_token, sha256},
    manage::identity_provider::FirstLoginReview,
    model::validate,
    net::ClientIp,
    oauth::authorize::error_page,
    registry::Realm,
    state::AppState,
    store::{
        self,
        audit::NewAudit,
        identity_providers::{BrokerTokenRow, IdpRow, LinkRow},
        user_sessions::UserSessionRow,
        users::{UserQuery, UserRow},
    },
    upstream::{
        id_token::{self, Expected},
        token as upstream_token,
    },
};
use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tower_sessions::Session;

/// How long a started upstream sign-in may take.
const TTL_SECS: i64 = 10 * 60;
/// Started sign-ins one browser session keeps (a new one pushes out the oldest).
const MAX_STARTED: usize = 4;
/// The session key holding them.
const KEY: &str = "broker";

/// An upstream sign-in under way in this browser.
#[derive(Clone, Serialize, Deserialize)]
struct Started {
    state: String,
    nonce: String,
    verifier: Option<String>,
    rid: Option<String>,
    realm_id: String,
    alias: String,
    created_at: i64,
}

/// `{public_url}/realms/{realm}/broker/{alias}/endpoint`: what the upstream must register.
pub fn redirect_uri(state: &AppState, realm: &str, alias: &str) -> String {
    format!("{}/realms/{realm}/broker/{alias}/endpoint", state.public_url)
}

/// `/realms/{realm}/broker/{alias}/login`, continuing the pending request `rid` if any.
pub fn login_path(realm: &str, alias: &str, rid: Option<&str>) -> String {
    let path = format!("/realms/{realm}/broker/{alias}/login");
    match rid {
        Some(r) => {
            format!("{path}?{}", url::form_urlencoded::Serializer::new(String::new()).append_pair("rid", r).finish())
        }
        None => path,
    }
}

async fn load_started(session: &Session) -> Vec<Started> {
    session.get::<Vec<Started>>(KEY).await.ok().flatten().unwrap_or_default()
}

/// The enabled provider `alias` of `realm`, or the page saying why not.
async fn provider(state: &AppState, realm: &Realm, alias: &str) -> Result<IdpRow, Response> {
    let found = match state.db.conn().await {
        Ok(mut c) => store::identity_providers::by_alias(&mut c, &realm.id, alias).await,
        Err(e) => Err(e),
    };
    match found {
        Ok(Some(p)) if p.enabled => Ok(p),
        Ok(_) => {
            Err(error_page(StatusCode::NOT_FOUND, "Unknown provider", "This realm has no such identity provider."))
        }
        Err(e) => Err(crate::unavailable::failure_page("loading identity provider", e)),
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    rid: Option<String>,
}

/// `GET /realms/{realm}/broker/{alias}/login`: off to the provider.
#[tracing::instrument(skip_all, fields(realm = %realm_name, alias = %alias))]
pub async fn login(
    State(state): State<AppState>,
    Path((realm_name, alias)): Path<(String, String)>,
    session: Session,
    query: Result<Query<LoginQuery>, QueryRejection>,
) -> Response {
    let realm = match realm_or_page(&state, &realm_name).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let idp = match provider(&state, &realm, &alias).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let now = state.now();
    let rid = query.ok().and_then(|Query(q)| q.rid).filter(|r| !r.is_empty());
    if let Some(r) = &rid {
        if pending::get(&session, r, &realm.id, now).await.is_none() {
            return expired_page();
        }
    }
    let started = Started {
        state: random_token::<24>(),
        nonce: random_token::<24>(),
        verifier: idp.pkce.then(random_token::<32>),
        rid,
        realm_id: realm.id.clone(),
        alias: idp.alias.clone(),
        created_at: now,
    };
    let Ok(mut url) = url::Url::parse(&idp.authorization_url) else {
        return error_page(
            StatusCode::BAD_GATEWAY,
            "Provider misconfigured",
            "The provider's sign-in address is not valid.",
        );
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &idp.client_id)
            .append_pair("redirect_uri", &redirect_uri(&state, &realm.name, &idp.alias))
            .append_pair("state", &started.state);
        if !idp.scopes.is_empty() {
            q.append_pair("scope", &idp.scopes);
        }
        if idp.kind == "oidc" {
            q.append_pair("nonce", &started.nonce);
        }
        if let Some(v) = &started.verifier {
            q.append_pair("code_challenge", &b64(&sha256(v.as_bytes()))).append_pair("code_challenge_method", "S256");
        }
    }
    let mut all = load_started(&session).await;
    all.retain(|s| now - s.created_at < TTL_SECS);
    all.push(started);
    if all.len() > MAX_STARTED {
        all.drain(..all.len() - MAX_STARTED);
    }
    crate::console::sessions::keep_anonymous_short(&session).await;
    if let Err(e) = session.insert(KEY, all).await {
        return crate::unavailable::failure_page("remembering the upstream sign-in", e);
    }
    Redirect::to(url.as_str()).into_response()
}

fn expired_page() -> Response {
    error_page(StatusCode::BAD_REQUEST, "Sign-in expired", "This sign-in request has expired or is not valid.")
}

/// What the provider sends back (RFC 6749 §4.1.2 and §4.1.2.1).
#[derive(Deserialize)]
pub struct Callback {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Takes the started sign-in `state` names (compared in constant time), if it is this
/// realm's and provider's and not expired. Single use.
async fn take_started(session: &Session, state: &str, realm_id: &str, alias: &str, now: i64) -> Option<Started> {
    let mut all = load_started(session).await;
    let i = all.iter().position(|s| ct_eq(s.state.as_bytes(), state.as_bytes()))?;
    let started = all.remove(i);
    all.retain(|s| now - s.created_at < TTL_SECS);
    let _ = if all.is_empty() {
        session.remove::<Vec<Started>>(KEY).await.map(|_| ())
    } else {
        session.insert(KEY, all).await
    };
    (started.realm_id == realm_id && started.alias == alias && now - started.created_at < TTL_SECS).then_some(started)
}

/// The page for an upstream that failed; the detail goes to the log only.
fn upstream_page(idp: &IdpRow, what: &str, detail: &dyn std::fmt::Display) -> Response {
    tracing::warn!(alias = %idp.alias, error = %detail, "{what}");
    error_page(
        StatusCode::BAD_GATEWAY,
        "Sign-in failed",
        &format!("Signing in with {} did not work: {what}. Please try again later.", idp.display_name),
    )
}

/// `GET /realms/{realm}/broker/{alias}/endpoint`: back from the provider.
#[tracing::instrument(skip_all, fields(realm = %realm_name, alias = %alias))]
pub async fn endpoint(
    State(state): State<AppState>,
    Path((realm_name, alias)): Path<(String, String)>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    session: Session,
    query: Result<Query<Callback>, QueryRejection>,
) -> Response {
    let realm = match realm_or_page(&state, &realm_name).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let Ok(Query(cb)) = query else { return expired_page() };
    let now = state.now();
    let Some(started) = take_started(&session, cb.state.as_deref().unwrap_or_default(), &realm.id, &alias, now).await
    else {
        return expired_page();
    };
    let idp = match provider(&state, &realm, &alias).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    if let Some(error) = cb.error {
        tracing::info!(%error, description = cb.error_description.as_deref().unwrap_or(""), "upstream refused");
        let message = if error == "access_denied" {
            format!("Signing in with {} was cancelled.", idp.display_name)
        } else {
            format!("{} did not sign you in.", idp.display_name)
        };
        return error_page(StatusCode::BAD_REQUEST, "Sign-in cancelled", &message);
    }
    let Some(code) = cb.code.filter(|c| !c.is_empty() && c.len() <= 4096) else { return expired_page() };
    let secret = match state.manager.idp_secret(&idp) {
        Ok(s) => s,
        Err(e) => return crate::unavailable::failure_page("opening the provider's secret", e),
    };
    let redirect = redirect_uri(&state, &realm.name, &idp.alias);
    let tokens =
        match upstream_token::exchange_code(&idp, secret.as_deref(), &code, &redirect, started.verifier.as_deref())
            .await
        {
            Ok(t) => t,
            Err(e) => return upstream_page(&idp, "the provider did not issue tokens", &e),
        };
    let claims = match claims_of(&state, &idp, &tokens, &started.nonce).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let Some(identity) = Identity::from_claims(&idp, &claims) else {
        return upstream_page(&idp, "the provider did not say who you are", &"no subject");
    };
    let new_user = NewUser { id: store::new_id(), reviewed: None };
    let keep = Keep::Fresh(&tokens);
    let ip = peer.to_string();
    let outcome = link_and_start(&state, &realm, &idp, &identity, keep, &new_user, &ip, &headers).await;
    match outcome {
        Ok(Outcome::Review(problem)) => {
            // Sealed now, for the user id the new account will have: the session never holds
            // an upstream token in the clear.
            let kept =
                idp.store_tokens.then(|| broker_token::sealed_row(&state, &new_user.id, &idp.id, &tokens, None, now));
            let review = first_login::Review::new(&idp, identity, new_user.id, kept, started.rid, now);
            first_login::begin(&session, &realm, review, problem).await
        }
        outcome => finish(&state, &session, &realm, &idp, outcome, started.rid.as_deref(), &ip).await,
    }
}

/// Signs in the user an outcome names and continues the pending request, or shows its page.
pub(super) async fn finish(
    state: &AppState,
    session: &Session,
    realm: &Realm,
    idp: &IdpRow,
    outcome: sqlx::Result<Outcome>,
    rid: Option<&str>,
    ip: &str,
) -> Response {
    let (user, session_row) = match outcome {
        Ok(Outcome::SignedIn(done)) => *done,
        Ok(Outcome::Refused(page)) => return page,
        Ok(Outcome::Review(_)) => return expired_page(),
        Err(e) => return crate::unavailable::failure_page("signing in through a provider", e),
    };
    if let Err(e) = super::sso::adopt(session, &session_row).await {
        tracing::error!(error = %e, "starting SSO session");
        return crate::unavailable::failure_page("starting the session", e.as_str());
    }
    let detail = serde_json::json!({ "identity_provider": idp.alias });
    login::continue_signed_in(state, session, realm, &user, rid, ip, Some(detail)).await
}

/// The upstream account's claims: the checked ID token's (with userinfo's for what it lacks)
/// for an OpenID provider, userinfo's for plain OAuth 2.0.
async fn claims_of(
    state: &AppState,
    idp: &IdpRow,
    tokens: &upstream_token::TokenResponse,
    nonce: &str,
) -> Result<Map<String, Value>, Response> {
    let userinfo = |url: String| async move {
        upstream_token::userinfo(&url, &tokens.access_token)
            .await
            .map_err(|e| upstream_page(idp, "the provider did not say who you are", &e))
    };
    if idp.kind != "oidc" {
        let url = idp.userinfo_url.clone().unwrap_or_default();
        return userinfo(url).await;
    }
    let (Some(raw), Some(jwks), Some(issuer)) = (&tokens.id_token, &idp.jwks_url, &idp.issuer) else {
        return Err(upstream_page(idp, "the provider sent no ID token", &"no id_token"));
    };
    let expected = Expected { issuer, client_id: &idp.client_id, nonce, now: state.now() };
    let mut claims = id_token::check(upstream_token::client(), &idp.id, jwks, raw, &expected)
        .await
        .map_err(|e| upstream_page(idp, "its ID token was not valid", &e))?;
    let lacking = [&idp.username_claim, &idp.email_claim].iter().any(|c| !claims.contains_key(c.as_str()));
    if let (true, Some(url)) = (lacking, idp.userinfo_url.clone()) {
        // OIDC Core §5.3.2: userinfo's `sub` must be the ID token's, else it is ignored.
        if let Ok(info) = userinfo(url).await {
            if info.get("sub") == claims.get("sub") {
                for (k, v) in info {
                    claims.entry(k).or_insert(v);
                }
            }
        }
    }
    Ok(claims)
}

/// The upstream account, as the provider's claim mappings read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Identity {
    pub subject: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub first_name: String,
    pub last_name: String,
}

/// What a first sign-in's new user is called, as the user confirmed it on the review page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Profile {
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

impl Profile {
    pub fn of(id: &Identity) -> Profile {
        Profile {
            username: id.username.clone(),
            email: id.email.clone().unwrap_or_default(),
            first_name: id.first_name.clone(),
            last_name: id.last_name.clone(),
        }
    }
}

/// Why the review page is shown: the field to correct and the message code (`?error=`).
pub(super) type Problem = Option<(&'static str, &'static str)>;

/// The local account a first sign-in would create: its id (fixed in advance, so tokens kept
/// during a review are sealed for it) and the profile reviewed, if it was.
pub(super) struct NewUser {
    pub id: String,
    pub reviewed: Option<Profile>,
}

/// The upstream tokens to keep: from the provider just now, or sealed during a review.
pub(super) enum Keep<'a> {
    Fresh(&'a upstream_token::TokenResponse),
    Sealed(Option<BrokerTokenRow>),
}

/// What a federated sign-in comes to.
pub(super) enum Outcome {
    SignedIn(Box<(UserRow, UserSessionRow)>),
    /// A first sign-in whose profile the user reviews first; nothing was written.
    Review(Problem),
    /// A page saying why not (a disabled user, a race lost).
    Refused(Response),
}

fn text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().chars().take(255).collect()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Identity {
    fn from_claims(idp: &IdpRow, claims: &Map<String, Value>) -> Option<Identity> {
        let subject = text(claims, "sub")?;
        let email = text(claims, &idp.email_claim).filter(|e| validate::email(e).is_ok());
        let username = text(claims, &idp.username_claim)
            .or_else(|| email.clone())
            .unwrap_or_else(|| subject.clone())
            .chars()
            .map(|c| if c.is_whitespace() || c.is_control() { '-' } else { c })
            .take(200)
            .collect();
        let email_verified = matches!(claims.get("email_verified"), Some(Value::Bool(true)))
            || text(claims, "email_verified").as_deref() == Some("true");
        let (first_name, last_name) = match (text(claims, "given_name"), text(claims, "family_name")) {
            (None, None) => {
                let name = text(claims, &idp.name_claim).unwrap_or_default();
                let (f, l) = name.split_once(' ').unwrap_or((&name, ""));
                (f.to_owned(), l.trim().to_owned())
            }
            (f, l) => (f.unwrap_or_default(), l.unwrap_or_default()),
        };
        Some(Identity { subject, username, email, email_verified, first_name, last_name })
    }
}

/// A username no one in the realm has: `base`, else `base-2`, `base-3`…
async fn free_username(c: &mut impl store::Executes, realm_id: &str, base: &str) -> sqlx::Result<String> {
    for n in 1..=20 {
        let candidate = if n == 1 { base.to_owned() } else { format!("{base}-{n}") };
        if store::users::by_username(c, realm_id, &candidate).await?.is_none() {
            return Ok(candidate);
        }
    }
    Ok(format!("{base}-{}", &random_token::<8>()[..8]))
}

fn disabled_page() -> Response {
    error_page(StatusCode::FORBIDDEN, "Account disabled", "This account is disabled. Ask an administrator.")
}

/// The reason a first sign-in's profile needs review, `None` when it may be used as it is.
async fn problem_with(c: &mut impl store::Executes, realm_id: &str, p: &Profile) -> sqlx::Result<Problem> {
    if validate::username(&p.username).is_err() {
        return Ok(Some(("username", "username-invalid")));
    }
    if store::users::by_username(c, realm_id, &p.username).await?.is_some() {
        return Ok(Some(("username", "username-taken")));
    }
    if p.email.is_empty() {
        return Ok(Some(("email", "email-missing")));
    }
    if validate::email(&p.email).is_err() {
        return Ok(Some(("email", "email-invalid")));
    }
    if email_taken(c, realm_id, &p.email).await? {
        return Ok(Some(("email", "email-taken")));
    }
    Ok(None)
}

async fn email_taken(c: &mut impl store::Executes, realm_id: &str, email: &str) -> sqlx::Result<bool> {
    let q = UserQuery { email: Some(email.to_owned()), exact: true, ..Default::default() };
    Ok(!store::users::search(c, realm_id, &q, 0, 1).await?.is_empty())
}

/// In one transaction: finds or creates the local user, links the upstream account, keeps its
/// tokens (when the provider stores them) and stores the SSO session. A first sign-in stops
/// before writing anything when its profile is to be reviewed.
#[allow(clippy::too_many_arguments)]
pub(super) async fn link_and_start(
    state: &AppState,
    realm: &Realm,
    idp: &IdpRow,
    id: &Identity,
    keep: Keep<'_>,
    new_user: &NewUser,
    ip: &str,
    headers: &HeaderMap,
) -> sqlx::Result<Outcome> {
    let now = state.now();
    let actor = format!("broker:{}", idp.alias);
    let mut tx = state.db.begin().await?;
    let mut events: Vec<(&'static str, Value)> = Vec::new();
    let linked = match store::identity_providers::link_by_subject(&mut tx, &idp.id, &id.subject).await? {
        Some(link) => store::users::by_id(&mut tx, &link.user_id).await?,
        None => None,
    };
    let user = match linked {
        Some(user) => user,
        None => {
            let by_email = match (&id.email, idp.trust_email && id.email_verified) {
                (Some(email), true) => {
                    let q = UserQuery { email: Some(email.clone()), exact: true, ..Default::default() };
                    store::users::search(&mut tx, &realm.id, &q, 0, 2).await?.into_iter().next()
                }
                _ => None,
            };
            let user = match by_email {
                Some(u) => u,
                None => {
                    let mode = FirstLoginReview::parse(&idp.first_login_review).unwrap_or(FirstLoginReview::Missing);
                    let profile = match &new_user.reviewed {
                        Some(p) => match problem_with(&mut tx, &realm.id, p).await? {
                            None => p.clone(),
                            problem => return Ok(Outcome::Review(problem)),
                        },
                        None => {
                            let p = Profile::of(id);
                            let problem = problem_with(&mut tx, &realm.id, &p).await?;
                            match (mode, problem) {
                                (FirstLoginReview::On, _) | (FirstLoginReview::Missing, Some(_)) => {
                                    return Ok(Outcome::Review(problem))
                                }
                                (_, None) => p,
                                // Off: a taken username gets a suffix, a taken email is left out.
                                (FirstLoginReview::Off, Some(_)) => {
                                    let taken =
                                        !p.email.is_empty() && email_taken(&mut tx, &realm.id, &p.email).await?;
                                    Profile {
                                        username: free_username(&mut tx, &realm.id, &p.username).await?,
                                        email: if taken { String::new() } else { p.email },
                                        ..p
                                    }
                                }
                            }
                        }
                    };
                    let email = Some(profile.email.clone()).filter(|e| !e.is_empty());
                    let user = UserRow {
                        id: new_user.id.clone(),
                        realm_id: realm.id.clone(),
                        username: profile.username,
                        // Verified only when it is the address the provider vouched for.
                        email_verified: id.email_verified && email.is_some() && email == id.email,
                        email,
                        first_name: profile.first_name,
                        last_name: profile.last_name,
                        password_hash: None,
                        enabled: true,
                        password_temporary: false,
                        created_at: now,
                        updated_at: now,
                    };
                    store::users::insert(&mut tx, &user).await?;
                    let reviewed = new_user.reviewed.is_some();
                    let detail = serde_json::json!({ "identity_provider": idp.alias, "profile_reviewed": reviewed });
                    events.push(("user.created", detail));
                    user
                }
            };
            if !user.enabled {
                return Ok(Outcome::Refused(disabled_page()));
            }
            let link = LinkRow {
                provider_pk: idp.id.clone(),
                subject: id.subject.clone(),
                user_id: user.id.clone(),
                username: id.username.clone(),
                linked_at: now,
            };
            if !store::identity_providers::link(&mut tx, &link).await? {
                // A concurrent first sign-in linked it, or this user has another account of
                // the provider already.
                return Ok(Outcome::Refused(error_page(
                    StatusCode::CONFLICT,
                    "Account already linked",
                    &format!("This account is already linked with another {} account.", idp.display_name),
                )));
            }
            events
                .push(("user.idp_linked", serde_json::json!({ "alias": idp.alias, "upstream_username": id.username })));
            user
        }
    };
    if !user.enabled || user.realm_id != realm.id {
        return Ok(Outcome::Refused(disabled_page()));
    }
    let kept = match keep {
        Keep::Fresh(tokens) => Some(broker_token::sealed_row(state, &user.id, &idp.id, tokens, None, now)),
        // Sealed for the account the review was to create; another (linked meanwhile) keeps
        // what it had.
        Keep::Sealed(row) => row.filter(|r| r.user_id == user.id),
    };
    if let (true, Some(row)) = (idp.store_tokens, kept) {
        // A new sign-in's tokens replace the ones kept before.
        store::identity_providers::put_tokens(&mut tx, &row).await?;
    }
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let session_row = super::sso::new_session_row(&user, now, ip, user_agent);
    store::user_sessions::insert(&mut tx, &session_row).await?;
    for (kind, detail) in events {
        let ev = NewAudit {
            realm_id: Some(&realm.id),
            kind,
            actor: &actor,
            subject: Some(&user.id),
            ip: Some(ip),
            detail: Some(detail),
            ..Default::default()
        };
        store::audit::insert(&mut tx, &ev, now).await?;
    }
    tx.commit().await?;
    Ok(Outcome::SignedIn(Box::new((user, session_row))))
}
