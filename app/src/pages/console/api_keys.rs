//! API Keys: long-lived keys for the admin REST API and for resource servers (introspection).
//! `Create` with `Name`, `Projects`, `Roles` (those the administrator holds) and `Expires in
//! (days)`; the key is shown once, in a field labelled `API key`. Each live key has `Revoke`,
//! confirmed.

use crate::{
    admin::{console_api_keys, ApiKeyView, ApiKeysView, Frame},
    components::{
        confirm::Confirm,
        field::Field,
        form::{console_key, ConsoleForm},
        secret::SecretOnce,
        shell::{console_href, console_page, escape, use_realm},
    },
    text,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// `/admin/:realm/console/api-keys?revoke=ID`.
#[component]
pub fn ApiKeys() -> impl IntoView {
    let realm = use_realm();
    let key = console_key();
    let query = use_query_map();
    let data = Resource::new(move || (realm(), key()), |(realm, _)| console_api_keys(realm));
    console_page("API Keys", data, move |frame, keys| {
        let revoking = query.read_untracked().get("revoke").filter(|r| !r.is_empty());
        (vec![("API Keys".to_owned(), None)], view! { <KeyList frame keys revoking/> })
    })
}

fn status(k: &ApiKeyView, now: i64) -> (&'static str, &'static str) {
    match (k.revoked_at, k.expires_at) {
        (Some(_), _) => ("Revoked", "off"),
        (None, Some(t)) if t <= now => ("Expired", "off"),
        _ => ("Active", "on"),
    }
}

#[component]
fn KeyList(frame: Frame, keys: ApiKeysView, revoking: Option<String>) -> impl IntoView {
    let realm = frame.realm.clone();
    let here = console_href(&realm, "api-keys");
    let flash = frame.flash.clone().unwrap_or_default();
    let made = flash.secret.clone().filter(|_| !flash.error).map(|key| {
        view! {
            <SecretOnce secret=key label="API key" id="api-key"
                hint="Copy it now: it is not shown again. Portcullis keeps only a hash of it. Send it as Authorization: Bearer."/>
        }
    });
    let (cancel, csrf) = (here.clone(), frame.csrf.clone());
    let confirm = revoking.and_then(|id| keys.keys.iter().find(|k| k.id == id && k.revocable).cloned()).map(|k| {
        view! {
            <Confirm title=format!("Revoke API key {}?", k.name) cancel=cancel.clone()>
                <p>"Every request made with it is refused from now on. This cannot be undone."</p>
                <ConsoleForm action=cancel csrf class="inline">
                    <input type="hidden" name="revoke" value=k.id.clone()/>
                    <button type="submit" class="danger">"Revoke"</button>
                </ConsoleForm>
            </Confirm>
        }
    });
    let open = flash.error;
    let roles = keys.grantable_roles.clone();
    let projects = keys.projects.clone();
    let create = view! {
        <details class="create" open=open>
            <summary class="button">"Create"</summary>
            <ConsoleForm action=here.clone() csrf=frame.csrf.clone() class="stack form" label="Create API key" reset_on_success=true>
                <Field name="name" label="Name" value="" flash=frame.flash.clone() hint="What uses it, e.g. nightly-export."/>
                <div class="field">
                    <label for="role">"Roles"</label>
                    <select id="role" name="role" multiple size="6" aria-describedby="role-hint">
                        {roles.into_iter().map(|r| view! { <option value=r.clone()>{r.clone()}</option> }).collect_view()}
                    </select>
                    <p class="hint" id="role-hint">
                        "What the key may do: only roles you hold. A client role reads client:role (e.g. realm-management:view-clients)."
                    </p>
                </div>
                {(!projects.is_empty()).then(|| view! {
                    <fieldset>
                        <legend>"Projects"</legend>
                        <p class="hint">"None ticked: not limited to projects."</p>
                        {projects.into_iter().map(|(id, name)| {
                            let input = format!("key-project-{id}");
                            view! {
                                <div class="choice">
                                    <input type="checkbox" id=input.clone() name="project" value=id.clone()/>
                                    <label for=input>{name} " " <code class="muted">{id}</code></label>
                                </div>
                            }
                        }).collect_view()}
                    </fieldset>
                })}
                <Field name="expires_in_days" label="Expires in (days)" value="" flash=frame.flash.clone()
                    kind="number" min="1" max="3650" hint="Blank: never expires."/>
                <div class="buttons"><button type="submit">"Save"</button></div>
            </ConsoleForm>
        </details>
    };
    let now = keys.now;
    let none = keys.keys.is_empty().then(|| view! { <tr><td colspan="8">"No API keys yet."</td></tr> });
    let rows = keys
        .keys
        .into_iter()
        .map(|k| {
            let (state, class) = status(&k, now);
            let revoke = k.revocable.then(|| {
                let href = format!("{here}?revoke={}", escape(&k.id));
                view! { <a class="button danger small" href=href aria-label=format!("Revoke {}", k.name)>"Revoke"</a> }
            });
            let list = |items: &[String]| match items.is_empty() {
                true => view! { <span class="muted">"none"</span> }.into_any(),
                false => items.iter().map(|i| view! { <code>{i.clone()}</code>" " }).collect_view().into_any(),
            };
            view! {
                <tr>
                    <th scope="row">{k.name.clone()}<br/><code class="muted small">{k.id.clone()}</code></th>
                    <td><span class=format!("badge {class}")>{state}</span></td>
                    <td>{list(&k.roles)}</td>
                    <td>{if k.projects.is_empty() { view! { <span class="muted">"all"</span> }.into_any() } else { list(&k.projects) }}</td>
                    <td>{k.created_by.clone()}<br/><span class="muted">{text::utc(k.created_at)}</span></td>
                    <td>{k.expires_at.map(text::utc).unwrap_or_else(|| "never".into())}</td>
                    <td>{k.last_used_at.map(text::utc).unwrap_or_else(|| "never".into())}</td>
                    <td>{revoke}</td>
                </tr>
            }
        })
        .collect_view();
    let whose = if keys.all { "The realm's API keys" } else { "Your API keys" };
    view! {
        <div class="page-head"><h1>"API Keys"</h1>{create}</div>
        {made}
        {confirm}
        <p class="muted">
            "Long-lived keys for the admin REST API and for resource servers: send one as "
            <code>"Authorization: Bearer pcs_…"</code>
            ". Introspection reports it (" <code>"token_type: api_key"</code> ") with its roles and projects."
        </p>
        <table class="list" id="api-keys">
            <caption class="visually-hidden">{whose}</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Roles"</th>
                    <th scope="col">"Projects"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{none}{rows}</tbody>
        </table>
    }
    .into_any()
}
