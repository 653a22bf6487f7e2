//! The Project Access tab: which of the realm's projects the client may ask a `project-{id}`
//! token for.

use crate::{
    admin::{ClientPageView, Frame},
    components::form::ConsoleForm,
    pages::console::client::tab_href,
};
use leptos::prelude::*;

#[component]
pub fn ProjectsTab(frame: Frame, page: ClientPageView) -> impl IntoView {
    let c = page.client;
    if page.projects.is_empty() {
        return view! {
            <p>"The realm has no projects yet (" <code>"portcullis project create --realm " {frame.realm.clone()} " --name NAME"</code> ")."</p>
        }
        .into_any();
    }
    let can = frame.can("manage-clients");
    view! {
        <ConsoleForm action=tab_href(&frame.realm, &c.client_id, "project-access") csrf=frame.csrf.clone() class="stack form" label="Project Access">
            <fieldset disabled=!can>
                <legend>"Projects this client may ask a token for"</legend>
                {page.projects
                    .into_iter()
                    .map(|p| {
                        let id = format!("project-{}", p.id);
                        view! {
                            <div class="choice">
                                <input type="checkbox" id=id.clone() name="project" value=p.id.clone() checked=p.granted/>
                                <label for=id>{p.name.clone()} " " <code class="muted">{format!("project-{}", p.id)}</code></label>
                            </div>
                        }
                    })
                    .collect_view()}
            </fieldset>
            {can.then(|| view! { <div class="buttons"><button type="submit">"Save"</button></div> })}
        </ConsoleForm>
    }
    .into_any()
}
