//! What the end-user pages read: the server's implementation of `app::service::FlowService`.

use super::{pending, sso};
use crate::{console::csrf, registry::Realm, state::AppState, store};
use app::{
    api::{ConsentView, DeviceConfirm, DeviceView, LoginView, LogoutView, ScopeView},
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

fn internal(e: impl crate::unavailable::Failure) -> String {
    crate::unavailable::failure_text("page data", e)
}

/// Each scope with the description the realm gives it.
fn scope_views(realm: &Realm, scopes: impl IntoIterator<Item = String>) -> Vec<ScopeView> {
    scopes
        .into_iter()
        .map(|s| ScopeView {
            description: realm.scopes.get(&s).filter(|d| !d.is_empty()).cloned().unwrap_or_else(|| s.clone()),
            name: s,
        })
        .collect()
}

/// `2026-11-23 14:02 UTC (2 minutes ago)`.
pub fn describe_time(ts: i64, now: i64) -> String {
    let ago = match (now - ts).max(0) {
        s if s < 60 => "just now".to_owned(),
        s if s < 120 => "1 minute ago".to_owned(),
        s => format!("{} minutes ago", s / 60),
    };
    format!("{} ({ago})", app::text::utc(ts))
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

impl Flow {
    /// The realm's enabled identity providers as sign-in page links.
    async fn providers(&self, realm: &Realm, rid: Option<&str>) -> Result<Vec<app::api::ProviderLink>, String> {
        let mut conn = self.state.db.conn().await.map_err(internal)?;
        let all = store::identity_providers::list(&mut conn, &realm.id).await.map_err(internal)?;
        Ok(all
            .into_iter()
            .filter(|p| p.enabled)
            .map(|p| app::api::ProviderLink {
                href: super::broker::login_path(&realm.name, &p.alias, rid),
                alias: p.alias,
                display_name: p.display_name,
            })
            .collect())
    }
}

#[async_trait::async_trait]
impl FlowService for Flow {
    async fn login_view(&self, parts: &Parts, realm: &str, rid: Option<&str>) -> Result<LoginView, String> {
        let session = session(parts)?;
        let realm = self.realm(realm).await?;
        let csrf = csrf::token(session, parts).await.map_err(internal)?;
        let (mut client_name, mut login_hint) = (None, None);
        if let Some(rid) = rid {
            let client_id = match pending::get(session, rid, &realm.id, self.state.now()).await {
                Some(pending::Pending::Authorize(req)) => {
                    login_hint = req.login_hint;
                    req.client_id
                }
                Some(pending::Pending::Device(d)) => d.client_id,
                None => {
                    return Err("This sign-in request has expired. Go back to the application and start again.".into())
                }
            };
            let client = self.state.registry.client(&realm, &client_id).await.map_err(internal)?;
            client_name = client.map(|c| c.row.name.clone());
        }
        let signed_in_as = match rid {
            None => sso::current(&self.state, session, &realm).await.map_err(internal)?.map(|s| s.user.username),
            Some(_) => None,
        };
        let update_password_for =
            super::update_password::current(session, &realm.id, self.state.now()).await.map(|change| change.username);
        // Only on the page of the request it started from: a new request is a new sign-in.
        let review_profile = super::first_login::current(session, &realm.id, self.state.now())
            .await
            .filter(|r| r.rid() == rid)
            .map(|r| r.view());
        Ok(LoginView {
            realm_display: realm.settings.display_name.clone(),
            client_name,
            csrf,
            login_hint,
            signed_in_as,
            update_password_for,
            password_min_length: realm.settings.password_min_length.max(1),
            providers: self.providers(&realm, rid).await?,
            review_profile,
        })
    }

    async fn consent_view(&self, parts: &Parts, realm: &str, rid: &str) -> Result<ConsentView, String> {
        let session = session(parts)?;
        let realm = self.realm(realm).await?;
        let expired = || "This request has expired.".to_owned();
        let Some(pending::Pending::Authorize(req)) = pending::get(session, rid, &realm.id, self.state.now()).await
        else {
            return Err(expired());
        };
        let sso = sso::current(&self.state, session, &realm).await.map_err(internal)?.ok_or_else(expired)?;
        let client = self.state.registry.client(&realm, &req.client_id).await.map_err(internal)?.ok_or_else(expired)?;
        let scopes = scope_views(&realm, req.scopes.iter().cloned());
        Ok(ConsentView {
            realm_display: realm.settings.display_name.clone(),
            client_name: client.row.name.clone(),
            client_id: client.client_id().to_owned(),
            username: sso.user.username,
            scopes,
            csrf: csrf::token(session, parts).await.map_err(internal)?,
        })
    }

    async fn logout_view(&self, parts: &Parts, realm: &str) -> Result<LogoutView, String> {
        let session = session(parts)?;
        let realm = self.realm(realm).await?;
        let signed_in_as = sso::current(&self.state, session, &realm).await.map_err(internal)?.map(|s| s.user.username);
        Ok(LogoutView {
            realm_display: realm.settings.display_name.clone(),
            csrf: csrf::token(session, parts).await.map_err(internal)?,
            signed_in_as,
        })
    }

    async fn device_view(&self, parts: &Parts, realm: &str, rid: Option<&str>) -> Result<DeviceView, String> {
        let session = session(parts)?;
        let realm = self.realm(realm).await?;
        let csrf = csrf::token(session, parts).await.map_err(internal)?;
        let now = self.state.now();
        let mut confirm = None;
        if let Some(rid) = rid {
            if let Some(pending::Pending::Device(d)) = pending::get(session, rid, &realm.id, now).await {
                let sso = sso::current(&self.state, session, &realm).await.map_err(internal)?;
                let mut conn = self.state.db.conn().await.map_err(internal)?;
                let row = store::device_codes::get(&mut conn, &d.device_code_hash).await.map_err(internal)?;
                let client = self.state.registry.client(&realm, &d.client_id).await.map_err(internal)?;
                if let (Some(sso), Some(row), Some(client)) = (sso, row, client) {
                    if row.status == "pending" && row.expires_at > now {
                        confirm = Some(DeviceConfirm {
                            client_name: client.row.name.clone(),
                            client_id: client.client_id().to_owned(),
                            username: sso.user.username,
                            scopes: scope_views(
                                &realm,
                                row.scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned),
                            ),
                            requested_at: describe_time(row.created_at, now),
                            requester_ip: row.requester_ip,
                        });
                    }
                }
            }
        }
        Ok(DeviceView { realm_display: realm.settings.display_name.clone(), csrf, confirm })
    }
}

#[cfg(test)]
mod tests {
    use super::describe_time;

    #[test]
    fn times_are_utc_civil_dates() {
        assert_eq!(describe_time(0, 30), "1970-01-01 00:00 UTC (just now)");
        assert_eq!(describe_time(1_795_439_675, 1_795_439_675 + 150), "2026-11-23 13:14 UTC (2 minutes ago)");
        assert_eq!(describe_time(951_782_400, 951_782_400), "2000-02-29 00:00 UTC (just now)");
    }
}
