//! API Reference: the admin REST API as its OpenAPI document describes it (the same document
//! `/admin/openapi.json` serves), with this realm's URLs and how to get a token. Read-only, for
//! any administrator of the realm.

use crate::{
    admin::{console_api_reference, ApiGroup, ApiOperation, ApiReferenceView, Frame},
    components::{form::console_key, shell::console_page, shell::use_realm},
};
use leptos::prelude::*;

/// `/admin/:realm/console/api`.
#[component]
pub fn ApiReference() -> impl IntoView {
    let realm = use_realm();
    let key = console_key();
    let data = Resource::new(move || (realm(), key()), |(realm, _)| console_api_reference(realm));
    console_page("API Reference", data, |frame, reference| {
        (vec![("API Reference".to_owned(), None)], view! { <Reference frame reference/> })
    })
}

/// Text with Markdown's `code` spans as `<code>`.
fn inline(text: &str) -> impl IntoView {
    text.split('`')
        .enumerate()
        .map(|(i, part)| match i % 2 {
            1 => view! { <code>{part.to_owned()}</code> }.into_any(),
            _ => part.to_owned().into_any(),
        })
        .collect_view()
}

/// An anchor for a tag: `Role mappings` → `role-mappings`.
fn anchor(tag: &str) -> String {
    tag.to_lowercase().replace(' ', "-")
}

#[component]
fn Reference(frame: Frame, reference: ApiReferenceView) -> impl IntoView {
    let count: usize = reference.groups.iter().map(|g| g.operations.len()).sum();
    let curl = format!(
        "TOKEN=$(curl -s -d grant_type=password -d client_id=admin-cli \\\n  -d username={user} --data-urlencode password@pw.txt \\\n  {token} | jq -r .access_token)\ncurl -H \"Authorization: Bearer $TOKEN\" {base}/clients",
        user = frame.username,
        token = reference.token_url,
        base = reference.base,
    );
    view! {
        <div class="page-head"><h1>"API Reference"</h1></div>
        <p>
            "Keycloak's Admin REST API for what this console manages: scripts written for Keycloak "
            "(python-keycloak, @keycloak/keycloak-admin-client, curl) work unchanged against these URLs. "
            {format!("{count} operations, each checking the same permission as the console.")}
        </p>
        <dl class="facts">
            <dt>"Base URL"</dt>
            <dd><code>{reference.base.clone()}</code></dd>
            <dt>"Token endpoint"</dt>
            <dd><code>{reference.token_url.clone()}</code></dd>
            <dt>"OpenAPI document"</dt>
            <dd><a href="/admin/openapi.json">"/admin/openapi.json"</a>" (OpenAPI 3.1)"</dd>
        </dl>
        <h2 id="getting-a-token">"Getting a token"</h2>
        <p>
            "Sign in through the built-in public client " <code>"admin-cli"</code> " with the password grant, "
            "or use a client's service account with " <code>"client_credentials"</code> ". "
            "What the token may do comes from the roles its user or service account holds."
        </p>
        <pre class="code"><code>{curl}</code></pre>
        <nav aria-label="API sections" class="toc">
            <ul>
                {reference.groups.iter().map(|g| view! {
                    <li><a href=format!("#{}", anchor(&g.tag))>{g.tag.clone()}</a></li>
                }).collect_view()}
            </ul>
        </nav>
        {reference.groups.into_iter().map(|group| view! { <Group group/> }.into_any()).collect_view()}
    }
    .into_any()
}

#[component]
fn Group(group: ApiGroup) -> impl IntoView {
    let id = anchor(&group.tag);
    let labelled_by = id.clone();
    view! {
        <section aria-labelledby=labelled_by class="api-group">
            <h2 id=id>{group.tag.clone()}</h2>
            <p class="muted">{group.description.clone()}</p>
            <table class="list api">
                <caption class="visually-hidden">{format!("{} operations", group.tag)}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Method"</th>
                        <th scope="col">"Path"</th>
                        <th scope="col">"What it does"</th>
                    </tr>
                </thead>
                <tbody>{group.operations.into_iter().map(|op| view! { <Operation op/> }.into_any()).collect_view()}</tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn Operation(op: ApiOperation) -> impl IntoView {
    let method = op.method.to_uppercase();
    let class = format!("method {}", op.method.to_lowercase());
    let answers = op.responses.iter().map(|(status, what)| format!("{status} {what}")).collect::<Vec<_>>().join("; ");
    // Long paths break after a `/`, not inside a word.
    let path = op.path.split_inclusive('/').map(|part| view! { {part.to_owned()}<wbr/> }).collect_view();
    view! {
        <tr>
            <td><span class=class>{method}</span></td>
            <th scope="row"><code>{path}</code></th>
            <td>
                {inline(&op.summary)}
                {(!op.description.is_empty()).then(|| view! { <p class="hint">{inline(&op.description)}</p> })}
                <p class="hint">"Answers: " {inline(&answers)}</p>
            </td>
        </tr>
    }
    .into_any()
}
