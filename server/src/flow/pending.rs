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
    /// The id of the realm: the request is refused under any other.
    #[serde(default)]
    pub realm_id: String,
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
    /// The realm the request belongs to: it is refused under any other.
    pub realm_id: String,
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

    /// The id of the realm the request was made in.
    pub fn realm_id(&self) -> &str {
        match self {
            Pending::Authorize(r) => &r.realm_id,
            Pending::Device(d) => &d.realm_id,
        }
    }
}

/// The most requests one browser session keeps waiting; a new one pushes out the oldest, so
/// an anonymous caller cannot grow a session (which is rewritten whole on every change).
pub const MAX_PER_SESSION: usize = 8;

/// The session key holding the list of pending requests.
const KEY: &str = "pending";

/// One stored request and its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    rid: String,
    pending: Pending,
}

async fn load(session: &Session) -> Vec<Entry> {
    session.get::<Vec<Entry>>(KEY).await.ok().flatten().unwrap_or_default()
}

async fn save(session: &Session, mut entries: Vec<Entry>, now: i64) -> Result<(), tower_sessions::session::Error> {
    entries.retain(|e| now - e.pending.created_at() < TTL_SECS);
    if entries.len() > MAX_PER_SESSION {
        entries.sort_by_key(|e| e.pending.created_at());
        entries.drain(..entries.len() - MAX_PER_SESSION);
    }
    crate::console::sessions::keep_anonymous_short(session).await;
    if entries.is_empty() {
        session.remove::<Vec<Entry>>(KEY).await.map(|_| ())
    } else {
        session.insert(KEY, entries).await
    }
}

/// Stores a pending request and returns its id (pruning expired and, past
/// [`MAX_PER_SESSION`], the oldest requests).
pub async fn put(session: &Session, pending: &Pending, now: i64) -> Result<String, tower_sessions::session::Error> {
    let rid = crate::crypto::random_token::<16>();
    let mut entries = load(session).await;
    entries.push(Entry { rid: rid.clone(), pending: pending.clone() });
    save(session, entries, now).await?;
    Ok(rid)
}

/// Replaces the pending request `rid` (or stores it again under that id if it was pruned).
pub async fn update(
    session: &Session,
    rid: &str,
    pending: &Pending,
    now: i64,
) -> Result<(), tower_sessions::session::Error> {
    let mut entries = load(session).await;
    entries.retain(|e| e.rid != rid);
    entries.push(Entry { rid: rid.to_owned(), pending: pending.clone() });
    save(session, entries, now).await
}

/// The pending request `rid` of the realm `realm_id`, if it exists and has not expired. A
/// request made in another realm is never continued under this one.
pub async fn get(session: &Session, rid: &str, realm_id: &str, now: i64) -> Option<Pending> {
    if rid.len() > 64 {
        return None;
    }
    let entry = load(session).await.into_iter().find(|e| e.rid == rid)?;
    let pending = entry.pending;
    (now - pending.created_at() < TTL_SECS && pending.realm_id() == realm_id).then_some(pending)
}

/// Removes the pending request `rid`.
pub async fn take(session: &Session, rid: &str, now: i64) {
    let mut entries = load(session).await;
    let before = entries.len();
    entries.retain(|e| e.rid != rid);
    if entries.len() != before {
        let _ = save(session, entries, now).await;
    }
}
