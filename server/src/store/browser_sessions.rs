//! `tower_sessions`: the browser sessions, as tower-sessions-sqlx-store writes them (`id`, the
//! record in MessagePack as `data`, `expiry_date` in RFC 3339). The store does every write; on
//! SQLite the read every page makes to load its session runs here, on a [`lite`] reader,
//! without the driver's thread hand-offs.

use super::lite;
use tower_sessions::cookie::time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// The stored record of session `id` (as stored: see `console::sessions`) unless it has
/// expired, read as the store reads it.
pub fn load_sqlite(lite: &lite::Lite, id: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
    const SQL: &str = "SELECT data FROM tower_sessions WHERE id = $1 AND expiry_date > $2";
    let now = OffsetDateTime::now_utc().format(&Rfc3339).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let mut reader = lite.read()?;
    lite::optional(reader.conn(), SQL, &[&id, &now], |r| r.get(0)).map_err(lite::into_sqlx)
}
