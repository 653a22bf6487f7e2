//! Sessions: the realm's open SSO sessions (User, Clients, Address, Started, Last seen),
//! paged; `Revoke` per row and `Revoke all`, each asked first (a page state reached by a
//! link, so it works without JavaScript).

use crate::{
    admin::{console_sessions, Frame, SessionsView},
    components::{
        confirm::Confirm,
        form::{console_key, ConsoleForm},
        pager::Pager,
        shell::{console_href, console_page, escape, use_realm},
    },
    text,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// How many sessions a page shows.
pub const PAGE: i64 = 25;

/// `/admin/:realm/console/sessions?first=&revoke=`.
#[component]
pub fn Sessions() -> impl IntoView {
    let realm = use_realm();
    let query = use_query_map();
    let first = move || query.read().get("first").and_then(|f| f.parse().ok()).unwrap_or(0i64);
    let key = console_key();
    let data = Resource::new(move || (realm(), first(), key()), |(realm, first, _)| console_sessions(realm, first));
    console_page("Sessions", data, move |frame, list| {
        let revoking = query.read_untracked().get("revoke");
        (vec![("Sessions".to_owned(), None)], view! { <SessionList frame list revoking/> })
    })
}

#[component]
fn SessionList(frame: Frame, list: SessionsView, revoking: Option<String>) -> impl IntoView {
    let realm = frame.realm.clone();
    let here = console_href(&realm, "sessions");
    let can = frame.can("manage-users");
    let page_href = {
        let here = here.clone();
        move |first: i64| if first > 0 { format!("{here}?first={first}") } else { here.clone() }
    };
    let back = page_href(list.first);
    let ask = {
        let back = back.clone();
        move |what: &str| format!("{back}{}revoke={}", if back.contains('?') { "&" } else { "?" }, escape(what))
    };
    let confirm = revoking.filter(|_| can).map(|id| {
        let all = id == "all";
        let whose = list.sessions.iter().find(|s| s.id == id).map(|s| s.username.clone());
        let title = match (all, &whose) {
            (true, _) => format!("Revoke all {}?", text::count(list.total, "session")),
            (false, Some(u)) => format!("Revoke the session of {u}?"),
            (false, None) => "Revoke this session?".to_owned(),
        };
        let button = if all { "Revoke all" } else { "Revoke" };
        view! {
            <Confirm title cancel=back.clone()>
                <p>"Signed-out users must sign in again; the refresh tokens of these sessions stop working at once."</p>
                <ConsoleForm action=here.clone() csrf=frame.csrf.clone() class="inline">
                    {match all {
                        true => view! { <input type="hidden" name="all" value="1"/> }.into_any(),
                        false => view! { <input type="hidden" name="session" value=id.clone()/> }.into_any(),
                    }}
                    <button type="submit" class="danger">{button}</button>
                </ConsoleForm>
            </Confirm>
        }
    });
    let none = list.sessions.is_empty().then(|| view! { <tr><td colspan="6">"No open sessions."</td></tr> });
    let rows = list
        .sessions
        .iter()
        .map(|s| {
            let clients = match s.clients.is_empty() {
                true => view! { <span class="muted">"none"</span> }.into_any(),
                false => s
                    .clients
                    .iter()
                    .map(|c| {
                        let href = console_href(&realm, &format!("clients/{}/sessions", escape(c)));
                        view! { <a href=href><code>{c.clone()}</code></a>" " }
                    })
                    .collect_view()
                    .into_any(),
            };
            let revoke = can.then(|| {
                view! {
                    <a class="button secondary small" href=ask(&s.id) aria-label=format!("Revoke session of {}", s.username)>
                        "Revoke"
                    </a>
                }
            });
            view! {
                <tr data-session=s.id.clone()>
                    <th scope="row">{s.username.clone()}</th>
                    <td>{clients}</td>
                    <td>{s.ip.clone().unwrap_or_default()}</td>
                    <td class="nowrap">{text::utc(s.started_at)}</td>
                    <td class="nowrap">{text::utc(s.last_seen_at)}</td>
                    <td class="actions">{revoke}</td>
                </tr>
            }
        })
        .collect_view();
    let revoke_all =
        (can && list.total > 0).then(|| view! { <a class="button danger" href=ask("all")>"Revoke all"</a> });
    view! {
        <div class="page-head"><h1>"Sessions"</h1>{revoke_all}</div>
        <p class="muted">"The realm's open single sign-on sessions: who signed in, from where, and the clients holding their tokens."</p>
        {confirm}
        <table class="list" id="sessions">
            <caption class="visually-hidden">"Open single sign-on sessions, newest first"</caption>
            <thead>
                <tr>
                    <th scope="col">"User"</th>
                    <th scope="col">"Clients"</th>
                    <th scope="col">"Address"</th>
                    <th scope="col">"Started"</th>
                    <th scope="col">"Last seen"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{none}{rows}</tbody>
        </table>
        <Pager first=list.first max=list.max total=list.total href=page_href/>
    }
}
