//! The end-user sign-in page of a realm: a plain form posted to
//! `/realms/{realm}/login-actions/authenticate`, which continues the pending authorization
//! request `rid` once the user is signed in.

use crate::text::count;
use crate::{
    api::load_login,
    components::{CsrfField, PasswordField},
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The message for an `?error=` code set by the sign-in handler.
pub fn error_message(code: &str, retry: Option<i64>) -> String {
    match code {
        "wait" => format!("Please wait {} before trying again.", count(retry.unwrap_or(1), "second")),
        "locked" => format!(
            "Too many failed attempts. Sign-in is locked for {} more.",
            count((retry.unwrap_or(60) + 59) / 60, "minute")
        ),
        "csrf" => "Your sign-in form expired. Please try again.".into(),
        "expired" => "This sign-in request has expired. Go back to the application and start again.".into(),
        "forbidden" => "This account may not use the admin console.".into(),
        "internal" => "Sign-in is unavailable right now. Please try again.".into(),
        _ => "Invalid username or password.".into(),
    }
}

/// `/realms/:realm/login`.
#[component]
pub fn Login() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let realm = move || params.read().get("realm").unwrap_or_default();
    let rid = move || query.read().get("rid");
    let data = Resource::new(move || (realm(), rid()), |(realm, rid)| load_login(realm, rid));
    let error = move || {
        let q = query.read();
        q.get("error").map(|c| error_message(&c, q.get("retry").and_then(|r| r.parse().ok())))
    };
    view! {
        <main class="card narrow">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || data.get().map(|result| match result {
                    Ok(v) => {
                        let action = format!("/realms/{}/login-actions/authenticate", realm());
                        view! {
                            <h1>"Sign in to " {v.realm_display.clone()}</h1>
                            {v.client_name.clone().map(|c| view! {
                                <p class="muted">"to continue to " <strong id="client-name">{c}</strong></p>
                            })}
                            {v.signed_in_as.clone().map(|u| view! {
                                <p class="notice" id="signed-in">"You are signed in as " <strong>{u}</strong> "."</p>
                            })}
                            {error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                            <form method="post" action=action class="stack">
                                <CsrfField token=v.csrf.clone()/>
                                {rid().map(|r| view! { <input type="hidden" name="rid" value=r/> })}
                                <label>
                                    "Username or email"
                                    <input
                                        name="username"
                                        autocomplete="username"
                                        value=v.login_hint.clone().unwrap_or_default()
                                        required
                                        autofocus
                                    />
                                </label>
                                <PasswordField autocomplete="current-password"/>
                                <button type="submit" id="sign-in">"Sign in"</button>
                            </form>
                        }
                        .into_any()
                    }
                    Err(e) => view! { <h1>"Sign-in unavailable"</h1><p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </main>
    }
}
