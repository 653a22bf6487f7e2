//! The Consents tab: the consents the user remembered (client, scopes, granted), each with
//! `Revoke` named after the client; the next authorization asks again.

use super::users::user_href;
use crate::{
    admin::{Frame, UserPageView},
    components::form::ConsoleForm,
    text,
};
use leptos::prelude::*;

#[component]
pub fn ConsentsTab(frame: Frame, page: UserPageView) -> impl IntoView {
    let u = page.user;
    if page.consents.is_empty() {
        return view! { <p id="no-consents">"No remembered consents."</p> }.into_any();
    }
    let can = frame.can("manage-users");
    let action = user_href(&frame.realm, &u.id, "consents");
    view! {
        <table class="list" id="consents">
            <caption class="visually-hidden">"Remembered consents"</caption>
            <thead>
                <tr>
                    <th scope="col">"Client"</th>
                    <th scope="col">"Scopes"</th>
                    <th scope="col">"Granted"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {page.consents
                    .into_iter()
                    .map(|c| view! {
                        <tr>
                            <th scope="row">{c.client_name.clone()} " " <code>{c.client_id.clone()}</code></th>
                            <td>{c.scopes.join(" ")}</td>
                            <td>{text::utc(c.granted_at)}</td>
                            <td>
                                {can.then(|| view! {
                                    <ConsoleForm action=action.clone() csrf=frame.csrf.clone() class="inline">
                                        <input type="hidden" name="client" value=c.client_id.clone()/>
                                        <button type="submit" class="secondary" aria-label=format!("Revoke {}", c.client_id)>"Revoke"</button>
                                    </ConsoleForm>
                                })}
                            </td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
