//! The Projects page's forms: create a project (`Project ID` blank = generated, `Name`,
//! `Description`), edit one (`edit=ID`), delete one once confirmed (`delete=ID`).

use super::forms::Posted;
use crate::manage::project::NewProject;
use app::components::shell::console_href;
use axum::{extract::Path, response::Response};

/// `POST /admin/{realm}/console/projects`.
pub async fn create(Path(realm): Path<String>, posted: Posted) -> Response {
    let (m, actor, f) = (&posted.state().manager, &posted.admin.actor, &posted.fields);
    let here = console_href(&realm, "projects");
    let (edit, delete) = (f.get("edit"), f.get("delete"));
    if !delete.is_empty() {
        return match m.delete_project(&realm, delete, actor).await {
            Ok(p) => posted.done(&here, format!("Project {} deleted.", p.name), None).await,
            Err(e) => posted.failed(&here, e).await,
        };
    }
    if !edit.is_empty() {
        let back = format!("{here}?edit={}", app::components::shell::escape(edit));
        return match m.update_project(&realm, edit, Some(f.get("name")), Some(f.get("description")), actor).await {
            Ok(p) => posted.done(&here, format!("Project {} saved.", p.name), None).await,
            Err(e) => posted.failed(&back, e).await,
        };
    }
    let new = NewProject {
        id: Some(f.get("id").trim()).filter(|id| !id.is_empty()),
        name: f.get("name"),
        description: f.get("description"),
    };
    match m.create_project(&realm, new, actor).await {
        Ok(p) => {
            posted
                .done(&here, format!("Project {} created: clients ask for project-{} tokens.", p.name, p.id), None)
                .await
        }
        Err(e) => posted.failed(&here, e).await,
    }
}
