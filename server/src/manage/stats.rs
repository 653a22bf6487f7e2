//! Token-issuance statistics, read: how many tokens a realm's clients were issued, per
//! interval, by client and grant. The counts come from `token_stats`, which the token
//! endpoint's in-memory counters reach within seconds (`crate::stats`).

use super::{
    actor::perm::{VIEW_EVENTS, VIEW_REALM},
    client::invalid,
    Actor, ManageError, Manager,
};
use crate::store;

/// The most intervals one question may cover.
pub const MAX_BUCKETS: i64 = 10_000;

/// Tokens issued in one interval to one client through one grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The interval's start, seconds since the epoch.
    pub at: i64,
    pub client_id: String,
    pub grant_type: String,
    pub count: i64,
}

impl Manager {
    /// Tokens issued in `[from, to)` (seconds since the epoch) per `interval` seconds (a whole
    /// number of minutes), of one client when given (`view-events` or `view-realm`).
    pub async fn token_issuance(
        &self,
        realm: &str,
        client_id: Option<&str>,
        from: i64,
        to: i64,
        interval: i64,
        actor: &Actor,
    ) -> Result<Vec<Issued>, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_EVENTS, VIEW_REALM]).await?;
        if interval < 60 || interval % 60 != 0 {
            return Err(invalid(format!("invalid interval {interval}: use a whole number of minutes, in seconds")));
        }
        if to <= from {
            return Err(invalid("the end of the period must come after its start".into()));
        }
        let bucket = interval / 60;
        let (from_minute, to_minute) = (from.div_euclid(60), to.div_euclid(60));
        if (to_minute - from_minute) / bucket > MAX_BUCKETS {
            return Err(invalid(format!("the period spans more than {MAX_BUCKETS} intervals: ask for fewer")));
        }
        let mut conn = self.db.conn().await?;
        let rows = store::stats::per_bucket(&mut conn, &realm.id, client_id, from_minute, to_minute, bucket).await?;
        Ok(rows
            .into_iter()
            .map(|(minute, client_id, grant_type, count)| Issued { at: minute * 60, client_id, grant_type, count })
            .collect())
    }
}
