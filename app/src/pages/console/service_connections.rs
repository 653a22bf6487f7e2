//! Service Connections: the realm's own connections to third-party APIs (ServiceNow's "OAuth
//! profile"), each with its status (Connected, expires, last refreshed, last error). `Create`,
//! and per row `Connect` (or `Reconnect`), `Edit` and `Delete` (which asks first). A
//! client-credentials connection connects with a form post; an authorization-code one sends the
//! administrator to the provider to sign in (a plain link, the callback comes back here). An
//! administrator without `manage-realm` sees the list without the controls.

use crate::{
    admin::{
        service_connections::{console_service_connections, ConnectionView, ConnectionsView},
        Flash, Frame,
    },
    components::{
        confirm::Confirm,
        field::Field,
        form::{console_key, ConsoleForm},
        shell::{console_href, console_page, escape, use_realm},
    },
    text,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// `/admin/:realm/console/service-connections?edit=ALIAS&delete=ALIAS`.
#[component]
pub fn ServiceConnections() -> impl IntoView {
    let realm = use_realm();
    let query = use_query_map();
    let key = console_key();
    let data = Resource::new(move || (realm(), key()), |(realm, _)| console_service_connections(realm));
    console_page("Service Connections", data, move |frame, list| {
        let q = query.read_untracked();
        let (edit, delete) = (q.get("edit").filter(|e| !e.is_empty()), q.get("delete").filter(|d| !d.is_empty()));
        (vec![("Service Connections".to_owned(), None)], view! { <ConnectionList frame list edit delete/> })
    })
}

fn grant_label(grant: &str) -> &'static str {
    match grant {
        "authorization_code" => "Authorization code",
        _ => "Client credentials",
    }
}

/// A `<select>` with its label, keeping a refused form's choice.
fn choice(
    name: &'static str,
    label: &'static str,
    options: &[(&str, &str)],
    current: String,
    flash: &Flash,
) -> AnyView {
    let current = flash.value(name).unwrap_or(current);
    let options = options
        .iter()
        .map(|(value, text)| {
            let selected = *value == current;
            view! { <option value=value.to_string() selected=selected>{text.to_string()}</option> }
        })
        .collect_view();
    view! {
        <label for=name>{label}</label>
        <select id=name name=name>{options}</select>
    }
    .into_any()
}

/// The settings form: empty for `Create`, filled for an edit (where the alias stays and a blank
/// secret keeps the stored one).
fn settings_form(frame: &Frame, here: &str, editing: Option<&ConnectionView>) -> AnyView {
    let flash = frame.flash.clone().filter(|f| f.error).unwrap_or_default();
    let c = editing.cloned().unwrap_or_default();
    let grants = [("client_credentials", "Client credentials"), ("authorization_code", "Authorization code")];
    let methods =
        [("client_secret_basic", "Client secret (Basic)"), ("client_secret_post", "Client secret (in the body)")];
    let f = Some(flash.clone());
    let label = match editing {
        Some(c) => format!("Edit {}", c.alias),
        None => "Create service connection".to_owned(),
    };
    let (update, creating) = (editing.map(|c| c.alias.clone()), editing.is_none());
    let secret_hint = match c.has_secret {
        true => "A secret is set: leave blank to keep it.",
        false => "Issued by the provider. Sealed under the master key; never shown again.",
    };
    view! {
        <ConsoleForm action=here.to_owned() csrf=frame.csrf.clone() class="stack form" label=label reset_on_success=creating>
            {match update {
                Some(alias) => view! { <input type="hidden" name="update" value=alias/> }.into_any(),
                None => view! {
                    <Field name="alias" label="Alias" value="" flash=f.clone()
                        hint="Lowercase letters, digits, '-', '_' or '.'; part of the token endpoint's address."/>
                }.into_any(),
            }}
            <Field name="display_name" label="Display name" value=c.display_name.clone() flash=f.clone()/>
            {choice("grant_type", "Grant", &grants, c.grant_type.clone(), &flash)}
            <Field name="token_url" label="Token URL" value=c.token_url.clone() flash=f.clone() kind="url"
                hint="The provider's token endpoint (https)."/>
            <Field name="authorization_url" label="Authorization URL" value=c.authorization_url.clone() flash=f.clone() kind="url"
                hint="The authorization code grant only: where you sign in at the provider."/>
            <Field name="client_id" label="Client ID" value=c.client_id.clone() flash=f.clone()/>
            <Field name="client_secret" label="Client secret" value="" flash=f.clone() kind="password" hint=secret_hint/>
            {choice("client_auth_method", "Client authentication", &methods, c.client_auth_method.clone(), &flash)}
            <Field name="scopes" label="Scopes" value=c.scopes.clone() flash=f.clone() hint="Space-separated, as the provider names them."/>
            {creating.then(|| view! {
                <Field name="role" label="Role" value="" flash=f.clone()
                    hint="The role a service's token must carry to read the token: blank makes broker:read-connection-{alias}; or an existing role (name, or client:name)."/>
            })}
            <div class="buttons"><button type="submit">"Save"</button></div>
        </ConsoleForm>
    }
    .into_any()
}

fn status(c: &ConnectionView, now: i64) -> (&'static str, &'static str) {
    match (c.connected, &c.last_error, c.expires_at) {
        (_, Some(_), _) => ("Error", "off"),
        (false, None, _) => ("Not connected", "off"),
        (true, None, Some(at)) if at <= now => ("Expired", "off"),
        _ => ("Connected", "on"),
    }
}

#[component]
fn ConnectionList(frame: Frame, list: ConnectionsView, edit: Option<String>, delete: Option<String>) -> impl IntoView {
    let realm = frame.realm.clone();
    let here = console_href(&realm, "service-connections");
    let can = list.can_manage;
    let find = |alias: Option<String>| {
        alias.filter(|_| can).and_then(|a| list.connections.iter().find(|c| c.alias == a).cloned())
    };
    let (cancel, csrf) = (here.clone(), frame.csrf.clone());
    let confirm = find(delete).map(|c| {
        let (alias, action) = (c.alias.clone(), cancel.clone());
        view! {
            <Confirm title=format!("Delete service connection {}?", c.display_name) cancel=cancel>
                <p>
                    "Its token is deleted and services can no longer fetch it. "
                    {(c.role == format!("broker:read-connection-{}", c.alias)).then_some("Its role goes with it. ")}
                    "This cannot be undone."
                </p>
                <ConsoleForm action=action csrf=csrf class="inline">
                    <input type="hidden" name="delete" value=alias.clone()/>
                    <button type="submit" class="danger">{format!("Delete {alias}")}</button>
                </ConsoleForm>
            </Confirm>
        }
    });
    let editing = find(edit);
    let edit_form = editing.as_ref().map(|c| {
        view! {
            <section class="card" aria-labelledby="edit-title">
                <h2 id="edit-title">{format!("Edit {}", c.display_name)}</h2>
                <p class="muted">"Register this callback URL at the provider: " <code>{c.callback_url.clone()}</code></p>
                {settings_form(&frame, &here, Some(c))}
                <p><a href=here.clone()>"Cancel"</a></p>
            </section>
        }
    });
    let create = (can && editing.is_none()).then(|| {
        // Open again when the create form itself was refused (not a refused Connect or Delete).
        let open = frame.flash.as_ref().is_some_and(|f| f.error && f.value("alias").is_some());
        view! {
            <details class="create" open=open>
                <summary class="button">"Create"</summary>
                {settings_form(&frame, &here, None)}
            </details>
        }
    });
    let now = list.now;
    let none =
        list.connections.is_empty().then(|| view! { <tr><td colspan="7">"No service connections yet."</td></tr> });
    let rows = list
        .connections
        .into_iter()
        .map(|c| {
            let (state, class) = status(&c, now);
            let verb = if c.connected { "Reconnect" } else { "Connect" };
            let (alias, action, csrf) = (c.alias.clone(), here.clone(), frame.csrf.clone());
            let code_flow = c.grant_type == "authorization_code";
            let connect = can.then(move || match code_flow {
                true => {
                    let href = format!("{action}/{}/connect", escape(&alias));
                    view! { <a class="button small" href=href rel="external" aria-label=format!("{verb} {alias}")>{verb}</a> }.into_any()
                }
                false => view! {
                    <ConsoleForm action csrf class="inline">
                        <input type="hidden" name="connect" value=alias.clone()/>
                        <button type="submit" class="small" aria-label=format!("{verb} {alias}")>{verb}</button>
                    </ConsoleForm>
                }
                .into_any(),
            });
            let edit = can.then(|| {
                let href = format!("{here}?edit={}", escape(&c.alias));
                view! { <a href=href aria-label=format!("Edit {}", c.alias)>"Edit"</a> }
            });
            let delete = can.then(|| {
                let href = format!("{here}?delete={}", escape(&c.alias));
                view! { <a href=href class="danger-link" aria-label=format!("Delete {}", c.alias)>"Delete"</a> }
            });
            view! {
                <tr data-alias=c.alias.clone()>
                    <th scope="row">{c.display_name.clone()}<br/><code class="muted small">{c.alias.clone()}</code></th>
                    <td>{grant_label(&c.grant_type)}</td>
                    <td>
                        <span class=format!("badge {class}")>{state}</span>
                        {c.last_error.clone().map(|e| view! { <br/><span class="error small">{e}</span> })}
                    </td>
                    <td>{c.expires_at.filter(|_| c.connected).map(text::utc).unwrap_or_else(|| "—".into())}</td>
                    <td>{c.refreshed_at.map(text::utc).unwrap_or_else(|| "never".into())}</td>
                    <td><code>{c.role.clone()}</code></td>
                    <td class="actions">{connect}{edit}{delete}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="page-head"><h1>"Service Connections"</h1>{create}</div>
        {confirm}
        {edit_form}
        <p class="muted">
            "The realm's own connections to third-party APIs. Portcullis keeps each token fresh; a service whose "
            "access token carries the connection's role fetches it with "
            <code>"GET /realms/" {realm.clone()} "/service-connections/{alias}/token"</code>
            ". Where the provider gives no lifetime, an access token is kept 30 days and a refresh token 365 days."
        </p>
        <table class="list" id="service-connections">
            <caption class="visually-hidden">"Service connections"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Grant"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Last refreshed"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{none}{rows}</tbody>
        </table>
    }
}
