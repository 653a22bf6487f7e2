//! Users: the realm's users, searched (username, email, names) and paged on the server, with
//! `Create` and, per row, `Edit` and `Delete` (which asks first, naming the user). The list
//! shows whether each account is enabled, locked by failed sign-ins, or waiting for a new
//! password.

use crate::{
    admin::{console_users, Frame, UserListView},
    components::{
        confirm::Confirm,
        form::{console_key, ConsoleForm},
        pager::Pager,
        shell::{console_href, console_page, escape, use_realm},
    },
};
use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

/// How many users a page shows.
pub const PAGE: i64 = 20;

/// `/admin/:realm/console/users?q=&first=&delete=`.
#[component]
pub fn Users() -> impl IntoView {
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
        |(realm, q, first, _)| console_users(realm, q, first),
    );
    console_page("Users", data, move |frame, list| {
        let deleting = query.read_untracked().get("delete");
        (vec![("Users".to_owned(), None)], view! { <UserList frame list q=q() deleting/> })
    })
}

/// The address of a user's tab.
pub fn user_href(realm: &str, id: &str, tab: &str) -> String {
    console_href(realm, &format!("users/{}/{tab}", escape(id)))
}

#[component]
fn UserList(frame: Frame, list: UserListView, q: String, deleting: Option<String>) -> impl IntoView {
    let realm = frame.realm.clone();
    let can_manage = frame.can("manage-users");
    let list_href = {
        let (realm, q) = (realm.clone(), q.clone());
        move |first: i64| {
            let mut params = vec![];
            if !q.is_empty() {
                params.push(format!("q={}", escape(&q)));
            }
            if first > 0 {
                params.push(format!("first={first}"));
            }
            match params.is_empty() {
                true => console_href(&realm, "users"),
                false => format!("{}?{}", console_href(&realm, "users"), params.join("&")),
            }
        }
    };
    let back = list_href(list.first);
    // The user to delete is named by id; the dialog names them by username.
    let confirm = deleting.filter(|_| can_manage).and_then(|id| list.users.iter().find(|u| u.id == id).cloned()).map(|u| {
        let action = user_href(&realm, &u.id, "delete");
        view! {
            <Confirm title=format!("Delete user {}?", u.username) cancel=back.clone()>
                <p>"Their sessions, refresh tokens, consents and role mappings are deleted with them. This cannot be undone."</p>
                <ConsoleForm action csrf=frame.csrf.clone() class="inline">
                    <button type="submit" class="danger">"Delete"</button>
                </ConsoleForm>
            </Confirm>
        }
    });
    let verb = if can_manage { "Edit" } else { "View" };
    let empty_text = if q.is_empty() { "No users yet." } else { "No user matches the search." };
    let rows = list.users.clone();
    view! {
        <div class="page-head">
            <h1>"Users"</h1>
            {can_manage.then(|| view! { <a class="button" href=console_href(&realm, "users/new")>"Create"</a> })}
        </div>
        {confirm}
        <div role="search" class="search">
            <Form method="get" action=console_href(&realm, "users")>
                <div class="row">
                    <label for="user-search" class="visually-hidden">"Search users"</label>
                    <input type="search" id="user-search" name="q" value=q.clone() placeholder="Search by username, email or name"/>
                    <button type="submit" class="secondary">"Search"</button>
                </div>
            </Form>
        </div>
        <table id="users" class="list">
            <caption class="visually-hidden">"Users"</caption>
            <thead>
                <tr>
                    <th scope="col">"Username"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|u| {
                        let page = user_href(&realm, &u.id, "details");
                        let delete = format!("{}{}delete={}", back, if back.contains('?') { "&" } else { "?" }, escape(&u.id));
                        let mut status = vec![if u.enabled { "enabled" } else { "disabled" }];
                        if u.locked {
                            status.push("locked");
                        }
                        if u.password_temporary {
                            status.push("temporary password");
                        }
                        let name = format!("{} {}", u.first_name, u.last_name).trim().to_owned();
                        view! {
                            <tr data-username=u.username.clone()>
                                <th scope="row"><a href=page.clone()>{u.username.clone()}</a></th>
                                <td>{u.email.clone()}</td>
                                <td>{name}</td>
                                <td class="status">{status.join(", ")}</td>
                                <td class="actions">
                                    <a href=page aria-label=format!("{verb} {}", u.username)>{verb}</a>
                                    {can_manage.then(|| view! {
                                        <a href=delete class="danger-link" aria-label=format!("Delete {}", u.username)>"Delete"</a>
                                    })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {list.users.is_empty().then(|| view! { <p class="muted">{empty_text}</p> })}
        <Pager first=list.first max=list.max total=list.total href=list_href/>
    }
}
