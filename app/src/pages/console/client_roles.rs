//! The Service Account Roles tab: the roles the client's service account holds, which its
//! client_credentials tokens carry. Organization (realm) roles, or `OAuth Client Roles` of a
//! chosen client; `Available` and `Assigned`, `Add selected` and `Remove selected`.

use crate::{
    admin::{ClientPageView, Frame},
    components::dual_list::DualList,
    pages::console::client::tab_href,
};
use leptos::prelude::*;
use leptos_router::components::Form;

#[component]
pub fn ServiceAccountTab(frame: Frame, page: ClientPageView) -> impl IntoView {
    let c = page.client;
    let Some(sa) = page.service_account else {
        return view! { <p>"This is a public client: it has no service account."</p> }.into_any();
    };
    let href = tab_href(&frame.realm, &c.client_id, "service-account-roles");
    let chosen = sa.role_client.clone().unwrap_or_default();
    let extra = sa.role_client.clone().map(|r| vec![("roles", r)]).unwrap_or_default();
    view! {
        <p>
            "The service account " <code>{format!("service-account-{}", c.client_id)}</code>
            " holds these roles; tokens issued to the client from now on carry exactly them."
        </p>
        // A GET form: the router moves without a reload once hydrated.
        <Form method="get" action=href.clone()>
            <div class="row">
                <label for="role-source">"OAuth Client Roles"</label>
                <select id="role-source" name="roles">
                    <option value="" selected=chosen.is_empty()>"Organization roles (realm)"</option>
                    {sa.role_clients
                        .iter()
                        .map(|r| view! { <option value=r.clone() selected=*r == chosen>{r.clone()}</option> })
                        .collect_view()}
                </select>
                <button type="submit" class="secondary">"Show roles"</button>
            </div>
        </Form>
        <DualList action=href csrf=frame.csrf.clone() available=sa.available assigned=sa.assigned extra
            can_change=frame.can("manage-clients")/>
    }
    .into_any()
}
