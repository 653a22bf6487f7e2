//! `portcullis audit …` and `portcullis session …`: a realm's audit log (filtered, as JSON
//! lines with `--json`) and its retention, and its open SSO sessions.

use super::{print_json, CliError, ACTOR};
use crate::{manage::Manager, store::audit::AuditFilter};
use clap::Subcommand;

/// `portcullis audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List the realm's audit events, newest first; --json prints JSON lines (one event a line)
    List {
        #[arg(long, default_value = "default")]
        realm: String,
        /// Only events by this actor (a username or client id)
        #[arg(long)]
        actor: Option<String>,
        /// Only events about this client (its client id)
        #[arg(long)]
        client: Option<String>,
        /// Only events of this kind, e.g. client.updated, user.login_failed
        #[arg(long)]
        kind: Option<String>,
        /// Only events at or after this time: YYYY-MM-DDTHH:MM[:SS] (UTC) or seconds since the epoch
        #[arg(long)]
        since: Option<String>,
        /// Only events before this time (same forms as --since)
        #[arg(long)]
        until: Option<String>,
        /// At most this many events
        #[arg(long, default_value_t = 1000)]
        max: i64,
        #[arg(long)]
        json: bool,
    },
    /// Show how many days the realm keeps its audit events, or with --days set it
    Retention {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        days: Option<i64>,
    },
}

/// `portcullis session …`.
#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// List the realm's open SSO sessions, newest first
    List {
        #[arg(long, default_value = "default")]
        realm: String,
        #[arg(long)]
        json: bool,
    },
    /// End an SSO session and its tokens
    Delete {
        #[arg(long, default_value = "default")]
        realm: String,
        session_id: String,
    },
}

/// `s` as seconds since the epoch.
fn time(s: Option<String>, flag: &str) -> Result<Option<i64>, CliError> {
    let Some(s) = s else { return Ok(None) };
    s.trim()
        .parse::<i64>()
        .ok()
        .or_else(|| app::text::parse_datetime_local(&s))
        .map(Some)
        .ok_or_else(|| CliError::Other(format!("{flag} {s:?}: use YYYY-MM-DDTHH:MM (UTC) or seconds since the epoch")))
}

pub async fn run_audit(m: &Manager, cmd: AuditCommand) -> Result<(), CliError> {
    match cmd {
        AuditCommand::List { realm, actor, client, kind, since, until, max, json } => {
            let filter = AuditFilter {
                actor,
                client_id: client,
                kind,
                since: time(since, "--since")?,
                until: time(until, "--until")?,
            };
            let (mut first, max) = (0, max.max(1));
            while first < max {
                let page = m.search_audit(&realm, &filter, first, (max - first).min(1000), &ACTOR).await?;
                let n = page.events.len() as i64;
                for e in &page.events {
                    if json {
                        println!("{}", crate::console::activity::jsonl_line(e));
                    } else {
                        let at = app::text::utc(e.at);
                        let object = e.client_id.as_deref().or(e.subject.as_deref()).unwrap_or("-");
                        let ip = e.ip.as_deref().unwrap_or("-");
                        println!("{at}\t{}\t{}\t{object}\t{ip}\t{}", e.actor, e.kind, e.detail);
                    }
                }
                if n < 1000 {
                    break;
                }
                first += n;
            }
        }
        AuditCommand::Retention { realm, days } => {
            if let Some(d) = days {
                m.set_audit_retention(&realm, d, &ACTOR).await?;
            }
            let days = m.audit_retention(&realm, &ACTOR).await?;
            println!("realm {realm}: audit events are kept {}", app::text::count(days, "day"));
        }
    }
    Ok(())
}

pub async fn run_session(m: &Manager, cmd: SessionCommand) -> Result<(), CliError> {
    match cmd {
        SessionCommand::List { realm, json } => {
            let mut first = 0;
            loop {
                let (sessions, total) = m.realm_sessions(&realm, first, 1000, &ACTOR).await?;
                let n = sessions.len() as i64;
                for s in sessions {
                    let r = &s.session;
                    if json {
                        print_json(&serde_json::json!({
                            "id": r.id, "username": r.username, "userId": r.user_id, "ipAddress": r.ip,
                            "start": r.created_at * 1000, "lastAccess": r.last_seen_at * 1000, "clients": s.clients,
                        }));
                    } else {
                        let ip = r.ip.as_deref().unwrap_or("-");
                        let (start, seen) = (app::text::utc(r.created_at), app::text::utc(r.last_seen_at));
                        println!("{}\t{}\t{ip}\t{start}\t{seen}\t{}", r.id, r.username, s.clients.join(","));
                    }
                }
                first += n;
                if n == 0 || first >= total {
                    break;
                }
            }
        }
        SessionCommand::Delete { realm, session_id } => {
            let username = m.revoke_session(&realm, &session_id, &ACTOR).await?;
            println!("ended session {session_id} of {username}");
        }
    }
    Ok(())
}
