//! PostgreSQL connections for the reads of token requests, introspection and userinfo (and
//! the one write after them), kept outside sqlx's pool.
//!
//! sqlx pings every connection given back to its pool, a round trip that costs PostgreSQL
//! about as much as a small query, so that it never hands out a connection a dropped request
//! left in the middle of a statement. A [`HotConn`] knows that instead: it is marked in use
//! while a statement runs on it ([`HotConn::conn`]) and settled when the statement finished
//! ([`HotConn::settled`]); dropped settled and without error it goes back to the idle list,
//! otherwise it is closed. As in the pool, one idle for [`super::PG_PING_IDLE`] or more is
//! pinged before use, so connections cut by an outage are replaced instead of failing a
//! request.

use sqlx::{postgres::PgConnectOptions, ConnectOptions, Connection, PgConnection};
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The idle list and the bound on connections (open or being opened).
#[derive(Clone)]
pub struct PgHot(Arc<Inner>);

impl std::fmt::Debug for PgHot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgHot").field("available", &self.0.permits.available_permits()).finish_non_exhaustive()
    }
}

struct Inner {
    opts: PgConnectOptions,
    idle: Mutex<Vec<(PgConnection, Instant)>>,
    permits: Arc<Semaphore>,
    ping_idle: Duration,
}

impl PgHot {
    /// At most `max` connections, opened with `opts` when none is idle.
    pub fn new(opts: PgConnectOptions, max: usize, ping_idle: Duration) -> PgHot {
        PgHot(Arc::new(Inner { opts, idle: Mutex::new(Vec::new()), permits: Arc::new(Semaphore::new(max)), ping_idle }))
    }

    /// A connection: the most recently used idle one, or a new one; waits at most `timeout`
    /// (for a free slot, the ping and the connect together).
    pub async fn acquire(&self, timeout: Duration) -> sqlx::Result<HotConn> {
        tokio::time::timeout(timeout, self.acquire_now()).await.map_err(|_| sqlx::Error::PoolTimedOut)?
    }

    async fn acquire_now(&self) -> sqlx::Result<HotConn> {
        let permit = self.0.permits.clone().acquire_owned().await.map_err(|_| sqlx::Error::PoolClosed)?;
        loop {
            let popped = self.0.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let conn = match popped {
                // A connection the server or the network cut is dropped here, and the next tried.
                Some((mut conn, since)) if since.elapsed() >= self.0.ping_idle => match conn.ping().await {
                    Ok(()) => conn,
                    Err(_) => continue,
                },
                Some((conn, _)) => conn,
                None => self.0.opts.connect().await?,
            };
            return Ok(HotConn { conn: Some(conn), settled: true, home: self.0.clone(), _permit: permit });
        }
    }

    /// Refuses new connections and closes the idle ones.
    pub async fn close(&self) {
        self.0.permits.close();
        let idle = std::mem::take(&mut *self.0.idle.lock().unwrap_or_else(|e| e.into_inner()));
        for (conn, _) in idle {
            let _ = conn.close().await;
        }
    }
}

/// A connection of [`PgHot`], in autocommit mode.
pub struct HotConn {
    conn: Option<PgConnection>,
    settled: bool,
    home: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl HotConn {
    /// The connection, for one statement: until [`HotConn::settled`] says it finished, it
    /// counts as interrupted, and dropping it closes it.
    pub fn conn(&mut self) -> &mut PgConnection {
        self.settled = false;
        // Some from construction until `drop` gives the connection back.
        #[allow(clippy::expect_used)]
        self.conn.as_mut().expect("present until dropped")
    }

    /// The statement run on [`HotConn::conn`] finished; `ok`: without error (after an error
    /// the connection is closed rather than trusted).
    pub fn settled(&mut self, ok: bool) {
        self.settled = ok;
    }
}

impl Drop for HotConn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take().filter(|_| self.settled && !self.home.permits.is_closed()) {
            self.home.idle.lock().unwrap_or_else(|e| e.into_inner()).push((conn, Instant::now()));
        }
    }
}
