//! CSRF protection by synchronizer token (OWASP): a random token kept in the session, put in
//! every form, compared in constant time on every POST. SameSite=Lax cookies are the second
//! layer.

use crate::crypto::{ct_eq, random_token};
use tower_sessions::Session;

const KEY: &str = "csrf";

/// The session's token, created when missing.
pub async fn token(session: &Session) -> Result<String, tower_sessions::session::Error> {
    if let Some(t) = session.get::<String>(KEY).await? {
        return Ok(t);
    }
    let t = random_token::<32>();
    super::sessions::keep_anonymous_short(session).await;
    session.insert(KEY, &t).await?;
    Ok(t)
}

/// Whether `presented` is the session's token.
pub async fn verify(session: &Session, presented: Option<&str>) -> bool {
    match (session.get::<String>(KEY).await.ok().flatten(), presented) {
        (Some(expected), Some(p)) => ct_eq(expected.as_bytes(), p.as_bytes()),
        _ => false,
    }
}
