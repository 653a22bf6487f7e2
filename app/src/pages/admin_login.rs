//! The admin console's sign-in page: a plain form posted to `/admin/login`, with the session's
//! CSRF token. Once hydrated, a button shows or hides the password.

use crate::{
    api::csrf_token,
    components::{CsrfField, PasswordField},
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The message for an `?error=` code set by the sign-in handler. One generic message for bad
/// credentials, so it never tells which part was wrong.
fn error_message(code: &str) -> &'static str {
    match code {
        "csrf" => "Your sign-in form expired. Please try again.",
        "locked" => "Too many failed attempts. Wait a minute, then try again.",
        _ => "Invalid username or password.",
    }
}

/// `/admin/login`.
#[component]
pub fn AdminLogin() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.read().get("error").map(|c| error_message(&c));
    let token = Resource::new_blocking(|| (), |_| csrf_token());
    view! {
        <main class="card narrow">
            <h1>"Portcullis"</h1>
            <p class="muted">"Sign in to the admin console"</p>
            {move || error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            <form method="post" action="/admin/login" class="stack">
                <Suspense>
                    {move || token.get().map(|t| view! { <CsrfField token=t.unwrap_or_default()/> })}
                </Suspense>
                <label>
                    "Username"
                    <input name="username" autocomplete="username" required autofocus/>
                </label>
                <PasswordField autocomplete="current-password"/>
                <button type="submit">"Sign in"</button>
            </form>
        </main>
    }
}
