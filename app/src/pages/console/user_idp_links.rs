//! The Identity Provider Links tab: the upstream accounts the user signs in with (provider,
//! upstream username and user id, linked at), each with `Unlink`, confirmed first: unlinking
//! also deletes the upstream tokens kept for the user.

use super::users::user_href;
use crate::{
    admin::{Frame, UserPageView},
    components::{confirm::Confirm, form::ConsoleForm, shell::escape},
    text,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn IdpLinksTab(frame: Frame, page: UserPageView) -> impl IntoView {
    let u = page.user;
    if page.idp_links.is_empty() {
        return view! {
            <p id="no-idp-links">
                "Not linked to any identity provider: " {u.username.clone()} " signs in with a password here. "
                "A link is made at the first sign-in through a provider, or through the admin API."
            </p>
        }
        .into_any();
    }
    let can = frame.can("manage-users");
    let here = user_href(&frame.realm, &u.id, "identity-provider-links");
    let unlinking = use_query_map().read_untracked().get("unlink").filter(|a| !a.is_empty());
    let back = here.clone();
    let confirm = unlinking.filter(|_| can).and_then(|a| page.idp_links.iter().find(|l| l.alias == a).cloned()).map(|l| {
        view! {
            <Confirm title=format!("Unlink {} from {}?", u.username, l.display_name) cancel=back.clone()>
                <p>
                    {u.username.clone()} " can no longer sign in as " <strong>{l.username.clone()}</strong>
                    " through " {l.display_name.clone()} " until linked again, and the upstream tokens kept for them are deleted."
                </p>
                <ConsoleForm action=back.clone() csrf=frame.csrf.clone() class="inline">
                    <input type="hidden" name="alias" value=l.alias.clone()/>
                    <button type="submit" class="danger">"Unlink"</button>
                </ConsoleForm>
            </Confirm>
        }
    });
    let rows = page
        .idp_links
        .into_iter()
        .map(|l| {
            let unlink = format!("{here}?unlink={}", escape(&l.alias));
            view! {
                <tr data-alias=l.alias.clone()>
                    <th scope="row">{l.display_name.clone()} " " <code class="muted">{l.alias.clone()}</code></th>
                    <td>{l.username.clone()}</td>
                    <td><code>{l.subject.clone()}</code></td>
                    <td>{text::utc(l.linked_at)}</td>
                    <td>
                        {can.then(|| view! {
                            <a href=unlink class="button secondary small" aria-label=format!("Unlink {}", l.display_name)>"Unlink"</a>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {confirm}
        <table class="list" id="idp-links">
            <caption class="visually-hidden">"Identity provider links"</caption>
            <thead>
                <tr>
                    <th scope="col">"Identity provider"</th>
                    <th scope="col">"Upstream username"</th>
                    <th scope="col">"Upstream user ID"</th>
                    <th scope="col">"Linked"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
