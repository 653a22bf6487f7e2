//! `/users/{id}/consents…`: Keycloak's remembered consents of a user — listed
//! (`UserConsentRepresentation`) and revoked by client id. The same `manage` operations as the
//! console's Consents tab.

use super::{
    auth::ApiActor,
    error::ApiError,
    model::{ErrorRepresentation, UserPath},
};
use crate::state::AppState;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Keycloak's `UserConsentRepresentation`. Times are milliseconds since the epoch.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserConsentRepresentation {
    /// The client's id (not its internal id).
    pub client_id: String,
    pub granted_client_scopes: Vec<String>,
    pub created_date: i64,
    pub last_updated_date: i64,
}

/// `{realm}`, `{id}` (a user) and `{client}`, a client id.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserConsentPath {
    /// The realm's name.
    pub realm: String,
    /// The user's id.
    pub id: String,
    /// The client id whose consent is meant.
    pub client: String,
}

/// The consents a user remembered, by client (`view-users`)
#[utoipa::path(get, path = "/users/{id}/consents", tag = "Users", params(UserPath),
    responses((status = 200, body = Vec<UserConsentRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn list(
    State(state): State<AppState>,
    Path(UserPath { realm, id }): Path<UserPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<UserConsentRepresentation>>, ApiError> {
    let consents = state.manager.user_consents(&realm, &id, &actor).await?;
    Ok(Json(
        consents
            .into_iter()
            .map(|c| UserConsentRepresentation {
                client_id: c.client_id,
                granted_client_scopes: c.scopes.split_whitespace().map(str::to_owned).collect(),
                created_date: c.granted_at * 1000,
                last_updated_date: c.granted_at * 1000,
            })
            .collect(),
    ))
}

/// Revoke a user's consent for a client (`manage-users`): the next authorization asks again
#[utoipa::path(delete, path = "/users/{id}/consents/{client}", tag = "Users", params(UserConsentPath),
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorRepresentation)))]
pub async fn revoke(
    State(state): State<AppState>,
    Path(UserConsentPath { realm, id, client }): Path<UserConsentPath>,
    ApiActor(actor): ApiActor,
) -> Result<StatusCode, ApiError> {
    state.manager.revoke_consent(&realm, &id, &client, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
