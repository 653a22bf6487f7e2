//! The outcome of the last change, at the top of the page it led to. Once hydrated, focus
//! moves to the first field with an error, else to the message, so keyboard and screen-reader
//! users land on it.

use crate::admin::Flash;
use leptos::prelude::*;

/// The flash message, if any.
#[component]
pub fn FlashMessage(flash: Option<Flash>) -> impl IntoView {
    let Some(flash) = flash else {
        return ().into_any();
    };
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(el) = node.get() {
            use wasm_bindgen::JsCast;
            super::focus_once_shown((*el).clone(), || {
                let invalid = document().query_selector("[aria-invalid=\"true\"]").ok().flatten()?;
                invalid.dyn_into::<web_sys::HtmlElement>().ok()
            });
        }
    });
    let (class, role) = if flash.error { ("flash error", "alert") } else { ("flash ok", "status") };
    view! {
        // `autofocus`: without JavaScript, the page a plain form led to starts at the message.
        <div id="flash" class=class role=role tabindex="-1" autofocus node_ref=node>
            {flash.message.clone()}
        </div>
    }
    .into_any()
}

/// The error beside a field, linked to it by `aria-describedby` (`{field}-error`).
#[component]
pub fn FieldError(#[prop(into)] field: String, message: Option<String>) -> impl IntoView {
    message.map(|m| view! { <span class="field-error" id=format!("{field}-error")>{m}</span> })
}
