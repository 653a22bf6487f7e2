//! Pieces shared by several pages.

use leptos::prelude::*;

/// A password input with a Show/Hide button that works once the page has hydrated.
#[component]
pub fn PasswordField(#[prop(into)] autocomplete: String) -> impl IntoView {
    let (show, set_show) = signal(false);
    view! {
        <label>
            "Password"
            <span class="row">
                <input
                    name="password"
                    type=move || if show.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    required
                />
                <button
                    type="button"
                    class="secondary"
                    id="toggle-password"
                    aria-pressed=move || show.get().to_string()
                    on:click=move |_| set_show.update(|v| *v = !*v)
                >
                    {move || if show.get() { "Hide" } else { "Show" }}
                </button>
            </span>
        </label>
    }
}

/// The hidden CSRF field of a form.
#[component]
pub fn CsrfField(#[prop(into)] token: String) -> impl IntoView {
    view! { <input type="hidden" name="csrf" value=token/> }
}
