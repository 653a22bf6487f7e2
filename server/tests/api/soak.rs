//! The soak: mixed traffic for `SOAK_SECS` seconds of real time (by default just long enough:
//! ~70 rounds; `./x soak MINUTES` for the long run) while the injected clock moves a day after
//! each round, so the run spans months of the server's time and every retention rule (a
//! day for codes, refresh tokens, sessions and failures; 31 days for token counters; the realm's
//! audit retention, set to one day) comes round many times. Table sizes are sampled as it goes:
//! once the longest rule has come round, every table must stay flat. The long run also checks
//! this process's RSS.
//!
//! A round, over HTTP against the real router: client_credentials tokens (one revoked), a user's
//! code flow (sign-in, consent the first time, exchange, two refreshes, userinfo, introspection;
//! every other round a logout, otherwise the session idles out), a failed sign-in of an unknown
//! name, and an unanswered device request.

use crate::helpers::*;
use portcullis::{
    manage::client::ClientOptions,
    startup::janitor_pass,
    store::purge::{self, Expired},
};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

crate::db_tests!(mixed_traffic_leaves_tables_flat);

const CB: &str = "https://app.example.com/cb";
const STEP: i64 = 24 * 3600;
/// The longest retention (token counters: 31 days) plus the janitor's slack.
const WARM_UP: i64 = 33 * 86_400;
/// The tables that grow with traffic (refresh tokens once, though two rules purge it).
const TABLES: [Expired; 9] = [
    Expired::Revocations,
    Expired::AuthCodes,
    Expired::RefreshTokens,
    Expired::LoginFailures,
    Expired::DeviceCodes,
    Expired::UserSessions,
    Expired::Changes,
    Expired::Audit,
    Expired::TokenStats,
];

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap_or("VmRSS: 0 kB");
    line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0)
}

async fn sizes(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for what in TABLES {
        out.push(purge::rows(&mut app.state.db.conn().await.unwrap(), what).await.unwrap());
    }
    out
}

async fn mixed_traffic_leaves_tables_flat(app: TestApp) {
    let secs: u64 = std::env::var("SOAK_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let app = app.instance(|c| c.device_rate_limit = 0).await;
    app.manager.set_audit_retention("default", 1, &operator()).await.unwrap();
    let users = ["alice", "bob", "carol"];
    for u in users {
        app.create_user(u, "correct horse battery").await;
    }
    let options = ClientOptions { post_logout_redirect_uris: vec![], ..Default::default() };
    let web = app.app_client("web", "webapp", CB, options).await;
    let services = [app.service_client("svc-a", &[]).await, app.service_client("svc-b", &[]).await];
    app.create_client(portcullis::manage::client::NewClient {
        realm: "default".into(),
        template: "device".into(),
        client_id: Some("tv".into()),
        ..Default::default()
    })
    .await;

    let started = Instant::now();
    let start_time = app.state.now();
    let mut samples: Vec<(i64, Vec<i64>, u64)> = Vec::new();
    let mut round = 0usize;
    while started.elapsed() < Duration::from_secs(secs) || app.state.now() - start_time < 2 * WARM_UP {
        // Services.
        for svc in &services {
            let token = app.access_token(svc).await;
            if round.is_multiple_of(2) {
                let res = app.post_form("default", REVOKE, Some(svc), &[("token", &token)]).await;
                assert_eq!(res.status(), StatusCode::OK);
            }
        }
        // A user's code flow.
        let user = users[round % users.len()];
        let browser = app.browser();
        let pkce = Pkce::new();
        let q = [
            ("response_type", "code"),
            ("client_id", "webapp"),
            ("redirect_uri", CB),
            ("scope", "openid profile read:dataset"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ];
        let params = app.code_flow(&browser, &q, (user, "correct horse battery")).await;
        let res = app.exchange(&web, &params["code"], CB, Some(&pkce.verifier)).await;
        let mut tokens: Value = res.json().await.unwrap();
        for _ in 0..2 {
            let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
            tokens = app.refresh(&web, &refresh, None).await.json().await.unwrap();
        }
        let access = tokens["access_token"].as_str().unwrap();
        let me = app.http.get(app.realm_url("default", USERINFO)).bearer_auth(access).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::OK);
        assert_eq!(app.introspect(&web, access).await["active"], true);
        if round.is_multiple_of(2) {
            let logout = app.realm_url("default", "/protocol/openid-connect/logout");
            let hint = tokens["id_token"].as_str().unwrap();
            let res = browser.get(logout).query(&[("id_token_hint", hint)]).send().await.unwrap();
            assert!(res.status().is_success() || res.status().is_redirection());
        }
        // A guess at an unknown account, and a device request nobody answers.
        let stranger = app.browser();
        let res = app.auth_request(&stranger, &q).await;
        let res = app.sign_in(&stranger, &res, &format!("nobody-{round}"), "guess").await;
        assert!(res.headers()["location"].to_str().unwrap().contains("error=invalid"));
        let res = app.post_form("default", "/protocol/openid-connect/auth/device", None, &[("client_id", "tv")]).await;
        assert_eq!(res.status(), StatusCode::OK);

        app.state.stats.flush(&app.state.db, app.state.now()).await.unwrap();
        app.clock.advance(STEP);
        janitor_pass(&app.state, None).await;
        if round.is_multiple_of(2) {
            samples.push((app.state.now() - start_time, sizes(&app).await, rss_kib()));
        }
        round += 1;
    }

    // Flat after warm-up: the second half of the steady state holds no more rows than the
    // first (one round's worth of slack), table by table.
    let steady: Vec<_> = samples.iter().filter(|(t, ..)| *t > WARM_UP).collect();
    let (first, second) = steady.split_at(steady.len() / 2);
    let max = |part: &[&(i64, Vec<i64>, u64)], i: usize| part.iter().map(|s| s.1[i]).max().unwrap_or(0);
    let mut report = format!(
        "soak: {round} rounds in {:.0} s real time, {} days of server time; rows per table \
         (max in the first half of the steady state → max in the second):\n",
        started.elapsed().as_secs_f64(),
        (app.state.now() - start_time) / 86_400
    );
    for (i, what) in TABLES.iter().enumerate() {
        let (a, b) = (max(first, i), max(second, i));
        report.push_str(&format!("  {:<16} {a:>6} → {b:>6}\n", what.table()));
        assert!(b <= a + 8, "{} grows after warm-up: {a} → {b}", what.table());
    }
    let rss = |part: &[&(i64, Vec<i64>, u64)]| part.iter().map(|s| s.2).max().unwrap_or(0);
    let (rss_a, rss_b) = (rss(first), rss(second));
    report.push_str(&format!("  RSS (this process) {} → {} MiB\n", rss_a / 1024, rss_b / 1024));
    eprintln!("{report}");
    // Other tests share this process in `./x test`; only the long run, alone, judges memory.
    if secs >= 120 {
        assert!(rss_b <= rss_a + rss_a / 10, "RSS grows after warm-up: {rss_a} → {rss_b} KiB");
    }
}
