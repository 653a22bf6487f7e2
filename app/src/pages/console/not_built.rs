//! The sidebar's sections that later work builds: the layout is there, the page says so.

use crate::components::shell::{console_page, SECTIONS};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// `/admin/:realm/console/:section` for a section not built yet.
#[component]
pub fn NotBuilt() -> impl IntoView {
    let params = use_params_map();
    let section = params.read_untracked().get("section").unwrap_or_default();
    let label = SECTIONS.iter().find(|(_, path, _)| *path == section).map(|(l, _, _)| *l).unwrap_or("Not found");
    // An address that is no section at all answers 404, like any unknown address.
    #[cfg(feature = "ssr")]
    if label == "Not found" {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    // The page has no data of its own beyond the frame.
    let data = Resource::new(|| (), |_| async { Ok::<(), ServerFnError>(()) });
    console_page(label, data, move |_, _| {
        let known = label != "Not found";
        (
            vec![(label.to_owned(), None)],
            view! {
                <h1>{label}</h1>
                <p class="muted">
                    {if known {
                        "This section is not built yet. Until it is, the command line does this work (portcullis --help)."
                    } else {
                        "There is no such page."
                    }}
                </p>
            },
        )
    })
}
