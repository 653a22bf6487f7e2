//! The Credentials tab: `Reset password` with `Password`, `Password confirmation` and
//! `Temporary` (ticked by default, as in Keycloak: the user chooses a new password at the
//! next sign-in, on the sign-in page).

use super::users::user_href;
use crate::{
    admin::{Frame, UserPageView},
    components::{flash::FieldError, form::ConsoleForm},
    text,
};
use leptos::prelude::*;

#[component]
pub fn CredentialsTab(frame: Frame, page: UserPageView) -> impl IntoView {
    let u = page.user;
    if !frame.can("manage-users") {
        return view! { <p>"Resetting a password needs the manage-users permission."</p> }.into_any();
    }
    let sent = frame.flash.clone().unwrap_or_default();
    let error = sent.field_error("password");
    let refused = sent.error;
    let temporary = !refused || sent.value("temporary").is_some();
    let state = match u.password_temporary {
        true => "The current password is temporary: the user must choose a new one at the next sign-in.",
        false => "Setting a password here replaces the current one.",
    };
    view! {
        <h2>"Reset password"</h2>
        <p id="password-state">{state}</p>
        <ConsoleForm action=user_href(&frame.realm, &u.id, "credentials") csrf=frame.csrf.clone() class="stack form"
            label="Reset password" reset_on_success=true>
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="new-password" required
                aria-describedby="password-hint password-error" aria-invalid=error.is_some().then_some("true")/>
            <span class="hint" id="password-hint">
                {format!("At least {} (the realm's policy).", text::count(page.password_min_length, "character"))}
            </span>
            <FieldError field="password" message=error/>
            <label for="password_confirmation">"Password confirmation"</label>
            <input id="password_confirmation" name="password_confirmation" type="password" autocomplete="new-password" required/>
            <div class="choice">
                <input type="checkbox" id="temporary" name="temporary" value="on" checked=temporary aria-describedby="temporary-hint"/>
                <label for="temporary">"Temporary"</label>
                <span class="hint" id="temporary-hint">"The user must choose a new password at the next sign-in."</span>
            </div>
            <div class="buttons"><button type="submit">"Reset password"</button></div>
        </ConsoleForm>
    }
    .into_any()
}
