//! What every console form handler shares: the posted fields, the signed-in administrator
//! and the CSRF check ([`Posted`]), and the answer ([`Posted::done`], [`Posted::failed`]): a
//! `303` to the page that shows the outcome, or, for a hydrated form (header
//! `x-portcullis-form`), `{"location": …}` so the page moves there without a reload.

use super::{
    admin::{signed_in, SignedIn},
    csrf, flash,
    login::LOGIN,
};
use crate::{manage::ManageError, state::AppState};
use app::{
    admin::Flash,
    components::form::{FormOutcome, FORM_HEADER},
};
use axum::{
    extract::{FromRequest, Request},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    Form, Json,
};
use tower_sessions::Session;

/// Posted form fields, in order; a name may repeat (multi-selects, checkboxes).
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; `""` when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("")
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// Whether the checkbox `name` was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The lines of the textarea `name`, blank ones dropped.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.get(name).lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
    }

    /// What the form held, to fill it again after an error (never the CSRF token, nor a
    /// password or a secret: those are typed again).
    fn values(&self) -> Vec<(String, String)> {
        let kept = |k: &str| k != "csrf" && !k.starts_with("password") && !k.ends_with("secret");
        self.0.iter().filter(|(k, _)| kept(k)).cloned().collect()
    }
}

/// A console form post from a signed-in administrator whose CSRF token checked out.
pub struct Posted {
    pub admin: SignedIn,
    pub fields: Fields,
    session: Session,
    hydrated: bool,
    state: AppState,
}

/// Why a post got no further than its checks: answered at once.
pub struct Refused(Response);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        self.0
    }
}

fn go(hydrated: bool, location: &str) -> Response {
    match hydrated {
        true => Json(FormOutcome { location: location.to_owned(), flash: None }).into_response(),
        false => Redirect::to(location).into_response(),
    }
}

impl FromRequest<AppState> for Posted {
    type Rejection = Refused;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers: HeaderMap = req.headers().clone();
        let hydrated = headers.contains_key(FORM_HEADER);
        let back = headers
            .get(axum::http::header::REFERER)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| url::Url::parse(r).ok())
            .map(|u| format!("{}{}", u.path(), u.query().map(|q| format!("?{q}")).unwrap_or_default()))
            .filter(|p| p.starts_with("/admin/"))
            .unwrap_or_else(|| LOGIN.to_owned());
        let session = req.extensions().get::<Session>().cloned().ok_or_else(|| Refused(go(hydrated, LOGIN)))?;
        let Ok(Form(pairs)) = Form::<Vec<(String, String)>>::from_request(req, state).await else {
            return Err(Refused(go(hydrated, &back)));
        };
        let fields = Fields(pairs);
        let admin = match signed_in(state, &session).await {
            Ok(Some(a)) => a,
            Ok(None) => return Err(Refused(go(hydrated, LOGIN))),
            Err(e) => {
                tracing::error!(error = %e, "console form");
                return Err(Refused(go(hydrated, &back)));
            }
        };
        let posted = Posted { admin, session, hydrated, state: state.clone(), fields };
        if !csrf::verify(&posted.session, &headers, Some(posted.fields.get("csrf"))).await {
            let flash = Flash {
                message: "The form expired (its security token did not match). Nothing was changed; try again.".into(),
                error: true,
                ..Default::default()
            };
            return Err(Refused(posted.answer(flash, &back).await));
        }
        Ok(posted)
    }
}

impl Posted {
    /// The server's state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Sends the browser to `location` with `flash`: in the answer for a hydrated form, else
    /// left in the session for the page the redirect leads to.
    async fn answer(&self, flash: Flash, location: &str) -> Response {
        if self.hydrated {
            return Json(FormOutcome { location: location.to_owned(), flash: Some(flash) }).into_response();
        }
        if let Err(e) = flash::put(&self.session, &self.state.manager.master, flash).await {
            tracing::error!(error = %e, "storing the console flash");
        }
        Redirect::to(location).into_response()
    }

    /// Done: `message` shown at `location` (with `secret` shown once, if any).
    pub async fn done(&self, location: &str, message: String, secret: Option<String>) -> Response {
        self.answer(Flash { message, secret, ..Default::default() }, location).await
    }

    /// Like [`Posted::failed`], with the message beside `field` when the page knows better
    /// which field it is about (`None`: the usual guess).
    pub async fn failed_beside(&self, location: &str, error: ManageError, field: Option<&str>) -> Response {
        let Some(field) = field.filter(|_| matches!(error, ManageError::Invalid(_) | ManageError::Conflict(_))) else {
            return self.failed(location, error).await;
        };
        let message = for_people(&error.to_string());
        let flash = Flash {
            message: message.clone(),
            error: true,
            fields: vec![(field.to_owned(), message)],
            values: self.fields.values(),
            secret: None,
        };
        self.answer(flash, location).await
    }

    /// Refused or failed: back to the form at `location`, with the message beside the field it
    /// is about and the form filled as it was sent. Nothing was written.
    pub async fn failed(&self, location: &str, error: ManageError) -> Response {
        let message = match &error {
            ManageError::Db(_) | ManageError::Internal(_) => {
                tracing::error!(error = %error, "console change");
                "Something went wrong on the server; nothing was changed. Try again.".to_owned()
            }
            e => for_people(&e.to_string()),
        };
        let fields = field_of(&error.to_string()).map(|f| vec![(f.to_owned(), message.clone())]).unwrap_or_default();
        let flash = Flash { message, error: true, fields, values: self.fields.values(), secret: None };
        self.answer(flash, location).await
    }
}

/// The form field a validation message is about. `manage` words its messages for the command
/// line, naming the flag (`--access-token-lifespan must be …`) or the thing (`invalid client
/// id …`); the console's fields are named after the same settings.
fn field_of(message: &str) -> Option<&'static str> {
    const FLAGS: &[(&str, &str)] = &[
        ("--access-token-lifespan", "access_token_lifespan"),
        ("--refresh-token-lifespan", "refresh_token_lifespan"),
        ("--refresh-reuse-window", "refresh_reuse_window"),
        ("--rotation-days", "key_rotation_days"),
        ("--publish-delay", "key_publish_delay"),
        ("--expires-in", "expires_in_days"),
        ("(--project)", "project"),
        ("(--role)", "role"),
        ("--name", "name"),
        ("(--implies)", "implies"),
        ("--new-clients", "new_clients"),
        ("invalid scope name", "name"),
        ("client scope", "name"),
        ("--redirect-uri", "redirect_uris"),
        ("--scope", "scopes"),
        ("--grant", "grant_types"),
    ];
    const WORDS: &[(&str, &str)] = &[
        ("post-logout redirect", "post_logout_redirect_uris"),
        ("web origin", "web_origins"),
        ("redirect uri", "redirect_uris"),
        ("client id", "client_id"),
        ("client name", "name"),
        ("template", "template"),
        ("grace period", "grace"),
        ("scope", "scopes"),
        ("grant", "grant_types"),
        ("pkce", "pkce_required"),
        ("role name", "name"),
        ("project name", "name"),
        ("project id", "id"),
        ("project with id", "id"),
        ("description", "description"),
        ("display name", "display_name"),
        ("sso session", "sso_session_idle_timeout"),
        ("idle timeout", "sso_session_idle_timeout"),
        ("access token lifespan", "access_token_lifespan"),
        ("refresh token lifespan", "refresh_token_lifespan"),
        ("not before", "not_before"),
        ("reuse window", "refresh_reuse_window"),
        ("algorithm", "id_token_alg"),
    ];
    let lower = message.to_lowercase();
    FLAGS.iter().chain(WORDS).find(|(k, _)| lower.contains(k)).map(|(_, f)| *f)
}

/// A `manage` message in the console's words: flags become the fields' labels.
fn for_people(message: &str) -> String {
    const LABELS: &[(&str, &str)] = &[
        ("--access-token-lifespan", "Access Token Lifespan"),
        ("--refresh-token-lifespan", "Refresh Token Lifespan"),
        ("--refresh-reuse-window", "Refresh Reuse Window"),
        ("--rotation-days", "Rotation interval (days)"),
        ("--publish-delay", "Publish delay (seconds)"),
        ("--expires-in", "Expires in"),
        (" (--project)", ""),
        (" (--role)", ""),
        (" (--implies)", ""),
        ("--new-clients", "For new clients"),
        ("--name", "Name"),
        ("; remove --redirect-uri", ": remove the redirect URIs"),
        ("--redirect-uri", "Redirect URIs"),
        ("--role or --client-role", "role"),
        ("with --force", "after confirming"),
    ];
    LABELS.iter().fold(message.to_owned(), |m, (flag, label)| m.replace(flag, label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_land_beside_their_fields() {
        assert_eq!(
            field_of("--access-token-lifespan must be between 1 and 86400 seconds"),
            Some("access_token_lifespan")
        );
        assert_eq!(field_of("invalid client id \"a b\": use 1-128 printable ASCII"), Some("client_id"));
        assert_eq!(field_of("invalid redirect URI \"x\": …"), Some("redirect_uris"));
        assert_eq!(field_of("invalid post-logout redirect URI \"x\""), Some("post_logout_redirect_uris"));
        assert_eq!(field_of("this needs the manage-clients permission in this realm"), None);
        assert_eq!(
            for_people("--access-token-lifespan must be between 1 and 86400 seconds"),
            "Access Token Lifespan must be between 1 and 86400 seconds"
        );
    }
}
