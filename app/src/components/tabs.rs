//! A row of tabs that are links (each tab is its own address, so they work without
//! JavaScript and can be bookmarked); the open one has `aria-current="page"`.

use leptos::prelude::*;

/// Tabs as `(label, href)`; `current` is the open tab's label.
#[component]
pub fn Tabs(tabs: Vec<(&'static str, String)>, current: &'static str, #[prop(into)] label: String) -> impl IntoView {
    view! {
        <nav class="tabs" aria-label=label>
            <ul>
                {tabs
                    .into_iter()
                    .map(|(name, href)| {
                        let here = name == current;
                        view! {
                            <li>
                                <a href=href aria-current=here.then_some("page") class:active=here>{name}</a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}
