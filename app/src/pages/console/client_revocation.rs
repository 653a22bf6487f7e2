//! The Revocation tab: `Not Before` (every token issued before it stops working) with `Set to
//! now`, a date-time field and `Clear`; what that revokes; and ending the client's sessions.

use crate::{
    admin::{ClientPageView, Frame},
    components::{flash::FieldError, form::ConsoleForm},
    pages::console::client::tab_href,
    text,
};
use leptos::prelude::*;

#[component]
pub fn RevocationTab(frame: Frame, page: ClientPageView) -> impl IntoView {
    let c = page.client;
    let can = frame.can("manage-clients");
    let flash = frame.flash.clone().unwrap_or_default();
    let action = tab_href(&frame.realm, &c.client_id, "revocation");
    let current = match c.not_before {
        0 => "Not set: tokens are not revoked by time.".to_owned(),
        t => format!("Tokens issued before {} do not work.", text::utc(t)),
    };
    let field = match c.not_before {
        0 => String::new(),
        t => text::datetime_local(t),
    };
    let value = flash.value("not_before").unwrap_or(field);
    let sessions = page.sessions.len();
    view! {
        <p id="not-before-now">{current}</p>
        <ConsoleForm action=action.clone() csrf=frame.csrf.clone() class="stack form" label="Revoke by time">
            <fieldset disabled=!can>
                <label for="not_before">"Not Before"</label>
                <input id="not_before" name="not_before" type="datetime-local" value=value step="1"
                    aria-describedby="not_before-hint not_before-error" aria-invalid=flash.field_error("not_before").is_some().then_some("true")/>
                <span class="hint" id="not_before-hint">
                    "In UTC. Every access token, refresh token and code this client was issued before this time stops working: "
                    "introspection reports them inactive, userinfo refuses them, refreshing fails."
                </span>
                <FieldError field="not_before" message=flash.field_error("not_before")/>
                <div class="buttons">
                    <button type="submit" name="op" value="now">"Set to now"</button>
                    <button type="submit" name="op" value="clear" class="secondary">"Clear"</button>
                    <button type="submit" name="op" value="save" class="secondary">"Save"</button>
                </div>
            </fieldset>
        </ConsoleForm>
        <h2>"Sessions"</h2>
        <p>
            {match sessions {
                0 => "The client has no live refresh tokens.".to_owned(),
                n => format!("The client holds {} live refresh-token {}.", n, if n == 1 { "family" } else { "families" }),
            }}
        </p>
        {(can && sessions > 0).then(|| view! {
            <ConsoleForm action=action csrf=frame.csrf.clone() class="inline" label="Revoke all sessions">
                <button type="submit" name="op" value="revoke-all" class="danger">"Revoke all sessions"</button>
            </ConsoleForm>
        })}
    }
}
