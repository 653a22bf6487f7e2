//! The Sessions tab: the user's open SSO sessions (started, last seen, address, clients), each
//! with `Revoke`, and `Sign out all sessions`.

use super::users::user_href;
use crate::{
    admin::{Frame, UserPageView},
    components::form::ConsoleForm,
    text,
};
use leptos::prelude::*;

#[component]
pub fn SessionsTab(frame: Frame, page: UserPageView) -> impl IntoView {
    let u = page.user;
    if page.sessions.is_empty() {
        return view! { <p id="no-sessions">"No open sessions."</p> }.into_any();
    }
    let can = frame.can("manage-users");
    let action = user_href(&frame.realm, &u.id, "sessions");
    view! {
        <table class="list" id="user-sessions">
            <caption class="visually-hidden">"Open sessions"</caption>
            <thead>
                <tr>
                    <th scope="col">"Started"</th>
                    <th scope="col">"Last seen"</th>
                    <th scope="col">"Address"</th>
                    <th scope="col">"Clients"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {page.sessions
                    .into_iter()
                    .map(|s| {
                        let started = text::utc(s.started_at);
                        view! {
                            <tr>
                                <th scope="row">{started.clone()}</th>
                                <td>{text::utc(s.last_seen_at)}</td>
                                <td>{s.ip.clone()}</td>
                                <td>{if s.clients.is_empty() { "—".to_owned() } else { s.clients.join(", ") }}</td>
                                <td>
                                    {can.then(|| view! {
                                        <ConsoleForm action=action.clone() csrf=frame.csrf.clone() class="inline">
                                            <input type="hidden" name="session" value=s.id.clone()/>
                                            <button type="submit" class="secondary" name="op" value="end"
                                                aria-label=format!("Revoke session started {started}")>"Revoke"</button>
                                        </ConsoleForm>
                                    })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {can.then(|| view! {
            <ConsoleForm action=action.clone() csrf=frame.csrf.clone() class="inline" label="Sign out all sessions">
                <button type="submit" class="danger" name="op" value="all">"Sign out all sessions"</button>
            </ConsoleForm>
        })}
    }
    .into_any()
}
