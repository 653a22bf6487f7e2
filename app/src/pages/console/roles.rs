//! Roles: the realm's roles, or one client's (chosen above the list). `Create` with `Role name`
//! and `Description`, `Save`; each role's description can be edited; `Delete` asks first and
//! names who holds the role (they lose it).

use crate::{
    admin::{console_roles, Frame, RolesView},
    components::{
        confirm::Confirm,
        flash::FieldError,
        form::{console_key, ConsoleForm},
        shell::{console_href, console_page, escape, use_realm},
    },
};
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

/// `/admin/:realm/console/roles?client=&delete=&edit=`.
#[component]
pub fn Roles() -> impl IntoView {
    let realm = use_realm();
    let query = use_query_map();
    let client = move || query.read().get("client").filter(|c| !c.is_empty());
    let key = console_key();
    let data = Resource::new(move || (realm(), client(), key()), |(realm, client, _)| console_roles(realm, client));
    console_page("Roles", data, move |frame, roles| {
        let q = query.read_untracked();
        let (deleting, editing) = (q.get("delete"), q.get("edit"));
        (vec![("Roles".to_owned(), None)], view! { <RoleList frame roles deleting editing/> })
    })
}

#[component]
fn RoleList(frame: Frame, roles: RolesView, deleting: Option<String>, editing: Option<String>) -> impl IntoView {
    let realm = frame.realm.clone();
    // Realm roles are the realm's settings; a client's roles are part of the client.
    let can = match roles.client {
        Some(_) => frame.can("manage-clients"),
        None => frame.can("manage-realm"),
    } && roles.client.as_deref() != Some("realm-management");
    let base = match &roles.client {
        Some(c) => format!("{}?client={}", console_href(&realm, "roles"), escape(c)),
        None => console_href(&realm, "roles"),
    };
    let with =
        |key: &str, value: &str| format!("{base}{}{key}={}", if base.contains('?') { "&" } else { "?" }, escape(value));
    let flash = frame.flash.clone().unwrap_or_default();
    let owner = roles.client.clone();
    let hidden_client = move || owner.clone().map(|c| view! { <input type="hidden" name="client" value=c/> });
    let roles_href = console_href(&realm, "roles");
    let csrf = frame.csrf.clone();

    let confirm = deleting
        .filter(|_| can)
        .and_then(|name| roles.roles.iter().find(|r| r.name == name).cloned())
        .map(|role| {
            let holders = match role.holders.is_empty() {
                true => view! { <p>"Nobody holds it."</p> }.into_any(),
                false => view! {
                    <p>"These lose it (tokens issued from now on no longer carry it):"</p>
                    <ul class="holders">{role.holders.iter().map(|h| view! { <li>{h.clone()}</li> }).collect_view()}</ul>
                }
                .into_any(),
            };
            let (hc, force, name) = (hidden_client(), (!role.holders.is_empty()).to_string(), role.name.clone());
            let form = view! {
                <ConsoleForm action=roles_href.clone() csrf=csrf.clone() class="inline">
                    {hc}
                    <input type="hidden" name="name" value=name/>
                    <input type="hidden" name="force" value=force/>
                    <button type="submit" name="op" value="delete" class="danger">"Delete"</button>
                </ConsoleForm>
            };
            view! { <Confirm title=format!("Delete role {}?", role.name) cancel=base.clone()>{holders}{form}</Confirm> }
        });

    let create = can.then(|| {
        let open = flash.value("op").as_deref() == Some("create");
        let (v_name, v_desc) = (flash.value("name").unwrap_or_default(), flash.value("description").unwrap_or_default());
        let (e_name, e_desc) = (flash.field_error("name"), flash.field_error("description"));
        let (i_name, i_desc) = (e_name.is_some().then_some("true"), e_desc.is_some().then_some("true"));
        let hc = hidden_client();
        view! {
            <details class="create" open=open>
                <summary class="button">"Create"</summary>
                <ConsoleForm action=roles_href.clone() csrf=csrf.clone() class="stack form" label="Create role" reset_on_success=true>
                    {hc}
                    <label for="role-name">"Role name"</label>
                    <input id="role-name" name="name" value=v_name aria-describedby="name-error" aria-invalid=i_name/>
                    <FieldError field="name" message=e_name/>
                    <label for="role-description">"Description"</label>
                    <input id="role-description" name="description" value=v_desc aria-describedby="description-error" aria-invalid=i_desc/>
                    <FieldError field="description" message=e_desc/>
                    <div class="buttons"><button type="submit" name="op" value="create">"Save"</button></div>
                </ConsoleForm>
            </details>
        }
    });

    let rows = roles
        .roles
        .iter()
        .map(|r| {
            let editing_this = can && editing.as_deref() == Some(r.name.as_str());
            let description = match editing_this {
                true => {
                    let (hc, name, desc, cancel) = (hidden_client(), r.name.clone(), r.description.clone(), base.clone());
                    view! {
                        <ConsoleForm action=roles_href.clone() csrf=csrf.clone() class="row" label=format!("Edit {}", r.name)>
                            {hc}
                            <input type="hidden" name="name" value=name/>
                            <label for="edit-description" class="visually-hidden">"Description"</label>
                            <input id="edit-description" name="description" value=desc/>
                            <button type="submit" name="op" value="update">"Save"</button>
                            <a href=cancel class="button secondary">"Cancel"</a>
                        </ConsoleForm>
                    }
                    .into_any()
                }
                false => r.description.clone().into_any(),
            };
            let actions = (can && !editing_this).then(|| {
                let (edit, delete) = (with("edit", &r.name), with("delete", &r.name));
                view! {
                    <a href=edit aria-label=format!("Edit {}", r.name)>"Edit"</a>
                    <a href=delete class="danger-link" aria-label=format!("Delete {}", r.name)>"Delete"</a>
                }
            });
            let held = match r.holders.len() {
                0 => "nobody".to_owned(),
                n => crate::text::count(n as i64, "holder"),
            };
            view! {
                <tr>
                    <th scope="row">{r.name.clone()}</th>
                    <td>{description}</td>
                    <td>{held}</td>
                    <td class="actions">{actions}</td>
                </tr>
            }
        })
        .collect_view();
    let empty = roles.roles.is_empty();
    let owners = roles.clients.iter().map(|c| view! { <option value=c.clone()></option> }).collect_view();

    view! {
        <div class="page-head"><h1>"Roles"</h1></div>
        // A GET form: the router moves without a reload once hydrated.
        <Form method="get" action=roles_href.clone()>
            <div class="row">
                <label for="role-owner">"Roles of client"</label>
                <input id="role-owner" name="client" list="role-owners" value=roles.client.clone().unwrap_or_default()
                    placeholder="blank: the realm's own roles" aria-describedby="role-owner-hint"/>
                <datalist id="role-owners">{owners}</datalist>
                <button type="submit" class="secondary">"Show"</button>
                <span class="hint" id="role-owner-hint">"Blank shows the realm (organization) roles."</span>
            </div>
        </Form>
        {confirm}
        {create}
        <table class="list" id="roles">
            <caption class="visually-hidden">"Roles"</caption>
            <thead>
                <tr>
                    <th scope="col">"Role name"</th>
                    <th scope="col">"Description"</th>
                    <th scope="col">"Held by"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        {empty.then(|| view! { <p class="muted">"No roles yet."</p> })}
    }
}
