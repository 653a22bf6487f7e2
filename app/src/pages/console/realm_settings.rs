//! Realm Settings: the OAuth clients feature flag, default token lifespans, SSO session
//! lifetimes; `Save`.

use crate::{
    admin::{console_realm_settings, Frame, RealmSettingsView},
    components::{
        field::Field,
        form::{console_key, ConsoleForm},
        shell::{console_href, console_page, use_realm},
    },
    text,
};
use leptos::prelude::*;

/// `/admin/:realm/console/realm-settings`.
#[component]
pub fn RealmSettings() -> impl IntoView {
    let realm = use_realm();
    let key = console_key();
    let data = Resource::new(move || (realm(), key()), |(realm, _)| console_realm_settings(realm));
    console_page("Realm Settings", data, |frame, settings| {
        (vec![("Realm Settings".to_owned(), None)], view! { <SettingsForm frame settings/> })
    })
}

#[component]
fn SettingsForm(frame: Frame, settings: RealmSettingsView) -> impl IntoView {
    let can = frame.can("manage-realm");
    let flash = frame.flash.clone();
    let s = settings;
    let seconds = move |name: &'static str, label: &'static str, stored: i64, hint: String| {
        view! { <Field name label value=stored.to_string() flash=flash.clone() kind="number" min="0" hint/> }
    };
    view! {
        <div class="page-head"><h1>"Realm Settings"</h1></div>
        <ConsoleForm action=console_href(&frame.realm, "realm-settings") csrf=frame.csrf.clone() class="stack form" label="Realm Settings">
            <fieldset disabled=!can>
                <Field name="display_name" label="Display name" value=s.display_name.clone() flash=frame.flash.clone()/>
                <div class="choice">
                    <input type="checkbox" id="oauth_clients_enabled" name="oauth_clients_enabled" value="on"
                        checked=s.oauth_clients_enabled aria-describedby="oauth_clients_enabled-hint"/>
                    <label for="oauth_clients_enabled">"OAuth clients"</label>
                    <span class="hint" id="oauth_clients_enabled-hint">
                        "Off: the token endpoint refuses every client created here (built-in ones keep working)."
                    </span>
                </div>
                <div class="choice">
                    <input type="checkbox" id="retrievable_secrets" name="retrievable_secrets" value="on"
                        checked=s.retrievable_secrets aria-describedby="retrievable_secrets-hint"/>
                    <label for="retrievable_secrets">"Client secrets retrievable"</label>
                    <span class="hint" id="retrievable_secrets-hint">
                        "On: secrets made from now on are also kept sealed with the master key, so the admin API gives "
                        "them back (Keycloak's GET …/client-secret). Off: only a hash is kept, and a secret is shown once."
                    </span>
                </div>
                {seconds("access_token_lifespan", "Access Token Lifespan", s.access_token_lifespan,
                    format!("Seconds; the default for clients that set none (now {}).", text::duration(s.access_token_lifespan)))}
                {seconds("refresh_token_lifespan", "Refresh Token Lifespan", s.refresh_token_lifespan,
                    "Seconds; 0: refresh tokens never expire.".to_owned())}
                {seconds("sso_session_idle_timeout", "SSO Session Idle", s.sso_session_idle_timeout,
                    format!("Seconds without activity after which a sign-in ends (now {}).", text::duration(s.sso_session_idle_timeout)))}
                {seconds("sso_session_max_lifespan", "SSO Session Max", s.sso_session_max_lifespan,
                    format!("Seconds after which a sign-in ends whatever happens (now {}).", text::duration(s.sso_session_max_lifespan)))}
            </fieldset>
            {can.then(|| view! { <div class="buttons"><button type="submit">"Save"</button></div> })}
        </ConsoleForm>
    }
}
