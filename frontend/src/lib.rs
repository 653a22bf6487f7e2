//! The browser entry point: hydrates the server-rendered `app` pages. Nothing else lives here.

/// Called by the generated JavaScript once the WASM module has loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Marked only after hydration returned: a page that failed to hydrate never gets it, so
    // browser tests that wait for it test hydration itself.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
