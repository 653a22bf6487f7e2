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
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let doc = document();
            let target =
                doc.query_selector("[aria-invalid=\"true\"]").ok().flatten().or_else(|| doc.get_element_by_id("flash"));
            if let Some(el) = target.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = el.focus();
            }
        }
    });
    let (class, role) = if flash.error { ("flash error", "alert") } else { ("flash ok", "status") };
    view! {
        <div id="flash" class=class role=role tabindex="-1">
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
