//! The Settings tab: every client setting (PRODUCT §3), checked on the server by the same
//! rules as `portcullis client update`; `Save`.

use crate::{
    admin::{ClientPageView, Frame},
    components::{field::Field, flash::FieldError, form::ConsoleForm},
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

/// ID-token signing algorithms: `(value, label)`; blank is the realm's.
const ALGS: &[(&str, &str)] =
    &[("", "The realm's (RS256)"), ("RS256", "RS256"), ("ES256", "ES256"), ("EdDSA", "EdDSA")];

#[component]
pub fn SettingsTab(frame: Frame, page: ClientPageView) -> impl IntoView {
    let c = page.client;
    let can = frame.can("manage-clients");
    let flash = frame.flash.clone();
    let lifespan = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let checkbox = move |name: &'static str, label: &'static str, on: bool, hint: &'static str| {
        view! {
            <div class="choice">
                <input type="checkbox" id=name name=name value="on" checked=on aria-describedby=format!("{name}-hint")/>
                <label for=name>{label}</label>
                <span class="hint" id=format!("{name}-hint")>{hint}</span>
            </div>
        }
    };
    let grants = GRANTS
        .iter()
        .map(|(g, label)| {
            let id = format!("grant-{}", g.rsplit(':').next().unwrap_or(g));
            let on = c.grant_types.iter().any(|x| x == g);
            view! {
                <div class="choice">
                    <input type="checkbox" id=id.clone() name="grant_types" value=*g checked=on/>
                    <label for=id>{*label}</label>
                </div>
            }
        })
        .collect_view();
    let grant_error = flash.clone().unwrap_or_default().field_error("grant_types");
    let alg_error = flash.clone().unwrap_or_default().field_error("id_token_alg");
    let access_hint =
        format!("Seconds. Blank: the realm's default, {}.", text::duration(c.realm_access_token_lifespan));
    let refresh_hint = format!(
        "Seconds; 0: never expires. Blank: the realm's default, {}.",
        text::duration(c.realm_refresh_token_lifespan)
    );
    let scope_error = flash.clone().unwrap_or_default().field_error("scopes");
    // User-facing clients always keep the OIDC built-ins; their boxes show it and cannot change.
    let fixed =
        |name: &str| c.template != "service" && ["openid", "profile", "email", "offline_access"].contains(&name);
    let scope_rows = page
        .realm_scopes
        .iter()
        .map(|(name, description)| {
            let (allowed, default) = (c.scopes.contains(name), c.default_scopes.contains(name));
            let (a_id, d_id) = (format!("scope-{name}"), format!("default-scope-{name}"));
            view! {
                <tr>
                    <th scope="row"><code>{name.clone()}</code><br/><span class="muted small">{description.clone()}</span></th>
                    <td>
                        <input type="checkbox" id=a_id name="scope" value=name.clone() checked=allowed || fixed(name)
                            disabled=fixed(name) aria-label=format!("{name}: may ask for")/>
                    </td>
                    <td>
                        <input type="checkbox" id=d_id name="default_scope" value=name.clone() checked=default
                            aria-label=format!("{name}: default")/>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <ConsoleForm action=tab_href(&frame.realm, &c.client_id, "settings") csrf=frame.csrf.clone() class="stack form" label="Settings">
            <fieldset disabled=!can>
                <Field name="name" label="Name" value=c.name.clone() flash=flash.clone()/>
                <Field name="description" label="Description" value=c.description.clone() flash=flash.clone() multiline=true/>
                {checkbox("enabled", "Enabled", c.enabled, "A disabled client gets no tokens, and its tokens stop working at once.")}
                <Field name="redirect_uris" label="Redirect URIs" value=c.redirect_uris.join("\n") flash=flash.clone()
                    multiline=true hint="One per line, matched exactly."/>
                <Field name="post_logout_redirect_uris" label="Post-logout Redirect URIs"
                    value=c.post_logout_redirect_uris.join("\n") flash=flash.clone() multiline=true/>
                <Field name="web_origins" label="Web Origins" value=c.web_origins.join("\n") flash=flash.clone()
                    multiline=true hint="One per line: origins whose pages call the endpoints with credentials (keycloak-js). + stands for the redirect URIs' origins."/>
                <fieldset aria-describedby="grant_types-error">
                    <legend>"Grant types"</legend>
                    {grants}
                    <FieldError field="grant_types" message=grant_error/>
                </fieldset>
                <fieldset aria-describedby="scopes-hint scopes-error">
                    <legend>"Scopes"</legend>
                    <p class="hint" id="scopes-hint">
                        "The realm's scopes (Client Scopes) this client may ask for, and its defaults: granted when a request names none."
                    </p>
                    <table class="list compact">
                        <thead><tr><th scope="col">"Scope"</th><th scope="col">"May ask for"</th><th scope="col">"Default"</th></tr></thead>
                        <tbody>{scope_rows}</tbody>
                    </table>
                    <FieldError field="scopes" message=scope_error/>
                </fieldset>
                <Field name="access_token_lifespan" label="Access Token Lifespan" value=lifespan(c.access_token_lifespan)
                    flash=flash.clone() kind="number" min="1" max="86400" placeholder=c.realm_access_token_lifespan.to_string()
                    hint=access_hint/>
                <Field name="refresh_token_lifespan" label="Refresh Token Lifespan" value=lifespan(c.refresh_token_lifespan)
                    flash=flash.clone() kind="number" min="0" placeholder=c.realm_refresh_token_lifespan.to_string()
                    hint=refresh_hint/>
                {checkbox("refresh_token_rotation", "Refresh Token Rotation", c.refresh_token_rotation,
                    "Every refresh returns a new refresh token; reuse of an old one revokes the family.")}
                <Field name="refresh_reuse_window" label="Refresh Reuse Window" value=c.refresh_reuse_window.to_string()
                    flash=flash.clone() kind="number" min="0" max="60"
                    hint="Seconds in which a refresh token just rotated still returns its successor (for racing tabs)."/>
                <label for="id_token_alg">"ID Token Signature Algorithm"</label>
                <select id="id_token_alg" name="id_token_alg" aria-describedby="id_token_alg-error">
                    {ALGS.iter().map(|(value, label)| {
                        let selected = c.id_token_alg.as_deref().unwrap_or("") == *value;
                        view! { <option value=*value selected=selected>{*label}</option> }
                    }).collect_view()}
                </select>
                <FieldError field="id_token_alg" message=alg_error/>
                {checkbox("pkce_required", "PKCE Required", c.pkce_required, "Always on for public clients.")}
                {checkbox("consent_required", "Consent Required", c.consent_required, "Users approve the scopes on a consent page.")}
                {checkbox("full_scope_allowed", "Full Scope Allowed", c.full_scope_allowed,
                    "Off: user tokens carry only the roles in the client's scope mappings.")}
            </fieldset>
            <p class="muted small">
                "Created " {text::utc(c.created_at)} " by " {c.created_by.clone()}
                "; last changed " {text::utc(c.updated_at)} " by " {c.updated_by.clone()} "."
            </p>
            {can.then(|| view! { <div class="buttons"><button type="submit">"Save"</button></div> })}
        </ConsoleForm>
    }
}
