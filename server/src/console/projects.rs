//! The Projects page's form: create a project (`Project ID` blank = generated, `Name`,
//! `Description`).

use super::forms::Posted;
use crate::manage::project::NewProject;
use app::components::shell::console_href;
use axum::{extract::Path, response::Response};

/// `POST /admin/{realm}/console/projects`.
pub async fn create(Path(realm): Path<String>, posted: Posted) -> Response {
    let (m, actor, f) = (&posted.state().manager, &posted.admin.actor, &posted.fields);
    let here = console_href(&realm, "projects");
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
