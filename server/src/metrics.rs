//! Prometheus metrics, kept in atomics and written out in the text exposition format (0.0.4) on
//! the management listener: requests by route, method and status with a latency histogram per
//! route, authentication failures by kind, janitor passes; tokens issued by grant, the database
//! pool and the verified-credentials cache are read at scrape time from where they already live.
//!
//! Routes are labelled by their pattern (`/realms/{realm}/protocol/openid-connect/token`), never
//! by the concrete path, so the label set stays bounded whatever clients send.

use dashmap::DashMap;
use std::{
    fmt::Write,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// One route's requests.
#[derive(Default)]
struct Route {
    /// `(method, status)` → count.
    by_status: DashMap<(&'static str, u16), AtomicU64>,
    /// Cumulative counts per bucket (`le`), then `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

/// The server's counters (see the module documentation).
#[derive(Default)]
pub struct Metrics {
    routes: DashMap<String, Route>,
    auth_failures: DashMap<&'static str, AtomicU64>,
    janitor_passes: AtomicU64,
    janitor_failures: AtomicU64,
    /// Table → rows the janitor deleted.
    purged: DashMap<&'static str, AtomicU64>,
}

/// What the scrape reads from elsewhere in the server.
pub struct Snapshot {
    /// `(grant, tokens issued since start)`.
    pub tokens: Vec<(&'static str, u64)>,
    /// Connections open in the database pool, and of those idle.
    pub pool: (u32, usize),
    /// argon2 verifications of client secrets and API keys since start (cache misses).
    pub secret_verifications: u64,
}

/// Adds one to `key`'s counter; a read lock only, once the key exists.
fn count<K: std::hash::Hash + Eq>(map: &DashMap<K, AtomicU64>, key: K) {
    match map.get(&key) {
        Some(c) => c.fetch_add(1, Ordering::Relaxed),
        None => map.entry(key).or_default().fetch_add(1, Ordering::Relaxed),
    };
}

/// The label of an HTTP method (anything unusual is `OTHER`, keeping the label set bounded).
pub fn method_label(m: &http::Method) -> &'static str {
    match *m {
        http::Method::GET => "GET",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::DELETE => "DELETE",
        http::Method::HEAD => "HEAD",
        http::Method::OPTIONS => "OPTIONS",
        http::Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

impl Metrics {
    /// Counts a request to the route pattern `route` and how long it took.
    pub fn request(&self, route: &str, method: &'static str, status: u16, took: Duration) {
        let stats = match self.routes.get(route) {
            Some(r) => r,
            None => self.routes.entry(route.to_owned()).or_default().downgrade(),
        };
        count(&stats.by_status, (method, status));
        let secs = took.as_secs_f64();
        let first = BUCKETS.iter().position(|b| secs <= *b).unwrap_or(BUCKETS.len());
        for bucket in &stats.buckets[first..] {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        stats.sum_micros.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// Counts a failed authentication by its audit kind: `client.auth_failed`,
    /// `user.login_failed` or `admin.login_failed`.
    pub fn auth_failure(&self, kind: &'static str) {
        count(&self.auth_failures, kind);
    }

    /// Counts a janitor pass and whether it failed.
    pub fn janitor_pass(&self, ok: bool) {
        self.janitor_passes.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.janitor_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts rows of `table` the janitor deleted.
    pub fn purged(&self, table: &'static str, rows: u64) {
        if rows > 0 {
            self.purged.entry(table).or_default().fetch_add(rows, Ordering::Relaxed);
        }
    }

    /// The text exposition of every metric.
    pub fn render(&self, snapshot: &Snapshot) -> String {
        let mut out = String::with_capacity(4096);
        let _ = self.write(&mut out, snapshot);
        out
    }

    fn write(&self, out: &mut String, s: &Snapshot) -> std::fmt::Result {
        let mut routes: Vec<_> = self.routes.iter().collect();
        routes.sort_by(|a, b| a.key().cmp(b.key()));
        writeln!(out, "# HELP portcullis_http_requests_total Requests answered, by route pattern, method and status.")?;
        writeln!(out, "# TYPE portcullis_http_requests_total counter")?;
        for r in &routes {
            let mut statuses: Vec<_> = r.by_status.iter().map(|e| (*e.key(), e.load(Ordering::Relaxed))).collect();
            statuses.sort();
            for ((method, status), n) in statuses {
                let route = escape(r.key());
                writeln!(
                    out,
                    "portcullis_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
                )?;
            }
        }
        writeln!(out, "# HELP portcullis_http_request_duration_seconds Time to answer, by route pattern.")?;
        writeln!(out, "# TYPE portcullis_http_request_duration_seconds histogram")?;
        for r in &routes {
            let route = escape(r.key());
            for (i, bucket) in r.buckets.iter().enumerate() {
                let le = BUCKETS.get(i).map(|b| b.to_string()).unwrap_or_else(|| "+Inf".into());
                let n = bucket.load(Ordering::Relaxed);
                writeln!(out, "portcullis_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {n}")?;
            }
            let total = r.buckets[BUCKETS.len()].load(Ordering::Relaxed);
            let sum = r.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            writeln!(out, "portcullis_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}")?;
            writeln!(out, "portcullis_http_request_duration_seconds_count{{route=\"{route}\"}} {total}")?;
        }
        writeln!(out, "# HELP portcullis_tokens_issued_total Tokens issued since start, by grant.")?;
        writeln!(out, "# TYPE portcullis_tokens_issued_total counter")?;
        for (grant, n) in &s.tokens {
            writeln!(out, "portcullis_tokens_issued_total{{grant=\"{grant}\"}} {n}")?;
        }
        writeln!(out, "# HELP portcullis_auth_failures_total Failed authentications: client credentials, user and admin sign-ins.")?;
        writeln!(out, "# TYPE portcullis_auth_failures_total counter")?;
        let mut failures: Vec<_> = self.auth_failures.iter().map(|e| (*e.key(), e.load(Ordering::Relaxed))).collect();
        failures.sort();
        for (kind, n) in failures {
            writeln!(out, "portcullis_auth_failures_total{{kind=\"{kind}\"}} {n}")?;
        }
        writeln!(out, "# HELP portcullis_janitor_purged_rows_total Expired rows deleted by the janitor, by table.")?;
        writeln!(out, "# TYPE portcullis_janitor_purged_rows_total counter")?;
        let mut purged: Vec<_> = self.purged.iter().map(|e| (*e.key(), e.load(Ordering::Relaxed))).collect();
        purged.sort();
        for (table, n) in purged {
            writeln!(out, "portcullis_janitor_purged_rows_total{{table=\"{table}\"}} {n}")?;
        }
        let gauges: [(&str, &str, &str, u64); 5] = [
            ("portcullis_db_pool_connections", "gauge", "Connections open in the database pool.", s.pool.0 as u64),
            ("portcullis_db_pool_idle_connections", "gauge", "Idle connections in the database pool.", s.pool.1 as u64),
            (
                "portcullis_secret_verifications_total",
                "counter",
                "argon2 checks of client secrets and API keys (verified-credentials cache misses).",
                s.secret_verifications,
            ),
            (
                "portcullis_janitor_passes_total",
                "counter",
                "Cleanup passes run.",
                self.janitor_passes.load(Ordering::Relaxed),
            ),
            (
                "portcullis_janitor_failures_total",
                "counter",
                "Cleanup passes that failed.",
                self.janitor_failures.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, v) in gauges {
            writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}")?;
        }
        Ok(())
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_land_in_their_buckets_and_render() {
        let m = Metrics::default();
        m.request("/realms/{realm}/token", "POST", 200, Duration::from_micros(800));
        m.request("/realms/{realm}/token", "POST", 401, Duration::from_millis(30));
        m.auth_failure("client.auth_failed");
        let text =
            m.render(&Snapshot { tokens: vec![("client_credentials", 3)], pool: (2, 1), secret_verifications: 1 });
        assert!(text
            .contains(r#"portcullis_http_requests_total{route="/realms/{realm}/token",method="POST",status="401"} 1"#));
        assert!(text.contains(
            r#"portcullis_http_request_duration_seconds_bucket{route="/realms/{realm}/token",le="0.001"} 1"#
        ));
        assert!(text
            .contains(r#"portcullis_http_request_duration_seconds_bucket{route="/realms/{realm}/token",le="0.05"} 2"#));
        assert!(text.contains(r#"portcullis_http_request_duration_seconds_count{route="/realms/{realm}/token"} 2"#));
        assert!(text.contains(r#"portcullis_tokens_issued_total{grant="client_credentials"} 3"#));
        assert!(text.contains(r#"portcullis_auth_failures_total{kind="client.auth_failed"} 1"#));
        assert!(text.contains("portcullis_db_pool_connections 2"));
    }
}
