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
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Store {
    /// The store over `db`, its table created if missing.
    pub async fn open(db: &Db) -> sqlx::Result<Store> {
        Ok(match db {
            Db::Sqlite(p, ..) => {
                let s = SqliteStore::new(p.clone());
                s.migrate().await?;
                Store::Sqlite(s)
            }
            Db::Postgres(p) => {
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
            Store::Sqlite(s) => s.delete_expired().await,
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
            Store::Sqlite(s) => s.save(&record).await,
            Store::Postgres(s) => s.save(&record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found = match self {
            Store::Sqlite(s) => s.load(&stored_id(id)).await?,
            Store::Postgres(s) => s.load(&stored_id(id)).await?,
        };
        Ok(found.map(|r| Record { id: *id, ..r }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Store::Sqlite(s) => s.delete(&stored_id(id)).await,
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
