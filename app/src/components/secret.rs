//! A secret shown once (a new client secret, a new API key): a read-only field with a copy
//! button once the page is hydrated, and the warning that it is not shown again.

use leptos::prelude::*;

/// The secret in a field labelled `label` (element id `id`).
#[component]
pub fn SecretOnce(
    secret: String,
    #[prop(into)] label: String,
    #[prop(into)] id: String,
    #[prop(into)] hint: String,
) -> impl IntoView {
    let (hydrated, set_hydrated) = signal(false);
    let (copied, set_copied) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let value = secret.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&value);
            set_copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&value, set_copied);
    };
    let hint_id = format!("{id}-hint");
    view! {
        <div class="secret">
            <label for=id.clone()>{label}</label>
            <div class="row">
                <input id=id readonly value=secret class="mono" aria-describedby=hint_id.clone() size="50"/>
                <Show when=move || hydrated.get()>
                    <button type="button" class="secondary" on:click=copy.clone()>"Copy"</button>
                </Show>
                <span role="status" class="muted">{move || copied.get().then_some("Copied")}</span>
            </div>
            <p class="hint" id=hint_id>{hint}</p>
        </div>
    }
}
