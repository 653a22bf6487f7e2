//! Service connections' tokens for services (issue 12, item 3): `GET /realms/{realm}/
//! service-connections/{alias}/token` with the service's own access token as bearer (RFC 6750
//! §2.1), which must carry the connection's role; the answer is the connection's current
//! upstream token, refreshed first when it has expired. The janitor refreshes the ones due
//! ([`refresh_due`]). The connections themselves are `manage::service_connection`.

use super::broker_token::{bearer_claims, refusal, JANITOR_MARGIN, SERVE_MARGIN};
use crate::{
    manage::service_connection::role_of,
    oauth::{
        access_token::AccessClaims,
        error::{no_store_headers, ErrorCode, OAuthError},
        load_realm,
    },
    state::AppState,
    store::{self, service_connections::ConnectionRow},
};
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

/// Connections refreshed per janitor pass.
const JANITOR_BATCH: i64 = 20;

/// Whether the token carries `row`'s role (a client role under `resource_access`, a realm
/// role under `realm_access`).
fn carries_role(claims: &AccessClaims, row: &ConnectionRow) -> bool {
    let role = role_of(row);
    let held = match &role.client_id {
        Some(client) => claims.resource_access.get(client).map(|r| &r.roles),
        None => claims.realm_access.as_ref().map(|r| &r.roles),
    };
    held.is_some_and(|roles| roles.contains(&role.name))
}

/// `GET /realms/{realm}/service-connections/{alias}/token`.
#[tracing::instrument(skip_all, fields(realm = %realm_name, alias = %alias))]
pub async fn token(
    State(state): State<AppState>,
    Path((realm_name, alias)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&state, &realm_name).await?;
    let claims = match bearer_claims(&state, &realm, &headers).await? {
        Ok(claims) => claims,
        Err(refused) => return Ok(refused),
    };
    let m = &state.manager;
    let row = m.service_connection_for_service(&realm.id, &alias).await.map_err(OAuthError::internal)?;
    // An unknown connection and a missing role answer alike: a service learns nothing of
    // connections it may not read.
    let Some(mut row) = row.filter(|r| carries_role(&claims, r)) else {
        let why = "the token does not carry the role this service connection needs";
        return Err(OAuthError::new(ErrorCode::InsufficientScope, why));
    };
    if row.tokens.access_sealed.is_none() {
        return Ok(refusal(StatusCode::CONFLICT, "not_connected", "an administrator has not connected it yet"));
    }
    let now = state.now();
    if row.tokens.expires_at.is_some_and(|at| at - now <= SERVE_MARGIN) {
        match m.refresh_service_connection(&row).await {
            Ok(new) => row = new,
            Err(e) => {
                // Another request may have refreshed it a moment ago: serve what it stored.
                let again = m.service_connection_for_service(&realm.id, &alias).await.map_err(OAuthError::internal)?;
                match again {
                    Some(r) if r.tokens.refreshed_at > row.tokens.refreshed_at => row = r,
                    _ => {
                        tracing::warn!(error = %e, "refreshing a service connection");
                        return Ok(refusal(
                            StatusCode::BAD_GATEWAY,
                            "temporarily_unavailable",
                            "the stored token expired and the provider did not give a new one",
                        ));
                    }
                }
            }
        }
    }
    let access = m
        .service_connection_access_token(&row)
        .map_err(OAuthError::internal)?
        .ok_or_else(|| OAuthError::internal("a connected service connection without a token"))?;
    let mut body = serde_json::Map::new();
    body.insert("access_token".into(), json!(access));
    body.insert("token_type".into(), json!(row.tokens.token_type.as_deref().unwrap_or("Bearer")));
    if let Some(at) = row.tokens.expires_at {
        body.insert("expires_in".into(), json!((at - now).max(0)));
    }
    if let Some(s) = &row.tokens.granted_scope {
        body.insert("scope".into(), json!(s));
    }
    Ok((no_store_headers(), Json(serde_json::Value::Object(body))).into_response())
}

/// One janitor step: refreshes the connections expiring within [`JANITOR_MARGIN`]. A provider
/// that fails is recorded on its connection and logged (tried again next pass, and on demand).
/// Returns how many were refreshed.
pub async fn refresh_due(state: &AppState) -> usize {
    let before = state.now() + JANITOR_MARGIN;
    let due = match state.db.conn().await {
        Ok(mut c) => store::service_connections::due_for_refresh(&mut c, before, JANITOR_BATCH).await,
        Err(e) => Err(e),
    };
    let due = match due {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "janitor: service connections due");
            return 0;
        }
    };
    let mut refreshed = 0;
    for row in due {
        match state.manager.refresh_service_connection(&row).await {
            Ok(_) => refreshed += 1,
            Err(e) => tracing::warn!(error = %e, alias = %row.alias, "janitor: refreshing a service connection"),
        }
    }
    refreshed
}
