//! The Sessions tab: the client's live refresh families (user, started, last refreshed), each
//! revocable.

use crate::{
    admin::{ClientPageView, Frame},
    components::form::ConsoleForm,
    pages::console::client::tab_href,
    text,
};
use leptos::prelude::*;

#[component]
pub fn SessionsTab(frame: Frame, page: ClientPageView) -> impl IntoView {
    let c = page.client;
    if page.sessions.is_empty() {
        return view! { <p>"No live sessions: the client holds no refresh token that still works."</p> }.into_any();
    }
    let can = frame.can("manage-clients");
    let action = tab_href(&frame.realm, &c.client_id, "sessions");
    view! {
        <table class="list" id="sessions">
            <caption class="visually-hidden">"Live refresh-token families"</caption>
            <thead>
                <tr>
                    <th scope="col">"User"</th>
                    <th scope="col">"Started"</th>
                    <th scope="col">"Last refreshed"</th>
                    <th scope="col">"Kind"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {page.sessions
                    .into_iter()
                    .map(|s| view! {
                        <tr>
                            <th scope="row">{s.username.clone()}</th>
                            <td>{text::utc(s.started_at)}</td>
                            <td>{text::utc(s.last_refreshed_at)}</td>
                            <td>{if s.offline { "offline" } else { "online" }}</td>
                            <td>
                                {can.then(|| view! {
                                    <ConsoleForm action=action.clone() csrf=frame.csrf.clone() class="inline">
                                        <input type="hidden" name="family" value=s.family_id.clone()/>
                                        <button type="submit" class="secondary" aria-label=format!("Revoke session of {} started {}", s.username, text::utc(s.started_at))>"Revoke"</button>
                                    </ConsoleForm>
                                })}
                            </td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
