//! RP-initiated logout without a valid `id_token_hint` asks the user to confirm (so a
//! third-party page cannot sign them out), then says they are signed out.

use crate::{api::load_logout, components::CsrfField};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// `/realms/:realm/logout`.
#[component]
pub fn Logout() -> impl IntoView {
    let params = use_params_map();
    let realm = move || params.read().get("realm").unwrap_or_default();
    let data = Resource::new(realm, load_logout);
    view! {
        <main class="card narrow">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || data.get().map(|result| match result {
                    Ok(v) => {
                        let action = format!("/realms/{}/login-actions/logout", realm());
                        view! {
                            <h1>"Sign out of " {v.realm_display.clone()} "?"</h1>
                            {v.signed_in_as.clone().map(|u| view! { <p>"You are signed in as " <strong>{u}</strong> "."</p> })}
                            <form method="post" action=action>
                                <CsrfField token=v.csrf.clone()/>
                                <button type="submit" id="confirm-logout">"Sign out"</button>
                            </form>
                        }
                        .into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </main>
    }
}

/// `/realms/:realm/logged-out`.
#[component]
pub fn LoggedOut() -> impl IntoView {
    view! {
        <main class="card narrow">
            <h1 id="logged-out">"You are signed out"</h1>
            <p class="muted">"You can close this window."</p>
        </main>
    }
}
