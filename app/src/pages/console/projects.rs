//! Projects: the realm's projects, each with the clients that may ask for its tokens
//! (`scope=project-{id}`, given on a client's Project Access tab). `Create` with `Project ID`
//! (blank = generated), `Name` and `Description`, `Save`.

use crate::{
    admin::{console_projects, Frame, ProjectsView},
    components::{
        field::Field,
        form::{console_key, ConsoleForm},
        shell::{console_href, console_page, use_realm},
    },
    text,
};
use leptos::prelude::*;

/// `/admin/:realm/console/projects`.
#[component]
pub fn Projects() -> impl IntoView {
    let realm = use_realm();
    let key = console_key();
    let data = Resource::new(move || (realm(), key()), |(realm, _)| console_projects(realm));
    console_page("Projects", data, |frame, projects| {
        (vec![("Projects".to_owned(), None)], view! { <ProjectList frame projects/> })
    })
}

#[component]
fn ProjectList(frame: Frame, projects: ProjectsView) -> impl IntoView {
    let realm = frame.realm.clone();
    let create = frame.can("manage-realm").then(|| {
        // A refused create opens the form again, with what was typed and the error beside it.
        let open = frame.flash.as_ref().is_some_and(|f| f.error);
        view! {
            <details class="create" open=open>
                <summary class="button">"Create"</summary>
                <ConsoleForm action=console_href(&realm, "projects") csrf=frame.csrf.clone() class="stack form"
                    label="Create project" reset_on_success=true>
                    <Field name="id" label="Project ID" value="" flash=frame.flash.clone()
                        hint="Lowercase letters, digits and -; clients ask for project-{id}. Blank: one is made."/>
                    <Field name="name" label="Name" value="" flash=frame.flash.clone()/>
                    <Field name="description" label="Description" value="" flash=frame.flash.clone()/>
                    <div class="buttons"><button type="submit">"Save"</button></div>
                </ConsoleForm>
            </details>
        }
    });
    let none = projects.projects.is_empty().then(|| view! { <tr><td colspan="5">"No projects yet."</td></tr> });
    let rows = projects
        .projects
        .into_iter()
        .map(|p| {
            let clients = match p.clients.is_empty() {
                true => view! { <span class="muted">"none yet"</span> }.into_any(),
                false => p
                    .clients
                    .iter()
                    .map(|c| {
                        let href = console_href(
                            &realm,
                            &format!("clients/{}/project-access", crate::components::shell::escape(c)),
                        );
                        view! { <a href=href>{c.clone()}</a>" " }
                    })
                    .collect_view()
                    .into_any(),
            };
            view! {
                <tr>
                    <th scope="row">{p.name.clone()}</th>
                    <td>{p.description.clone()}</td>
                    <td><code>{format!("project-{}", p.id)}</code></td>
                    <td>{clients}</td>
                    <td>{text::utc(p.created_at)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="page-head"><h1>"Projects"</h1>{create}</div>
        <p class="muted">
            "A client given a project on its Project Access tab may ask for a token for it ("
            <code>"scope=project-{id}"</code> "): the token names the project in its " <code>"project"</code> " claim."
        </p>
        <table class="list" id="projects">
            <caption class="visually-hidden">"The realm's projects"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Description"</th>
                    <th scope="col">"Scope"</th>
                    <th scope="col">"Clients with access"</th>
                    <th scope="col">"Created"</th>
                </tr>
            </thead>
            <tbody>{none}{rows}</tbody>
        </table>
    }
    .into_any()
}
