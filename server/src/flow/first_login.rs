//! `POST /realms/{realm}/login-actions/first-broker-login`: Keycloak's "review profile" step of
//! a first sign-in through an identity provider. The upstream account is already verified; the
//! browser session keeps it (with its tokens sealed for the account to be made) for a few
//! minutes while the sign-in page shows its username, email and names prefilled. The user
//! corrects what is missing or taken and continues; the account, the link, the kept tokens and
//! the SSO session are then written in one transaction, as for any federated sign-in.

use super::{
    broker::{self, Identity, Keep, NewUser, Outcome, Problem, Profile},
    login, paths, realm_path,
};
use crate::{
    console::csrf,
    net::ClientIp,
    registry::Realm,
    state::AppState,
    store::{
        self,
        identity_providers::{BrokerTokenRow, IdpRow},
    },
};
use axum::{
    extract::{rejection::FormRejection, Path, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// How long the reviewed sign-in waits for the user.
pub const TTL_SECS: i64 = 10 * 60;

/// A verified upstream account waiting for its profile to be reviewed.
#[derive(Clone, Serialize, Deserialize)]
pub struct Review {
    provider_pk: String,
    pub provider_name: String,
    identity: Identity,
    /// The id the new account will have (the kept tokens are sealed for it).
    user_id: String,
    tokens: Option<BrokerTokenRow>,
    rid: Option<String>,
    started_at: i64,
    /// What the page shows: the upstream's values at first, then what the user typed.
    profile: Profile,
}

impl Review {
    pub(super) fn new(
        idp: &IdpRow,
        identity: Identity,
        user_id: String,
        tokens: Option<BrokerTokenRow>,
        rid: Option<String>,
        now: i64,
    ) -> Review {
        Review {
            provider_pk: idp.id.clone(),
            provider_name: idp.display_name.clone(),
            profile: Profile::of(&identity),
            identity,
            user_id,
            tokens,
            rid,
            started_at: now,
        }
    }

    /// The pending request it continues, if any.
    pub fn rid(&self) -> Option<&str> {
        self.rid.as_deref()
    }

    /// The page's view of it.
    pub fn view(&self) -> app::api::ReviewProfileView {
        app::api::ReviewProfileView {
            provider: self.provider_name.clone(),
            username: self.profile.username.clone(),
            email: self.profile.email.clone(),
            first_name: self.profile.first_name.clone(),
            last_name: self.profile.last_name.clone(),
        }
    }
}

fn key(realm_id: &str) -> String {
    format!("first_login.{realm_id}")
}

/// Keeps `review` in this browser and shows the review page (with `problem`'s message).
pub(super) async fn begin(session: &Session, realm: &Realm, review: Review, problem: Problem) -> Response {
    let rid = review.rid.clone();
    if let Err(e) = session.insert(&key(&realm.id), &review).await {
        return crate::unavailable::failure_page("remembering the sign-in", e);
    }
    to_page(&realm.name, rid.as_deref(), problem)
}

fn to_page(realm: &str, rid: Option<&str>, problem: Problem) -> Response {
    match problem {
        Some((_, code)) => login::back(realm, rid, code, None),
        None => {
            let mut url = realm_path(realm, paths::LOGIN_PAGE);
            if let Some(r) = rid {
                url.push('?');
                url.push_str(&url::form_urlencoded::Serializer::new(String::new()).append_pair("rid", r).finish());
            }
            Redirect::to(&url).into_response()
        }
    }
}

/// The review waiting in this browser for `realm_id`, if still recent.
pub async fn current(session: &Session, realm_id: &str, now: i64) -> Option<Review> {
    let review = session.get::<Review>(&key(realm_id)).await.ok().flatten()?;
    (now - review.started_at < TTL_SECS).then_some(review)
}

/// The form.
#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    csrf: Option<String>,
}

fn field(value: &str) -> String {
    value.trim().chars().take(255).collect()
}

/// Handles the form: the account is made as reviewed, or the page comes back with the message
/// beside the field and what was typed kept.
#[tracing::instrument(skip_all, fields(realm = %realm_name))]
pub async fn review(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    session: Session,
    form: Result<Form<ReviewForm>, FormRejection>,
) -> Response {
    let realm = match super::realm_or_page(&state, &realm_name).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let now = state.now();
    let Some(mut review) = current(&session, &realm.id, now).await else {
        return login::back(&realm_name, None, "expired", None);
    };
    let rid = review.rid.clone();
    let Ok(Form(form)) = form else {
        return login::back(&realm_name, rid.as_deref(), "invalid", None);
    };
    if !csrf::verify(&session, &headers, form.csrf.as_deref()).await {
        return login::back(&realm_name, rid.as_deref(), "csrf", None);
    }
    let idp = match state.db.conn().await {
        Ok(mut c) => store::identity_providers::by_id(&mut c, &review.provider_pk).await,
        Err(e) => Err(e),
    };
    let idp = match idp {
        Ok(Some(p)) if p.enabled && p.realm_id == realm.id => p,
        Ok(_) => {
            let _ = session.remove::<Review>(&key(&realm.id)).await;
            return login::back(&realm_name, rid.as_deref(), "expired", None);
        }
        Err(e) => return crate::unavailable::failure_page("loading identity provider", e),
    };
    review.profile = Profile {
        username: field(&form.username),
        email: field(&form.email),
        first_name: field(&form.first_name),
        last_name: field(&form.last_name),
    };
    let new_user = NewUser { id: review.user_id.clone(), reviewed: Some(review.profile.clone()) };
    let keep = Keep::Sealed(review.tokens.clone());
    let ip = peer.to_string();
    let outcome = broker::link_and_start(&state, &realm, &idp, &review.identity, keep, &new_user, &ip, &headers).await;
    match outcome {
        Ok(Outcome::Review(problem)) => begin(&session, &realm, review, problem).await,
        outcome => {
            if matches!(outcome, Ok(Outcome::SignedIn(..))) {
                let _ = session.remove::<Review>(&key(&realm.id)).await;
            }
            broker::finish(&state, &session, &realm, &idp, outcome, rid.as_deref(), &ip).await
        }
    }
}
