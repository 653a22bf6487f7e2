//! The storage layer: every SQL statement lives below this module, one file per table group,
//! and the same statements serve SQLite and PostgreSQL.
//!
//! Where the dialects differ (identity columns, BLOB vs BYTEA) the difference lives in the
//! per-dialect migration folders, not in code. A repository function takes `&mut impl Executes`
//! — a pooled connection or a transaction — and runs its one statement text on whichever
//! driver is behind it through [`on!`].
//!
//! The token requests' hot statements also run on [`lite`]'s SQLite connections (no thread
//! hand-off per statement, writes committed in groups): those functions take `&mut impl
//! Reads`, which the sqlx connections and transactions satisfy too, and run the same text
//! through [`read!`].

pub mod admins;
pub mod api_keys;
pub mod audit;
pub mod auth_codes;
pub mod backup;
pub mod browser_sessions;
pub mod changes;
pub mod clients;
pub mod consents;
pub mod device_codes;
pub mod identity_providers;
pub mod keys;
pub mod lite;
pub mod login_failures;
pub mod pg_hot;
pub mod projects;
pub mod purge;
pub mod realms;
pub mod refresh_tokens;
pub mod revocations;
pub mod roles;
pub mod scopes;
pub mod service_connections;
pub mod stats;
pub mod user_sessions;
pub mod users;

use sqlx::{
    pool::PoolConnection,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction,
};
use std::{str::FromStr, time::Duration};

/// The longest a request waits for a database connection (or, on SQLite, its write turn).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest a request waits for a PostgreSQL connection, connecting included. Short, so an
/// unreachable database answers 503 within it instead of piling requests up: sqlx retries a
/// refused connection (a stopped server) until this deadline, and a pool of healthy
/// connections is never this busy.
pub const PG_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a PostgreSQL connection may have been idle before it is used without a ping.
const PG_PING_IDLE: Duration = Duration::from_secs(1);

/// How much of an SQLite database file is read through a memory map: none. In WAL mode a
/// connection drops its map (and its page cache) whenever another connection committed since
/// its last read, so under a write load every read transaction unmapped and remapped the file
/// (`munmap` with a TLB shootdown on every core, then a page fault per page touched); plain
/// `pread` copies cost less (refresh rotation ~12 % and the code flow ~20 % less server CPU in
/// `bench/run.sh flows`, bench/README.md "Issue 13, third round").
const MMAP_SIZE: u64 = 0;

/// The database behind the server: SQLite (the default) or PostgreSQL.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite has one write lock for the whole database; the gate queues this process's write
    /// transactions in order instead of leaving them to SQLite's sleep-and-retry busy handler,
    /// which made tail latencies of hundreds of milliseconds under load.
    /// The token endpoints' hot statements run on [`lite::Lite`]'s connections instead of the
    /// pool's, without the driver's thread hand-offs.
    Sqlite(SqlitePool, WriteGate, lite::Lite),
    /// The token endpoints' hot statements run on [`pg_hot`]'s connections, which go back
    /// idle without the pool's ping.
    Postgres(PgPool, pg_hot::PgHot),
}

/// The queue of SQLite write transactions (see [`Db::Sqlite`]).
#[derive(Clone, Debug, Default)]
pub struct WriteGate(std::sync::Arc<tokio::sync::Mutex<()>>);

impl WriteGate {
    /// Waits for this process's write turn, at most as long as the pool's acquire timeout.
    async fn turn(&self) -> sqlx::Result<tokio::sync::OwnedMutexGuard<()>> {
        tokio::time::timeout(ACQUIRE_TIMEOUT, self.0.clone().lock_owned()).await.map_err(|_| sqlx::Error::PoolTimedOut)
    }
}

/// Where a read runs: a connection of either driver, or an SQLite reader of [`lite`]; what
/// [`read!`] dispatches on.
pub enum Reader<'c> {
    Ex(Ex<'c>),
    Lite(&'c mut rusqlite::Connection),
}

/// Something reads can run on: anything statements can run on ([`Executes`]), or the
/// connection [`Db::read`] gives.
pub trait Reads: Send {
    fn reader(&mut self) -> Reader<'_>;

    /// The statement run on [`Reads::reader`] finished; `ok`: without error (see
    /// [`pg_hot::HotConn::settled`]).
    fn settled(&mut self, _ok: bool) {}
}

impl<T: Executes> Reads for T {
    fn reader(&mut self) -> Reader<'_> {
        Reader::Ex(self.ex())
    }
}

/// A connection for reads outside a transaction and at most one write after them (see
/// [`Db::read`]): on SQLite a reader of [`lite`], whose write goes to its writer; on
/// PostgreSQL a pooled connection, which runs the write itself (in autocommit).
pub enum Read {
    Lite(lite::LiteConn),
    Postgres(pg_hot::HotConn),
}

impl Reads for Read {
    fn reader(&mut self) -> Reader<'_> {
        match self {
            Read::Lite(c) => Reader::Lite(c.conn()),
            Read::Postgres(c) => c.reader(),
        }
    }

    fn settled(&mut self, ok: bool) {
        if let Read::Postgres(c) = self {
            Reads::settled(c, ok);
        }
    }
}

impl Reads for pg_hot::HotConn {
    fn reader(&mut self) -> Reader<'_> {
        Reader::Ex(Ex::Postgres(self.conn()))
    }

    fn settled(&mut self, ok: bool) {
        pg_hot::HotConn::settled(self, ok);
    }
}

/// A connection borrowed from either driver: what [`on!`] dispatches on.
pub enum Ex<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// Something statements can run on: a pooled connection or an open transaction.
pub trait Executes: Send {
    fn ex(&mut self) -> Ex<'_>;
}

/// A connection taken from the pool, in autocommit mode.
pub enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

/// A pooled connection in autocommit mode for one write statement; on SQLite it holds this
/// process's write turn (see [`Db::Sqlite`]) until dropped, so the statement never meets a
/// transaction's write lock and SQLite's sleeping busy handler.
pub struct Gated {
    conn: Conn,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Executes for Gated {
    fn ex(&mut self) -> Ex<'_> {
        self.conn.ex()
    }
}

/// An open transaction; dropped without [`Tx::commit`], it rolls back. On SQLite it holds its
/// place at the write gate until then.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, tokio::sync::OwnedMutexGuard<()>),
    Postgres(Transaction<'static, Postgres>),
}

impl Executes for Conn {
    fn ex(&mut self) -> Ex<'_> {
        match self {
            Conn::Sqlite(c) => Ex::Sqlite(c),
            Conn::Postgres(c) => Ex::Postgres(c),
        }
    }
}

impl Executes for Tx {
    fn ex(&mut self) -> Ex<'_> {
        match self {
            Tx::Sqlite(t, _) => Ex::Sqlite(t),
            Tx::Postgres(t) => Ex::Postgres(t),
        }
    }
}

impl Tx {
    /// Commits the transaction.
    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(t, _gate) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}

/// Runs `$body` with `$e` bound to the concrete connection of whichever driver `$c` holds.
/// The body is expanded once per driver, so one statement text serves both.
#[macro_export]
macro_rules! on {
    ($c:expr, $e:ident => $body:expr) => {
        match $crate::store::Executes::ex($c) {
            $crate::store::Ex::Sqlite($e) => $body,
            $crate::store::Ex::Postgres($e) => $body,
        }
    };
}

/// Runs a read on whichever connection `$c` (a [`Reads`]) holds: `$lite` with `$l` bound to
/// an SQLite reader of [`lite`] (a `rusqlite` result), else `$body` once per sqlx driver with
/// `$e` bound to its connection, as [`on!`] does.
#[macro_export]
macro_rules! read {
    ($c:expr, $l:ident => $lite:expr, $e:ident => $body:expr) => {{
        let result = match $crate::store::Reads::reader($c) {
            $crate::store::Reader::Lite($l) => ($lite).map_err($crate::store::lite::into_sqlx),
            $crate::store::Reader::Ex($crate::store::Ex::Sqlite($e)) => $body,
            $crate::store::Reader::Ex($crate::store::Ex::Postgres($e)) => $body,
        };
        $crate::store::Reads::settled($c, result.is_ok());
        result
    }};
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported database URL {0:?} (expected sqlite:PATH or postgres://…)")]
    Scheme(String),
    #[error("an in-memory SQLite database ({0}) is not supported: everything in it would vanish when Portcullis stops; give a file path, e.g. sqlite:data/portcullis.db")]
    Memory(String),
    #[error("cannot create the database folder {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("cannot connect to the database at {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("cannot apply migrations to {url}: {source}")]
    Migrate { url: String, source: sqlx::migrate::MigrateError },
}

/// `url` with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// What an acknowledged write survives. Every write is committed before Portcullis answers in
/// both modes; they differ in when the commit reaches the disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// SQLite `synchronous=NORMAL` (WAL): a crash of Portcullis loses nothing acknowledged; a
    /// power loss or OS crash may undo the last commits (never corrupting the file).
    /// PostgreSQL: the server's own `synchronous_commit` (`on` unless its operator changed it).
    #[default]
    Normal,
    /// SQLite `synchronous=FULL`: every commit is on disk before the answer, so a power loss
    /// loses nothing acknowledged. PostgreSQL: `synchronous_commit=on` for every connection,
    /// whatever the server's default.
    Full,
}

impl std::str::FromStr for Durability {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "normal" => Ok(Durability::Normal),
            "full" => Ok(Durability::Full),
            other => Err(format!("{other:?} is not normal or full")),
        }
    }
}

impl Db {
    /// Opens a pool for `url` with the default durability, creating an SQLite file (and its
    /// folder) when missing.
    pub async fn open(url: &str) -> Result<Db, OpenError> {
        Db::open_with(url, Durability::default()).await
    }

    /// Opens a pool for `url` whose commits are as durable as `durability` says.
    pub async fn open_with(url: &str, durability: Durability) -> Result<Db, OpenError> {
        let connect_err = |source| OpenError::Connect { url: redact_url(url), source };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut opts = PgConnectOptions::from_str(url).map_err(connect_err)?;
            if durability == Durability::Full {
                opts = opts.options([("synchronous_commit", "on")]);
            }
            let hot_opts = opts.clone();
            // A connection idle for a second or more is pinged before use, so connections cut
            // by an outage are dropped and replaced (or the request fails fast) instead of
            // failing mid-request; one in steady use is not (a ping is a round trip, and sqlx
            // pings every connection given back anyway).
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(PG_ACQUIRE_TIMEOUT)
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= PG_PING_IDLE {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .connect_with(opts)
                .await
                .map_err(connect_err)?;
            return Ok(Db::Postgres(pool, pg_hot::PgHot::new(hot_opts, 16, PG_PING_IDLE)));
        }
        let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
            return Err(OpenError::Scheme(redact_url(url)));
        };
        let file = path.split('?').next().unwrap_or_default();
        if file.is_empty() || file == ":memory:" || path.contains("mode=memory") {
            return Err(OpenError::Memory(redact_url(url)));
        }
        if let Some(dir) = std::path::Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
            private_dir(dir).map_err(|e| OpenError::Folder(dir.display().to_string(), e))?;
        }
        private_file(std::path::Path::new(file)).map_err(|e| OpenError::Folder(file.to_owned(), e))?;
        let (sync, sync_name) = match durability {
            Durability::Normal => (SqliteSynchronous::Normal, "NORMAL"),
            Durability::Full => (SqliteSynchronous::Full, "FULL"),
        };
        let opts = SqliteConnectOptions::from_str(&format!("sqlite:{path}"))
            .map_err(connect_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(sync)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("mmap_size", MMAP_SIZE.to_string());
        // No ping before each use: an SQLite connection has no network to lose, and each ping
        // is a round trip to the connection's thread.
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .connect_with(opts)
            .await
            .map_err(connect_err)?;
        let gate = WriteGate::default();
        let read_only = path.split_once('?').is_some_and(|(_, q)| q.split('&').any(|p| p == "mode=ro"));
        let lite = lite::Lite::new(std::path::Path::new(file), read_only, sync_name, gate.clone())
            .map_err(|e| connect_err(sqlx::Error::Io(e)))?;
        Ok(Db::Sqlite(pool, gate, lite))
    }

    /// Applies the migrations of this database's dialect.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(p, ..) => sqlx::migrate!("../migrations/sqlite").run(p).await,
            Db::Postgres(p, _) => sqlx::migrate!("../migrations/postgres").run(p).await,
        }
    }

    /// Connections open in the pool, and of those idle.
    pub fn pool_stats(&self) -> (u32, usize) {
        match self {
            Db::Sqlite(p, ..) => (p.size(), p.num_idle()),
            Db::Postgres(p, _) => (p.size(), p.num_idle()),
        }
    }

    /// When a commit reaches the disk, as the database reports it for a pooled connection:
    /// SQLite's `synchronous` (1 NORMAL, 2 FULL) or PostgreSQL's `synchronous_commit`.
    pub async fn commit_sync(&self) -> sqlx::Result<String> {
        let mut c = self.conn().await?;
        match &mut c {
            Conn::Sqlite(e) => {
                let level: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut **e).await?;
                Ok(format!("synchronous={}", if level >= 2 { "FULL" } else { "NORMAL" }))
            }
            Conn::Postgres(e) => {
                let value: String = sqlx::query_scalar("SHOW synchronous_commit").fetch_one(&mut **e).await?;
                Ok(format!("synchronous_commit={value}"))
            }
        }
    }

    /// Whether the database answers: one round trip (`SELECT 1`).
    pub async fn ping(&self) -> sqlx::Result<()> {
        let mut c = self.conn().await?;
        on!(&mut c, e => sqlx::query("SELECT 1").execute(e).await.map(|_| ()))
    }

    /// Whether the database can take a request now: on PostgreSQL a pooled connection answers
    /// a ping; on SQLite, a local file, there is nothing a ping would find (a read-only or full
    /// file fails the write that meets it).
    pub async fn reachable(&self) -> sqlx::Result<()> {
        match self {
            Db::Sqlite(..) => Ok(()),
            Db::Postgres(..) => self.ping().await,
        }
    }

    /// A pooled connection in autocommit mode.
    pub async fn conn(&self) -> sqlx::Result<Conn> {
        Ok(match self {
            Db::Sqlite(p, ..) => Conn::Sqlite(p.acquire().await?),
            Db::Postgres(p, _) => Conn::Postgres(p.acquire().await?),
        })
    }

    /// A connection for reads that need no transaction, and one write after them (see
    /// [`Read`]): on SQLite no thread hand-off, on PostgreSQL one pooled connection for all.
    pub async fn read(&self) -> sqlx::Result<Read> {
        Ok(match self {
            Db::Sqlite(_, _, lite) => Read::Lite(lite.read()?),
            Db::Postgres(_, hot) => Read::Postgres(hot.acquire(PG_ACQUIRE_TIMEOUT).await?),
        })
    }

    /// A connection for one autocommit write (see [`Gated`]): on SQLite it first waits its
    /// turn at the write gate, as [`Db::begin`] does.
    pub async fn write_one(&self) -> sqlx::Result<Gated> {
        Ok(match self {
            Db::Sqlite(p, gate, _) => {
                let turn = gate.turn().await?;
                Gated { conn: Conn::Sqlite(p.acquire().await?), _turn: Some(turn) }
            }
            Db::Postgres(p, _) => Gated { conn: Conn::Postgres(p.acquire().await?), _turn: None },
        })
    }

    /// Opens a transaction. On SQLite it first waits its turn at the write gate, at most as
    /// long as the pool's acquire timeout: no request waits forever. It then takes SQLite's
    /// write lock at once (`BEGIN IMMEDIATE`): a deferred transaction that reads before it
    /// writes fails outright (SQLITE_BUSY_SNAPSHOT, no busy wait) when a write outside the gate
    /// (a session, another process) commits in between, which made client creation answer 503
    /// under browser load (the crash test found it).
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Db::Sqlite(p, gate, _) => {
                let turn = gate.turn().await?;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Db::Postgres(p, _) => Tx::Postgres(p.begin().await?),
        })
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn dialect(&self) -> &'static str {
        match self {
            Db::Sqlite(..) => "sqlite",
            Db::Postgres(..) => "postgres",
        }
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, ..) => p.close().await,
            Db::Postgres(p, hot) => {
                hot.close().await;
                p.close().await
            }
        }
    }
}

/// Creates `dir` (and its parents) if missing; a folder this creates is readable by its owner
/// only (0700): it holds the database and the master key.
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Creates the SQLite file readable by its owner only (0600) before SQLite opens it, so the
/// database (and its `-wal`/`-shm` files, which SQLite creates with the database's mode)
/// never exists world-readable.
fn private_file(file: &std::path::Path) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    match o.open(file) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// True when `err` says the database cannot be reached or cannot take the work right now,
/// rather than that a statement is wrong: no connection in time, a connection refused, cut or
/// closed, PostgreSQL shutting down, refusing connections or out of resources (classes 08, 53
/// and 57P), SQLite busy, locked, read-only, full or failing to read or write. Every error path
/// answers these with 503 `temporarily_unavailable` (or its page) and anything else with 500.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    const BUSY: i32 = 5;
    const LOCKED: i32 = 6;
    const READONLY: i32 = 8;
    const IOERR: i32 = 10;
    const FULL: i32 = 13;
    const CANTOPEN: i32 = 14;
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                let code = pg.code();
                code.starts_with("08") || code.starts_with("53") || code.starts_with("57P")
            } else if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // The primary result code is the extended code's low byte.
                let code = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or_default() & 0xff;
                matches!(code, BUSY | LOCKED | READONLY | IOERR | FULL | CANTOPEN)
            } else if let Some(lite) = db.try_downcast_ref::<lite::LiteError>() {
                matches!(lite.primary(), BUSY | LOCKED | READONLY | IOERR | FULL | CANTOPEN)
            } else {
                false
            }
        }
        _ => false,
    }
}

/// True when `err` is a unique-constraint violation (the same check on both drivers).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// A fresh random id for a row.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A key/value in the `meta` table.
pub async fn meta_get(c: &mut impl Executes, key: &str) -> sqlx::Result<Option<String>> {
    on!(c, e => sqlx::query_scalar("SELECT value FROM meta WHERE key = $1").bind(key).fetch_optional(e).await)
}

/// Sets a key/value in the `meta` table.
pub async fn meta_set(c: &mut impl Executes, key: &str, value: &str) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO meta (key, value) VALUES ($1, $2) \
                       ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    on!(c, e => sqlx::query(SQL).bind(key).bind(value).execute(e).await.map(|_| ()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_in_memory_sqlite_database_is_refused_with_the_reason() {
        for url in ["sqlite::memory:", "sqlite://:memory:", "sqlite:x.db?mode=memory&cache=shared"] {
            let err = Db::open(url).await.unwrap_err();
            assert!(matches!(err, OpenError::Memory(_)), "{url}: {err}");
            assert!(err.to_string().contains("give a file path"), "{err}");
        }
    }
}
