//! The console's form: a plain `POST` to the page's server address, which answers with a
//! redirect (`303`) to where the outcome is shown (the flash waits in the session for that
//! page). Once hydrated, the form posts with `fetch` instead (header `x-portcullis-form`), the
//! server answers `{"location": …, "flash": …}`, and the router moves there (or, staying put,
//! reloads the page's data) without a full reload, showing the flash it was handed.

use crate::admin::Flash;
use leptos::prelude::*;

/// Bumped after every change made through a [`ConsoleForm`]: the console's resources depend
/// on it, so the page reloads its data (and its flash) in place.
#[derive(Clone, Copy)]
pub struct ConsoleVersion(pub RwSignal<u64>);

/// The version to make console resources depend on (a fresh one outside the console).
pub fn console_version() -> RwSignal<u64> {
    use_context::<ConsoleVersion>().map(|v| v.0).unwrap_or_else(|| RwSignal::new(0))
}

/// What console resources depend on: the page's address and the [`ConsoleVersion`]. A change
/// that leads to another address reloads through the address; one that stays reloads through
/// the version (a hydrated form does one or the other, never both, so the flash is taken once).
pub fn console_key() -> impl Fn() -> (String, u64) + Clone + Send + Sync + 'static {
    let version = console_version();
    let location = leptos_router::hooks::use_location();
    move || (format!("{}{}", location.pathname.get(), location.search.get()), version.get())
}

/// The flash a hydrated form was handed, for the address it leads to. Cleared once the
/// browser is elsewhere, so it is shown on that page only, and only until one leaves it.
#[derive(Clone, Copy)]
pub struct PendingFlash(pub RwSignal<Option<(String, Flash)>>);

/// The flash handed to a hydrated form for the current address, if any.
pub fn pending_flash() -> Option<Flash> {
    let pending = use_context::<PendingFlash>()?;
    let location = leptos_router::hooks::use_location();
    let here = format!("{}{}", location.pathname.get_untracked(), location.search.get_untracked());
    pending.0.get_untracked().filter(|(at, _)| *at == here).map(|(_, f)| f)
}

/// Provides the console's client-side state: the [`ConsoleVersion`] and the [`PendingFlash`],
/// dropped when the browser moves elsewhere.
pub fn provide_console_state() {
    provide_context(ConsoleVersion(RwSignal::new(0)));
    let pending = RwSignal::new(None::<(String, Flash)>);
    provide_context(PendingFlash(pending));
}

/// Drops a pending flash once the address is not the one it was for (call inside the router).
pub fn clear_pending_flash_elsewhere() {
    let Some(PendingFlash(pending)) = use_context::<PendingFlash>() else {
        return;
    };
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        let here = format!("{}{}", location.pathname.get(), location.search.get());
        if pending.with_untracked(|p| p.as_ref().is_some_and(|(at, _)| *at != here)) {
            pending.set(None);
        }
    });
}

/// What the server answers a hydrated form: where to go now, and what to say there.
#[derive(serde::Deserialize, serde::Serialize)]
pub struct FormOutcome {
    pub location: String,
    pub flash: Option<Flash>,
}

/// The request header that asks for a [`FormOutcome`] instead of a redirect.
pub const FORM_HEADER: &str = "x-portcullis-form";

/// A console form posting to `action`, carrying the CSRF token of `frame`.
#[component]
pub fn ConsoleForm(
    #[prop(into)] action: String,
    #[prop(into)] csrf: String,
    #[prop(optional, into)] class: String,
    /// The form's accessible name, when it has one.
    #[prop(optional, into)]
    label: Option<String>,
    /// Empty the fields after a change succeeded (forms that create something).
    #[prop(optional)]
    reset_on_success: bool,
    children: Children,
) -> impl IntoView {
    let version = console_version();
    let pending = use_context::<PendingFlash>();
    #[cfg(feature = "hydrate")]
    let navigate = leptos_router::hooks::use_navigate();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        hydrated::submit(ev, version, pending, navigate.clone());
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, version, pending);
    };
    view! {
        <form method="post" action=action class=class aria-label=label on:submit=on_submit
            data-reset-on-success=reset_on_success.then_some("true")>
            <input type="hidden" name="csrf" value=csrf/>
            {children()}
        </form>
    }
}

#[cfg(feature = "hydrate")]
mod hydrated {
    use super::{FormOutcome, PendingFlash, FORM_HEADER};
    use leptos::{prelude::*, task::spawn_local};
    use wasm_bindgen::JsCast;
    use web_sys::{FormData, HtmlButtonElement, HtmlFormElement, UrlSearchParams};

    pub fn submit(
        ev: leptos::ev::SubmitEvent,
        version: RwSignal<u64>,
        pending: Option<PendingFlash>,
        navigate: impl Fn(&str, leptos_router::NavigateOptions) + Clone + 'static,
    ) {
        let Some(form) = ev.target().and_then(|t| t.dyn_into::<HtmlFormElement>().ok()) else {
            return;
        };
        let Ok(data) = FormData::new_with_form(&form) else {
            return;
        };
        // The button pressed names the operation (`op=…`), as it does in a plain submit.
        if let Some(button) = ev.submitter().and_then(|b| b.dyn_into::<HtmlButtonElement>().ok()) {
            if !button.name().is_empty() {
                let _ = data.append_with_str(&button.name(), &button.value());
            }
        }
        let Ok(params) = UrlSearchParams::new_with_str_sequence_sequence(&data) else {
            return;
        };
        ev.prevent_default();
        let action = form.action();
        spawn_local(async move {
            let sent = async {
                gloo_net::http::Request::post(&action)
                    .header(FORM_HEADER, "1")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(params)?
                    .send()
                    .await
            }
            .await;
            let outcome = match sent {
                Ok(resp) if resp.ok() => resp.json::<FormOutcome>().await.ok(),
                _ => None,
            };
            let Some(outcome) = outcome else {
                // Whatever went wrong, the plain form still works: send it the old way.
                let _ = form.submit();
                return;
            };
            let here = window().location();
            let current = format!("{}{}", here.pathname().unwrap_or_default(), here.search().unwrap_or_default());
            let succeeded = outcome.flash.as_ref().is_some_and(|f| !f.error);
            if succeeded && form.get_attribute("data-reset-on-success").is_some() {
                form.reset();
            }
            if let (Some(PendingFlash(p)), Some(flash)) = (pending, outcome.flash) {
                p.set(Some((outcome.location.clone(), flash)));
            }
            if outcome.location == current {
                version.update(|v| *v += 1);
            } else {
                navigate(&outcome.location, Default::default());
            }
        });
    }
}
