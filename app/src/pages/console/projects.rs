//! Projects: the realm's projects, each with the clients that may ask for its tokens
//! (`scope=project-{id}`, given on a client's Project Access tab). `Create` with `Project ID`
//! (blank = generated), `Name` and `Description`, `Save`; per project `Edit` and `Delete`
//! (confirmed).

use crate::{
    admin::{console_projects, Frame, ProjectsView},
    components::{
        confirm::Confirm,
        field::Field,
        form::{console_key, ConsoleForm},
        shell::{console_href, console_page, use_realm},
    },
    text,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// `/admin/:realm/console/projects?edit=ID&delete=ID`.
#[component]
pub fn Projects() -> impl IntoView {
    let realm = use_realm();
    let key = console_key();
    let query = use_query_map();
    let data = Resource::new(move || (realm(), key()), |(realm, _)| console_projects(realm));
    console_page("Projects", data, move |frame, projects| {
        let q = query.read_untracked();
        let pick = |k: &str| q.get(k).filter(|v| !v.is_empty());
        let (editing, deleting) = (pick("edit"), pick("delete"));
        (vec![("Projects".to_owned(), None)], view! { <ProjectList frame projects editing deleting/> })
    })
}

#[component]
fn ProjectList(
    frame: Frame,
    projects: ProjectsView,
    editing: Option<String>,
    deleting: Option<String>,
) -> impl IntoView {
    let realm = frame.realm.clone();
    let here = console_href(&realm, "projects");
    let can = frame.can("manage-realm");
    let find = |id: &Option<String>| id.as_ref().and_then(|id| projects.projects.iter().find(|p| &p.id == id)).cloned();
    let edit = match find(&editing).filter(|_| can) {
        None => None,
        Some(p) => {
            let (action, back, csrf, flash) = (here.clone(), here.clone(), frame.csrf.clone(), frame.flash.clone());
            let title = format!("Edit project {}", p.name);
            Some(view! {
                <section class="panel" aria-labelledby="edit-title">
                    <h2 id="edit-title">{title.clone()}</h2>
                    <ConsoleForm action csrf class="stack form" label=title>
                        <input type="hidden" name="edit" value=p.id.clone()/>
                        <Field name="name" label="Name" value=p.name.clone() flash=flash.clone()/>
                        <Field name="description" label="Description" value=p.description.clone() flash=flash/>
                        <div class="buttons">
                            <button type="submit">"Save"</button>
                            <a class="button secondary" href=back>"Cancel"</a>
                        </div>
                    </ConsoleForm>
                </section>
            })
        }
    };
    let confirm = match find(&deleting).filter(|_| can) {
        None => None,
        Some(p) => {
            let (cancel, action, csrf) = (here.clone(), here.clone(), frame.csrf.clone());
            let losing = match p.clients.len() {
                0 => "No client has access to it.".to_owned(),
                n => format!("{n} client(s) lose access to it, and so do API keys limited to it."),
            };
            Some(view! {
                <Confirm title=format!("Delete project {}?", p.name) cancel>
                    <p>{losing} " Tokens already issued for it run out on their own. This cannot be undone."</p>
                    <ConsoleForm action csrf class="inline">
                        <input type="hidden" name="delete" value=p.id.clone()/>
                        <button type="submit" class="danger">"Delete"</button>
                    </ConsoleForm>
                </Confirm>
            })
        }
    };
    let create = (can && editing.is_none()).then(|| {
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
    let none = projects.projects.is_empty().then(|| view! { <tr><td colspan="6">"No projects yet."</td></tr> });
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
                    <td class="actions">{can.then(|| {
                        let link = |verb: &str| format!("{here}?{verb}={}", crate::components::shell::escape(&p.id));
                        view! {
                            <a class="button secondary small" href=link("edit") aria-label=format!("Edit {}", p.name)>"Edit"</a>
                            <a class="button danger small" href=link("delete") aria-label=format!("Delete {}", p.name)>"Delete"</a>
                        }
                    })}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="page-head"><h1>"Projects"</h1>{create}</div>
        {edit}
        {confirm}
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
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{none}{rows}</tbody>
        </table>
    }
    .into_any()
}
