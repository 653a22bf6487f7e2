//! Create an identity provider (`identity-providers/new`) or change one (`identity-providers/
//! {alias}`): `Alias`, `Display name`, `Type` (OpenID Connect by its discovery URL, or OAuth 2.0
//! by its endpoints), `Client ID`, `Client secret` (write-only: blank keeps the current one),
//! `Scopes`, `Use PKCE`, `Client authentication`, the claims that become the user's username,
//! email and name, `Store tokens`, `Trust email`, `Review profile`, `Sign-in order`, `Enabled`;
//! `Save`. A provider's page shows the redirect URI to register at the upstream. Without
//! `manage-identity-providers` the page shows the settings, disabled, without `Save`.

use super::identity_providers::provider_href;
use crate::{
    admin::{
        identity_providers::{console_identity_provider, IdpView},
        Flash, Frame,
    },
    components::{
        field::Field,
        flash::FieldError,
        form::{console_key, ConsoleForm},
        shell::{console_href, console_page, use_realm},
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The provider types: `(value, label, hint)`.
const KINDS: &[(&str, &str, &str)] = &[
    (
        "oidc",
        "OpenID Connect (discovery URL)",
        "Endpoints, issuer and signing keys are read from the provider's discovery document; ID tokens are checked.",
    ),
    (
        "oauth2",
        "OAuth 2.0 (manual endpoints)",
        "For providers without OpenID Connect: the user's identity comes from the userinfo URL.",
    ),
];

/// How Portcullis authenticates at the provider's token endpoint.
const AUTH_METHODS: &[(&str, &str)] = &[
    ("client_secret_basic", "client_secret_basic (HTTP Basic)"),
    ("client_secret_post", "client_secret_post (in the form)"),
];

/// When a first sign-in shows the upstream profile for review: `(value, label)`.
const REVIEWS: &[(&str, &str)] = &[("on", "On"), ("missing", "Missing information only"), ("off", "Off")];

/// `/admin/:realm/console/identity-providers/new`.
#[component]
pub fn IdentityProviderNew() -> impl IntoView {
    let data = Resource::new(|| (), |_| async { Ok::<(), ServerFnError>(()) });
    console_page("Identity Providers", data, |frame, _| {
        let list = console_href(&frame.realm, "identity-providers");
        let crumbs = vec![("Identity Providers".to_owned(), Some(list)), ("Create".to_owned(), None)];
        let blank = IdpView {
            kind: "oidc".into(),
            enabled: true,
            client_auth_method: "client_secret_basic".into(),
            pkce: true,
            username_claim: "preferred_username".into(),
            email_claim: "email".into(),
            name_claim: "name".into(),
            first_login_review: "missing".into(),
            ..Default::default()
        };
        (crumbs, view! { <ProviderForm frame provider=blank creating=true/> })
    })
}

/// `/admin/:realm/console/identity-providers/:alias`.
#[component]
pub fn IdentityProviderPage() -> impl IntoView {
    let realm = use_realm();
    let params = use_params_map();
    let alias = move || params.read().get("alias").unwrap_or_default();
    let key = console_key();
    let data =
        Resource::new(move || (realm(), alias(), key()), |(realm, alias, _)| console_identity_provider(realm, alias));
    console_page("Identity Providers", data, |frame, provider| {
        let list = console_href(&frame.realm, "identity-providers");
        let crumbs = vec![("Identity Providers".to_owned(), Some(list)), (provider.display_name.clone(), None)];
        (crumbs, view! { <ProviderForm frame provider creating=false/> })
    })
}

/// The style hiding a group of fields (`hidden` would lose to the form's `display: grid`).
fn hide(hidden: bool) -> Option<&'static str> {
    hidden.then_some("display: none")
}

/// What a control shows: after a refusal, what was sent; else the stored value.
#[derive(Clone)]
struct Shown {
    sent: Flash,
    refused: bool,
}

impl Shown {
    fn value(&self, name: &str, stored: &str) -> String {
        self.sent.value(name).filter(|_| self.refused).unwrap_or_else(|| stored.to_owned())
    }

    fn checked(&self, name: &str, stored: bool) -> bool {
        if self.refused {
            self.sent.value(name).is_some()
        } else {
            stored
        }
    }
}

#[component]
fn ProviderForm(frame: Frame, provider: IdpView, creating: bool) -> impl IntoView {
    let can = frame.can("manage-identity-providers");
    if creating && !can {
        return view! {
            <p class="error" role="alert">"Creating identity providers needs the manage-identity-providers permission."</p>
        }
        .into_any();
    }
    let p = provider;
    let flash = frame.flash.clone();
    let sent = flash.clone().unwrap_or_default();
    let shown = Shown { refused: sent.error && !sent.values.is_empty(), sent: sent.clone() };
    // Once hydrated, only the chosen type's fields are shown; without JavaScript, both are.
    let kind = RwSignal::new(shown.value("kind", &p.kind));
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let kinds = KINDS
        .iter()
        .map(|(value, label, hint)| {
            let (input, hint_id) = (format!("kind-{value}"), format!("kind-{value}-hint"));
            view! {
                <div class="choice">
                    <input type="radio" name="kind" id=input.clone() value=*value checked=kind.get_untracked() == *value
                        aria-describedby=hint_id.clone() on:change=move |_| kind.set((*value).to_owned())/>
                    <label for=input>{*label}</label>
                    <span class="hint" id=hint_id>{*hint}</span>
                </div>
            }
        })
        .collect_view();
    let checkbox = {
        let shown = shown.clone();
        move |name: &'static str, label: &'static str, on: bool, hint: &'static str| {
            let on = shown.checked(name, on);
            view! {
                <div class="choice">
                    <input type="checkbox" id=name name=name value="on" checked=on aria-describedby=format!("{name}-hint")/>
                    <label for=name>{label}</label>
                    <span class="hint" id=format!("{name}-hint")>{hint}</span>
                </div>
            }
        }
    };
    let select = {
        let shown = shown.clone();
        move |name: &'static str,
              label: &'static str,
              options: &'static [(&'static str, &'static str)],
              stored: &str,
              hint: &'static str| {
            let chosen = shown.value(name, stored);
            let error = shown.sent.field_error(name);
            view! {
                <label for=name>{label}</label>
                <select id=name name=name aria-describedby=format!("{name}-hint {name}-error")>
                    {options.iter().map(|(value, label)| {
                        view! { <option value=*value selected=chosen == *value>{*label}</option> }
                    }).collect_view()}
                </select>
                <span class="hint" id=format!("{name}-hint")>{hint}</span>
                <FieldError field=name message=error/>
            }
        }
    };
    let action = if creating {
        console_href(&frame.realm, "identity-providers/new")
    } else {
        provider_href(&frame.realm, &p.alias)
    };
    let alias = match creating {
        true => view! {
            <Field name="alias" label="Alias" value="" flash=flash.clone()
                hint="Lowercase letters, digits, '-', '_' or '.'; part of the redirect URI, so it cannot change later."/>
        }
        .into_any(),
        false => view! {
            <label for="alias">"Alias"</label>
            <input id="alias" value=p.alias.clone() readonly aria-describedby="alias-hint"/>
            <span class="hint" id="alias-hint">"Part of the redirect URI; it cannot change."</span>
        }
        .into_any(),
    };
    let redirect = (!creating).then(|| {
        view! {
            <label for="redirect_uri">"Redirect URI"</label>
            <input id="redirect_uri" value=p.redirect_uri.clone() readonly aria-describedby="redirect_uri-hint"/>
            <span class="hint" id="redirect_uri-hint">
                "Register this address at the provider as the redirect (callback) URI of client " <code>{p.client_id.clone()}</code> "."
            </span>
        }
    });
    let secret_hint = match (creating, p.has_secret) {
        (true, _) => "Stored encrypted and never shown again. Blank for a public client (use PKCE).",
        (false, true) => "A secret is set. Blank keeps the current one; it is never shown again.",
        (false, false) => "None set (a public client). Type one to set it; it is never shown again.",
    };
    let secret_error = sent.field_error("client_secret");
    let discovered = (!creating && p.kind == "oidc" && !p.issuer.is_empty()).then(|| {
        view! { <p class="hint">"Read from the discovery document: issuer " <code>{p.issuer.clone()}</code> "."</p> }
    });
    let scopes_hint = "Space-separated. Blank: openid profile email for OpenID Connect, none for OAuth 2.0.";
    let title = if creating { "Create identity provider".to_owned() } else { p.display_name.clone() };
    let subtitle = (!creating)
        .then(|| view! { <span class="muted subtitle">{super::identity_providers::kind_label(&p.kind)}</span> });
    view! {
        <div class="page-head"><h1>{title} " " {subtitle}</h1></div>
        <ConsoleForm action csrf=frame.csrf.clone() class="stack form" label=if creating { "Create identity provider" } else { "Identity provider settings" }>
            <fieldset disabled=!can>
                {alias}
                {redirect}
                <Field name="display_name" label="Display name" value=p.display_name.clone() flash=flash.clone()
                    hint="Shown on the sign-in page as “Sign in with …”. Blank: the alias."/>
                <fieldset aria-describedby="kind-error">
                    <legend>"Type"</legend>
                    {kinds}
                    <FieldError field="kind" message=sent.field_error("kind")/>
                </fieldset>
                <fieldset style=move || hide(hydrated.get() && kind.get() != "oidc")>
                    <legend>"OpenID Connect"</legend>
                    <Field name="discovery_url" label="Discovery URL" value=p.discovery_url.clone() flash=flash.clone()
                        hint="The provider's issuer or its /.well-known/openid-configuration address (https; http only to localhost)."/>
                    {discovered}
                </fieldset>
                <fieldset style=move || hide(hydrated.get() && kind.get() != "oauth2")>
                    <legend>"OAuth 2.0 endpoints"</legend>
                    <Field name="authorization_url" label="Authorization URL" value=p.authorization_url.clone() flash=flash.clone()/>
                    <Field name="token_url" label="Token URL" value=p.token_url.clone() flash=flash.clone()/>
                    <Field name="userinfo_url" label="Userinfo URL" value=p.userinfo_url.clone() flash=flash.clone()
                        hint="Required: the user's identity comes from it."/>
                    <Field name="jwks_url" label="JWKS URL" value=p.jwks_url.clone() flash=flash.clone() hint="Optional."/>
                </fieldset>
                <Field name="client_id" label="Client ID" value=p.client_id.clone() flash=flash.clone()
                    hint="The client registered for Portcullis at the provider."/>
                <label for="client_secret">"Client secret"</label>
                <input id="client_secret" name="client_secret" type="password" autocomplete="new-password"
                    aria-describedby="client_secret-hint client_secret-error" aria-invalid=secret_error.is_some().then_some("true")/>
                <span class="hint" id="client_secret-hint">{secret_hint}</span>
                <FieldError field="client_secret" message=secret_error/>
                {select("client_auth_method", "Client authentication", AUTH_METHODS, &p.client_auth_method,
                    "How Portcullis sends the secret to the token endpoint.")}
                <Field name="scopes" label="Scopes" value=p.scopes.clone() flash=flash.clone() hint=scopes_hint/>
                {checkbox("pkce", "Use PKCE", p.pkce, "Send a PKCE challenge (S256) with every request.")}
                <fieldset>
                    <legend>"Claim mappings"</legend>
                    <Field name="username_claim" label="Username claim" value=p.username_claim.clone() flash=flash.clone()
                        hint="Becomes the username of a user made at the first sign-in (GitHub: login)."/>
                    <Field name="email_claim" label="Email claim" value=p.email_claim.clone() flash=flash.clone()/>
                    <Field name="name_claim" label="Name claim" value=p.name_claim.clone() flash=flash.clone()/>
                </fieldset>
                {checkbox("store_tokens", "Store tokens", p.store_tokens,
                    "Keep the upstream tokens (encrypted) for apps to fetch through the broker token endpoint.")}
                {checkbox("trust_email", "Trust email", p.trust_email,
                    "Take the provider's email as verified: a first sign-in links to the local user with that email.")}
                {select("first_login_review", "Review profile", REVIEWS, &p.first_login_review,
                    "Whether a first sign-in shows the upstream profile for review before the local user is made.")}
                <Field name="gui_order" label="Sign-in order" value=p.gui_order.to_string() flash=flash.clone()
                    kind="number" min="0" max="10000" hint="Lower first among the sign-in page's providers."/>
                {checkbox("enabled", "Enabled", p.enabled, "Off: hidden from the sign-in page, and its sign-ins are refused.")}
            </fieldset>
            {can.then(|| view! {
                <div class="buttons">
                    <button type="submit">"Save"</button>
                    <a class="button secondary" href=console_href(&frame.realm, "identity-providers")>"Cancel"</a>
                </div>
            })}
        </ConsoleForm>
    }
    .into_any()
}
