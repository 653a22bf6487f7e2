//! The OpenAPI 3.1 document of the admin API: the frame (title, tags, how to authenticate)
//! here, the paths and schemas from the handlers' `#[utoipa::path]` declarations as the
//! router registers them (`super::api`). Served at `/admin/openapi.json` (and under `/auth`),
//! read by the console's API reference page.

use crate::state::AppState;
use axum::{http::header, response::IntoResponse, routing::get, Router};
use std::sync::{Arc, LazyLock};
use utoipa::{
    openapi::{
        path::Operation,
        security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme},
        ContentBuilder, OpenApi as Document, Ref, ResponseBuilder,
    },
    OpenApi,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portcullis admin API",
        description = "Keycloak's Admin REST API for what Portcullis manages, at Keycloak's paths \
            (`/admin/realms/…`, also under the `/auth` prefix of older Keycloaks), with Portcullis's own \
            objects beside Keycloak's under the same conventions. Authenticate with a bearer access \
            token from a realm's token endpoint: the public `admin-cli` client with the password \
            grant, or a client's service account with `client_credentials`. What a caller may do \
            comes from the stored role mappings (the `realm-management` client's roles in the \
            token's realm; the master realm's `admin` role in every realm), never from the token's \
            claims. Creating answers 201 with `Location` and no body; changing and deleting 204; \
            `PUT` merges what it is sent. Errors carry Keycloak's bodies: `error` for 400, 401, \
            403 and 404, `errorMessage` for 409.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "Realms", description = "Realms and their settings"),
        (name = "Clients", description = "OAuth clients, their secrets, service accounts and sessions"),
        (name = "Client scopes", description = "Client scopes and the ones each client gets"),
        (name = "Roles", description = "Realm roles and clients' roles"),
        (name = "Users", description = "Users, their passwords and sessions"),
        (name = "Role mappings", description = "The roles users and service accounts hold"),
        (name = "Attack detection", description = "Sign-in failures and locked accounts"),
        (name = "Server info", description = "The server's version"),
        (name = "Identity providers", description = "Upstream OpenID and OAuth 2.0 providers users sign in with"),
        (name = "Keys", description = "The realm's signing keys, their rotation and its settings"),
        (name = "Portcullis", description = "Portcullis's own objects: projects, the audit log, token statistics"),
    )
)]
struct Frame;

/// The document before the routes are added to it.
pub fn frame() -> Document {
    Frame::openapi()
}

/// Completes the document made by the router: every operation takes the bearer token and
/// may answer 401 (no valid token) and 403 (not allowed) with Keycloak's body.
pub fn complete(mut doc: Document) -> Document {
    let bearer = "bearer";
    doc.components.get_or_insert_with(Default::default).add_security_scheme(
        bearer,
        SecurityScheme::Http({
            let mut http = Http::new(HttpAuthScheme::Bearer);
            http.bearer_format = Some("JWT".into());
            http.description = Some("An access token from the realm's token endpoint".into());
            http
        }),
    );
    doc.security = Some(vec![SecurityRequirement::new(bearer, Vec::<String>::new())]);
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorRepresentation"))).build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            operation.operation_id = Some(operation_id(method, path));
            add_default(operation, "401", error("No valid bearer token"));
            add_default(operation, "403", error("The caller may not do this"));
        }
    }
    doc
}

/// A unique operation id from the method and the path (handlers' names repeat across
/// modules): `GET /admin/realms/{realm}/clients/{id}/client-secret` →
/// `getClientsByIdClientSecret`; the realm root is `…Realm`.
fn operation_id(method: &str, path: &str) -> String {
    let rest = path.strip_prefix("/admin/realms/{realm}").map(|r| if r.is_empty() { "/realm" } else { r });
    let rest = rest.unwrap_or_else(|| path.strip_prefix("/admin").unwrap_or(path));
    let mut id = method.to_owned();
    for segment in rest.split('/').filter(|s| !s.is_empty()) {
        let (prefix, word) = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => ("By", param),
            None => ("", segment),
        };
        id.push_str(prefix);
        for part in word.split('-').filter(|p| !p.is_empty()) {
            let mut chars = part.chars();
            id.extend(chars.next().map(|c| c.to_ascii_uppercase()));
            id.push_str(chars.as_str());
        }
    }
    id
}

fn add_default(operation: &mut Operation, status: &str, response: utoipa::openapi::Response) {
    operation.responses.responses.entry(status.to_owned()).or_insert(response.into());
}

/// The admin API's document, made once from the router's declarations.
pub static DOCUMENT: LazyLock<Document> = LazyLock::new(|| complete(super::api().into_openapi()));

/// `GET /admin/openapi.json` (and under `/auth`): the document, serialized once.
pub fn router() -> Router<AppState> {
    let json: Arc<str> = DOCUMENT.to_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")).into();
    let serve = move || {
        let json = json.clone();
        // A description, public and without credentials: any page may read it.
        async move {
            let headers = [(header::CONTENT_TYPE, "application/json"), (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")];
            (headers, json.to_string()).into_response()
        }
    };
    Router::new().route("/admin/openapi.json", get(serve.clone())).route("/auth/admin/openapi.json", get(serve))
}

#[cfg(test)]
mod tests {
    use super::operation_id;

    #[test]
    fn operation_ids_follow_the_path() {
        assert_eq!(
            operation_id("get", "/admin/realms/{realm}/clients/{id}/client-secret"),
            "getClientsByIdClientSecret"
        );
        assert_eq!(operation_id("put", "/admin/realms/{realm}"), "putRealm");
        assert_eq!(operation_id("get", "/admin/realms"), "getRealms");
        assert_eq!(operation_id("get", "/admin/serverinfo"), "getServerinfo");
    }
}
