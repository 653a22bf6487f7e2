//! What happens in a realm, read and acted on: the audit log (filtered, paged, kept for the
//! realm's retention), its open SSO sessions (listed, revoked), sign-in and client
//! authentication failures over time, and the dashboard that puts them beside tokens issued.

use super::{
    actor::perm::{MANAGE_REALM, MANAGE_USERS, VIEW_CLIENTS, VIEW_EVENTS, VIEW_REALM, VIEW_USERS},
    client::invalid,
    Actor, ManageError, Manager,
};
use crate::store::{
    self,
    audit::{AuditFilter, AuditRow, NewAudit},
    user_sessions::RealmSessionRow,
};

/// Kinds of sign-in failure (end users and console administrators).
pub const LOGIN_FAILED: [&str; 2] = ["user.login_failed", "admin.login_failed"];
/// The kind of a failed client authentication at the token, introspection or revocation endpoint.
pub const CLIENT_AUTH_FAILED: &str = "client.auth_failed";

/// Kinds offered by the Audit Log's filter beside those already recorded in the realm.
pub const KNOWN_KINDS: &[&str] = &[
    "client.auth_failed",
    "client.created",
    "client.deleted",
    "client.secret_regenerated",
    "client.updated",
    "realm.updated",
    "session.revoked",
    "token.revoked",
    "user.locked",
    "user.login",
    "user.login_failed",
];

/// Bounds of the audit retention, in days.
pub const RETENTION_DAYS: std::ops::RangeInclusive<i64> = 1..=36_500;

/// One page of the audit log and how many events match in all.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub events: Vec<AuditRow>,
    pub total: i64,
}

/// Sign-in or client-authentication failures in one interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failures {
    /// The interval's start, seconds since the epoch.
    pub at: i64,
    /// `user.login_failed`, `admin.login_failed` or `client.auth_failed`.
    pub kind: String,
    pub count: i64,
}

/// An open SSO session of the realm with the clients it holds refresh tokens for.
#[derive(Debug, Clone)]
pub struct RealmSession {
    pub session: RealmSessionRow,
    pub clients: Vec<String>,
}

/// The dashboard's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Hour,
    Day,
    Month,
}

impl Range {
    /// `hour`, `day` or `30d`; anything else is the day.
    pub fn parse(s: &str) -> Range {
        match s {
            "hour" => Range::Hour,
            "30d" => Range::Month,
            _ => Range::Day,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Range::Hour => "hour",
            Range::Day => "day",
            Range::Month => "30d",
        }
    }

    /// `(intervals, seconds per interval)`.
    pub fn buckets(self) -> (i64, i64) {
        match self {
            Range::Hour => (60, 60),
            Range::Day => (24, 3600),
            Range::Month => (30, 86_400),
        }
    }
}

/// What the dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub range: Range,
    /// The first interval's start; intervals follow each other, `bucket` seconds long.
    pub from: i64,
    pub bucket: i64,
    pub buckets: usize,
    pub clients: i64,
    pub users: i64,
    pub sessions: i64,
    /// Tokens per grant, one count per interval.
    pub per_grant: Vec<(String, Vec<i64>)>,
    /// Tokens per client over the whole period, most first.
    pub per_client: Vec<(String, i64)>,
    /// Sign-in failures and client-authentication failures, one count per interval.
    pub login_failures: Vec<i64>,
    pub client_auth_failures: Vec<i64>,
    pub recent_changes: Vec<AuditRow>,
}

impl Manager {
    /// A page of the realm's audit events matching `filter`, newest first (`view-events`).
    pub async fn search_audit(
        &self,
        realm: &str,
        filter: &AuditFilter,
        first: i64,
        max: i64,
        actor: &Actor,
    ) -> Result<AuditPage, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_EVENTS]).await?;
        if let (Some(s), Some(u)) = (filter.since, filter.until) {
            if u <= s {
                return Err(invalid("the end of the period must come after its start".into()));
            }
        }
        let mut conn = self.db.conn().await?;
        let events = store::audit::search(&mut conn, &realm.id, filter, first.max(0), max.clamp(1, 10_000)).await?;
        let total = store::audit::count(&mut conn, &realm.id, filter).await?;
        Ok(AuditPage { events, total })
    }

    /// The kinds the Audit Log's filter offers: the known ones and any the realm recorded.
    pub async fn audit_kinds(&self, realm: &str, actor: &Actor) -> Result<Vec<String>, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_EVENTS]).await?;
        let mut conn = self.db.conn().await?;
        let mut kinds = store::audit::kinds(&mut conn, &realm.id).await?;
        kinds.extend(KNOWN_KINDS.iter().map(|k| k.to_string()));
        kinds.sort();
        kinds.dedup();
        Ok(kinds)
    }

    /// How many days the realm keeps its audit events (`view-events` or `view-realm`).
    pub async fn audit_retention(&self, realm: &str, actor: &Actor) -> Result<i64, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_EVENTS, VIEW_REALM]).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::audit::retention_days(&mut conn, &realm.id).await?)
    }

    /// Sets how many days the realm keeps its audit events (`manage-realm`); older ones are
    /// deleted by the janitor. The event records the setting before and after.
    pub async fn set_audit_retention(&self, realm: &str, days: i64, actor: &Actor) -> Result<(), ManageError> {
        let realm = self.realm_for(realm, actor, &[MANAGE_REALM]).await?;
        if !RETENTION_DAYS.contains(&days) {
            return Err(invalid(format!(
                "--audit-retention-days must be between {} and {} days",
                RETENTION_DAYS.start(),
                RETENTION_DAYS.end()
            )));
        }
        let mut tx = self.db.begin().await?;
        let before = store::audit::retention_days(&mut tx, &realm.id).await?;
        if before == days {
            return Ok(());
        }
        store::audit::set_retention_days(&mut tx, &realm.id, days).await?;
        let detail = serde_json::json!({ "audit_retention_days": { "before": before, "after": days } });
        let audit = NewAudit { kind: "realm.updated", actor: actor.name(), detail: Some(detail), ..Default::default() };
        self.finish(tx, &realm.id, "realm", &realm.name, audit).await
    }

    /// A page of the realm's open SSO sessions, newest first, and how many are open
    /// (`view-users`).
    pub async fn realm_sessions(
        &self,
        realm: &str,
        first: i64,
        max: i64,
        actor: &Actor,
    ) -> Result<(Vec<RealmSession>, i64), ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_USERS]).await?;
        let (now, idle, most) = (self.now(), realm.sso_session_idle_timeout, realm.sso_session_max_lifespan);
        let mut conn = self.db.conn().await?;
        let rows = store::user_sessions::open_of_realm(
            &mut conn,
            &realm.id,
            now,
            idle,
            most,
            first.max(0),
            max.clamp(1, 1000),
        )
        .await?;
        let total = store::user_sessions::count_open_of_realm(&mut conn, &realm.id, now, idle, most).await?;
        let mut out = Vec::with_capacity(rows.len());
        for session in rows {
            let clients = store::user_sessions::clients_of(&mut conn, &session.id).await?;
            out.push(RealmSession { session, clients: clients.into_iter().map(|(_, c)| c).collect() });
        }
        Ok((out, total))
    }

    /// Ends one SSO session of the realm with its tokens (`manage-users`); returns its user's
    /// name.
    pub async fn revoke_session(&self, realm: &str, session_id: &str, actor: &Actor) -> Result<String, ManageError> {
        let realm = self.realm_for(realm, actor, &[MANAGE_USERS]).await?;
        let not_found = || ManageError::NotFound("Session not found".into());
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let session = store::user_sessions::by_id(&mut tx, &realm.id, session_id)
            .await?
            .filter(|s| s.ended_at.is_none())
            .ok_or_else(not_found)?;
        let user = store::users::by_id(&mut tx, &session.user_id).await?.ok_or_else(not_found)?;
        store::user_sessions::end_everywhere(&mut tx, &realm.id, &session.id, now).await?;
        let audit = NewAudit {
            kind: "session.revoked",
            actor: actor.name(),
            subject: Some(&user.id),
            detail: Some(serde_json::json!({ "username": user.username, "session": session.id })),
            ..Default::default()
        };
        self.record(&mut tx, &realm.id, "realm", &realm.name, audit).await?;
        tx.commit().await?;
        Ok(user.username)
    }

    /// Per client holding any: its live sessions (refresh families), online and offline, as
    /// `(internal id, client id, online, offline)` (`view-clients`; Keycloak's
    /// `client-session-stats`).
    pub async fn client_session_stats(
        &self,
        realm: &str,
        actor: &Actor,
    ) -> Result<Vec<(String, String, i64, i64)>, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_CLIENTS]).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::refresh_tokens::live_counts_of_realm(&mut conn, &realm.id, self.now()).await?)
    }

    /// Sign-in and client-authentication failures per `interval` seconds in `[from, to)`
    /// (`view-events`). Intervals without failures are left out.
    pub async fn auth_failures(
        &self,
        realm: &str,
        from: i64,
        to: i64,
        interval: i64,
        actor: &Actor,
    ) -> Result<Vec<Failures>, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_EVENTS]).await?;
        if interval < 60 || interval % 60 != 0 {
            return Err(invalid(format!("invalid interval {interval}: use a whole number of minutes, in seconds")));
        }
        if to <= from {
            return Err(invalid("the end of the period must come after its start".into()));
        }
        if (to - from) / interval > super::stats::MAX_BUCKETS {
            return Err(invalid(format!("the period spans more than {} intervals", super::stats::MAX_BUCKETS)));
        }
        let mut conn = self.db.conn().await?;
        let kinds = [LOGIN_FAILED[0], LOGIN_FAILED[1], CLIENT_AUTH_FAILED];
        let from = from.div_euclid(interval) * interval;
        let rows = store::audit::failures_per_bucket(&mut conn, &realm.id, kinds, from, to, interval).await?;
        Ok(rows.into_iter().map(|(at, kind, count)| Failures { at, kind, count }).collect())
    }

    /// The dashboard of the realm over `range`, ending now (`view-events`).
    pub async fn dashboard(&self, realm_name: &str, range: Range, actor: &Actor) -> Result<Dashboard, ManageError> {
        let realm = self.realm_for(realm_name, actor, &[VIEW_EVENTS]).await?;
        let now = self.now();
        let (n, bucket) = range.buckets();
        // The last interval is the one now falls in.
        let from = (now.div_euclid(bucket) - (n - 1)) * bucket;
        let to = from + n * bucket;
        let issued = self.token_issuance(realm_name, None, from, to, bucket, actor).await?;
        let failures = self.auth_failures(realm_name, from, to, bucket, actor).await?;
        let slot = |at: i64| ((at - from) / bucket).clamp(0, n - 1) as usize;
        let mut per_grant: Vec<(String, Vec<i64>)> = vec![];
        let mut per_client: Vec<(String, i64)> = vec![];
        for i in &issued {
            let at = slot(i.at);
            match per_grant.iter_mut().find(|(g, _)| *g == i.grant_type) {
                Some((_, counts)) => counts[at] += i.count,
                None => {
                    let mut counts = vec![0; n as usize];
                    counts[at] = i.count;
                    per_grant.push((i.grant_type.clone(), counts));
                }
            }
            match per_client.iter_mut().find(|(c, _)| *c == i.client_id) {
                Some((_, total)) => *total += i.count,
                None => per_client.push((i.client_id.clone(), i.count)),
            }
        }
        per_grant.sort_by(|a, b| a.0.cmp(&b.0));
        per_client.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let (mut login_failures, mut client_auth_failures) = (vec![0; n as usize], vec![0; n as usize]);
        for f in failures {
            let counts = if f.kind == CLIENT_AUTH_FAILED { &mut client_auth_failures } else { &mut login_failures };
            counts[slot(f.at)] += f.count;
        }
        let mut conn = self.db.conn().await?;
        let (_, clients) = store::clients::search(&mut conn, &realm.id, "", 0, 1).await?;
        let users = store::users::count(&mut conn, &realm.id, &Default::default()).await?;
        let (idle, most) = (realm.sso_session_idle_timeout, realm.sso_session_max_lifespan);
        let sessions = store::user_sessions::count_open_of_realm(&mut conn, &realm.id, now, idle, most).await?;
        let recent_changes = store::audit::recent_changes(&mut conn, &realm.id, 8).await?;
        Ok(Dashboard {
            range,
            from,
            bucket,
            buckets: n as usize,
            clients,
            users,
            sessions,
            per_grant,
            per_client,
            login_failures,
            client_auth_failures,
            recent_changes,
        })
    }
}
