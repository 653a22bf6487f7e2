//! Regressions of the security review (issue 7), one test per defect, each named after what it
//! guards. `SECURITY.md` lists them beside the defences they prove.

use crate::helpers::*;
use portcullis::manage::{
    client::{ClientOptions, NewClient},
    user::NewUser,
};
use reqwest::{header, StatusCode};
use serde_json::Value;

crate::db_tests!(
    device_approval_cannot_cross_realms,
    pending_requests_are_refused_under_another_realm,
    a_blank_scope_does_not_skip_consent,
    revoking_a_refresh_token_revokes_its_family,
    parallel_wrong_passwords_cannot_pass_the_lockout,
    a_sign_in_whose_caller_hangs_up_is_still_counted,
    client_authentication_failures_all_say_the_same,
    rp_logout_with_someone_elses_id_token_asks_first,
    a_deleted_clients_user_tokens_stay_dead_when_it_is_recreated,
    sso_sessions_end_when_idle_and_at_their_maximum,
    pending_requests_per_session_are_capped,
    device_authorization_is_rate_limited_by_default,
    audit_fields_are_bounded_and_locked_admin_attempts_write_nothing,
    full_scope_off_limits_the_roles_in_user_tokens,
    offline_tokens_survive_logout_and_keep_working,
    session_ids_are_stored_hashed,
    viewing_a_page_stores_no_session,
);

mod behind_proxy {
    use super::*;
    crate::db_tests!(@with spawn_behind_proxy; a_noisy_address_does_not_lock_out_other_clients);
}

mod without_proxy {
    use super::*;
    crate::db_tests!(@with spawn_with_low_failure_limit; forwarded_headers_are_ignored_without_trusted_proxies);
}

const CB: &str = "https://app.example.com/cb";

impl TestApp {
    /// A server that trusts the loopback address as its reverse proxy, with a low failure limit.
    pub async fn spawn_behind_proxy(kind: DbKind) -> TestApp {
        TestApp::spawn_with(kind, |c| {
            c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            c.auth_failure_limit = 3;
        })
        .await
    }

    /// A server with no trusted proxies and a low failure limit.
    pub async fn spawn_with_low_failure_limit(kind: DbKind) -> TestApp {
        TestApp::spawn_with(kind, |c| c.auth_failure_limit = 3).await
    }

    /// A user in `realm`.
    async fn realm_user(&self, realm: &str, username: &str, password: &str) -> String {
        let req = NewUser {
            realm: realm.into(),
            username: username.into(),
            email: None,
            roles: vec![],
            ..Default::default()
        };
        self.manager.create_user(req, password.into(), &operator()).await.unwrap()
    }
}

fn code_query(client_id: &str, scope: &str, pkce: &Pkce) -> Vec<(&'static str, String)> {
    let q: [(&'static str, &str); 6] = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", CB),
        ("scope", scope),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ];
    q.into_iter().map(|(k, v)| (k, v.to_owned())).collect()
}

fn pairs<'a>(q: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    q.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The hidden fields of the first form on the page at `path` (relative to the server).
async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    browser.get(format!("{}{path}", app.base)).send().await.unwrap().text().await.unwrap()
}

/// The request id in a redirect to one of our pages.
fn rid_of(res: &reqwest::Response) -> String {
    let location = res.headers()["location"].to_str().unwrap();
    redirect_params(&format!("http://x{location}"))["rid"].clone()
}

/// Mallory, a user of realm `other`, signs in at that realm's login-actions with request `rid`.
async fn mallory_signs_in_at_other(app: &TestApp, browser: &reqwest::Client, rid: &str) -> reqwest::Response {
    let html = page(app, browser, "/realms/other/login").await;
    let form = [
        ("username", "mallory"),
        ("password", "mallory's password"),
        ("csrf", &hidden_field(&html, "csrf").unwrap()),
        ("rid", rid),
    ];
    browser.post(format!("{}/realms/other/login-actions/authenticate", app.base)).form(&form).send().await.unwrap()
}

async fn device_approval_cannot_cross_realms(app: TestApp) {
    // Realm A (default) has the device client and alice; realm B has mallory.
    app.create_user("alice", "correct horse battery").await;
    app.manager.create_realm("other", None, &operator()).await.unwrap();
    app.realm_user("other", "mallory", "mallory's password").await;
    app.device_client("tv").await;
    let started: Value = app
        .post_form("default", "/protocol/openid-connect/auth/device", None, &[("client_id", "tv")])
        .await
        .json()
        .await
        .unwrap();
    let device_code = started["device_code"].as_str().unwrap().to_owned();
    // Mallory enters A's user code on A's device page: a pending request of realm A.
    let browser = app.browser();
    let html = page(&app, &browser, "/realms/default/device").await;
    let res = browser
        .post(format!("{}/realms/default/login-actions/device", app.base))
        .form(&[("user_code", started["user_code"].as_str().unwrap()), ("csrf", &hidden_field(&html, "csrf").unwrap())])
        .send()
        .await
        .unwrap();
    let rid = rid_of(&res);
    // …then signs in at B's login-actions with that request id: refused as expired.
    let res = mallory_signs_in_at_other(&app, &browser, &rid).await;
    assert!(res.headers()["location"].to_str().unwrap().contains("error=expired"), "{:?}", res.headers());
    // Signed in to B now, the decision is posted under B: refused, nothing recorded.
    let html = page(&app, &browser, "/realms/other/device").await;
    let res = browser
        .post(format!("{}/realms/other/login-actions/device-decision", app.base))
        .form(&[("rid", rid.as_str()), ("decision", "approve"), ("csrf", &hidden_field(&html, "csrf").unwrap())])
        .send()
        .await
        .unwrap();
    assert!(res.headers()["location"].to_str().unwrap().contains("error=expired"));
    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", &device_code),
        ("client_id", "tv"),
    ];
    let res = app.post_form("default", TOKEN, None, &poll).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "authorization_pending").await;
    // The store refuses a decision under the wrong realm even when called directly.
    let other = app.state.registry.realm("other").await.unwrap().unwrap();
    let mut conn = app.manager.db.conn().await.unwrap();
    let hash = portcullis::crypto::token_hash(&device_code);
    let decided = portcullis::store::device_codes::decide(
        &mut conn,
        &other.id,
        &hash,
        true,
        "u",
        "s",
        0,
        portcullis::clock::Clock::now(&*app.clock),
    )
    .await
    .unwrap();
    assert!(!decided, "a device request of realm A is never decided under realm B");
}

async fn pending_requests_are_refused_under_another_realm(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    app.manager.create_realm("other", None, &operator()).await.unwrap();
    app.realm_user("other", "mallory", "mallory's password").await;
    app.app_client("web", "webapp", CB, ClientOptions::default()).await;
    let browser = app.browser();
    let pkce = Pkce::new();
    let q = code_query("webapp", "openid", &pkce);
    let res = app.auth_request(&browser, &pairs(&q)).await;
    let rid = rid_of(&res);
    // Realm B's sign-in and consent never continue realm A's authorization request.
    let res = mallory_signs_in_at_other(&app, &browser, &rid).await;
    assert!(res.headers()["location"].to_str().unwrap().contains("error=expired"));
    let html = page(&app, &browser, &format!("/realms/other/consent?rid={rid}")).await;
    assert!(!html.contains("The webapp app"), "realm B's consent page does not show realm A's request");
    let html = page(&app, &browser, "/realms/other/login").await;
    let res = browser
        .post(format!("{}/realms/other/login-actions/consent", app.base))
        .form(&[("rid", rid.as_str()), ("decision", "allow"), ("csrf", &hidden_field(&html, "csrf").unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "expired under realm B");
    assert!(res.headers().get("location").is_none(), "no code is issued");
}

async fn a_blank_scope_does_not_skip_consent(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    app.app_client("web", "webapp", CB, ClientOptions::default()).await;
    for blank in [" ", "   "] {
        let browser = app.browser();
        let pkce = Pkce::new();
        let q = code_query("webapp", blank, &pkce);
        let res = app.auth_request(&browser, &pairs(&q)).await;
        let res = app.sign_in(&browser, &res, "alice", "correct horse battery").await;
        let location = res.headers()["location"].to_str().unwrap();
        assert!(location.starts_with("/realms/default/consent"), "scope={blank:?} must ask for consent: {location}");
        // And prompt=none cannot skip it either.
        let mut q = q.clone();
        q.push(("prompt", "none".into()));
        let res = app.auth_request(&browser, &pairs(&q)).await;
        let params = redirect_params(res.headers()["location"].to_str().unwrap());
        assert_eq!(params["error"], "consent_required");
        assert!(!params.contains_key("code"));
    }
}

/// A code flow for a public SPA (no consent) signed in as alice; returns the token response.
async fn spa_tokens(app: &TestApp, browser: &reqwest::Client, client_id: &str, scope: &str) -> Value {
    let pkce = Pkce::new();
    let q = code_query(client_id, scope, &pkce);
    let p = app.code_flow(browser, &pairs(&q), ("alice", "correct horse battery")).await;
    let spa = Creds { id: client_id.into(), secret: String::new() };
    let res = app.exchange(&spa, &p["code"], CB, Some(&pkce.verifier)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn no_consent_spa(app: &TestApp, id: &str) -> Creds {
    let options = ClientOptions { consent_required: Some(false), ..Default::default() };
    app.create_client(NewClient {
        realm: "default".into(),
        template: "spa".into(),
        client_id: Some(id.into()),
        redirect_uris: vec![CB.into()],
        options,
        ..Default::default()
    })
    .await
}

async fn revoking_a_refresh_token_revokes_its_family(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    let spa = no_consent_spa(&app, "spa").await;
    let other = no_consent_spa(&app, "other-spa").await;
    let rs = app.service_client("rs", &[]).await;
    let browser = app.browser();
    let tokens = spa_tokens(&app, &browser, "spa", "openid").await;
    let theirs = spa_tokens(&app, &browser, "other-spa", "openid").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    // Another client's refresh token: 200, nothing revoked (RFC 7009 §2.1, no oracle).
    let res = app
        .post_form(
            "default",
            REVOKE,
            None,
            &[("token", theirs["refresh_token"].as_str().unwrap()), ("client_id", "spa")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.refresh(&other, theirs["refresh_token"].as_str().unwrap(), None).await.status(), StatusCode::OK);
    // The hint is only a hint: a refresh token sent as "access_token" is still recognised.
    let form = [("token", refresh), ("token_type_hint", "access_token"), ("client_id", "spa")];
    assert_eq!(app.post_form("default", REVOKE, None, &form).await.status(), StatusCode::OK);
    assert_oauth_error(app.refresh(&spa, refresh, None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.introspect(&rs, access).await["active"], false, "the family's access tokens die with it");
    let mut conn = app.manager.db.conn().await.unwrap();
    let events = portcullis::store::audit::recent(&mut conn, None, 50).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "token.revoked" && e.detail.contains("refresh_token")));
}

async fn parallel_wrong_passwords_cannot_pass_the_lockout(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    let legacy = app.password_client("legacy", CB).await;
    let guesses = (0..60).map(|i| {
        let (app, legacy) = (&app, &legacy);
        async move {
            let pw = format!("guess {i}");
            let form = [("grant_type", "password"), ("username", "alice"), ("password", pw.as_str())];
            app.post_form("default", TOKEN, Some(legacy), &form).await.status()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::BAD_REQUEST));
    // Every guess was reserved before its password was checked: at most one of the racing
    // guesses got past the delay, so the counter stands at one, not sixty.
    let realm = app.state.registry.realm("default").await.unwrap().unwrap();
    let mut conn = app.manager.db.conn().await.unwrap();
    let row = portcullis::store::login_failures::get(&mut conn, &realm.id, "user:alice").await.unwrap().unwrap();
    assert_eq!(row.failures, 1, "racing guesses were refused, not all checked");
    let events = portcullis::store::audit::recent(&mut conn, None, 200).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "user.login_failed").count(), 1);
    // Sequential guesses (waiting out each delay) lock the account at the limit, five.
    for _ in 0..4 {
        app.clock.advance(31);
        let form = [("grant_type", "password"), ("username", "alice"), ("password", "wrong")];
        app.post_form("default", TOKEN, Some(&legacy), &form).await;
    }
    app.clock.advance(31);
    let form = [("grant_type", "password"), ("username", "alice"), ("password", "correct horse battery")];
    let body = assert_oauth_error(
        app.post_form("default", TOKEN, Some(&legacy), &form).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert!(body["error_description"].as_str().unwrap().contains("locked"), "{body}");
}

async fn a_sign_in_whose_caller_hangs_up_is_still_counted(app: TestApp) {
    use portcullis::flow::brute_force::{self, Candidate, Guard};
    app.create_user("alice", "correct horse battery").await;
    let realm = app.state.registry.realm("default").await.unwrap().unwrap();
    // The caller's future is dropped as soon as the attempt has started (the account lookup,
    // which runs after the reservation and before argon2).
    let (started, on_start) = tokio::sync::oneshot::channel::<()>();
    let realm_id = realm.id.clone();
    let attempt = brute_force::guarded_login(
        &app.state,
        Guard::for_realm(&realm),
        "alice",
        "wrong".into(),
        "192.0.2.1".parse().unwrap(),
        move |state, name| async move {
            let _ = started.send(());
            let mut conn = state.db.conn().await?;
            let user = portcullis::store::users::by_username(&mut conn, &realm_id, &name).await?;
            Ok(user.map(|u| Candidate { id: u.id.clone(), hash: u.password_hash.clone(), account: u }))
        },
    );
    tokio::select! {
        _ = attempt => panic!("the attempt cannot finish before its lookup started"),
        _ = on_start => {}
    }
    let recorded = eventually(10, || async {
        let mut conn = app.manager.db.conn().await.unwrap();
        let events = portcullis::store::audit::recent(&mut conn, None, 20).await.unwrap();
        events.iter().any(|e| e.kind == "user.login_failed")
    })
    .await;
    assert!(recorded, "the failure is recorded although nobody waited for it");
    let mut conn = app.manager.db.conn().await.unwrap();
    let row = portcullis::store::login_failures::get(&mut conn, &realm.id, "user:alice").await.unwrap();
    assert_eq!(row.map(|r| r.failures), Some(1));
    let ip_row = portcullis::store::login_failures::get(&mut conn, &realm.id, "user-ip:192.0.2.1").await.unwrap();
    assert_eq!(ip_row.map(|r| r.failures), Some(1), "the address's counter too");
}

async fn client_authentication_failures_all_say_the_same(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    no_consent_spa(&app, "spa").await;
    let cc = [("grant_type", "client_credentials")];
    let unknown = app.post_form("default", TOKEN, Some(&Creds { id: "nobody".into(), secret: "x".into() }), &cc).await;
    let public_with_secret =
        app.post_form("default", TOKEN, Some(&Creds { id: "spa".into(), secret: "x".into() }), &cc).await;
    let no_secret =
        app.post_form("default", TOKEN, None, &[("grant_type", "client_credentials"), ("client_id", "svc")]).await;
    let wrong = app.post_form("default", TOKEN, Some(&Creds { id: svc.id.clone(), secret: "wrong".into() }), &cc).await;
    let mut descriptions = Vec::new();
    for res in [unknown, public_with_secret, no_secret, wrong] {
        let body = assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
        descriptions.push(body["error_description"].clone());
    }
    assert!(descriptions.windows(2).all(|w| w[0] == w[1]), "one message for every failure: {descriptions:?}");
}

async fn rp_logout_with_someone_elses_id_token_asks_first(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    app.create_user("bob", "bob's long password").await;
    no_consent_spa(&app, "spa").await;
    let alice = app.browser();
    let alice_tokens = spa_tokens(&app, &alice, "spa", "openid").await;
    let bob = app.browser();
    let pkce = Pkce::new();
    let q = code_query("spa", "openid", &pkce);
    app.code_flow(&bob, &pairs(&q), ("bob", "bob's long password")).await;
    let logout = app.realm_url("default", "/protocol/openid-connect/logout");
    let with_alices_hint =
        url::Url::parse_with_params(&logout, &[("id_token_hint", alice_tokens["id_token"].as_str().unwrap())]).unwrap();
    // A page that makes Bob's browser visit the logout URL with Alice's ID token: Bob is asked.
    let res = bob.get(with_alices_hint.clone()).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/realms/default/logout", "confirmation, not an instant logout");
    let res = app.auth_request(&bob, &pairs(&q)).await;
    assert!(
        redirect_params(res.headers()["location"].to_str().unwrap()).contains_key("code"),
        "Bob is still signed in"
    );
    // Alice's own browser with her own hint: signed out at once.
    let res = alice.get(with_alices_hint).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/realms/default/logged-out");
}

async fn a_deleted_clients_user_tokens_stay_dead_when_it_is_recreated(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    no_consent_spa(&app, "spa").await;
    let rs = app.service_client("rs", &[]).await;
    let browser = app.browser();
    let tokens = spa_tokens(&app, &browser, "spa", "openid").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.introspect(&rs, access).await["active"], true);
    assert!(jwt_claims(access)["cpk"].is_string(), "user tokens name their client row");
    app.manager.delete_client("default", "spa", &operator()).await.unwrap();
    no_consent_spa(&app, "spa").await;
    assert_eq!(app.introspect(&rs, access).await["active"], false, "the old client's token stays dead");
    let res = app.http.get(app.realm_url("default", USERINFO)).bearer_auth(access).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn sso_sessions_end_when_idle_and_at_their_maximum(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    let spa = no_consent_spa(&app, "spa").await;
    let browser = app.browser();
    let tokens = spa_tokens(&app, &browser, "spa", "openid").await;
    let pkce = Pkce::new();
    let q = code_query("spa", "openid", &pkce);
    // Used within the idle timeout (30 min): still signed in.
    app.clock.advance(29 * 60);
    let res = app.auth_request(&browser, &pairs(&q)).await;
    assert!(redirect_params(res.headers()["location"].to_str().unwrap()).contains_key("code"));
    // Idle for longer: the session is over, for the browser and for its refresh tokens.
    app.clock.advance(31 * 60);
    let res = app.auth_request(&browser, &pairs(&q)).await;
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/realms/default/login"));
    let res = app.refresh(&spa, tokens["refresh_token"].as_str().unwrap(), None).await;
    let body = assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(body["error_description"].as_str().unwrap().contains("session"), "{body}");
    // Kept busy, a session still ends at its maximum lifespan (10 h).
    let fresh = spa_tokens(&app, &browser, "spa", "openid").await;
    let mut refresh = fresh["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..(10 * 60 / 25 - 1) {
        app.clock.advance(25 * 60);
        let res = app.refresh(&spa, &refresh, None).await;
        assert_eq!(res.status(), StatusCode::OK);
        refresh = res.json::<Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();
    }
    app.clock.advance(25 * 60);
    assert_oauth_error(app.refresh(&spa, &refresh, None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

async fn pending_requests_per_session_are_capped(app: TestApp) {
    app.app_client("web", "webapp", CB, ClientOptions::default()).await;
    let browser = app.browser();
    let mut rids = Vec::new();
    for _ in 0..20 {
        let pkce = Pkce::new();
        let res = app.auth_request(&browser, &pairs(&code_query("webapp", "openid", &pkce))).await;
        rids.push(rid_of(&res));
    }
    let shows_request = |rid: String| {
        let (app, browser) = (&app, &browser);
        async move {
            let html = page(app, browser, &format!("/realms/default/login?rid={rid}")).await;
            html.contains("The webapp app")
        }
    };
    assert!(shows_request(rids[19].clone()).await, "the newest request waits");
    assert!(shows_request(rids[12].clone()).await, "the eighth newest too");
    assert!(!shows_request(rids[0].clone()).await, "the oldest were pruned");
    assert!(!shows_request(rids[11].clone()).await);
}

async fn device_authorization_is_rate_limited_by_default(app: TestApp) {
    app.device_client("tv").await;
    // 10 at once, then one every 6 seconds (real time: governor's clock): of 20 quick requests
    // the first 10 pass and most of the rest are refused, however slow the machine.
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let res = app.post_form("default", "/protocol/openid-connect/auth/device", None, &[("client_id", "tv")]).await;
        statuses.push(res.status());
    }
    assert!(statuses[..10].iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    let refused = statuses[10..].iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(refused >= 8, "{statuses:?}");
}

async fn audit_fields_are_bounded_and_locked_admin_attempts_write_nothing(app: TestApp) {
    app.manager.create_admin("root", "a long admin password".into(), &operator()).await.unwrap();
    let browser = app.browser();
    let sign_in = |username: String| {
        let (app, browser) = (&app, &browser);
        async move {
            let html = page(app, browser, "/admin/login").await;
            let csrf = hidden_field(&html, "csrf").unwrap();
            let res = browser
                .post(format!("{}/admin/login", app.base))
                .form(&[("username", username.as_str()), ("password", "wrong"), ("csrf", &csrf)])
                .send()
                .await
                .unwrap();
            res.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    let huge = "x".repeat(200_000);
    assert!(sign_in(huge.clone()).await.contains("error=invalid"));
    let mut conn = app.manager.db.conn().await.unwrap();
    let events = portcullis::store::audit::recent(&mut conn, None, 10).await.unwrap();
    let failed = events.iter().find(|e| e.kind == "admin.login_failed").unwrap();
    assert!(failed.actor.len() <= 255 && failed.detail.len() <= 4096, "bounded: {} bytes", failed.actor.len());
    // Lock "root" (five failures, waiting out each delay), then keep trying: refused, no rows.
    for _ in 0..5 {
        app.clock.advance(31);
        sign_in("root".into()).await;
    }
    let before = portcullis::store::audit::recent(&mut conn, None, 1000).await.unwrap().len();
    for _ in 0..10 {
        assert!(sign_in(huge.clone() + "root").await.contains("error="));
        assert!(sign_in("root".into()).await.contains("error=locked"));
    }
    let after = portcullis::store::audit::recent(&mut conn, None, 1000).await.unwrap().len();
    assert!(after - before <= 1, "locked attempts write nothing ({} rows for 20 attempts)", after - before);
}

async fn full_scope_off_limits_the_roles_in_user_tokens(app: TestApp) {
    // alice holds the realm role "staff" (helpers) and "auditor", plus a role of "reports".
    let alice = app.create_user("alice", "correct horse battery").await;
    let reports = app.service_client("reports", &[]).await;
    let _ = reports;
    {
        let realm = app.state.registry.realm("default").await.unwrap().unwrap();
        let mut tx = app.manager.db.begin().await.unwrap();
        let now = portcullis::clock::Clock::now(&*app.clock);
        let auditor = portcullis::store::roles::ensure_realm_role(&mut tx, &realm.id, "auditor", now).await.unwrap();
        portcullis::store::roles::assign_to_user(&mut tx, &alice, &auditor).await.unwrap();
        let pk = portcullis::store::clients::by_client_id(&mut tx, &realm.id, "reports").await.unwrap().unwrap().id;
        let viewer =
            portcullis::store::roles::ensure_client_role(&mut tx, &realm.id, &pk, "viewer", now).await.unwrap();
        portcullis::store::roles::assign_to_user(&mut tx, &alice, &viewer).await.unwrap();
        // "auditor" is a composite holding "reader": holding it is holding both.
        let reader = portcullis::store::roles::ensure_realm_role(&mut tx, &realm.id, "reader", now).await.unwrap();
        portcullis::store::roles::add_composite(&mut tx, &auditor, &reader).await.unwrap();
        tx.commit().await.unwrap();
    }
    // Full scope (the default): every role, every role-holding client in `aud`.
    let full_client = no_consent_spa(&app, "full").await;
    let narrow = ClientOptions {
        consent_required: Some(false),
        full_scope_allowed: Some(false),
        scope_roles: vec!["auditor".into()],
        ..Default::default()
    };
    app.create_client(NewClient {
        realm: "default".into(),
        template: "spa".into(),
        client_id: Some("narrow".into()),
        redirect_uris: vec![CB.into()],
        options: narrow,
        ..Default::default()
    })
    .await;
    let browser = app.browser();
    let issued = spa_tokens(&app, &browser, "full", "openid").await;
    // The same roles from the code and from a refresh (each reads the user, the session and
    // the roles in one query).
    let res = app.refresh(&full_client, issued["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(res.status(), 200);
    let refreshed: Value = res.json().await.unwrap();
    for body in [&issued, &refreshed] {
        let full = jwt_claims(body["access_token"].as_str().unwrap());
        let mut realm_roles: Vec<String> = serde_json::from_value(full["realm_access"]["roles"].clone()).unwrap();
        realm_roles.sort();
        assert_eq!(realm_roles, ["auditor", "reader", "staff"]);
        assert_eq!(full["resource_access"]["reports"]["roles"], serde_json::json!(["viewer"]));
        assert_eq!(full["aud"], "reports");
    }
    // Full scope off: only the scope-mapped role; no other client's roles, so no such audience.
    let narrow = jwt_claims(spa_tokens(&app, &browser, "narrow", "openid").await["access_token"].as_str().unwrap());
    assert_eq!(narrow["realm_access"]["roles"], serde_json::json!(["auditor"]));
    assert!(narrow.get("resource_access").is_none(), "{narrow}");
    assert_eq!(narrow["aud"], "narrow");
}

async fn offline_tokens_survive_logout_and_keep_working(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    let spa = no_consent_spa(&app, "spa").await;
    let rs = app.service_client("rs", &[]).await;
    let browser = app.browser();
    let online = spa_tokens(&app, &browser, "spa", "openid").await;
    let offline = spa_tokens(&app, &browser, "spa", "openid offline_access").await;
    assert!(
        jwt_claims(offline["access_token"].as_str().unwrap()).get("sid").is_none(),
        "offline access tokens name no session"
    );
    let url = url::Url::parse_with_params(
        &app.realm_url("default", "/protocol/openid-connect/logout"),
        &[("id_token_hint", online["id_token"].as_str().unwrap())],
    )
    .unwrap();
    assert_eq!(browser.get(url).send().await.unwrap().headers()["location"], "/realms/default/logged-out");
    assert_eq!(app.introspect(&rs, online["access_token"].as_str().unwrap()).await["active"], false);
    assert_eq!(app.introspect(&rs, offline["access_token"].as_str().unwrap()).await["active"], true);
    let res = app.refresh(&spa, offline["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let next: Value = res.json().await.unwrap();
    assert_eq!(
        app.introspect(&rs, next["access_token"].as_str().unwrap()).await["active"],
        true,
        "and the new access token works"
    );
    // Offline sessions are not bound by the SSO idle timeout either.
    app.clock.advance(24 * 3600);
    assert_eq!(app.refresh(&spa, next["refresh_token"].as_str().unwrap(), None).await.status(), StatusCode::OK);
}

/// The ids of the browser sessions stored in the database.
async fn stored_session_ids(app: &TestApp) -> Vec<String> {
    match app.db.kind {
        DbKind::Sqlite => {
            let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&app.db.url).await.unwrap();
            sqlx::query_scalar("SELECT id FROM tower_sessions").fetch_all(&mut c).await.unwrap()
        }
        DbKind::Postgres => {
            let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&app.db.url).await.unwrap();
            sqlx::query_scalar("SELECT id FROM tower_sessions.session").fetch_all(&mut c).await.unwrap()
        }
    }
}

async fn viewing_a_page_stores_no_session(app: TestApp) {
    app.manager.create_admin("root", "a long admin password".into(), &operator()).await.unwrap();
    let browser = app.browser();
    for path in ["/realms/default/login", "/realms/default/device", "/admin/login"] {
        let res = browser.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let cookies: Vec<&str> =
            res.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap()).collect();
        assert!(!cookies.iter().any(|c| c.starts_with("portcullis_session=")), "{path}: no session: {cookies:?}");
        assert!(res.text().await.unwrap().contains("name=\"csrf\""), "{path}: the form still has its token");
    }
    assert!(stored_session_ids(&app).await.is_empty(), "anonymous page views store nothing");
    // The form works with the visitor's token (JavaScript off: a plain post).
    let html = page(&app, &browser, "/admin/login").await;
    let csrf = hidden_field(&html, "csrf").unwrap();
    let form = [("username", "root"), ("password", "a long admin password"), ("csrf", csrf.as_str())];
    let res = browser.post(format!("{}/admin/login", app.base)).form(&form).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/admin/default/console/clients", "signed in");
    assert_eq!(stored_session_ids(&app).await.len(), 1, "a session now that there is one to keep");
    // Someone else's token, without the cookie it belongs to, is refused.
    let stranger = app.browser();
    let res = stranger.post(format!("{}/admin/login", app.base)).form(&form).send().await.unwrap();
    assert!(res.headers()["location"].to_str().unwrap().contains("error=csrf"));
}

async fn session_ids_are_stored_hashed(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    no_consent_spa(&app, "spa").await;
    let browser = app.browser();
    let pkce = Pkce::new();
    let res = app.auth_request(&browser, &pairs(&code_query("spa", "openid", &pkce))).await;
    let res = app.sign_in(&browser, &res, "alice", "correct horse battery").await;
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    let id = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
    let ids = stored_session_ids(&app).await;
    assert!(!ids.is_empty(), "the session is stored");
    assert!(!ids.contains(&id), "but not under the cookie's value");
    // The session still works (it is found by its hash).
    let res = app.auth_request(&browser, &pairs(&code_query("spa", "openid", &Pkce::new()))).await;
    assert!(redirect_params(res.headers()["location"].to_str().unwrap()).contains_key("code"));
    if app.db.kind == DbKind::Sqlite {
        use std::os::unix::fs::PermissionsExt;
        let file = app.db.url.strip_prefix("sqlite:").unwrap();
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the database file is private");
    }
}

async fn a_noisy_address_does_not_lock_out_other_clients(app: TestApp) {
    let victim = app.service_client("victim", &[]).await;
    let bystander = app.service_client("bystander", &[]).await;
    let from = |ip: &'static str, creds: Creds| {
        let app = &app;
        async move {
            app.http
                .post(app.realm_url("default", TOKEN))
                .header("x-forwarded-for", ip)
                .basic_auth(&creds.id, Some(&creds.secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // The victim's real secret, used once from its own address (now a verified credential).
    assert_eq!(from("198.51.100.7", victim.clone()).await, StatusCode::OK);
    let guess = Creds { id: "victim".into(), secret: "guess".into() };
    for _ in 0..3 {
        assert_eq!(from("203.0.113.5", guess.clone()).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(from("203.0.113.5", guess.clone()).await, StatusCode::TOO_MANY_REQUESTS, "guessing stops");
    assert_eq!(from("203.0.113.5", bystander.clone()).await, StatusCode::OK, "other clients behind the same address");
    assert_eq!(from("198.51.100.7", victim.clone()).await, StatusCode::OK, "the victim elsewhere");
    assert_eq!(from("203.0.113.5", victim.clone()).await, StatusCode::OK, "a verified secret is never refused");
    // IPv6: the whole /64 shares the counter.
    let v6 = Creds { id: "bystander".into(), secret: "guess".into() };
    for ip in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2::3"] {
        assert_eq!(from(ip, v6.clone()).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(from("2001:db8:1:2::ffff", v6.clone()).await, StatusCode::TOO_MANY_REQUESTS);
    let recorded = eventually(10, || async {
        let mut conn = app.manager.db.conn().await.unwrap();
        let events = portcullis::store::audit::recent(&mut conn, None, 50).await.unwrap();
        events.iter().any(|e| e.kind == "client.auth_failed" && e.ip.as_deref() == Some("203.0.113.5"))
    })
    .await;
    assert!(recorded, "the forwarded address is recorded");
}

async fn forwarded_headers_are_ignored_without_trusted_proxies(app: TestApp) {
    app.service_client("svc", &[]).await;
    let guess = Creds { id: "svc".into(), secret: "guess".into() };
    for i in 0..4 {
        // A different forged address each time: all count against the real peer.
        let res = app
            .http
            .post(app.realm_url("default", TOKEN))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .basic_auth(&guess.id, Some(&guess.secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let expected = if i < 3 { StatusCode::UNAUTHORIZED } else { StatusCode::TOO_MANY_REQUESTS };
        assert_eq!(res.status(), expected, "attempt {i}");
    }
}
