//! The Roles page's forms: create, change the description, delete (with the holders named in
//! the confirmation, `force` takes the role from them).

use super::forms::Posted;
use crate::manage::ManageError;
use app::components::shell::{console_href, escape};
use axum::{extract::Path, response::Response};

/// `POST /admin/{realm}/console/roles`.
pub async fn change(Path(realm): Path<String>, posted: Posted) -> Response {
    let (m, actor, f) = (&posted.state().manager, &posted.admin.actor, &posted.fields);
    let client = Some(f.get("client")).filter(|c| !c.is_empty());
    let name = f.get("name");
    let here = match client {
        Some(c) => format!("{}?client={}", console_href(&realm, "roles"), escape(c)),
        None => console_href(&realm, "roles"),
    };
    let result = match f.get("op") {
        "create" => m
            .create_role(&realm, client, name, f.get("description"), actor)
            .await
            .map(|_| format!("Role {name} created.")),
        "update" => m
            .update_role(&realm, client, name, f.get("description"), actor)
            .await
            .map(|_| format!("Role {name} saved.")),
        "delete" => {
            m.delete_role(&realm, client, name, f.get("force") == "true", actor).await.map(|taken| match taken.len() {
                0 => format!("Role {name} deleted."),
                _ => format!("Role {name} deleted and taken from {}.", taken.join(", ")),
            })
        }
        _ => Err(ManageError::NotFound("there is no such form".into())),
    };
    match result {
        Ok(message) => posted.done(&here, message, None).await,
        Err(e) => posted.failed(&here, e).await,
    }
}
