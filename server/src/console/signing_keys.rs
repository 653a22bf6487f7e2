//! The Signing Keys page: its data (the keys with their states, the rotation settings) and its
//! forms: `Rotate {alg}` and the rotation settings' `Save`.

use super::{forms::Posted, service::Console};
use crate::manage::{
    keys::{parse_alg, KeySettingsChange},
    ManageError,
};
use app::{
    admin::{SigningKeyView, SigningKeysView},
    components::shell::console_href,
};
use axum::{extract::Path, response::Response};
use http::request::Parts;

impl Console {
    /// The page's data.
    pub(super) async fn signing_keys_view(&self, parts: &Parts, realm: &str) -> Result<SigningKeysView, String> {
        let admin = self.actor(parts).await?;
        let view = self.state.manager.list_keys(realm, &admin.actor).await.map_err(super::service::shown)?;
        Ok(SigningKeysView {
            keys: view
                .keys
                .into_iter()
                .map(|k| SigningKeyView {
                    status: k.state.as_str().to_owned(),
                    kid: k.kid,
                    alg: k.alg,
                    created_at: k.created_at,
                    active_from: k.active_from,
                    retire_at: k.retire_at,
                })
                .collect(),
            rotation_days: view.settings.key_rotation_days,
            publish_delay: view.settings.key_publish_delay,
            now: self.state.now(),
        })
    }
}

/// A whole number from the form, `None` when blank.
fn number(value: &str, label: &str, unit: &str) -> Result<Option<i64>, ManageError> {
    match value.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| ManageError::Invalid(format!("{label} must be a whole number of {unit}"))),
    }
}

/// `POST /admin/{realm}/console/signing-keys`: `op=rotate` (with `alg`) or `op=settings`.
pub async fn change(Path(realm): Path<String>, posted: Posted) -> Response {
    let (m, actor, f) = (&posted.state().manager, &posted.admin.actor, &posted.fields);
    let here = console_href(&realm, "signing-keys");
    let result = match f.get("op") {
        "rotate" => match parse_alg(f.get("alg")) {
            Ok(alg) => m.rotate_keys(&realm, Some(alg), actor).await.map(|keys| {
                let k = &keys[0];
                match k.active_from <= posted.state().now() {
                    true => format!(
                        "Rotated {}: key {} signs now; the old key verifies until its tokens expire.",
                        k.alg, k.kid
                    ),
                    false => format!(
                        "Rotated {}: key {} is published and signs from {}.",
                        k.alg,
                        k.kid,
                        app::text::utc(k.active_from)
                    ),
                }
            }),
            Err(e) => Err(e),
        },
        "settings" => {
            let change = (|| {
                Ok::<_, ManageError>(KeySettingsChange {
                    rotation_days: number(f.get("key_rotation_days"), "--rotation-days", "days")?,
                    publish_delay: number(f.get("key_publish_delay"), "--publish-delay", "seconds")?,
                })
            })();
            match change {
                Ok(c) => m.update_key_settings(&realm, c, actor).await.map(|s| {
                    format!(
                        "Saved: keys rotate every {} days (0 = never) and are published {} seconds before they sign.",
                        s.key_rotation_days, s.key_publish_delay
                    )
                }),
                Err(e) => Err(e),
            }
        }
        _ => Err(ManageError::NotFound("there is no such form".into())),
    };
    match result {
        Ok(message) => posted.done(&here, message, None).await,
        Err(e) => posted.failed(&here, e).await,
    }
}
