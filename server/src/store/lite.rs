//! SQLite without the driver's thread hand-offs, for the statements token requests run on every
//! call (issue 13's profile: most of a refresh's CPU went to waking threads).
//!
//! sqlx runs each SQLite connection on a thread of its own, so every statement — and the ping
//! it sends when a connection is taken from and given back to the pool — is a round trip
//! between threads. Here:
//! - **Reads** run on the calling task's own thread, on a connection of a small idle list: a
//!   lookup by key costs microseconds, less than one hand-off.
//! - **Writes** go to one writer thread that owns a connection and commits them in groups:
//!   it takes every write waiting, runs each in a savepoint of one transaction (a failed write
//!   rolls back only its own savepoint and fails only its own request), commits once, and then
//!   answers each. Under load one commit (and with `--durability full` one fsync) serves many
//!   requests; alone, a write commits at once. The writer holds the process's write turn
//!   ([`super::WriteGate`]) for the batch, so it queues with the sqlx transactions in order.
//!   A write may read first, inside its transaction: the writer's page cache stays valid
//!   between its commits, where a reader's is dropped whenever another connection committed
//!   (the token grants read and write that way, see `refresh_tokens::rotate_decided`).
//! - **Checkpoints** (copying the write-ahead log into the database file, with its fsyncs) run
//!   on a thread of their own, at most every [`CHECKPOINT_PAUSE`] while writes come, instead
//!   of inside the commit that crosses SQLite's threshold: there every waiting write stood
//!   still for the fsyncs.
//!
//! Both run the same statement texts as the sqlx path (`$N` parameters, bound by number), so
//! SQL stays in one place per table.

use super::WriteGate;
use rusqlite::{
    types::{ToSql, Value},
    Connection, OpenFlags, Row,
};
use std::{
    panic::AssertUnwindSafe,
    path::{Path, PathBuf},
    sync::{mpsc, Arc, Mutex},
    time::Duration,
};

/// The most writes one commit takes; more wait for the next.
const BATCH: usize = 64;

/// The checkpointer's pause after each checkpoint: the log grows meanwhile by what the writes
/// of that time add (a few thousand pages under a full token load), and each checkpoint's
/// fsyncs serve all of it.
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(100);

/// The reader connections and the writer of one SQLite file.
#[derive(Clone)]
pub struct Lite(Arc<Inner>);

struct Inner {
    path: PathBuf,
    /// Opened read-only (the URL's `mode=ro`): every write fails.
    read_only: bool,
    /// Idle reader connections; a read takes one or opens one.
    idle: Mutex<Vec<Connection>>,
    writer: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Lite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lite").field("path", &self.0.path).finish_non_exhaustive()
    }
}

/// One write waiting for the writer: run in its savepoint, then answered once the
/// transaction's fate is known.
trait Write: Send {
    /// Runs the write; whether it succeeded (else its savepoint is rolled back).
    fn run(&mut self, c: &Connection) -> bool;
    /// Answers the request: the write's own outcome, unless the transaction failed.
    fn answer(self: Box<Self>, commit: Result<(), LiteError>);
}

struct Pending<F, R> {
    write: Option<F>,
    outcome: Option<Result<R, LiteError>>,
    to: tokio::sync::oneshot::Sender<Result<R, LiteError>>,
}

impl<F, R> Write for Pending<F, R>
where
    F: FnOnce(&Connection) -> rusqlite::Result<R> + Send,
    R: Send,
{
    fn run(&mut self, c: &Connection) -> bool {
        let Some(write) = self.write.take() else { return false };
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| write(c)))
            .unwrap_or_else(|_| Err(rusqlite::Error::InvalidQuery))
            .map_err(LiteError::from);
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn answer(self: Box<Self>, commit: Result<(), LiteError>) {
        let outcome =
            self.outcome.unwrap_or_else(|| Err(LiteError { code: 0, message: "the write did not run".into() }));
        let _ = self.to.send(commit.and(outcome));
    }
}

type Job = Box<dyn Write>;

impl Lite {
    /// Readers and a writer for the database file at `path` (opened read-only when
    /// `read_only`), committing with SQLite's `synchronous` at `sync` (`NORMAL` or `FULL`).
    /// The writer thread ends when the last handle is dropped.
    pub fn new(path: &Path, read_only: bool, sync: &'static str, gate: WriteGate) -> std::io::Result<Lite> {
        let (writer, jobs) = mpsc::channel::<Job>();
        // One nudge waits at most: the checkpointer takes it when its pause is over.
        let (nudge, nudges) = mpsc::sync_channel::<()>(1);
        if !read_only {
            let file = path.to_owned();
            std::thread::Builder::new()
                .name("sqlite-checkpoint".into())
                .spawn(move || checkpoint_loop(&file, sync, &nudges))?;
        }
        let file = path.to_owned();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(&file, read_only, sync, &gate, &jobs, &nudge))?;
        Ok(Lite(Arc::new(Inner { path: path.to_owned(), read_only, idle: Mutex::default(), writer })))
    }

    /// A reader connection, given back to the idle list when dropped.
    pub fn read(&self) -> Result<LiteConn, sqlx::Error> {
        let idle = self.0.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(c) => c,
            None => open(&self.0.path, self.0.read_only, "NORMAL", true).map_err(into_sqlx)?,
        };
        Ok(LiteConn { conn: Some(conn), home: self.0.clone() })
    }

    /// Runs `write` on the writer thread in a transaction shared with the other writes waiting
    /// (each in its own savepoint); answers once that transaction has committed. A write that
    /// fails is rolled back alone; a commit that fails fails every write in it.
    pub async fn write<R: Send + 'static>(
        &self,
        write: impl FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    ) -> Result<R, sqlx::Error> {
        let (to, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(Pending { write: Some(write), outcome: None, to });
        self.0.writer.send(job).map_err(|_| sqlx::Error::WorkerCrashed)?;
        let answer = rx.await.map_err(|_| sqlx::Error::WorkerCrashed)?;
        answer.map_err(|e| sqlx::Error::Database(Box::new(e)))
    }
}

/// A reader connection (see [`Lite::read`]).
pub struct LiteConn {
    conn: Option<Connection>,
    home: Arc<Inner>,
}

impl LiteConn {
    pub(super) fn conn(&mut self) -> &mut Connection {
        // Some from construction until `drop` gives the connection back.
        #[allow(clippy::expect_used)]
        self.conn.as_mut().expect("present until dropped")
    }

    /// The writer of this reader's database (see [`Lite::write`]).
    pub(super) fn lite(&self) -> Lite {
        Lite(self.home.clone())
    }
}

impl Drop for LiteConn {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            self.home.idle.lock().unwrap_or_else(|e| e.into_inner()).push(c);
        }
    }
}

/// Opens a connection to `path` (which must exist) with the pool's settings.
fn open(path: &Path, read_only: bool, sync: &str, reader: bool) -> rusqlite::Result<Connection> {
    let mode = if read_only { OpenFlags::SQLITE_OPEN_READ_ONLY } else { OpenFlags::SQLITE_OPEN_READ_WRITE };
    let flags = mode | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    // The writer leaves checkpoints to the checkpointer (see `checkpoint_loop`).
    conn.execute_batch(&format!(
        "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = {sync}; \
         PRAGMA mmap_size = {}; PRAGMA query_only = {}; PRAGMA wal_autocheckpoint = {}",
        super::MMAP_SIZE,
        if reader { "ON" } else { "OFF" },
        if reader { 1000 } else { 0 },
    ))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// The writer thread: takes the waiting writes, runs them in one transaction in the write
/// turn, commits, answers.
fn write_loop(
    path: &Path,
    read_only: bool,
    sync: &str,
    gate: &WriteGate,
    jobs: &mpsc::Receiver<Job>,
    checkpointer: &mpsc::SyncSender<()>,
) {
    let mut conn: Option<Connection> = None;
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let c = match conn.take().map_or_else(|| open(path, read_only, sync, false), Ok) {
            Ok(c) => c,
            Err(e) => {
                let e = LiteError::from(e);
                batch.into_iter().for_each(|job| job.answer(Err(e.clone())));
                continue;
            }
        };
        let turn = gate.0.blocking_lock();
        let mut fate = c.execute_batch("BEGIN IMMEDIATE").map_err(LiteError::from);
        for job in &mut batch {
            if fate.is_err() {
                break;
            }
            if let Err(e) = c.execute_batch("SAVEPOINT w") {
                fate = Err(e.into());
                break;
            }
            let end = if job.run(&c) { "RELEASE w" } else { "ROLLBACK TO w; RELEASE w" };
            if let Err(e) = c.execute_batch(end) {
                fate = Err(e.into());
            }
        }
        if fate.is_ok() {
            fate = c.execute_batch("COMMIT").map_err(LiteError::from);
        }
        if fate.is_err() && !c.is_autocommit() {
            let _ = c.execute_batch("ROLLBACK");
        }
        drop(turn);
        if fate.is_ok() {
            // Full: a nudge is already waiting. Disconnected (read-only): nothing to copy.
            let _ = checkpointer.try_send(());
        }
        batch.into_iter().for_each(|job| job.answer(fate.clone()));
        conn = Some(c);
    }
}

/// The checkpointer thread: after the writer committed, copies the log into the database
/// file (`PASSIVE`: without waiting for readers or the writer, which go on meanwhile), then
/// pauses [`CHECKPOINT_PAUSE`]. Ends with the writer.
fn checkpoint_loop(path: &Path, sync: &str, nudges: &mpsc::Receiver<()>) {
    let mut conn: Option<Connection> = None;
    while nudges.recv().is_ok() {
        let checkpoint = conn.take().map_or_else(|| open(path, false, sync, false), Ok).and_then(|c| {
            c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
            Ok(c)
        });
        match checkpoint {
            Ok(c) => conn = Some(c),
            // Left for the next nudge, with a fresh connection; SQLite's own checkpoint at the
            // last connection's close copies whatever remains.
            Err(e) => tracing::warn!(error = %e, "SQLite WAL checkpoint failed"),
        }
        std::thread::sleep(CHECKPOINT_PAUSE);
    }
}

/// A row type read by the reader and writer connections, column by field name.
pub trait FromLite: Sized {
    fn from_lite(row: &Row<'_>) -> rusqlite::Result<Self>;
}

/// A row read from columns named `row_<field>`, on either store: how a query returns it beside
/// another row whose column names clash with its own (see
/// [`super::user_sessions::row_with_holder_sql`]). Implemented by [`crate::lite_row!`]'s
/// `and prefixed` form.
pub trait PrefixedRow: Sized {
    fn from_lite_prefixed(row: &Row<'_>) -> rusqlite::Result<Self>;
    fn from_pg_prefixed(row: &sqlx::postgres::PgRow) -> sqlx::Result<Self>;
}

/// Implements [`FromLite`] for a struct whose fields are the selected columns' names; with
/// `and prefixed`, also [`PrefixedRow`] (the same columns named `row_<field>`).
#[macro_export]
macro_rules! lite_row {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl $crate::store::lite::FromLite for $ty {
            fn from_lite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok($ty { $($field: row.get(stringify!($field))?),* })
            }
        }
    };
    ($ty:ident { $($field:ident),* $(,)? } and prefixed) => {
        $crate::lite_row!($ty { $($field),* });
        impl $crate::store::lite::PrefixedRow for $ty {
            fn from_lite_prefixed(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok($ty { $($field: row.get(concat!("row_", stringify!($field)))?),* })
            }
            fn from_pg_prefixed(row: &sqlx::postgres::PgRow) -> sqlx::Result<Self> {
                use sqlx::Row as _;
                Ok($ty { $($field: row.try_get(concat!("row_", stringify!($field)))?),* })
            }
        }
    };
}

/// Binds `params` to the statement's `$N` parameters by number (`$1` is `params[0]`), as the
/// sqlx driver does, whatever order they appear in.
fn bind<P: ToSql>(stmt: &mut rusqlite::Statement<'_>, params: &[P]) -> rusqlite::Result<()> {
    for i in 1..=stmt.parameter_count() {
        let n = stmt.parameter_name(i).and_then(|name| name.strip_prefix('$')).and_then(|n| n.parse::<usize>().ok());
        let Some(value) = n.and_then(|n| params.get(n.wrapping_sub(1))) else {
            return Err(rusqlite::Error::InvalidParameterName(stmt.parameter_name(i).unwrap_or("?").to_owned()));
        };
        stmt.raw_bind_parameter(i, value)?;
    }
    Ok(())
}

/// The first row `sql` returns, if any.
pub fn optional<T>(
    c: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
    map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let mut stmt = c.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    let mut rows = stmt.raw_query();
    rows.next()?.map(map).transpose()
}

/// Every row `sql` returns.
pub fn all<T>(
    c: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
    mut map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = c.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// Runs the write `sql`; returns the rows it changed.
pub fn execute(c: &Connection, sql: &str, params: &[Value]) -> rusqlite::Result<usize> {
    let mut stmt = c.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    stmt.raw_execute()
}

/// A failed read's error as the rest of the store reports errors.
pub fn into_sqlx(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Database(Box::new(LiteError::from(e)))
}

/// An SQLite error from these connections, in the shape of sqlx's database errors, so the
/// callers' checks ([`super::is_unavailable`], [`super::is_unique_violation`]) see its code.
#[derive(Debug, Clone)]
pub struct LiteError {
    /// SQLite's extended result code (0 for an error of the binding itself).
    code: i32,
    message: String,
}

impl LiteError {
    /// SQLite's primary result code.
    pub fn primary(&self) -> i32 {
        self.code & 0xff
    }
}

impl From<rusqlite::Error> for LiteError {
    fn from(e: rusqlite::Error) -> Self {
        let code = match &e {
            rusqlite::Error::SqliteFailure(f, _) => f.extended_code,
            _ => 0,
        };
        LiteError { code, message: e.to_string() }
    }
}

impl std::fmt::Display for LiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SQLite error {}: {}", self.code, self.message)
    }
}

impl std::error::Error for LiteError {}

impl sqlx::error::DatabaseError for LiteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use rusqlite::ffi;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                sqlx::error::ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => sqlx::error::ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => sqlx::error::ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => sqlx::error::ErrorKind::CheckViolation,
            _ => sqlx::error::ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh database file with one table `t (k TEXT PRIMARY KEY)`, in a directory removed
    /// when the first is dropped.
    fn scratch() -> (crate::scratch::Scratch, PathBuf) {
        let dir = crate::scratch::Scratch::new();
        let path = dir.path("lite.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (k TEXT PRIMARY KEY)").unwrap();
        (dir, path)
    }

    fn keys(path: &Path) -> Vec<String> {
        let c = Connection::open(path).unwrap();
        all(&c, "SELECT k FROM t ORDER BY k", &[], |r| r.get(0)).unwrap()
    }

    #[tokio::test]
    async fn writes_waiting_together_commit_together_and_a_failed_one_rolls_back_alone() {
        let (_dir, path) = scratch();
        let gate = WriteGate::default();
        let lite = Lite::new(&path, false, "NORMAL", gate.clone()).unwrap();
        // While the write turn is held elsewhere, the writes queue up and then run as one batch.
        let held = gate.0.clone().lock_owned().await;
        let writes: Vec<_> = (0..10)
            .map(|i| {
                let lite = lite.clone();
                tokio::spawn(async move {
                    lite.write(move |c| {
                        execute(c, "INSERT INTO t (k) VALUES ($1)", &[format!("k{i}").into()])?;
                        if i % 2 == 1 {
                            // An odd write then breaks a constraint: its own insert must go too.
                            let twice: Value = format!("dup{i}").into();
                            execute(c, "INSERT INTO t (k) VALUES ($1)", std::slice::from_ref(&twice))?;
                            execute(c, "INSERT INTO t (k) VALUES ($1)", &[twice])?;
                        }
                        Ok(i)
                    })
                    .await
                })
            })
            .collect();
        tokio::task::yield_now().await;
        drop(held);
        for (i, w) in writes.into_iter().enumerate() {
            match w.await.unwrap() {
                Ok(n) => assert!(i % 2 == 0 && n == i, "write {i} answered Ok({n})"),
                Err(e) => assert!(i % 2 == 1 && super::super::is_unique_violation(&e), "write {i}: {e}"),
            }
        }
        assert_eq!(keys(&path), ["k0", "k2", "k4", "k6", "k8"]);
        assert!(!super::super::is_unavailable(&into_sqlx(rusqlite::Error::InvalidQuery)));
    }

    /// The writer never checkpoints itself; the checkpointer copies its commits into the
    /// database file (seen here in a copy of that file alone, without the log).
    #[tokio::test]
    async fn the_checkpointer_copies_committed_writes_into_the_database_file() {
        let (_dir, path) = scratch();
        let lite = Lite::new(&path, false, "NORMAL", WriteGate::default()).unwrap();
        let autocheckpoint = lite.write(|c| c.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get::<_, i64>(0)));
        assert_eq!(autocheckpoint.await.unwrap(), 0);
        for i in 0..3 {
            lite.write(move |c| execute(c, "INSERT INTO t (k) VALUES ($1)", &[format!("k{i}").into()])).await.unwrap();
        }
        let alone = path.with_extension("copy.db");
        // The first commit's checkpoint runs at once; the others within a pause or two.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let copied = loop {
            std::fs::copy(&path, &alone).unwrap();
            let copied = keys(&alone);
            if copied.len() == 3 || std::time::Instant::now() > deadline {
                break copied;
            }
            tokio::time::sleep(CHECKPOINT_PAUSE / 4).await;
        };
        assert_eq!(copied, ["k0", "k1", "k2"]);
    }

    #[tokio::test]
    async fn reads_bind_parameters_by_number_whatever_their_order() {
        let (_dir, path) = scratch();
        let lite = Lite::new(&path, false, "NORMAL", WriteGate::default()).unwrap();
        lite.write(|c| {
            execute(c, "INSERT INTO t (k) VALUES ($2 || $1)", &["b".to_owned().into(), "a".to_owned().into()])
        })
        .await
        .unwrap();
        let mut r = lite.read().unwrap();
        let found = optional(r.conn(), "SELECT k FROM t WHERE k = $2 || $1", &[&"b", &"a"], |r| r.get::<_, String>(0));
        assert_eq!(found.unwrap().as_deref(), Some("ab"));
        // A read connection refuses to write.
        let refused = r.conn().execute("INSERT INTO t (k) VALUES ('x')", []).unwrap_err();
        assert!(refused.to_string().contains("readonly") || refused.to_string().contains("read-only"), "{refused}");
    }
}
