//! Browser sessions: tower-sessions with the session table in the server's own database, so
//! sessions survive restarts and are shared by instances over one PostgreSQL. The table holds
//! hashes of session ids, never the ids (the cookies) themselves, and sessions nobody signed
//! in with expire after half an hour instead of eight hours.

use crate::store::Db;
use async_trait::async_trait;
use tower_sessions::{
    cookie::{time::Duration, SameSite},
    session::{Id, Record},
    session_store, Expiry, SessionManagerLayer, SessionStore,
};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "portcullis_session";

/// The session store of whichever database the server runs on.
#[derive(Debug, Clone)]
pub enum Store {
    /// On SQLite the store writes; sessions are read through [`crate::store::lite`].
    Sqlite(SqliteStore, crate::store::lite::Lite),
    Postgres(PostgresStore),
}

impl Store {
    /// The store over `db`, its table created if missing.
    pub async fn open(db: &Db) -> sqlx::Result<Store> {
        Ok(match db {
            Db::Sqlite(p, _, lite) => {
                let s = SqliteStore::new(p.clone());
                s.migrate().await?;
                Store::Sqlite(s, lite.clone())
            }
            Db::Postgres(p, _) => {
                let s = PostgresStore::new(p.clone());
                s.migrate().await?;
                Store::Postgres(s)
            }
        })
    }

    /// Deletes expired sessions.
    pub async fn delete_expired(&self) -> session_store::Result<()> {
        use tower_sessions::ExpiredDeletion;
        match self {
            Store::Sqlite(s, _) => s.delete_expired().await,
            Store::Postgres(s) => s.delete_expired().await,
        }
    }
}

/// The key a session is stored under: a digest of its id, so the table holds no session id
/// that could be replayed as a cookie. The id is 128 random bits, so a plain SHA-256 is enough.
fn stored_id(id: &Id) -> Id {
    let digest = crate::crypto::sha256(&id.0.to_le_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    Id(i128::from_le_bytes(first))
}

/// `record` as stored: under its hashed id.
fn stored(record: &Record) -> Record {
    Record { id: stored_id(&record.id), ..record.clone() }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A collision of two random 128-bit ids is not a case to handle: save is an upsert.
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let record = stored(record);
        match self {
            Store::Sqlite(s, _) => s.save(&record).await,
            Store::Postgres(s) => s.save(&record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found = match self {
            Store::Sqlite(_, lite) => {
                let data = crate::store::browser_sessions::load_sqlite(lite, &stored_id(id).to_string())
                    .map_err(|e| session_store::Error::Backend(e.to_string()))?;
                match data {
                    Some(data) => {
                        Some(rmp_serde::from_slice(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?)
                    }
                    None => None,
                }
            }
            Store::Postgres(s) => s.load(&stored_id(id)).await?,
        };
        Ok(found.map(|r| Record { id: *id, ..r }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Store::Sqlite(s, _) => s.delete(&stored_id(id)).await,
            Store::Postgres(s) => s.delete(&stored_id(id)).await,
        }
    }
}

/// The key marking a session that someone signed in with (end user or administrator).
const SIGNED_IN: &str = "signed_in";
/// How long a session nobody signed in with is kept after its last change: as long as a
/// pending request lives, not the eight hours of a signed-in session.
pub const ANONYMOUS_TTL_MINUTES: i64 = 30;

/// Marks the session as signed in: it now lives the full eight hours of inactivity.
pub async fn mark_signed_in(session: &tower_sessions::Session) -> Result<(), tower_sessions::session::Error> {
    session.set_expiry(Some(Expiry::OnInactivity(Duration::hours(8))));
    session.insert(SIGNED_IN, true).await
}

/// Before writing to a session on behalf of an anonymous visitor (a CSRF token, a pending
/// request): unless someone signed in with it, it is kept only [`ANONYMOUS_TTL_MINUTES`], so
/// anonymous traffic cannot pile up eight-hour rows.
pub async fn keep_anonymous_short(session: &tower_sessions::Session) {
    if !matches!(session.get::<bool>(SIGNED_IN).await, Ok(Some(true))) {
        session.set_expiry(Some(Expiry::OnInactivity(Duration::minutes(ANONYMOUS_TTL_MINUTES))));
    }
}

/// The session layer: HttpOnly, SameSite=Lax, Secure when served over https, eight hours of
/// inactivity.
pub fn layer(store: Store, secure: bool) -> SessionManagerLayer<Store> {
    SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(Duration::hours(8)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions::cookie::time::OffsetDateTime;

    /// On SQLite the store writes and `store::browser_sessions` reads: what one writes, the
    /// other finds, until it expires.
    #[tokio::test]
    async fn a_saved_session_loads_until_it_expires() {
        let dir = crate::scratch::Scratch::new();
        let path = dir.path("sessions.db");
        let db = Db::open(&format!("sqlite:{}", path.display())).await.unwrap();
        let store = Store::open(&db).await.unwrap();
        assert!(matches!(store, Store::Sqlite(..)));
        let mut live = Record {
            id: Id(7),
            data: [("k".to_owned(), serde_json::json!("v"))].into_iter().collect(),
            expiry_date: OffsetDateTime::now_utc() + Duration::minutes(5),
        };
        store.create(&mut live).await.unwrap();
        let mut gone =
            Record { id: Id(8), expiry_date: OffsetDateTime::now_utc() - Duration::seconds(1), ..live.clone() };
        store.create(&mut gone).await.unwrap();
        let loaded = store.load(&Id(7)).await.unwrap().expect("the live session loads");
        assert_eq!(loaded.data, live.data);
        assert_eq!(loaded.id, Id(7));
        assert!(store.load(&Id(8)).await.unwrap().is_none(), "an expired session does not");
        assert!(store.load(&Id(9)).await.unwrap().is_none());
        store.delete(&Id(7)).await.unwrap();
        assert!(store.load(&Id(7)).await.unwrap().is_none());
    }
}
