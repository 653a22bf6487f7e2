//! Refresh tokens (RFC 6749 §6): rotation, replay detection, the reuse window, scope
//! narrowing, client binding, lifespans, offline access, and racing requests.

use crate::helpers::*;
use portcullis::clock::Clock;
use portcullis::manage::client::ClientOptions;
use reqwest::StatusCode;
use serde_json::Value;

crate::db_tests!(
    every_refresh_rotates_and_replay_revokes_the_family,
    a_racing_refresh_inside_the_window_gets_the_same_successor,
    scope_may_only_narrow_and_tokens_are_bound_to_their_client,
    lifespans_including_never,
    logout_ends_online_tokens_but_not_offline_ones,
    rotation_can_be_turned_off,
    two_racing_code_redemptions_one_wins_and_is_then_revoked,
    two_racing_refreshes_with_no_window_kill_the_family,
    two_racing_refreshes_inside_the_window_keep_one_family,
    the_janitor_deletes_what_has_expired,
    refreshing_records_the_sessions_use,
);

const CB: &str = "http://localhost:3000/cb";

/// A public SPA client, a signed-in user, and the token response of a fresh code flow.
async fn tokens_for(app: &TestApp, options: ClientOptions, scope: &str) -> (Creds, reqwest::Client, Value) {
    app.create_user("alice", "correct horse battery").await;
    let spa = app.app_client("spa", "spa", CB, ClientOptions { consent_required: Some(false), ..options }).await;
    let browser = app.browser();
    let body = code_tokens(app, &spa, &browser, scope).await;
    (spa, browser, body)
}

async fn code_tokens(app: &TestApp, spa: &Creds, browser: &reqwest::Client, scope: &str) -> Value {
    let pkce = Pkce::new();
    let q = [
        ("response_type", "code"),
        ("client_id", spa.id.as_str()),
        ("redirect_uri", CB),
        ("scope", scope),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let p = app.code_flow(browser, &q, ("alice", "correct horse battery")).await;
    let res = app.exchange(spa, &p["code"], CB, Some(&pkce.verifier)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn rt(v: &Value) -> String {
    v["refresh_token"].as_str().unwrap().to_owned()
}

async fn every_refresh_rotates_and_replay_revokes_the_family(app: TestApp) {
    let (spa, _, first) = tokens_for(&app, ClientOptions::default(), "openid read:dataset").await;
    let r1 = rt(&first);
    let second: Value = app.refresh(&spa, &r1, None).await.json().await.unwrap();
    let r2 = rt(&second);
    assert_ne!(r1, r2, "rotated");
    assert!(second["id_token"].is_string());
    assert_eq!(second["scope"], "openid read:dataset");
    let third: Value = app.refresh(&spa, &r2, None).await.json().await.unwrap();
    let r3 = rt(&third);
    let access3 = third["access_token"].as_str().unwrap().to_owned();
    // Outside the reuse window, presenting r1 again is a replay: the family dies.
    app.clock.advance(10);
    let replay = assert_oauth_error(app.refresh(&spa, &r1, None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(replay["error_description"].as_str().unwrap().contains("already used"));
    assert_oauth_error(app.refresh(&spa, &r3, None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let rs = app.service_client("rs", &[]).await;
    assert_eq!(app.introspect(&rs, &access3).await["active"], false, "the family's access tokens are revoked");
    let mut conn = app.manager.db.conn().await.unwrap();
    let events = portcullis::store::audit::recent(&mut conn, None, 50).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "refresh.reused"));
}

async fn a_racing_refresh_inside_the_window_gets_the_same_successor(app: TestApp) {
    let (spa, _, first) = tokens_for(&app, ClientOptions::default(), "openid").await;
    let r1 = rt(&first);
    let a: Value = app.refresh(&spa, &r1, None).await.json().await.unwrap();
    app.clock.advance(3);
    let b = app.refresh(&spa, &r1, None).await;
    assert_eq!(b.status(), StatusCode::OK, "inside the 5 s window");
    let b: Value = b.json().await.unwrap();
    assert_eq!(rt(&a), rt(&b), "the same successor");
    assert_ne!(a["access_token"], b["access_token"]);
    // The family lives on.
    assert_eq!(app.refresh(&spa, &rt(&a), None).await.status(), StatusCode::OK);
}

async fn scope_may_only_narrow_and_tokens_are_bound_to_their_client(app: TestApp) {
    let (spa, _, first) = tokens_for(&app, ClientOptions::default(), "openid profile read:dataset").await;
    let narrowed = app.refresh(&spa, &rt(&first), Some("read:dataset")).await;
    assert_eq!(narrowed.status(), StatusCode::OK);
    let narrowed: Value = narrowed.json().await.unwrap();
    assert_eq!(narrowed["scope"], "read:dataset");
    assert!(narrowed.get("id_token").is_none(), "no openid, no ID token");
    // The family keeps its original grant: a later refresh may ask for all of it again.
    let full: Value = app.refresh(&spa, &rt(&narrowed), None).await.json().await.unwrap();
    assert_eq!(full["scope"], "openid profile read:dataset");
    let wider = app.refresh(&spa, &rt(&full), Some("openid email")).await;
    assert_oauth_error(wider, StatusCode::BAD_REQUEST, "invalid_scope").await;
    // Another client cannot use it, and the failed attempt does not spend it.
    let other = app.app_client("spa", "other-spa", CB, ClientOptions::default()).await;
    assert_oauth_error(app.refresh(&other, &rt(&full), None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(app.refresh(&spa, &rt(&full), None).await.status(), StatusCode::OK);
    assert_oauth_error(app.refresh(&spa, "garbage", None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

async fn lifespans_including_never(app: TestApp) {
    let (spa, browser, first) =
        tokens_for(&app, ClientOptions { refresh_token_lifespan: Some(3600), ..Default::default() }, "openid").await;
    assert_eq!(first["refresh_expires_in"], 3600);
    app.clock.advance(3601);
    assert_oauth_error(app.refresh(&spa, &rt(&first), None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let forever = app
        .app_client(
            "spa",
            "forever",
            CB,
            ClientOptions { refresh_token_lifespan: Some(0), consent_required: Some(false), ..Default::default() },
        )
        .await;
    let body = code_tokens(&app, &forever, &browser, "openid offline_access").await;
    assert_eq!(body["refresh_expires_in"], 0, "0 = never expires");
    app.clock.advance(400 * 24 * 3600);
    // An offline token outlives the SSO session (which ends after 30 idle minutes, 10 hours at
    // most), so a year later it still refreshes.
    assert_eq!(app.refresh(&forever, &rt(&body), None).await.status(), StatusCode::OK);
}

async fn logout_ends_online_tokens_but_not_offline_ones(app: TestApp) {
    let (spa, browser, online) = tokens_for(&app, ClientOptions::default(), "openid").await;
    let offline = code_tokens(&app, &spa, &browser, "openid offline_access").await;
    let id_token = online["id_token"].as_str().unwrap();
    let url = url::Url::parse_with_params(
        &app.realm_url("default", "/protocol/openid-connect/logout"),
        &[("id_token_hint", id_token)],
    )
    .unwrap();
    let res = browser.get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/realms/default/logged-out");
    assert_oauth_error(app.refresh(&spa, &rt(&online), None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let rs = app.service_client("rs", &[]).await;
    assert_eq!(app.introspect(&rs, online["access_token"].as_str().unwrap()).await["active"], false);
    let res = app.refresh(&spa, &rt(&offline), None).await;
    assert_eq!(res.status(), StatusCode::OK, "offline_access survives logout");
}

async fn rotation_can_be_turned_off(app: TestApp) {
    let (spa, _, first) =
        tokens_for(&app, ClientOptions { refresh_token_rotation: Some(false), ..Default::default() }, "openid").await;
    let a: Value = app.refresh(&spa, &rt(&first), None).await.json().await.unwrap();
    let b: Value = app.refresh(&spa, &rt(&first), None).await.json().await.unwrap();
    assert_eq!(rt(&a), rt(&first));
    assert_eq!(rt(&b), rt(&first));
}

async fn two_racing_code_redemptions_one_wins_and_is_then_revoked(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    let spa =
        app.app_client("spa", "spa", CB, ClientOptions { consent_required: Some(false), ..Default::default() }).await;
    let browser = app.browser();
    let pkce = Pkce::new();
    let q = [
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", CB),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let p = app.code_flow(&browser, &q, ("alice", "correct horse battery")).await;
    let (a, b) = tokio::join!(
        app.exchange(&spa, &p["code"], CB, Some(&pkce.verifier)),
        app.exchange(&spa, &p["code"], CB, Some(&pkce.verifier))
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST], "exactly one redemption wins");
    let winner: Value = if a.status() == StatusCode::OK { a.json().await.unwrap() } else { b.json().await.unwrap() };
    // The loser's attempt is a second use: what the winner got is revoked.
    assert_oauth_error(app.refresh(&spa, &rt(&winner), None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

async fn two_racing_refreshes_with_no_window_kill_the_family(app: TestApp) {
    let (spa, _, first) =
        tokens_for(&app, ClientOptions { refresh_reuse_window: Some(0), ..Default::default() }, "openid").await;
    let r1 = rt(&first);
    let (a, b) = tokio::join!(app.refresh(&spa, &r1, None), app.refresh(&spa, &r1, None));
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST], "one rotates, the other is a replay");
    let winner: Value = if a.status() == StatusCode::OK { a.json().await.unwrap() } else { b.json().await.unwrap() };
    // With no reuse window the replay revoked the family, the winner's successor included.
    assert_oauth_error(app.refresh(&spa, &rt(&winner), None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

async fn two_racing_refreshes_inside_the_window_keep_one_family(app: TestApp) {
    let (spa, _, first) = tokens_for(&app, ClientOptions::default(), "openid").await;
    let r1 = rt(&first);
    let (a, b) = tokio::join!(app.refresh(&spa, &r1, None), app.refresh(&spa, &r1, None));
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(rt(&a), rt(&b), "both tabs get the same successor");
    assert_eq!(app.refresh(&spa, &rt(&a), None).await.status(), StatusCode::OK, "the family survives");
}

async fn the_janitor_deletes_what_has_expired(app: TestApp) {
    let (_, browser, first) =
        tokens_for(&app, ClientOptions { refresh_token_lifespan: Some(3600), ..Default::default() }, "openid").await;
    // A code left unredeemed, and a logged-out session.
    let pkce = Pkce::new();
    let q = [
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", CB),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    assert!(app.code_flow(&browser, &q, ("alice", "correct horse battery")).await.contains_key("code"));
    let id_token = first["id_token"].as_str().unwrap();
    let url = url::Url::parse_with_params(
        &app.realm_url("default", "/protocol/openid-connect/logout"),
        &[("id_token_hint", id_token)],
    )
    .unwrap();
    browser.get(url).send().await.unwrap();
    let count = |table: &'static str| {
        let db = app.manager.db.clone();
        async move {
            let mut conn = db.conn().await.unwrap();
            let sql = format!("SELECT COUNT(*) FROM {table}");
            portcullis::on!(&mut conn, e => sqlx::query_scalar::<_, i64>(&sql).fetch_one(e).await.unwrap())
        }
    };
    assert!(count("auth_codes").await >= 2 && count("refresh_tokens").await >= 1 && count("revoked_tokens").await >= 1);
    portcullis::startup::janitor_pass(&app.state, None).await;
    assert!(count("auth_codes").await >= 2, "nothing is deleted before its time");
    app.clock.advance(3 * 24 * 3600);
    portcullis::startup::janitor_pass(&app.state, None).await;
    for table in ["auth_codes", "refresh_tokens", "revoked_tokens", "user_sessions"] {
        assert_eq!(count(table).await, 0, "{table} is cleaned up");
    }
}

/// A refresh of an online token is a use of its SSO session: the rotation's one write records
/// it (every 30 s at most), so a session in use does not idle out, and one left alone does.
async fn refreshing_records_the_sessions_use(app: TestApp) {
    let (spa, _, first) = tokens_for(&app, ClientOptions::default(), "openid").await;
    let realm = app.manager.realm_row("default").await.unwrap();
    let idle = realm.sso_session_idle_timeout;
    let sid = first["session_state"].as_str().unwrap().to_owned();
    let last_seen = || async {
        let mut conn = app.manager.db.conn().await.unwrap();
        let row = portcullis::store::user_sessions::by_id(&mut conn, &realm.id, &sid).await.unwrap().unwrap();
        row.last_seen_at
    };
    let mut token = rt(&first);
    for _ in 0..3 {
        // Each step alone is within the idle timeout; together they are well past it.
        app.clock.advance(idle * 2 / 3);
        let res = app.refresh(&spa, &token, None).await;
        assert_eq!(res.status(), StatusCode::OK, "the session is in use");
        token = rt(&res.json().await.unwrap());
        assert_eq!(last_seen().await, app.clock.now(), "the refresh recorded the use");
    }
    // Inside 30 s of the last recorded use, a refresh writes no use.
    app.clock.advance(10);
    token = rt(&app.refresh(&spa, &token, None).await.json().await.unwrap());
    assert_eq!(last_seen().await, app.clock.now() - 10);
    app.clock.advance(idle + 1);
    let ended =
        assert_oauth_error(app.refresh(&spa, &token, None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(ended["error_description"].as_str().unwrap().starts_with("Session not active"), "{ended}");
}
