//! Keycloak's error answers: `{"error": …}` for 400, 401, 403 and 404, `{"errorMessage": …}`
//! for 409 (python-keycloak matches some of those texts), 503 `temporarily_unavailable` when
//! the database cannot be reached, and 500 without details.

use super::model::ErrorRepresentation;
use crate::manage::ManageError;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};

/// An admin API error.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorRepresentation,
}

fn error(message: impl Into<String>) -> ErrorRepresentation {
    ErrorRepresentation { error: Some(message.into()), ..Default::default() }
}

impl ApiError {
    /// The status the error answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn unauthorized() -> Self {
        ApiError { status: StatusCode::UNAUTHORIZED, body: error("HTTP 401 Unauthorized") }
    }

    pub fn forbidden() -> Self {
        ApiError { status: StatusCode::FORBIDDEN, body: error("HTTP 403 Forbidden") }
    }

    pub fn not_found(message: &str) -> Self {
        ApiError { status: StatusCode::NOT_FOUND, body: error(message) }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::BAD_REQUEST, body: error(message) }
    }

    /// 503 for a database that cannot be reached or cannot take the work now; logs `detail`.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %detail, "admin API: database unavailable");
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            body: ErrorRepresentation {
                error: Some("temporarily_unavailable".into()),
                error_description: Some("The service is temporarily unavailable; retry shortly.".into()),
                ..Default::default()
            },
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::CONFLICT,
            body: ErrorRepresentation { error_message: Some(message.into()), ..Default::default() },
        }
    }
}

impl From<ManageError> for ApiError {
    fn from(e: ManageError) -> Self {
        match e {
            ManageError::Invalid(m) => ApiError::bad_request(m),
            ManageError::Conflict(m) => ApiError::conflict(m),
            ManageError::NotFound(m) => ApiError::not_found(&m),
            ManageError::Forbidden(_) => ApiError::forbidden(),
            ManageError::Db(e) if crate::store::is_unavailable(&e) => ApiError::unavailable(e),
            e @ (ManageError::Db(_) | ManageError::Internal(_)) => {
                tracing::error!(error = %e, "admin API");
                ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    body: ErrorRepresentation {
                        error: Some("unknown_error".into()),
                        error_description: Some("For more on this error consult the server log.".into()),
                        ..Default::default()
                    },
                }
            }
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ManageError::Db(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
