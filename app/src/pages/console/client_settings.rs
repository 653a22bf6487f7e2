//! The Settings tab: every client setting (PRODUCT §3), checked on the server by the same
//! rules as `portcullis client update`; `Save`.

use crate::{
    admin::{ClientPageView, Frame},
    components::{flash::FieldError, form::ConsoleForm},
    pages::console::client::tab_href,
    text,
};
use leptos::prelude::*;

/// Grant types a client may be allowed, with their labels.
const GRANTS: &[(&str, &str)] = &[
    ("client_credentials", "Client credentials"),
    ("authorization_code", "Authorization code"),
    ("refresh_token", "Refresh token"),
    ("urn:ietf:params:oauth:grant-type:device_code", "Device code"),
    ("password", "Password (legacy)"),
    ("implicit", "Implicit (legacy)"),
];

#[component]
pub fn SettingsTab(frame: Frame, page: ClientPageView) -> impl IntoView {
    let c = page.client;
    let can = frame.can("manage-clients");
    let flash = frame.flash.clone().unwrap_or_default();
    let error = move |f: &str| flash.field_error(f);
    let flash2 = frame.flash.clone().unwrap_or_default();
    let value = move |f: &str, stored: String| flash2.value(f).unwrap_or(stored);
    let invalid = {
        let e = error.clone();
        move |f: &str| e(f).is_some().then_some("true")
    };
    let lifespan = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let checkbox = move |name: &'static str, label: &'static str, on: bool, hint: &'static str| {
        view! {
            <div class="choice">
                <input type="checkbox" id=name name=name value="on" checked=on disabled=!can aria-describedby=format!("{name}-hint")/>
                <label for=name>{label}</label>
                <span class="hint" id=format!("{name}-hint")>{hint}</span>
            </div>
        }
    };
    view! {
        <ConsoleForm action=tab_href(&frame.realm, &c.client_id, "settings") csrf=frame.csrf.clone() class="stack form" label="Settings">
            <fieldset disabled=!can>
                <label for="name">"Name"</label>
                <input id="name" name="name" value=value("name", c.name.clone()) aria-describedby="name-error" aria-invalid=invalid("name")/>
                <FieldError field="name" message=error("name")/>

                <label for="description">"Description"</label>
                <textarea id="description" name="description" rows="2">{value("description", c.description.clone())}</textarea>

                {checkbox("enabled", "Enabled", c.enabled, "A disabled client gets no tokens, and its tokens stop working at once.")}

                <label for="redirect_uris">"Redirect URIs"</label>
                <textarea id="redirect_uris" name="redirect_uris" rows="3" aria-describedby="redirect_uris-hint redirect_uris-error"
                    aria-invalid=invalid("redirect_uris")>{value("redirect_uris", c.redirect_uris.join("\n"))}</textarea>
                <span class="hint" id="redirect_uris-hint">"One per line, matched exactly."</span>
                <FieldError field="redirect_uris" message=error("redirect_uris")/>

                <label for="post_logout_redirect_uris">"Post-logout Redirect URIs"</label>
                <textarea id="post_logout_redirect_uris" name="post_logout_redirect_uris" rows="2" aria-describedby="post_logout_redirect_uris-error"
                    aria-invalid=invalid("post_logout_redirect_uris")>{value("post_logout_redirect_uris", c.post_logout_redirect_uris.join("\n"))}</textarea>
                <FieldError field="post_logout_redirect_uris" message=error("post_logout_redirect_uris")/>

                <fieldset aria-describedby="grant_types-error">
                    <legend>"Grant types"</legend>
                    {GRANTS
                        .iter()
                        .map(|(g, label)| {
                            let id = format!("grant-{}", g.rsplit(':').next().unwrap_or(g));
                            view! {
                                <div class="choice">
                                    <input type="checkbox" id=id.clone() name="grant_types" value=*g checked=c.grant_types.iter().any(|x| x == g)/>
                                    <label for=id>{*label}</label>
                                </div>
                            }
                        })
                        .collect_view()}
                    <FieldError field="grant_types" message=error("grant_types")/>
                </fieldset>

                <label for="scopes">"Scopes"</label>
                <input id="scopes" name="scopes" value=value("scopes", c.scopes.join(" ")) aria-describedby="scopes-hint scopes-error" aria-invalid=invalid("scopes")/>
                <span class="hint" id="scopes-hint">"The scopes the client may ask for, separated by spaces. Default scopes: " {c.default_scopes.join(" ")}</span>
                <FieldError field="scopes" message=error("scopes")/>

                <label for="access_token_lifespan">"Access Token Lifespan"</label>
                <input id="access_token_lifespan" name="access_token_lifespan" type="number" min="1" max="86400"
                    value=value("access_token_lifespan", lifespan(c.access_token_lifespan))
                    placeholder=c.realm_access_token_lifespan.to_string()
                    aria-describedby="access_token_lifespan-hint access_token_lifespan-error" aria-invalid=invalid("access_token_lifespan")/>
                <span class="hint" id="access_token_lifespan-hint">
                    "Seconds. Blank: the realm's default, " {text::duration(c.realm_access_token_lifespan)} "."
                </span>
                <FieldError field="access_token_lifespan" message=error("access_token_lifespan")/>

                <label for="refresh_token_lifespan">"Refresh Token Lifespan"</label>
                <input id="refresh_token_lifespan" name="refresh_token_lifespan" type="number" min="0"
                    value=value("refresh_token_lifespan", lifespan(c.refresh_token_lifespan))
                    placeholder=c.realm_refresh_token_lifespan.to_string()
                    aria-describedby="refresh_token_lifespan-hint refresh_token_lifespan-error" aria-invalid=invalid("refresh_token_lifespan")/>
                <span class="hint" id="refresh_token_lifespan-hint">
                    "Seconds; 0: never expires. Blank: the realm's default, " {text::duration(c.realm_refresh_token_lifespan)} "."
                </span>
                <FieldError field="refresh_token_lifespan" message=error("refresh_token_lifespan")/>

                {checkbox("refresh_token_rotation", "Refresh Token Rotation", c.refresh_token_rotation, "Every refresh returns a new refresh token; reuse of an old one revokes the family.")}
                {checkbox("pkce_required", "PKCE Required", c.pkce_required, "Always on for public clients.")}
                {checkbox("consent_required", "Consent Required", c.consent_required, "Users approve the scopes on a consent page.")}
                {checkbox("full_scope_allowed", "Full Scope Allowed", c.full_scope_allowed, "Off: user tokens carry only the roles in the client's scope mappings.")}
                <FieldError field="settings" message=error("settings")/>
            </fieldset>
            <p class="muted small">
                "Created " {text::utc(c.created_at)} " by " {c.created_by.clone()}
                "; last changed " {text::utc(c.updated_at)} " by " {c.updated_by.clone()} "."
            </p>
            {can.then(|| view! { <div class="buttons"><button type="submit">"Save"</button></div> })}
        </ConsoleForm>
    }
}
