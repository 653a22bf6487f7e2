//! Backups of an SQLite database and their restore (PostgreSQL uses its own tools: `pg_dump`
//! and `pg_restore`).
//!
//! A backup is `VACUUM INTO` a temporary file beside the destination, renamed into place once
//! complete: SQLite copies one consistent snapshot while the server keeps running, and a failed
//! backup leaves no half file. The master key is not in the backup; the signing keys and sealed
//! secrets in it are encrypted with that key, and the `meta` table keeps its fingerprint.

use super::{audit, Db};
use crate::crypto::master_key::MasterKey;
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteLockingMode},
    Connection, SqliteConnection,
};
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

/// Why a backup or a restore did not happen; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "{0} is a PostgreSQL database: back it up with PostgreSQL's own tools, \
         `pg_dump --format=custom --file=FILE '{0}'`, and restore with \
         `pg_restore --clean --if-exists --no-owner --dbname='{0}' FILE`; keep the master key separately"
    )]
    Postgres(String),
    #[error("{0} exists; pass --force to replace it")]
    Exists(String),
    #[error("no database at {0}")]
    NoDatabase(String),
    #[error("{0} is not a Portcullis SQLite database ({1})")]
    NotPortcullis(String, String),
    #[error(
        "{0} was made by a newer Portcullis (migration {1} is unknown to this binary); restore it with that version"
    )]
    Newer(String, i64),
    #[error("the database {0} is in use (is the server running?); stop the server first")]
    InUse(String),
    #[error(
        "this backup was made with another master key (fingerprint {expected}, configured: {found}); \
         configure that key with PORTCULLIS_MASTER_KEY or PORTCULLIS_MASTER_KEY_FILE"
    )]
    KeyMismatch { expected: String, found: String },
    #[error("this backup's signing keys cannot be opened with the configured master key (fingerprint {0}); configure the key the backup was made with")]
    KeyUnusable(String),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Open(#[from] super::OpenError),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The SQLite file behind `url`, or why there is none.
pub fn sqlite_path(url: &str) -> Result<PathBuf, BackupError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Err(BackupError::Postgres(super::redact_url(url)));
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let file = path.split('?').next().unwrap_or_default();
    if file.is_empty() || file == ":memory:" {
        return Err(BackupError::NoDatabase(url.to_owned()));
    }
    Ok(PathBuf::from(file))
}

/// A name beside `dest` for the file being written.
fn temp_beside(dest: &Path) -> PathBuf {
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tag = crate::crypto::hex(&crate::crypto::random_bytes::<4>());
    dest.with_file_name(format!(".{name}.{tag}.partial"))
}

/// An empty file readable by its owner only (backups hold password hashes).
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |e| BackupError::Io(path.display().to_string(), e)
}

/// Writes a consistent copy of the SQLite database `db` (at `source`) to `dest`, while other
/// processes may use it, then records `backup.created`.
pub async fn backup(db: &Db, dest: &Path, force: bool, now: i64) -> Result<(), BackupError> {
    let Db::Sqlite(pool, ..) = db else {
        return Err(BackupError::Postgres(String::from("this database")));
    };
    if dest.exists() && !force {
        return Err(BackupError::Exists(dest.display().to_string()));
    }
    let temp = temp_beside(dest);
    create_private(&temp).map_err(io(dest))?;
    let copied = sqlx::query("VACUUM INTO $1").bind(temp.to_string_lossy().into_owned()).execute(pool).await;
    let placed = match copied {
        Ok(_) => std::fs::rename(&temp, dest).map_err(io(dest)),
        Err(e) => Err(BackupError::Db(e)),
    };
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    let detail = serde_json::json!({ "file": dest.display().to_string() });
    record(db, "backup.created", detail, now).await
}

async fn record(db: &Db, kind: &str, detail: serde_json::Value, now: i64) -> Result<(), BackupError> {
    let mut tx = db.begin().await?;
    let ev = audit::NewAudit { kind, actor: "cli", detail: Some(detail), ..Default::default() };
    audit::insert(&mut tx, &ev, now).await?;
    tx.commit().await?;
    Ok(())
}

/// What a backup file holds, read without changing it.
#[derive(Debug)]
pub struct BackupInfo {
    /// The fingerprint of the master key it was made with (`meta`), if recorded.
    pub key_fingerprint: Option<String>,
    /// One sealed signing key (kid, ciphertext), to try the configured master key on.
    pub sealed_key: Option<(String, Vec<u8>)>,
}

/// Checks `file` is a Portcullis SQLite database this binary can migrate, reading it only.
pub async fn inspect(file: &Path) -> Result<BackupInfo, BackupError> {
    let shown = file.display().to_string();
    if !file.is_file() {
        return Err(BackupError::NoDatabase(shown));
    }
    let not_ours = |why: String| BackupError::NotPortcullis(shown.clone(), why);
    let opts = SqliteConnectOptions::new().filename(file).read_only(true).immutable(true);
    let mut conn = SqliteConnection::connect_with(&opts).await.map_err(|e| not_ours(e.to_string()))?;
    let result = read_info(&mut conn, &shown).await;
    let _ = conn.close().await;
    match result {
        Err(BackupError::Db(e)) => Err(not_ours(e.to_string())),
        other => other,
    }
}

async fn read_info(conn: &mut SqliteConnection, shown: &str) -> Result<BackupInfo, BackupError> {
    let not_ours = |why: &str| BackupError::NotPortcullis(shown.to_owned(), why.to_owned());
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(&mut *conn).await?;
    for needed in ["_sqlx_migrations", "meta", "realms", "signing_keys"] {
        if !tables.iter().any(|t| t == needed) {
            return Err(not_ours(&format!("no {needed} table")));
        }
    }
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations").fetch_all(&mut *conn).await?;
    let migrator = sqlx::migrate!("../migrations/sqlite");
    if let Some(v) = applied.iter().find(|v| !migrator.iter().any(|m| m.version == **v)) {
        return Err(BackupError::Newer(shown.to_owned(), *v));
    }
    let key_fingerprint = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'master_key_fingerprint'")
        .fetch_optional(&mut *conn)
        .await?;
    let sealed_key =
        sqlx::query_as("SELECT kid, private_key_enc FROM signing_keys LIMIT 1").fetch_optional(&mut *conn).await?;
    Ok(BackupInfo { key_fingerprint, sealed_key })
}

/// Refuses a backup made with another master key than `master`.
pub fn check_key(info: &BackupInfo, master: &MasterKey) -> Result<(), BackupError> {
    if let Some(expected) = &info.key_fingerprint {
        if expected != master.fingerprint() {
            return Err(BackupError::KeyMismatch {
                expected: expected.clone(),
                found: master.fingerprint().to_owned(),
            });
        }
    }
    if let Some((kid, sealed)) = &info.sealed_key {
        master.open(sealed, kid.as_bytes()).map_err(|_| BackupError::KeyUnusable(master.fingerprint().to_owned()))?;
    }
    Ok(())
}

/// Fails when some process (a running server) has the SQLite database at `target` open: an
/// open WAL connection holds a shared lock that an exclusive-mode transaction cannot pass.
pub async fn ensure_unused(target: &Path) -> Result<(), BackupError> {
    if !target.exists() {
        return Ok(());
    }
    let opts = SqliteConnectOptions::new()
        .filename(target)
        .locking_mode(SqliteLockingMode::Exclusive)
        .busy_timeout(Duration::from_millis(300));
    let in_use = || BackupError::InUse(target.display().to_string());
    let mut conn = SqliteConnection::connect_with(&opts).await.map_err(|_| in_use())?;
    let probe = sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await;
    if probe.is_ok() {
        let _ = sqlx::query("ROLLBACK").execute(&mut conn).await;
    }
    let _ = conn.close().await;
    probe.map(|_| ()).map_err(|_| in_use())
}

/// Copies the checked backup `file` over `target` (temp file, then rename; the target's stale
/// `-wal`/`-shm` removed first), applies migrations and records `backup.restored`.
pub async fn restore(file: &Path, target: &Path, database_url: &str, now: i64) -> Result<(), BackupError> {
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let temp = temp_beside(target);
    let copied = (|| {
        let mut out = create_private(&temp)?;
        let mut input = std::fs::File::open(file)?;
        std::io::copy(&mut input, &mut out)?;
        out.sync_all()
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&temp);
        return Err(BackupError::Io(temp.display().to_string(), e));
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        match std::fs::remove_file(&side) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                let _ = std::fs::remove_file(&temp);
                return Err(BackupError::Io(side.display().to_string(), e));
            }
            _ => {}
        }
    }
    if let Err(e) = std::fs::rename(&temp, target) {
        let _ = std::fs::remove_file(&temp);
        return Err(BackupError::Io(target.display().to_string(), e));
    }
    let db = Db::open(database_url).await?;
    let result = async {
        db.migrate().await?;
        record(&db, "backup.restored", serde_json::json!({ "file": file.display().to_string() }), now).await
    }
    .await;
    db.close().await;
    result
}
