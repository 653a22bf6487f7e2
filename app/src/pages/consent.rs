//! The consent page: which application asks, for what (each scope with its description), and
//! Allow / Deny, posted to `/realms/{realm}/login-actions/consent`.

use crate::{api::load_consent, components::CsrfField};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/realms/:realm/consent`.
#[component]
pub fn Consent() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let realm = move || params.read().get("realm").unwrap_or_default();
    let rid = move || query.read().get("rid").unwrap_or_default();
    let data = Resource::new(move || (realm(), rid()), |(realm, rid)| load_consent(realm, rid));
    view! {
        <main class="card narrow">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || data.get().map(|result| match result {
                    Ok(v) => {
                        let action = format!("/realms/{}/login-actions/consent", realm());
                        view! {
                            <h1><span id="client-name">{v.client_name.clone()}</span> " wants to access your account"</h1>
                            <p class="muted">
                                "Signed in to " {v.realm_display.clone()} " as " <strong>{v.username.clone()}</strong>
                                ". The application (" <code>{v.client_id.clone()}</code> ") asks to:"
                            </p>
                            <ul id="scopes" class="scopes">
                                {v.scopes.iter().map(|s| view! {
                                    <li data-scope=s.name.clone()>
                                        <strong>{s.description.clone()}</strong>
                                        " " <code class="muted">{s.name.clone()}</code>
                                    </li>
                                }).collect_view()}
                            </ul>
                            <form method="post" action=action class="row">
                                <CsrfField token=v.csrf.clone()/>
                                <input type="hidden" name="rid" value=rid()/>
                                <button type="submit" name="decision" value="deny" class="secondary" id="deny">"Deny"</button>
                                <button type="submit" name="decision" value="allow" id="allow">"Allow"</button>
                            </form>
                            <p class="muted small">"You can revoke this later; the application will then have to ask again."</p>
                        }
                        .into_any()
                    }
                    Err(e) => view! {
                        <h1>"This request has expired"</h1>
                        <p class="error" role="alert">{e.to_string()}</p>
                        <p>"Go back to the application and start again."</p>
                    }
                    .into_any(),
                })}
            </Suspense>
        </main>
    }
}
