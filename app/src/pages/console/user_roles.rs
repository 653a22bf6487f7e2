//! The Role Mapping tab: the roles the user holds directly, which their tokens carry. Realm
//! roles, or a chosen client's roles; `Available` and `Assigned`, `Add selected` and `Remove
//! selected`. Roles carrying admin permissions are offered only to those holding them all.

use super::users::user_href;
use crate::{
    admin::{Frame, UserPageView},
    components::dual_list::DualList,
};
use leptos::prelude::*;
use leptos_router::components::Form;

#[component]
pub fn RoleMappingTab(frame: Frame, page: UserPageView) -> impl IntoView {
    let u = page.user;
    let Some(roles) = page.roles else {
        return view! { <p>"No roles to show."</p> }.into_any();
    };
    let href = user_href(&frame.realm, &u.id, "role-mapping");
    let chosen = roles.role_client.clone().unwrap_or_default();
    let extra = roles.role_client.clone().map(|r| vec![("roles", r)]).unwrap_or_default();
    view! {
        <p>"The roles " <strong>{u.username.clone()}</strong> " holds; tokens issued from now on carry them."</p>
        // A GET form: the router moves without a reload once hydrated.
        <Form method="get" action=href.clone()>
            <div class="row">
                <label for="role-source">"Client Roles"</label>
                <select id="role-source" name="roles">
                    <option value="" selected=chosen.is_empty()>"Realm roles"</option>
                    {roles.role_clients
                        .iter()
                        .map(|r| view! { <option value=r.clone() selected=*r == chosen>{r.clone()}</option> })
                        .collect_view()}
                </select>
                <button type="submit" class="secondary">"Show roles"</button>
            </div>
        </Form>
        <DualList action=href csrf=frame.csrf.clone() available=roles.available assigned=roles.assigned extra
            can_change=frame.can("manage-users")/>
    }
    .into_any()
}
