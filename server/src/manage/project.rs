//! Projects: create, list, update, delete. Which of them a client may ask a `project-{id}`
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

/// A project's name and description, trimmed, once they are found valid.
fn check_fields<'a>(name: &'a str, description: &'a str) -> Result<(&'a str, &'a str), ManageError> {
    let (name, description) = (name.trim(), description.trim());
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid("the project name must be 1-200 characters".into()));
    }
    if description.chars().count() > 255 {
        return Err(invalid("the description must be at most 255 characters".into()));
    }
    Ok((name, description))
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
        let (name, description) = check_fields(new.name, new.description)?;
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

    /// Renames a project or changes its description (`None`: unchanged); its id stays.
    pub async fn update_project(
        &self,
        realm: &str,
        id: &str,
        name: Option<&str>,
        description: Option<&str>,
        actor: &Actor,
    ) -> Result<ProjectRow, ManageError> {
        let realm = self.realm_for(realm, actor, &[MANAGE_REALM]).await?;
        let mut tx = self.db.begin().await?;
        let before = store::projects::get(&mut tx, &realm.id, id)
            .await?
            .ok_or_else(|| ManageError::NotFound(format!("no project {id:?} in realm {:?}", realm.name)))?;
        let (name, description) =
            check_fields(name.unwrap_or(&before.name), description.unwrap_or(&before.description))?;
        let after = ProjectRow { name: name.to_owned(), description: description.to_owned(), ..before.clone() };
        store::projects::update(&mut tx, &realm.id, &after).await?;
        let audit = NewAudit {
            kind: "project.updated",
            actor: actor.name(),
            detail: Some(serde_json::json!({
                "id": id,
                "name": { "before": before.name, "after": after.name },
                "description": { "before": before.description, "after": after.description },
            })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "realm", &realm.name, audit).await?;
        Ok(after)
    }

    /// Deletes a project: clients and API keys lose access to it, and `project-{id}` tokens can
    /// no longer be asked for (the ones issued run out on their own).
    pub async fn delete_project(&self, realm: &str, id: &str, actor: &Actor) -> Result<ProjectRow, ManageError> {
        let realm = self.realm_for(realm, actor, &[MANAGE_REALM]).await?;
        let mut tx = self.db.begin().await?;
        let project = store::projects::get(&mut tx, &realm.id, id)
            .await?
            .ok_or_else(|| ManageError::NotFound(format!("no project {id:?} in realm {:?}", realm.name)))?;
        let clients: Vec<String> = store::projects::access_of_realm(&mut tx, &realm.id)
            .await?
            .into_iter()
            .filter(|(p, _)| p == id)
            .map(|(_, c)| c)
            .collect();
        store::projects::delete(&mut tx, &realm.id, id).await?;
        let audit = NewAudit {
            kind: "project.deleted",
            actor: actor.name(),
            detail: Some(serde_json::json!({ "id": id, "name": project.name, "clients": clients })),
            ..Default::default()
        };
        self.record(&mut tx, &realm.id, "realm", &realm.name, audit).await?;
        for c in &clients {
            store::changes::record(&mut tx, &realm.id, "client", c, self.now()).await?;
        }
        tx.commit().await?;
        self.invalidate(&realm.id, "realm", &realm.name);
        for c in &clients {
            self.invalidate(&realm.id, "client", c);
        }
        Ok(project)
    }

    /// The realm's projects.
    pub async fn list_projects(&self, realm: &str, actor: &Actor) -> Result<Vec<ProjectRow>, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_CLIENTS, VIEW_REALM]).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::projects::list(&mut conn, &realm.id).await?)
    }
}
