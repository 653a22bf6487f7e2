//! The Realm Settings form.

use super::forms::Posted;
use crate::manage::{realm::RealmChanges, ManageError};
use app::components::shell::console_href;
use axum::{extract::Path, response::Response};

/// `POST /admin/{realm}/console/realm-settings`.
pub async fn change(Path(realm): Path<String>, posted: Posted) -> Response {
    let here = console_href(&realm, "realm-settings");
    let f = &posted.fields;
    let seconds = |name: &str, label: &str| -> Result<Option<i64>, ManageError> {
        match f.get(name) {
            "" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| ManageError::Invalid(format!("{label} must be a whole number of seconds"))),
        }
    };
    let changes = (|| {
        Ok::<_, ManageError>(RealmChanges {
            display_name: Some(f.get("display_name").to_owned()),
            oauth_clients_enabled: Some(f.checked("oauth_clients_enabled")),
            access_token_lifespan: seconds("access_token_lifespan", "Access Token Lifespan")?,
            refresh_token_lifespan: seconds("refresh_token_lifespan", "Refresh Token Lifespan")?,
            sso_session_idle_timeout: seconds("sso_session_idle_timeout", "SSO Session Idle")?,
            sso_session_max_lifespan: seconds("sso_session_max_lifespan", "SSO Session Max")?,
            retrievable_secrets: Some(f.checked("retrievable_secrets")),
        })
    })();
    let result = match changes {
        Ok(c) => posted.state().manager.update_realm(&realm, c, &posted.admin.actor).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(changed) if changed.is_empty() => {
            posted.done(&here, "Nothing to save: the settings were already so.".into(), None).await
        }
        Ok(changed) => {
            let names: Vec<String> = changed.keys().map(|k| k.replace('_', " ")).collect();
            posted.done(&here, format!("Saved: {}.", names.join(", ")), None).await
        }
        Err(e) => posted.failed(&here, e).await,
    }
}
