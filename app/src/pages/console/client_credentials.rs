//! The Credentials tab: the secret, shown once (right after create or `Regenerate Secret`) in a
//! field labelled `Client secret` with a copy button; when the current secret was made; the
//! grace period left to the previous one.

use crate::{
    admin::{ClientPageView, Frame},
    components::{field::Field, form::ConsoleForm, secret::SecretOnce},
    pages::console::client::tab_href,
    text,
};
use leptos::prelude::*;

#[component]
pub fn CredentialsTab(frame: Frame, page: ClientPageView) -> impl IntoView {
    let c = page.client;
    if !c.confidential {
        return view! { <p>"This is a public client: it has no secret (it proves itself with PKCE)."</p> }.into_any();
    }
    let flash = frame.flash.clone().unwrap_or_default();
    let secret = flash.secret.clone();
    let can = frame.can("manage-clients");
    view! {
        {match secret {
            Some(s) => view! {
                <SecretOnce secret=s label="Client secret" id="client-secret"
                    hint="Copy it now: it is not shown again. Portcullis keeps only a hash of it."/>
            }.into_any(),
            None => view! {
                <p>
                    "The secret is shown only once, when it is made. "
                    {c.secret_created_at.map(|t| format!("The current secret was made {}.", text::utc(t)))}
                </p>
            }.into_any(),
        }}
        {c.previous_secret_until.map(|t| view! {
            <p class="notice">"The previous secret keeps working until " <strong>{text::utc(t)}</strong> "."</p>
        })}
        {can.then(|| view! {
            <ConsoleForm action=tab_href(&frame.realm, &c.client_id, "credentials") csrf=frame.csrf.clone() class="stack form" label="Regenerate Secret">
                <Field name="grace" label="Keep the old secret working for (seconds)" value="0" flash=frame.flash.clone()
                    kind="number" min="0" max="2592000"
                    hint="0: the old secret stops working at once. Up to 30 days, for rolling deployments over."/>
                <div class="buttons"><button type="submit">"Regenerate Secret"</button></div>
            </ConsoleForm>
        })}
    }
    .into_any()
}
