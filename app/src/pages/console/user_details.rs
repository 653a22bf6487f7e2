//! The Details tab: `Email`, `First name`, `Last name`, `Enabled` (unticked: the user cannot
//! sign in and gets no new tokens); `Save`. Below, the account's brute-force state (failed
//! sign-ins, locked until) with `Unlock`.

use super::users::user_href;
use crate::{
    admin::{Frame, UserPageView},
    components::{field::Field, form::ConsoleForm},
    text,
};
use leptos::prelude::*;

#[component]
pub fn DetailsTab(frame: Frame, page: UserPageView) -> impl IntoView {
    let u = page.user.clone();
    let can = frame.can("manage-users");
    let flash = frame.flash.clone();
    let action = user_href(&frame.realm, &u.id, "details");
    let policy = format!(
        "The realm locks an account for {} after {} in a row.",
        text::duration(page.lockout_seconds),
        text::count(page.max_failures, "failed sign-in")
    );
    let state = match page.locked_until {
        Some(t) => format!("Locked until {} after {}.", text::utc(t), text::count(page.failures, "failed sign-in")),
        None if page.failures > 0 => format!("Not locked; {} counted.", text::count(page.failures, "failed sign-in")),
        None => "Not locked; no failed sign-ins counted.".to_owned(),
    };
    view! {
        <ConsoleForm action=action.clone() csrf=frame.csrf.clone() class="stack form" label="Details">
            <fieldset disabled=!can>
                <p class="muted">"Username " <strong>{u.username.clone()}</strong> " · created " {text::utc(page.created_at)}</p>
                <Field name="email" label="Email" value=u.email.clone() flash=flash.clone() kind="email"/>
                <Field name="first_name" label="First name" value=u.first_name.clone() flash=flash.clone()/>
                <Field name="last_name" label="Last name" value=u.last_name.clone() flash=flash.clone()/>
                <div class="choice">
                    <input type="checkbox" id="enabled" name="enabled" value="on" checked=u.enabled aria-describedby="enabled-hint"/>
                    <label for="enabled">"Enabled"</label>
                    <span class="hint" id="enabled-hint">"A disabled user cannot sign in and gets no new tokens."</span>
                </div>
                {can.then(|| view! { <div class="buttons"><button type="submit" name="op" value="save">"Save"</button></div> })}
            </fieldset>
        </ConsoleForm>
        <section aria-labelledby="brute-force-title" class="brute-force">
            <h2 id="brute-force-title">"Brute force"</h2>
            <dl class="facts">
                <dt>"Failures"</dt>
                <dd id="failures">{page.failures}</dd>
                <dt>"Last failure"</dt>
                <dd>{page.last_failure.map(text::utc).unwrap_or_else(|| "—".to_owned())}</dd>
                <dt>"Locked until"</dt>
                <dd id="locked-until">{page.locked_until.map(text::utc).unwrap_or_else(|| "not locked".to_owned())}</dd>
            </dl>
            <p id="lock-state">{state}</p>
            <p class="muted">{policy}</p>
            {(can && page.failures > 0).then(|| view! {
                <ConsoleForm action csrf=frame.csrf.clone() class="inline" label="Unlock">
                    <button type="submit" name="op" value="unlock">"Unlock"</button>
                </ConsoleForm>
            })}
        </section>
    }
}
