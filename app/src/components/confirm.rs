//! A confirmation before something that cannot be undone. It is part of the page (reached by
//! a link such as `?delete=ID`), so it works without JavaScript; it is labelled as a dialog
//! and takes focus when it appears.

use leptos::prelude::*;

/// The confirmation: `title` names what goes, `children` hold the form whose button confirms
/// (`Delete`), `cancel` is where `Cancel` leads.
#[component]
pub fn Confirm(#[prop(into)] title: String, #[prop(into)] cancel: String, children: Children) -> impl IntoView {
    let node = NodeRef::<leptos::html::Section>::new();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(el) = node.get() {
            super::focus_once_shown(el.clone(), || None);
        }
    });
    view! {
        <section class="confirm" role="alertdialog" aria-modal="false" aria-labelledby="confirm-title" tabindex="-1" node_ref=node>
            <h2 id="confirm-title">{title}</h2>
            {children()}
            <a class="button secondary" href=cancel>"Cancel"</a>
        </section>
    }
}
