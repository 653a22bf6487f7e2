//! Two lists, `Available` and `Assigned`, with multi-select and `Add selected` /
//! `Remove selected`: each list is its own form, so it works without JavaScript.

use super::form::ConsoleForm;
use crate::admin::RoleView;
use leptos::prelude::*;

/// The dual list of roles posting to `action` with `op=add` or `op=remove` and `role=KEY`s.
#[component]
pub fn DualList(
    #[prop(into)] action: String,
    #[prop(into)] csrf: String,
    available: Vec<RoleView>,
    assigned: Vec<RoleView>,
    /// Hidden fields to send along (e.g. which client's roles are shown).
    #[prop(optional)]
    extra: Vec<(&'static str, String)>,
    can_change: bool,
) -> impl IntoView {
    let side =
        move |id: &'static str, label: &'static str, op: &'static str, button: &'static str, roles: Vec<RoleView>| {
            let size = roles.len().clamp(4, 12).to_string();
            let empty = roles.is_empty();
            let extra = extra.clone();
            view! {
                <ConsoleForm action=action.clone() csrf=csrf.clone() class="dual-side">
                    {extra.into_iter().map(|(n, v)| view! { <input type="hidden" name=n value=v/> }).collect_view()}
                    <label for=id>{label}</label>
                    <select id=id name="role" multiple size=size disabled=!can_change>
                        {roles
                            .into_iter()
                            .map(|r| {
                                let text = match r.description.is_empty() {
                                    true => r.name.clone(),
                                    false => format!("{} — {}", r.name, r.description),
                                };
                                view! { <option value=r.key>{text}</option> }
                            })
                            .collect_view()}
                    </select>
                    {empty.then(|| view! { <p class="muted">"None"</p> })}
                    {can_change.then(|| view! { <button type="submit" name="op" value=op>{button}</button> })}
                </ConsoleForm>
            }
        };
    view! {
        <div class="dual-list">
            {side("available-roles", "Available", "add", "Add selected", available)}
            {side("assigned-roles", "Assigned", "remove", "Remove selected", assigned)}
        </div>
    }
}
