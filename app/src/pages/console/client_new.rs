//! Create an OAuth client: `OAuth Client ID` (blank = generated), `Name`, `Description`,
//! `Template` (each says what it sets), redirect URIs for the templates that use them; `Save`.
//! A confidential client's secret is shown once, on its Credentials tab, right after.

use crate::{
    admin::Frame,
    components::{
        field::Field,
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
    let flash = frame.flash.clone();
    let sent = flash.clone().unwrap_or_default();
    let template = sent.value("template").unwrap_or_else(|| "service".into());
    let templates = TEMPLATES
        .iter()
        .map(|(id, label, sets)| {
            let (input, hint) = (format!("template-{id}"), format!("template-{id}-hint"));
            view! {
                <div class="choice">
                    <input type="radio" name="template" id=input.clone() value=*id checked=template == *id
                        aria-describedby=hint.clone()/>
                    <label for=input>{*label}</label>
                    <span class="hint" id=hint>{*sets}</span>
                </div>
            }
        })
        .collect_view();
    view! {
        <h1>"Create OAuth client"</h1>
        <ConsoleForm action=console_href(&frame.realm, "clients/new") csrf=frame.csrf.clone() class="stack form" label="Create OAuth client">
            <Field name="client_id" label="OAuth Client ID" value="" flash=flash.clone() hint="Leave blank to have one generated."/>
            <Field name="name" label="Name" value="" flash=flash.clone()/>
            <Field name="description" label="Description" value="" flash=flash.clone() multiline=true/>
            <fieldset aria-describedby="template-error">
                <legend>"Template"</legend>
                {templates}
                <FieldError field="template" message=sent.field_error("template")/>
            </fieldset>
            <Field name="redirect_uris" label="Redirect URIs" value="" flash=flash multiline=true
                hint="One per line, matched exactly. Web, SPA and native clients need at least one."/>
            <div class="buttons">
                <button type="submit">"Save"</button>
                <a class="button secondary" href=console_href(&frame.realm, "clients")>"Cancel"</a>
            </div>
        </ConsoleForm>
    }
    .into_any()
}
