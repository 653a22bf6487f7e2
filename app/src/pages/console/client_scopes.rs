//! Client Scopes: the realm's scopes with their descriptions (the consent page shows them),
//! what each implies and grants in the end, and which are default or optional for new clients.
//! `Create`, and per scope `Edit` and `Delete` (confirmed; the built-in OIDC scopes stay).

use crate::{
    admin::{console_client_scopes, Frame, ScopeView, ScopesView},
    components::{
        confirm::Confirm,
        field::Field,
        form::{console_key, ConsoleForm},
        shell::{console_href, console_page, escape, use_realm},
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// `/admin/:realm/console/client-scopes?edit=ID&delete=ID`.
#[component]
pub fn ClientScopes() -> impl IntoView {
    let realm = use_realm();
    let key = console_key();
    let query = use_query_map();
    let data = Resource::new(move || (realm(), key()), |(realm, _)| console_client_scopes(realm));
    console_page("Client Scopes", data, move |frame, scopes| {
        let q = query.read_untracked();
        let pick = |k: &str| q.get(k).filter(|v| !v.is_empty());
        let (editing, deleting) = (pick("edit"), pick("delete"));
        (vec![("Client Scopes".to_owned(), None)], view! { <ScopeList frame scopes editing deleting/> })
    })
}

/// The fields a scope is made and changed with: `Description`, `Implies`, `For new clients`.
#[component]
fn ScopeFields(frame: Frame, scope: Option<ScopeView>, all: Vec<String>) -> impl IntoView {
    let (description, implies, new_clients, own) = match &scope {
        Some(s) => (s.description.clone(), s.implies.clone(), s.new_clients.clone(), Some(s.name.clone())),
        None => (String::new(), vec![], None, None),
    };
    let prefix = scope.as_ref().map(|s| s.id.clone()).unwrap_or_else(|| "new".into());
    let (implies_id, new_id) = (format!("implies-{prefix}"), format!("new-clients-{prefix}"));
    let option = move |value: &'static str, label: &'static str| {
        let selected = new_clients.as_deref().unwrap_or("none") == value;
        view! { <option value=value selected=selected>{label}</option> }
    };
    view! {
        <Field name="description" label="Description" value=description flash=frame.flash.clone()
            hint="Shown on the consent page, next to the scope."/>
        <div class="field">
            <label for=implies_id.clone()>"Implies"</label>
            <select id=implies_id.clone() name="implies" multiple size="6" aria-describedby=format!("{implies_id}-hint")>
                {all.into_iter().filter(|n| Some(n) != own.as_ref()).map(|n| {
                    let selected = implies.contains(&n);
                    view! { <option value=n.clone() selected=selected>{n.clone()}</option> }
                }).collect_view()}
            </select>
            <p class="hint" id=format!("{implies_id}-hint")>
                "Holding this scope also grants these (besides the rules: write:X grants read:X, write:global everything, read:global every read:…)."
            </p>
        </div>
        <div class="field">
            <label for=new_id.clone()>"For new clients"</label>
            <select id=new_id.clone() name="new_clients" aria-describedby=format!("{new_id}-hint")>
                {option("none", "Not given")}
                {option("default", "Default")}
                {option("optional", "Optional")}
            </select>
            <p class="hint" id=format!("{new_id}-hint")>
                "Default: every new client gets it, granted when a request names no scope. Optional: new clients may ask for it."
            </p>
        </div>
    }
}

#[component]
fn ScopeList(frame: Frame, scopes: ScopesView, editing: Option<String>, deleting: Option<String>) -> impl IntoView {
    let realm = frame.realm.clone();
    let here = console_href(&realm, "client-scopes");
    let can = frame.can("manage-realm");
    let names: Vec<String> = scopes.scopes.iter().map(|s| s.name.clone()).collect();
    let open = frame.flash.as_ref().is_some_and(|f| f.error) && editing.is_none();
    // One form at a time: the create form's fields would share the edit form's ids.
    let create = if can && editing.is_none() {
        let (frame, names, here, csrf) = (frame.clone(), names.clone(), here.clone(), frame.csrf.clone());
        Some(view! {
            <details class="create" open=open>
                <summary class="button">"Create"</summary>
                <ConsoleForm action=here csrf class="stack form" label="Create scope" reset_on_success=true>
                    <Field name="name" label="Name" value="" flash=frame.flash.clone()
                        hint="What clients put in scope, e.g. read:dataset. No spaces or quotes."/>
                    <ScopeFields frame scope=None all=names/>
                    <div class="buttons"><button type="submit">"Save"</button></div>
                </ConsoleForm>
            </details>
        })
    } else {
        None
    };
    let find = |id: &Option<String>| id.as_ref().and_then(|id| scopes.scopes.iter().find(|s| &s.id == id)).cloned();
    let edit = match find(&editing).filter(|_| can) {
        None => None,
        Some(s) => {
            let (frame, names, back, csrf) = (frame.clone(), names.clone(), here.clone(), frame.csrf.clone());
            Some(view! {
            <section class="panel" aria-labelledby="edit-title">
                <h2 id="edit-title">{format!("Edit scope {}", s.name)}</h2>
                <ConsoleForm action=back.clone() csrf class="stack form" label=format!("Edit scope {}", s.name)>
                    <input type="hidden" name="id" value=s.id.clone()/>
                    <ScopeFields frame scope=Some(s.clone()) all=names/>
                    <div class="buttons">
                        <button type="submit">"Save"</button>
                        <a class="button secondary" href=back>"Cancel"</a>
                    </div>
                </ConsoleForm>
            </section>
            })
        }
    };
    let confirm = match find(&deleting).filter(|s| can && !s.builtin) {
        None => None,
        Some(s) => {
            let (cancel, action, csrf) = (here.clone(), here.clone(), frame.csrf.clone());
            Some(view! {
            <Confirm title=format!("Delete scope {}?", s.name) cancel>
                <p>
                    {match s.clients.len() {
                        0 => "No client may ask for it. This cannot be undone.".to_owned(),
                        n => format!("{n} client(s) may ask for it and will no longer get it. This cannot be undone."),
                    }}
                </p>
                <ConsoleForm action csrf class="inline">
                    <input type="hidden" name="delete" value=s.id.clone()/>
                    <button type="submit" class="danger">"Delete"</button>
                </ConsoleForm>
            </Confirm>
            })
        }
    };
    let rows = scopes
        .scopes
        .into_iter()
        .map(|s| {
            let link = |verb: &str| format!("{here}?{verb}={}", escape(&s.id));
            let actions = can.then(|| {
                view! {
                    <a class="button secondary small" href=link("edit") aria-label=format!("Edit {}", s.name)>"Edit"</a>
                    {(!s.builtin).then(|| view! {
                        " "<a class="button danger small" href=link("delete") aria-label=format!("Delete {}", s.name)>"Delete"</a>
                    })}
                }
            });
            let grants = match s.grants.is_empty() {
                true => view! { <span class="muted">"only itself"</span> }.into_any(),
                false => view! {
                    <span aria-label=format!("{} grants {}", s.name, s.grants.join(", "))>
                        <span aria-hidden="true">"→ "</span>
                        {s.grants.iter().map(|g| {
                            let configured = s.implies.contains(g);
                            view! { <code class:strong=configured>{g.clone()}</code>" " }
                        }).collect_view()}
                    </span>
                }
                .into_any(),
            };
            let new_clients = match s.new_clients.as_deref() {
                Some("default") => "Default",
                Some("optional") => "Optional",
                _ => "—",
            };
            view! {
                <tr>
                    <th scope="row"><code>{s.name.clone()}</code>{s.builtin.then(|| view! { " "<span class="muted small">"built in"</span> })}</th>
                    <td>{s.description.clone()}</td>
                    <td>{grants}</td>
                    <td>{new_clients}</td>
                    <td>{s.clients.len()}</td>
                    <td class="actions">{actions}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="page-head"><h1>"Client Scopes"</h1>{create}</div>
        {edit}
        {confirm}
        <p class="muted">
            "The scopes clients ask for. A client's Settings tab picks which it may ask for and which are its defaults; "
            "bold ones below are configured implications, the rest follow from them or from the built-in rules."
        </p>
        <table class="list" id="client-scopes">
            <caption class="visually-hidden">"The realm's scopes"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Description"</th>
                    <th scope="col">"Grants in the end"</th>
                    <th scope="col">"For new clients"</th>
                    <th scope="col">"Clients"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
