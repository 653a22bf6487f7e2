//! The admin console's sign-in page: a plain form posted to `/admin/login`, with the session's
//! CSRF token. Once hydrated, a button shows or hides the password.

use crate::{
    api::csrf_token,
    components::{CsrfField, PasswordField},
    pages::login::error_message,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// `/admin/login`.
#[component]
pub fn AdminLogin() -> impl IntoView {
    let query = use_query_map();
    // The same messages as the end-user sign-in (the same brute-force guard stands behind
    // both): one for bad credentials, and how long to wait or how long the lockout lasts.
    let error = move || {
        let q = query.read();
        q.get("error").map(|c| error_message(&c, q.get("retry").and_then(|r| r.parse().ok())))
    };
    let token = Resource::new_blocking(|| (), |_| csrf_token());
    view! {
        <main class="card narrow">
            <h1>"Portcullis"</h1>
            <p class="muted">
                "Sign in to the admin console"
                {move || query.read().get("realm").map(|r| view! { " of realm " <strong id="realm-name">{r}</strong> })}
            </p>
            {move || error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            <form method="post" action="/admin/login" class="stack">
                // An administrator of one realm signs in at `/admin/login?realm=NAME`.
                {move || query.read().get("realm").map(|r| view! { <input type="hidden" name="realm" value=r/> })}
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
