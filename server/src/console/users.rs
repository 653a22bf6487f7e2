//! The Users pages' forms: create, a user's tabs (details with unlock, credentials, role
//! mapping, sessions, consents, identity provider links) and delete. Each calls one `manage` operation, which checks
//! `manage-users` and writes its audit event in the same transaction.

use super::forms::Posted;
use crate::manage::{
    service_account::RoleRef,
    user::{NewUser, UserChanges},
    ManageError,
};
use app::{
    components::shell::{console_href, escape},
    text,
};
use axum::{extract::Path, response::Response};

fn tab(realm: &str, id: &str, tab: &str) -> String {
    console_href(realm, &format!("users/{}/{tab}", escape(id)))
}

/// The field a user-form message is about.
fn field_of(message: &str) -> Option<&'static str> {
    let m = message.to_lowercase();
    match () {
        _ if m.contains("username") || m.contains("a user named") => Some("username"),
        _ if m.contains("email") => Some("email"),
        _ if m.contains("password") => Some("password"),
        _ => None,
    }
}

/// `POST /admin/{realm}/console/users/new`.
pub async fn create(Path(realm): Path<String>, posted: Posted) -> Response {
    let (m, actor, f) = (&posted.state().manager, &posted.admin.actor, &posted.fields);
    let password = Some(f.get("password").to_owned()).filter(|p| !p.is_empty());
    let req = NewUser {
        realm: realm.clone(),
        // Keycloak keeps usernames in lower case; so does the admin API here.
        username: f.get("username").to_lowercase(),
        email: Some(f.get("email").to_owned()).filter(|e| !e.is_empty()),
        first_name: f.get("first_name").to_owned(),
        last_name: f.get("last_name").to_owned(),
        disabled: !f.checked("enabled"),
        password_temporary: f.checked("temporary"),
        ..Default::default()
    };
    let username = req.username.clone();
    let with_password = password.is_some();
    match m.create_user_with(req, password, actor).await {
        Ok(id) => {
            let message = match with_password {
                true => format!("User {username} created."),
                false => format!("User {username} created. Set a password on the Credentials tab to let them sign in."),
            };
            posted.done(&tab(&realm, &id, "details"), message, None).await
        }
        Err(e) => {
            let field = field_of(&e.to_string());
            posted.failed_beside(&console_href(&realm, "users/new"), e, field).await
        }
    }
}

/// `POST /admin/{realm}/console/users/{id}/{tab}`: the tab's change (or `delete`).
pub async fn change(Path((realm, id, tab_name)): Path<(String, String, String)>, posted: Posted) -> Response {
    let here = tab(&realm, &id, &tab_name);
    match apply(&realm, &id, &tab_name, &posted).await {
        Ok((location, message)) => posted.done(&location.unwrap_or(here), message, None).await,
        Err(e) => {
            let back = match tab_name.as_str() {
                "delete" => console_href(&realm, "users"),
                "role-mapping" => with_role_source(&here, posted.fields.get("roles")),
                _ => here,
            };
            let field = match (tab_name.as_str(), &e) {
                ("credentials", ManageError::Invalid(_)) => Some("password"),
                ("details", _) => field_of(&e.to_string()),
                _ => None,
            };
            posted.failed_beside(&back, e, field).await
        }
    }
}

fn with_role_source(href: &str, roles: &str) -> String {
    match roles {
        "" => href.to_owned(),
        r => format!("{href}?roles={}", escape(r)),
    }
}

/// What a tab's form does: where to go (the tab itself when `None`) and what to say.
type Applied = (Option<String>, String);

async fn apply(realm: &str, id: &str, tab_name: &str, posted: &Posted) -> Result<Applied, ManageError> {
    let (m, actor, f) = (&posted.state().manager, &posted.admin.actor, &posted.fields);
    match (tab_name, f.get("op")) {
        ("details", "unlock") => {
            m.unlock(realm, Some(id), actor).await?;
            Ok((None, "Unlocked: the failed sign-ins are forgotten.".to_owned()))
        }
        ("details", _) => {
            let changes = UserChanges {
                email: Some(Some(f.get("email").to_owned()).filter(|e| !e.is_empty())),
                first_name: Some(f.get("first_name").to_owned()),
                last_name: Some(f.get("last_name").to_owned()),
                enabled: Some(f.checked("enabled")),
                ..Default::default()
            };
            m.update_user(realm, id, changes, actor).await?;
            Ok((None, "Saved.".to_owned()))
        }
        ("credentials", _) => {
            let (password, confirm) = (f.get("password"), f.get("password_confirmation"));
            if password.is_empty() {
                return Err(ManageError::Invalid("Enter the new password.".into()));
            }
            if password != confirm {
                return Err(ManageError::Invalid("The password and its confirmation differ.".into()));
            }
            let temporary = f.checked("temporary");
            m.set_password(realm, id, password.to_owned(), temporary, actor).await?;
            let message = match temporary {
                true => "Password reset. It is temporary: the user chooses a new one at the next sign-in.",
                false => "Password reset.",
            };
            Ok((None, message.to_owned()))
        }
        ("role-mapping", op @ ("add" | "remove")) => {
            let roles: Vec<RoleRef> = f.all("role").iter().map(|r| RoleRef::parse(r)).collect();
            if roles.is_empty() {
                return Err(ManageError::Invalid("Select at least one role.".into()));
            }
            let user = m.user_by_id(realm, id, actor).await?;
            let realm_roles: Vec<String> =
                roles.iter().filter(|r| r.client_id.is_none()).map(|r| r.name.clone()).collect();
            let client_roles: Vec<(String, String)> =
                roles.iter().filter_map(|r| r.client_id.clone().map(|c| (c, r.name.clone()))).collect();
            m.set_user_roles(realm, &user.username, &realm_roles, &client_roles, op == "add", actor).await?;
            let here = with_role_source(&tab(realm, id, tab_name), f.get("roles"));
            let verb = if op == "add" { "added" } else { "removed" };
            Ok((Some(here), format!("{} {verb}.", text::count(roles.len() as i64, "role"))))
        }
        ("sessions", "end") => {
            m.end_user_session(realm, id, f.get("session"), actor).await?;
            Ok((None, "Session ended: its refresh and access tokens no longer work.".to_owned()))
        }
        ("sessions", _) => {
            let n = m.log_out(realm, Some(id), actor).await?;
            Ok((None, format!("Signed out: {} ended.", text::count(n as i64, "session"))))
        }
        ("consents", _) => {
            let client = f.get("client");
            m.revoke_consent(realm, id, client, actor).await?;
            Ok((None, format!("Consent for {client} revoked: it will be asked again.")))
        }
        ("identity-provider-links", _) => {
            let alias = f.get("alias");
            m.unlink_federated_identity(realm, id, alias, actor).await?;
            Ok((
                None,
                format!(
                    "Unlinked from {alias}: the user no longer signs in through it, and its kept tokens are deleted."
                ),
            ))
        }
        ("delete", _) => {
            let user = m.user_by_id(realm, id, actor).await?;
            m.delete_user(realm, id, actor).await?;
            Ok((
                Some(console_href(realm, "users")),
                format!("User {} deleted, with their sessions and consents.", user.username),
            ))
        }
        _ => Err(ManageError::NotFound("there is no such form".into())),
    }
}
