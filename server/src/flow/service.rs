//! What the end-user pages read: the server's implementation of `app::service::FlowService`.

use super::{pending, sso};
use crate::{console::csrf, registry::Realm, state::AppState};
use app::{
    api::{ConsentView, LoginView, LogoutView, ScopeView},
    service::FlowService,
};
use http::request::Parts;
use std::sync::Arc;
use tower_sessions::Session;

/// The flow service over the shared state.
pub struct Flow {
    pub state: AppState,
}

fn session(parts: &Parts) -> Result<&Session, String> {
    parts.extensions.get::<Session>().ok_or_else(|| "no session".to_owned())
}

fn internal(e: impl std::fmt::Display) -> String {
    tracing::error!(error = %e, "page data");
    "Something went wrong. Please try again.".to_owned()
}

impl Flow {
    async fn realm(&self, name: &str) -> Result<Arc<Realm>, String> {
        match self.state.registry.realm(name).await {
            Ok(Some(r)) if r.settings.enabled => Ok(r),
            Ok(_) => Err("This realm does not exist.".into()),
            Err(e) => Err(internal(e)),
        }
    }
}

#[async_trait::async_trait]
impl FlowService for Flow {
    async fn login_view(&self, parts: &Parts, realm: &str, rid: Option<&str>) -> Result<LoginView, String> {
        let session = session(parts)?;
        let realm = self.realm(realm).await?;
        let csrf = csrf::token(session).await.map_err(internal)?;
        let (mut client_name, mut login_hint) = (None, None);
        if let Some(rid) = rid {
            let Some(pending::Pending::Authorize(req)) = pending::get(session, rid, self.state.now()).await else {
                return Err("This sign-in request has expired. Go back to the application and start again.".into());
            };
            let client = self.state.registry.client(&realm, &req.client_id).await.map_err(internal)?;
            client_name = client.map(|c| c.row.name.clone());
            login_hint = req.login_hint;
        }
        let signed_in_as = match rid {
            None => sso::current(&self.state, session, &realm.id).await.map_err(internal)?.map(|s| s.user.username),
            Some(_) => None,
        };
        Ok(LoginView {
            realm_display: realm.settings.display_name.clone(),
            client_name,
            csrf,
            login_hint,
            signed_in_as,
        })
    }

    async fn consent_view(&self, parts: &Parts, realm: &str, rid: &str) -> Result<ConsentView, String> {
        let session = session(parts)?;
        let realm = self.realm(realm).await?;
        let expired = || "This request has expired.".to_owned();
        let Some(pending::Pending::Authorize(req)) = pending::get(session, rid, self.state.now()).await else {
            return Err(expired());
        };
        let sso = sso::current(&self.state, session, &realm.id).await.map_err(internal)?.ok_or_else(expired)?;
        let client = self.state.registry.client(&realm, &req.client_id).await.map_err(internal)?.ok_or_else(expired)?;
        let scopes = req
            .scopes
            .iter()
            .map(|s| ScopeView {
                name: s.clone(),
                description: realm.scopes.get(s).filter(|d| !d.is_empty()).cloned().unwrap_or_else(|| s.clone()),
            })
            .collect();
        Ok(ConsentView {
            realm_display: realm.settings.display_name.clone(),
            client_name: client.row.name.clone(),
            client_id: client.client_id().to_owned(),
            username: sso.user.username,
            scopes,
            csrf: csrf::token(session).await.map_err(internal)?,
        })
    }

    async fn logout_view(&self, parts: &Parts, realm: &str) -> Result<LogoutView, String> {
        let session = session(parts)?;
        let realm = self.realm(realm).await?;
        let signed_in_as =
            sso::current(&self.state, session, &realm.id).await.map_err(internal)?.map(|s| s.user.username);
        Ok(LogoutView {
            realm_display: realm.settings.display_name.clone(),
            csrf: csrf::token(session).await.map_err(internal)?,
            signed_in_as,
        })
    }
}
