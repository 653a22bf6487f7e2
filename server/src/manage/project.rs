//! Projects, minimal for now: create and list. Which of them a client may ask a `project-{id}`
//! token for is a client setting (`ClientChanges::projects`).

use super::{
    actor::perm::{MANAGE_REALM, VIEW_CLIENTS, VIEW_REALM},
    client::invalid,
    Actor, ManageError, Manager,
};
use crate::store::{self, audit::NewAudit, projects::ProjectRow};

/// A project id: 1–64 lowercase letters, digits and `-` (it becomes part of a scope name).
fn check_project_id(id: &str) -> Result<(), ManageError> {
    let ok =
        (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    ok.then_some(())
        .ok_or_else(|| invalid(format!("invalid project id {id:?}: use 1-64 lowercase letters, digits or '-'")))
}

/// What a new project is made of.
#[derive(Debug, Clone, Copy, Default)]
pub struct NewProject<'a> {
    /// Generated when absent.
    pub id: Option<&'a str>,
    pub name: &'a str,
    pub description: &'a str,
}

impl Manager {
    /// Creates a project; its id is generated unless given.
    pub async fn create_project(
        &self,
        realm: &str,
        new: NewProject<'_>,
        actor: &Actor,
    ) -> Result<ProjectRow, ManageError> {
        let realm = self.realm_row(realm).await?;
        actor.require(&realm.id, MANAGE_REALM)?;
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(invalid("the project name must be 1-200 characters".into()));
        }
        let description = new.description.trim();
        if description.chars().count() > 255 {
            return Err(invalid("the description must be at most 255 characters".into()));
        }
        let id = match new.id {
            Some(id) => id.to_owned(),
            None => uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
        };
        check_project_id(&id)?;
        let project =
            ProjectRow { id, name: name.to_owned(), description: description.to_owned(), created_at: self.now() };
        let mut tx = self.db.begin().await?;
        if !store::projects::insert(&mut tx, &realm.id, &project, actor.name()).await? {
            return Err(ManageError::Conflict(format!(
                "a project with id {:?} already exists in realm {:?}",
                project.id, realm.name
            )));
        }
        let audit = NewAudit {
            kind: "project.created",
            actor: actor.name(),
            detail: Some(serde_json::json!({ "id": project.id, "name": name, "description": description })),
            ..Default::default()
        };
        self.record(&mut tx, &realm.id, "realm", &realm.name, audit).await?;
        tx.commit().await?;
        Ok(project)
    }

    /// The realm's projects, each with the clients that may ask for its tokens.
    pub async fn projects_with_clients(
        &self,
        realm: &str,
        actor: &Actor,
    ) -> Result<Vec<(ProjectRow, Vec<String>)>, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_CLIENTS, VIEW_REALM]).await?;
        let mut conn = self.db.conn().await?;
        let projects = store::projects::list(&mut conn, &realm.id).await?;
        let access = store::projects::access_of_realm(&mut conn, &realm.id).await?;
        Ok(projects
            .into_iter()
            .map(|p| {
                let clients = access.iter().filter(|(id, _)| *id == p.id).map(|(_, c)| c.clone()).collect();
                (p, clients)
            })
            .collect())
    }

    /// The realm's projects.
    pub async fn list_projects(&self, realm: &str, actor: &Actor) -> Result<Vec<ProjectRow>, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_CLIENTS, VIEW_REALM]).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::projects::list(&mut conn, &realm.id).await?)
    }
}
