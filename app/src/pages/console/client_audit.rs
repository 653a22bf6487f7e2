//! The Audit tab: the newest events about this client.

use crate::{admin::ClientPageView, text};
use leptos::prelude::*;

#[component]
pub fn AuditTab(page: ClientPageView) -> impl IntoView {
    if page.audit.is_empty() {
        return view! { <p>"No events yet."</p> }.into_any();
    }
    view! {
        <table class="list" id="audit">
            <caption class="visually-hidden">"Audit events about this client, newest first"</caption>
            <thead>
                <tr><th scope="col">"When"</th><th scope="col">"Event"</th><th scope="col">"By"</th><th scope="col">"Details"</th></tr>
            </thead>
            <tbody>
                {page.audit
                    .into_iter()
                    .map(|e| view! {
                        <tr>
                            <td>{text::utc(e.at)}</td>
                            <td><code>{e.kind}</code></td>
                            <td>{e.actor}</td>
                            <td class="detail"><code>{e.detail}</code></td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
