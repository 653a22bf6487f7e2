//! Pieces shared by several pages. The console's widgets each have a file: the layout
//! (`shell`), forms that post without a reload once hydrated (`form`), the flash message and
//! field errors (`flash`), `tabs`, the `dual_list` of roles, the `confirm`ation and the
//! `pager` of server-side lists.

pub mod confirm;
pub mod dual_list;
pub mod field;
pub mod flash;
pub mod form;
pub mod pager;
pub mod shell;
pub mod tabs;

use leptos::prelude::*;

/// A password input with a Show/Hide button that works once the page has hydrated.
#[component]
pub fn PasswordField(#[prop(into)] autocomplete: String) -> impl IntoView {
    let (show, set_show) = signal(false);
    view! {
        // The label names the input alone (not the button beside it).
        <div class="field">
            <label for="password">"Password"</label>
            <span class="row">
                <input
                    id="password"
                    name="password"
                    type=move || if show.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    required
                />
                <button
                    type="button"
                    class="secondary"
                    id="toggle-password"
                    aria-controls="password"
                    aria-pressed=move || show.get().to_string()
                    on:click=move |_| set_show.update(|v| *v = !*v)
                >
                    {move || if show.get() { "Hide" } else { "Show" }}
                </button>
            </span>
        </div>
    }
}

/// The hidden CSRF field of a form.
#[component]
pub fn CsrfField(#[prop(into)] token: String) -> impl IntoView {
    view! { <input type="hidden" name="csrf" value=token/> }
}
