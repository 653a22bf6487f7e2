//! `changes`: a log of what other processes must drop from their caches.
//!
//! Every change to a realm or client (from the CLI, another instance or this one) appends a
//! row; each server polls for rows newer than the last it saw. That keeps caches correct across
//! processes sharing one SQLite file and instances sharing one PostgreSQL. On PostgreSQL the
//! insert also sends `NOTIFY` on [`CHANNEL`] (delivered when its transaction commits), so the
//! other instances read the log at once instead of at their next poll; the poll stays as the
//! fallback for a lost connection.

use super::Executes;
use crate::on;

/// What changed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChangeRow {
    pub id: i64,
    pub realm_id: String,
    /// `realm` or `client`.
    pub entity: String,
    /// For a client, its client id; for a realm, the realm name.
    pub key: String,
}

/// The PostgreSQL channel announcing new rows.
pub const CHANNEL: &str = "portcullis_changes";

/// Records a change (and on PostgreSQL announces it on [`CHANNEL`]).
pub async fn record(c: &mut impl Executes, realm_id: &str, entity: &str, key: &str, now: i64) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO changes (realm_id, entity, key, at) VALUES ($1, $2, $3, $4)";
    match c.ex() {
        super::Ex::Sqlite(e) => {
            sqlx::query(SQL).bind(realm_id).bind(entity).bind(key).bind(now).execute(e).await.map(|_| ())
        }
        super::Ex::Postgres(e) => {
            sqlx::query(SQL).bind(realm_id).bind(entity).bind(key).bind(now).execute(&mut *e).await?;
            sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(e).await.map(|_| ())
        }
    }
}

/// Changes after `after`, oldest first.
pub async fn since(c: &mut impl Executes, after: i64) -> sqlx::Result<Vec<ChangeRow>> {
    const SQL: &str = "SELECT id, realm_id, entity, key FROM changes WHERE id > $1 ORDER BY id LIMIT 1000";
    on!(c, e => sqlx::query_as(SQL).bind(after).fetch_all(e).await)
}

/// The newest change id (0 when none).
pub async fn last_id(c: &mut impl Executes) -> sqlx::Result<i64> {
    on!(c, e => sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM changes").fetch_one(e).await.map(|v| v.unwrap_or(0)))
}

/// On PostgreSQL, wakes `wake` whenever any instance records a change (and once on every
/// (re)connection, to catch up on what came meanwhile); runs until dropped, reconnecting after a
/// second when the connection fails. Returns at once on SQLite, where polling does the work.
///
/// `try_recv`, not `recv`: `recv` reconnects by itself after a lost connection, silently, so
/// the catch-up after an outage would wait for the next poll; here a lost connection ends the
/// listener and the next one wakes the reader.
pub async fn watch(db: super::Db, wake: std::sync::Arc<tokio::sync::Notify>) {
    let super::Db::Postgres(pool, _) = db else { return };
    loop {
        match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    wake.notify_one();
                    while let Ok(Some(_)) = listener.try_recv().await {
                        wake.notify_one();
                    }
                    tracing::warn!("the connection listening for changes was lost; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "LISTEN {CHANNEL}"),
            },
            Err(e) => tracing::warn!(error = %e, "connecting to LISTEN for changes"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
