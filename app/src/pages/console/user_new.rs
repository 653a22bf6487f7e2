//! Create a user: `Username`, `Email`, `First name`, `Last name`, `Enabled`, and optionally a
//! `Password` (`Temporary`: the user chooses another at the first sign-in); `Save`.

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

/// `/admin/:realm/console/users/new`.
#[component]
pub fn UserNew() -> impl IntoView {
    let data = Resource::new(|| (), |_| async { Ok::<(), ServerFnError>(()) });
    console_page("Users", data, |frame, _| {
        let list = console_href(&frame.realm, "users");
        (vec![("Users".to_owned(), Some(list)), ("Create".to_owned(), None)], view! { <CreateUser frame/> })
    })
}

#[component]
fn CreateUser(frame: Frame) -> impl IntoView {
    if !frame.can("manage-users") {
        return view! { <p class="error" role="alert">"Creating users needs the manage-users permission."</p> }
            .into_any();
    }
    let flash = frame.flash.clone();
    let sent = flash.clone().unwrap_or_default();
    // After a refusal the boxes are as they were sent; at first, enabled and not temporary.
    let refused = flash.as_ref().is_some_and(|f| f.error);
    let enabled = !refused || sent.value("enabled").is_some();
    let temporary = refused && sent.value("temporary").is_some();
    let password_error = sent.field_error("password");
    view! {
        <h1>"Create user"</h1>
        <ConsoleForm action=console_href(&frame.realm, "users/new") csrf=frame.csrf.clone() class="stack form" label="Create user">
            <Field name="username" label="Username" value="" flash=flash.clone() hint="Kept in lower case, as Keycloak does."/>
            <Field name="email" label="Email" value="" flash=flash.clone() kind="email"/>
            <Field name="first_name" label="First name" value="" flash=flash.clone()/>
            <Field name="last_name" label="Last name" value="" flash=flash.clone()/>
            <div class="choice">
                <input type="checkbox" id="enabled" name="enabled" value="on" checked=enabled/>
                <label for="enabled">"Enabled"</label>
            </div>
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="new-password"
                aria-describedby="password-hint password-error" aria-invalid=password_error.is_some().then_some("true")/>
            <span class="hint" id="password-hint">"Optional: without one, the user cannot sign in until a password is set."</span>
            <FieldError field="password" message=password_error/>
            <div class="choice">
                <input type="checkbox" id="temporary" name="temporary" value="on" checked=temporary aria-describedby="temporary-hint"/>
                <label for="temporary">"Temporary"</label>
                <span class="hint" id="temporary-hint">"The user must choose a new password at the first sign-in."</span>
            </div>
            <div class="buttons">
                <button type="submit">"Save"</button>
                <a class="button secondary" href=console_href(&frame.realm, "users")>"Cancel"</a>
            </div>
        </ConsoleForm>
    }
    .into_any()
}
