//! The protocol error: one enum of the codes RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1,
//! RFC 7009 §2.2.1 and RFC 8628 §3.5 define, and one way to send it.
//!
//! The body is `{"error", "error_description"}`; `invalid_client` is 401 with a `Basic`
//! challenge, bearer-token errors are 401/403 with a `Bearer` challenge, and every response
//! carries `Cache-Control: no-store`. Internal detail is logged, never sent.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;
use std::borrow::Cow;

/// An OAuth error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    UnsupportedResponseType,
    ServerError,
    TemporarilyUnavailable,
    UnsupportedTokenType,
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
    InvalidToken,
    InsufficientScope,
}

impl ErrorCode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::AuthorizationPending => "authorization_pending",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::ExpiredToken => "expired_token",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
        }
    }

    fn default_status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
            ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// A protocol error ready to be sent.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: Option<Cow<'static, str>>,
    status: Option<StatusCode>,
    retry_after: Option<u64>,
}

impl OAuthError {
    /// An error with a human-readable description.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self { code, description: Some(description.into()), status: None, retry_after: None }
    }

    /// `invalid_request`.
    pub fn invalid_request(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }

    /// `invalid_client` (401).
    pub fn invalid_client(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }

    /// `invalid_grant`.
    pub fn invalid_grant(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }

    /// `unauthorized_client`.
    pub fn unauthorized_client(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, d)
    }

    /// `invalid_scope`.
    pub fn invalid_scope(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidScope, d)
    }

    /// `invalid_token` (401, bearer challenge).
    pub fn invalid_token(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidToken, d)
    }

    /// A 404 for an unknown realm.
    pub fn realm_not_found() -> Self {
        Self::new(ErrorCode::InvalidRequest, "realm does not exist").with_status(StatusCode::NOT_FOUND)
    }

    /// A request refused by a rate limit: 429 with `Retry-After`.
    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(ErrorCode::TemporarilyUnavailable, "too many requests; retry later")
            .with_status(StatusCode::TOO_MANY_REQUESTS);
        e.retry_after = Some(retry_after.max(1));
        e
    }

    /// `temporarily_unavailable` with 503: the server is overloaded; retry shortly.
    pub fn temporarily_unavailable(d: impl Into<Cow<'static, str>>) -> Self {
        let mut e = Self::new(ErrorCode::TemporarilyUnavailable, d).with_status(StatusCode::SERVICE_UNAVAILABLE);
        e.retry_after = Some(1);
        e
    }

    /// `temporarily_unavailable` (503, `Retry-After: 1`) for a database that cannot be reached
    /// or cannot take the work now; logs `detail` as a warning, sends nothing of it.
    pub fn database_unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %detail, "database unavailable");
        Self::temporarily_unavailable("the service is temporarily unavailable; retry shortly")
    }

    /// `server_error`: logs `detail` and sends nothing of it.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(ErrorCode::ServerError, "internal error")
    }

    /// Overrides the HTTP status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    /// The HTTP status this error is sent with.
    pub fn status(&self) -> StatusCode {
        self.status.unwrap_or_else(|| self.code.default_status())
    }
}

/// A database failure: 503 `temporarily_unavailable` when the database cannot be reached or
/// cannot take the work now ([`crate::store::is_unavailable`]), `server_error` otherwise.
impl From<sqlx::Error> for OAuthError {
    fn from(e: sqlx::Error) -> Self {
        if crate::store::is_unavailable(&e) {
            return OAuthError::database_unavailable(e);
        }
        OAuthError::internal(e)
    }
}

impl From<crate::manage::ManageError> for OAuthError {
    fn from(e: crate::manage::ManageError) -> Self {
        match e {
            crate::manage::ManageError::Db(e) => e.into(),
            e => OAuthError::internal(e),
        }
    }
}

impl From<crate::registry::LoadError> for OAuthError {
    fn from(e: crate::registry::LoadError) -> Self {
        match e {
            crate::registry::LoadError::Db(e) => e.into(),
            e => OAuthError::internal(e),
        }
    }
}

/// Headers every token-endpoint-style response carries (RFC 6749 §5.1).
pub fn no_store_headers() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

fn quoted(s: &str) -> String {
    s.chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).collect()
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut body = json!({ "error": self.code.as_str() });
        if let Some(d) = &self.description {
            body["error_description"] = json!(d);
        }
        let mut res = (status, no_store_headers(), Json(body)).into_response();
        let challenge = match self.code {
            ErrorCode::InvalidClient => Some("Basic realm=\"portcullis\"".to_owned()),
            ErrorCode::InvalidToken | ErrorCode::InsufficientScope => Some(format!(
                "Bearer error=\"{}\"{}",
                self.code.as_str(),
                self.description
                    .as_deref()
                    .map(|d| format!(", error_description=\"{}\"", quoted(d)))
                    .unwrap_or_default()
            )),
            _ => None,
        };
        if let Some(v) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}
