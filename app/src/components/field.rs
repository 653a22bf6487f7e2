//! A labelled form field with its hint and its error, wired for screen readers: the label names
//! the control, `aria-describedby` points at the hint and the error, `aria-invalid` marks a
//! refused value. The control's `id` and `name` are the same.

use super::flash::FieldError;
use crate::admin::Flash;
use leptos::prelude::*;

/// A text field (or, `multiline`, a textarea; or with `kind` another input type).
#[component]
pub fn Field(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    /// The stored value; the flash's copy of what was sent wins after a refusal.
    #[prop(into)]
    value: String,
    /// The outcome of the last change, for this field's error and sent value.
    flash: Option<Flash>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] kind: Option<&'static str>,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional, into)] min: Option<&'static str>,
    #[prop(optional, into)] max: Option<&'static str>,
    #[prop(optional)] multiline: bool,
) -> impl IntoView {
    let flash = flash.unwrap_or_default();
    let error = flash.field_error(&name);
    let value = flash.value(&name).unwrap_or(value);
    let described = match hint {
        Some(_) => format!("{name}-hint {name}-error"),
        None => format!("{name}-error"),
    };
    let invalid = error.is_some().then_some("true");
    let control = match multiline {
        true => view! {
            <textarea id=name.clone() name=name.clone() rows="3" aria-describedby=described aria-invalid=invalid>{value}</textarea>
        }
        .into_any(),
        false => view! {
            <input id=name.clone() name=name.clone() type=kind.unwrap_or("text") value=value placeholder=placeholder
                min=min max=max aria-describedby=described aria-invalid=invalid autocomplete="off"/>
        }
        .into_any(),
    };
    view! {
        <label for=name.clone()>{label}</label>
        {control}
        {hint.map(|h| view! { <span class="hint" id=format!("{name}-hint")>{h}</span> })}
        <FieldError field=name message=error/>
    }
}
