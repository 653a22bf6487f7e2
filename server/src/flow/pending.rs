//! Authorization requests that have passed validation and wait, in the browser's session, for
//! the user to sign in or consent. Each has a random id (`rid`) carried by the pages' forms.

use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// How long a pending request may wait.
pub const TTL_SECS: i64 = 30 * 60;

/// What the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseType {
    /// `code`
    Code,
    /// `token` (implicit)
    Token,
    /// `id_token token` (implicit, OIDC)
    IdTokenToken,
}

/// Where the response parameters go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    Query,
    Fragment,
}

/// A validated authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    pub realm: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// Whether `redirect_uri` was in the request (then the token request must repeat it).
    pub redirect_uri_given: bool,
    pub response_type: ResponseType,
    pub response_mode: ResponseMode,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt_none: bool,
    pub prompt_login: bool,
    pub prompt_consent: bool,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub created_at: i64,
}

/// A device authorization request (RFC 8628) whose user code was entered in this browser.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceApproval {
    pub device_code_hash: String,
    pub client_id: String,
    pub created_at: i64,
}

/// Something waiting for the user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Pending {
    Authorize(AuthRequest),
    Device(DeviceApproval),
}

impl Pending {
    fn created_at(&self) -> i64 {
        match self {
            Pending::Authorize(r) => r.created_at,
            Pending::Device(d) => d.created_at,
        }
    }
}

fn key(rid: &str) -> String {
    format!("pending.{rid}")
}

/// Stores a pending request and returns its id.
pub async fn put(session: &Session, pending: &Pending) -> Result<String, tower_sessions::session::Error> {
    let rid = crate::crypto::random_token::<16>();
    session.insert(&key(&rid), pending).await?;
    Ok(rid)
}

/// Replaces the pending request `rid`.
pub async fn update(session: &Session, rid: &str, pending: &Pending) -> Result<(), tower_sessions::session::Error> {
    session.insert(&key(rid), pending).await
}

/// The pending request `rid`, if it exists and has not expired.
pub async fn get(session: &Session, rid: &str, now: i64) -> Option<Pending> {
    if rid.len() > 64 {
        return None;
    }
    let pending = session.get::<Pending>(&key(rid)).await.ok().flatten()?;
    (now - pending.created_at() < TTL_SECS).then_some(pending)
}

/// Removes the pending request `rid`.
pub async fn take(session: &Session, rid: &str) {
    let _ = session.remove::<Pending>(&key(rid)).await;
}
