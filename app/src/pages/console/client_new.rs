//! Create an OAuth client: `OAuth Client ID` (blank = generated), `Name`, `Description`,
//! `Template` (each says what it sets), redirect URIs for the templates that use them; `Save`.
//! A confidential client's secret is shown once, on its Credentials tab, right after.

use crate::{
    admin::Frame,
    components::{
        flash::FieldError,
        form::ConsoleForm,
        shell::{console_href, console_page},
    },
};
use leptos::prelude::*;

/// The templates and what each sets (PRODUCT §3).
pub const TEMPLATES: &[(&str, &str, &str)] = &[
    (
        "service",
        "Service",
        "Confidential; client_credentials only; a service account holds its roles. For jobs and back ends.",
    ),
    ("web", "Web application", "Confidential; authorization code + refresh tokens; PKCE; redirect URIs required."),
    (
        "spa",
        "Single-page app",
        "Public; authorization code with PKCE; rotating refresh tokens; redirect URIs required.",
    ),
    ("native", "Native app", "Public; authorization code with PKCE; loopback redirect URIs (any port, RFC 8252)."),
    ("device", "Device / CLI", "Public; device authorization grant (RFC 8628) with PKCE; for CLIs and TVs."),
];

/// `/admin/:realm/console/clients/new`.
#[component]
pub fn ClientNew() -> impl IntoView {
    let data = Resource::new(|| (), |_| async { Ok::<(), ServerFnError>(()) });
    console_page("OAuth Clients", data, |frame, _| {
        let list = console_href(&frame.realm, "clients");
        (vec![("OAuth Clients".to_owned(), Some(list)), ("Create".to_owned(), None)], view! { <CreateForm frame/> })
    })
}

#[component]
fn CreateForm(frame: Frame) -> impl IntoView {
    if !frame.can("manage-clients") {
        return view! { <p class="error" role="alert">"Creating clients needs the manage-clients permission."</p> }
            .into_any();
    }
    let flash = frame.flash.clone().unwrap_or_default();
    let value = |f: &str| flash.value(f).unwrap_or_default();
    let error = |f: &str| flash.field_error(f);
    let invalid = |f: &str| flash.field_error(f).is_some().then_some("true");
    let template = flash.value("template").unwrap_or_else(|| "service".into());
    let (v_id, v_name, v_desc, v_uris) =
        (value("client_id"), value("name"), value("description"), value("redirect_uris"));
    let (e_id, e_name, e_template, e_uris) =
        (error("client_id"), error("name"), error("template"), error("redirect_uris"));
    let (i_id, i_name, i_uris) = (invalid("client_id"), invalid("name"), invalid("redirect_uris"));
    view! {
        <h1>"Create OAuth client"</h1>
        <ConsoleForm action=console_href(&frame.realm, "clients/new") csrf=frame.csrf.clone() class="stack form" label="Create OAuth client">
            <label for="client_id">"OAuth Client ID"</label>
            <input id="client_id" name="client_id" value=v_id autocomplete="off"
                aria-describedby="client_id-hint client_id-error" aria-invalid=i_id/>
            <span class="hint" id="client_id-hint">"Leave blank to have one generated."</span>
            <FieldError field="client_id" message=e_id/>

            <label for="name">"Name"</label>
            <input id="name" name="name" value=v_name aria-describedby="name-error" aria-invalid=i_name/>
            <FieldError field="name" message=e_name/>

            <label for="description">"Description"</label>
            <textarea id="description" name="description" rows="2">{v_desc}</textarea>

            <fieldset aria-describedby="template-error">
                <legend>"Template"</legend>
                {TEMPLATES
                    .iter()
                    .map(|(id, label, sets)| {
                        let hint = format!("template-{id}-hint");
                        view! {
                            <div class="choice">
                                <input type="radio" name="template" id=format!("template-{id}") value=*id
                                    checked=template == *id aria-describedby=hint.clone()/>
                                <label for=format!("template-{id}")>{*label}</label>
                                <span class="hint" id=hint>{*sets}</span>
                            </div>
                        }
                    })
                    .collect_view()}
                <FieldError field="template" message=e_template/>
            </fieldset>

            <label for="redirect_uris">"Redirect URIs"</label>
            <textarea id="redirect_uris" name="redirect_uris" rows="3" aria-describedby="redirect_uris-hint redirect_uris-error"
                aria-invalid=i_uris>{v_uris}</textarea>
            <span class="hint" id="redirect_uris-hint">"One per line, matched exactly. Web, SPA and native clients need at least one."</span>
            <FieldError field="redirect_uris" message=e_uris/>

            <div class="buttons">
                <button type="submit">"Save"</button>
                <a class="button secondary" href=console_href(&frame.realm, "clients")>"Cancel"</a>
            </div>
        </ConsoleForm>
    }
    .into_any()
}
