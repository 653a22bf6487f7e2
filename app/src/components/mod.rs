//! Pieces shared by several pages. The console's widgets each have a file: the layout
//! (`shell`), forms that post without a reload once hydrated (`form`), the flash message and
//! field errors (`flash`), `tabs`, the `dual_list` of roles, the `confirm`ation, the
//! `pager` of server-side lists and a `secret` shown once.

pub mod chart;
pub mod confirm;
pub mod dual_list;
pub mod field;
pub mod flash;
pub mod form;
pub mod pager;
pub mod secret;
pub mod shell;
pub mod tabs;

use leptos::prelude::*;

/// Moves focus once `node` is in the document, to what `target` picks (else to `node`
/// itself). A view that replaces another (a form's outcome, a page reloaded in place) may
/// run its effects before it is attached, and focusing a detached element does nothing, so
/// this waits for the node a frame at a time (a second at most).
#[cfg(feature = "hydrate")]
pub fn focus_once_shown(node: web_sys::HtmlElement, target: impl Fn() -> Option<web_sys::HtmlElement> + 'static) {
    fn attempt(
        node: web_sys::HtmlElement,
        target: impl Fn() -> Option<web_sys::HtmlElement> + 'static,
        frames_left: u32,
    ) {
        if node.is_connected() {
            let _ = target().unwrap_or(node).focus();
        } else if frames_left > 0 {
            request_animation_frame(move || attempt(node, target, frames_left - 1));
        }
    }
    attempt(node, target, 60);
}

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
