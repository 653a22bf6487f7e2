//! OAuth Clients: the realm's clients, searched and paged on the server, with `Create` and,
//! per row, `Edit` and `Delete` (which asks first, naming the client).

use crate::{
    admin::{console_clients, ClientListView, Frame},
    components::{
        confirm::Confirm,
        form::{console_key, ConsoleForm},
        pager::Pager,
        shell::{console_href, console_page, escape, use_realm},
    },
};
use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

/// How many clients a page shows.
pub const PAGE: i64 = 20;

/// `/admin/:realm/console/clients?q=&first=&delete=`.
#[component]
pub fn Clients() -> impl IntoView {
    let realm = use_realm();
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let first = move || query.read().get("first").and_then(|f| f.parse().ok()).unwrap_or(0i64);
    let key = console_key();
    let data = Resource::new(
        {
            let realm = realm.clone();
            move || (realm(), q(), first(), key())
        },
        |(realm, q, first, _)| console_clients(realm, q, first),
    );
    console_page("OAuth Clients", data, move |frame, list| {
        let deleting = query.read_untracked().get("delete");
        (vec![("OAuth Clients".to_owned(), None)], view! { <ClientList frame list q=q() deleting/> })
    })
}

#[component]
fn ClientList(frame: Frame, list: ClientListView, q: String, deleting: Option<String>) -> impl IntoView {
    let realm = frame.realm.clone();
    let can_manage = frame.can("manage-clients");
    let list_href = {
        let (realm, q) = (realm.clone(), q.clone());
        move |first: i64| {
            let mut href = console_href(&realm, "clients");
            let mut params = vec![];
            if !q.is_empty() {
                params.push(format!("q={}", escape(&q)));
            }
            if first > 0 {
                params.push(format!("first={first}"));
            }
            if !params.is_empty() {
                href = format!("{href}?{}", params.join("&"));
            }
            href
        }
    };
    let back = list_href(list.first);
    let confirm = deleting.filter(|_| can_manage).map(|id| {
        let action = console_href(&realm, &format!("clients/{}/delete", escape(&id)));
        view! {
            <Confirm title=format!("Delete client {id}?") cancel=back.clone()>
                <p>
                    "Its secret stops working, and every token it holds is revoked at once. "
                    "This cannot be undone."
                </p>
                <ConsoleForm action csrf=frame.csrf.clone() class="inline">
                    <button type="submit" class="danger">"Delete"</button>
                </ConsoleForm>
            </Confirm>
        }
    });
    let rows = list.clients.clone();
    let verb = if can_manage { "Edit" } else { "View" };
    let (search_value, empty_text) =
        (q.clone(), if q.is_empty() { "No clients yet." } else { "No client matches the search." });
    view! {
        <div class="page-head">
            <h1>"OAuth Clients"</h1>
            {can_manage.then(|| view! { <a class="button" href=console_href(&realm, "clients/new")>"Create"</a> })}
        </div>
        {confirm}
        // A GET form: without JavaScript the browser loads `?q=`; hydrated, the router does.
        <div role="search" class="search">
            <Form method="get" action=console_href(&realm, "clients")>
                <div class="row">
                    <label for="client-search" class="visually-hidden">"Search clients"</label>
                    <input type="search" id="client-search" name="q" value=search_value placeholder="Search by client ID or name"/>
                    <button type="submit" class="secondary">"Search"</button>
                </div>
            </Form>
        </div>
        <table id="clients" class="list">
            <caption class="visually-hidden">"OAuth clients"</caption>
            <thead>
                <tr>
                    <th scope="col">"Client ID"</th>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Template"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|c| {
                        let page = console_href(&realm, &format!("clients/{}/settings", escape(&c.client_id)));
                        let delete = format!("{}{}delete={}", back, if back.contains('?') { "&" } else { "?" }, escape(&c.client_id));
                        view! {
                            <tr data-client-id=c.client_id.clone()>
                                <th scope="row"><a href=page.clone()><code>{c.client_id.clone()}</code></a></th>
                                <td>{c.name.clone()}</td>
                                <td>{c.template.clone()}</td>
                                <td>{if c.confidential { "confidential" } else { "public" }}</td>
                                <td>{if c.enabled { "enabled" } else { "disabled" }}</td>
                                <td class="actions">
                                    <a href=page aria-label=format!("{} {}", verb, c.client_id)>{verb}</a>
                                    {can_manage.then(|| view! {
                                        <a href=delete class="danger-link" aria-label=format!("Delete {}", c.client_id)>"Delete"</a>
                                    })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {list.clients.is_empty().then(|| view! {
            <p class="muted">{empty_text}</p>
        })}
        <Pager first=list.first max=list.max total=list.total href=list_href/>
    }
}
