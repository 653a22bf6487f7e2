//! Token-issuance counters: incremented in memory on the hot path, flushed to `token_stats`
//! every few seconds, so the dashboard has its data without a write per token.

use crate::{
    model::GrantType,
    store::{self, Db},
};
use dashmap::DashMap;
use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

struct Counter {
    realm_id: String,
    client_id: String,
    n: AtomicI64,
}

/// Pending counts by (client primary key, grant), and totals since start by grant (for
/// `/metrics`).
#[derive(Default)]
pub struct TokenStats {
    pending: DashMap<(Arc<str>, GrantType), Counter>,
    totals: DashMap<GrantType, AtomicI64>,
}

impl TokenStats {
    /// Counts one issued token.
    pub fn count(&self, client_pk: &Arc<str>, realm_id: &str, client_id: &str, grant: GrantType) {
        match self.totals.get(&grant) {
            Some(t) => t.fetch_add(1, Ordering::Relaxed),
            None => self.totals.entry(grant).or_default().fetch_add(1, Ordering::Relaxed),
        };
        if let Some(c) = self.pending.get(&(client_pk.clone(), grant)) {
            c.n.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.pending
            .entry((client_pk.clone(), grant))
            .or_insert_with(|| Counter { realm_id: realm_id.into(), client_id: client_id.into(), n: AtomicI64::new(0) })
            .n
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Tokens issued since start, by grant.
    pub fn totals(&self) -> Vec<(&'static str, u64)> {
        let mut t: Vec<_> = self.totals.iter().map(|e| (e.key().as_str(), e.load(Ordering::Relaxed) as u64)).collect();
        t.sort();
        t
    }

    /// Writes the pending counts into the minute `now` falls in.
    pub async fn flush(&self, db: &Db, now: i64) -> sqlx::Result<()> {
        let mut batch = Vec::new();
        for entry in self.pending.iter() {
            let n = entry.n.swap(0, Ordering::Relaxed);
            if n > 0 {
                batch.push((entry.realm_id.clone(), entry.client_id.clone(), entry.key().1, n));
            }
        }
        self.pending.retain(|_, c| c.n.load(Ordering::Relaxed) > 0);
        if batch.is_empty() {
            return Ok(());
        }
        let mut conn = db.conn().await?;
        for (realm_id, client_id, grant, n) in batch {
            // A realm deleted meanwhile makes the insert fail its foreign key: skip it.
            if let Err(e) = store::stats::add(&mut conn, &realm_id, &client_id, grant.as_str(), now / 60, n).await {
                tracing::debug!(error = %e, "dropping token counts");
            }
        }
        Ok(())
    }
}
