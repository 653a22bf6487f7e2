//! The browser entry point: hydrates the server-rendered `app` pages. Nothing else lives here.

/// Called by the generated JavaScript once the WASM module has loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // The console's pages are lazy routes (their code is fetched when first shown), so hydration
    // may have to wait for a chunk: it runs as a task (`hydrate_lazy`, done by hand so the end
    // is known).
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else {
            return;
        };
        let owner = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        owner.forget();
        // Marked only after hydration finished: a page that failed to hydrate never gets it, so
        // browser tests that wait for it test hydration itself.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
