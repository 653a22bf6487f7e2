//! What keycloak-js needs beyond the code flow: the login-status iframe and its origin check,
//! the third-party-cookie check pages, the readable `KEYCLOAK_SESSION` cookie the iframe
//! compares with, and refresh tokens in the shape keycloak-js decodes. The library itself runs
//! in Chromium in `end2end/tests/keycloak_js.test.mjs`.

use crate::helpers::*;
use base64::{engine::general_purpose::STANDARD, Engine};
use portcullis::manage::{
    client::{ClientOptions, NewClient},
    client_update::ClientChanges,
};
use reqwest::{header, StatusCode};
use serde_json::Value;

crate::db_tests!(
    status_pages_are_framable_and_run_only_their_own_script,
    init_answers_only_for_a_clients_web_origins,
    the_readable_cookie_follows_the_sso_session_and_is_no_credential,
    refresh_tokens_have_the_shape_keycloak_js_decodes,
);

const SPA_ORIGIN: &str = "http://localhost:3000";
const SPA_CB: &str = "http://localhost:3000/app/";
const PASSWORD: &str = "correct horse battery";
const IFRAME: &str = "/protocol/openid-connect/login-status-iframe.html";
const INIT: &str = "/protocol/openid-connect/login-status-iframe.html/init";
const STEP1: &str = "/protocol/openid-connect/3p-cookies/step1.html";
const STEP2: &str = "/protocol/openid-connect/3p-cookies/step2.html";

/// A public SPA client without consent, redirecting to [`SPA_CB`], with `web_origins`.
async fn spa(app: &TestApp, id: &str, web_origins: &[&str]) -> Creds {
    let options = ClientOptions {
        consent_required: Some(false),
        post_logout_redirect_uris: vec![SPA_CB.into()],
        web_origins: web_origins.iter().map(|o| o.to_string()).collect(),
        ..Default::default()
    };
    app.create_client(NewClient {
        realm: "default".into(),
        template: "spa".into(),
        client_id: Some(id.into()),
        redirect_uris: vec![SPA_CB.into()],
        options,
        ..Default::default()
    })
    .await
}

fn auth_query<'a>(client_id: &'a str, pkce: &'a Pkce, prompt: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
    let mut q = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", SPA_CB),
        ("scope", "openid"),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    if let Some(p) = prompt {
        q.push(("prompt", p));
    }
    q
}

/// Every `Set-Cookie` line of a response.
fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

/// The `Set-Cookie` lines for `KEYCLOAK_SESSION`.
fn status_cookies(res: &reqwest::Response) -> Vec<String> {
    set_cookies(res).into_iter().filter(|c| c.starts_with("KEYCLOAK_SESSION=")).collect()
}

/// The value of a `Set-Cookie` line.
fn cookie_value(line: &str) -> &str {
    line.split(';').next().unwrap().split_once('=').unwrap().1
}

/// The inline script of a status page (there is exactly one).
fn the_script(html: &str) -> &str {
    assert_eq!(html.matches("<script").count(), 1, "one script: {html}");
    html.split("<script>").nth(1).unwrap().split("</script>").next().unwrap()
}

async fn status_pages_are_framable_and_run_only_their_own_script(app: TestApp) {
    for prefix in ["/realms/default", "/auth/realms/default"] {
        for path in [IFRAME, STEP1, STEP2] {
            let res = app.http.get(format!("{}{prefix}{path}", app.base)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{prefix}{path}");
            let h = res.headers().clone();
            assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
            assert!(h.get(header::X_FRAME_OPTIONS).is_none(), "{path}: framable, no X-Frame-Options");
            assert!(h.get(header::SET_COOKIE).is_none(), "{path}: sets no cookie");
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
            for directive in ["default-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors *"] {
                assert!(csp.split("; ").any(|d| d == directive), "{path}: {directive} in {csp}");
            }
            assert!(!csp.contains("unsafe"), "{csp}");
            let connect = if path == IFRAME { "connect-src 'self'" } else { "connect-src 'none'" };
            assert!(csp.split("; ").any(|d| d == connect), "{path}: {csp}");
            let html = res.text().await.unwrap();
            let hash = STANDARD.encode(portcullis::crypto::sha256(the_script(&html).as_bytes()));
            let script_src: Vec<&str> = csp.split("; ").filter(|d| d.starts_with("script-src")).collect();
            assert_eq!(script_src, vec![format!("script-src 'sha256-{hash}'")], "exactly this page's script");
        }
    }
    // The iframe asks its own server, and keycloak-js's cookie name is what it reads.
    let html = app.http.get(app.realm_url("default", IFRAME)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("\"/init\"") && html.contains("KEYCLOAK_SESSION"));
    // Only these pages: the sign-in page still refuses to be framed.
    let login = app.http.get(app.realm_url("default", "/login")).send().await.unwrap();
    assert_eq!(login.headers()[header::X_FRAME_OPTIONS], "DENY");
    assert!(login.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors 'none'"));
    // An unknown realm has none of them.
    for path in [IFRAME, STEP1, STEP2] {
        let res = app.http.get(app.realm_url("nowhere", path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Discovery names the iframe as OpenID Connect Session Management's check_session_iframe.
    let doc: Value = app
        .http
        .get(app.realm_url("default", "/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["check_session_iframe"], app.realm_url("default", IFRAME).as_str());
}

async fn init_answers_only_for_a_clients_web_origins(app: TestApp) {
    spa(&app, "plus", &["+"]).await;
    spa(&app, "listed", &["https://app.example.com"]).await;
    spa(&app, "closed", &[]).await;
    let init = |realm: &'static str, query: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let res = app.http.get(app.realm_url(realm, INIT)).query(&query).send().await.unwrap();
            if res.status() != StatusCode::NOT_FOUND {
                assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
            }
            res.status()
        }
    };
    let ask =
        |client: &'static str, origin: &'static str| init("default", vec![("client_id", client), ("origin", origin)]);
    // `+`: the origins of the client's redirect URIs, exactly.
    assert_eq!(ask("plus", SPA_ORIGIN).await, StatusCode::NO_CONTENT);
    for other in ["http://localhost:3001", "https://localhost:3000", "http://evil.example", "null", ""] {
        assert_eq!(ask("plus", other).await, StatusCode::FORBIDDEN, "{other:?}");
    }
    // An explicit list: its origins, and not the redirect URIs' unless `+` is listed.
    assert_eq!(ask("listed", "https://app.example.com").await, StatusCode::NO_CONTENT);
    assert_eq!(ask("listed", SPA_ORIGIN).await, StatusCode::FORBIDDEN);
    // No Web Origins: nobody.
    assert_eq!(ask("closed", SPA_ORIGIN).await, StatusCode::FORBIDDEN);
    // An unknown client answers like a refused origin (Keycloak's 403), so the check tells
    // nobody which clients exist.
    assert_eq!(ask("nobody", SPA_ORIGIN).await, StatusCode::FORBIDDEN);
    // Half a question is a bad one; an unknown realm is not found.
    assert_eq!(init("default", vec![("client_id", "plus")]).await, StatusCode::BAD_REQUEST);
    assert_eq!(init("default", vec![("origin", SPA_ORIGIN)]).await, StatusCode::BAD_REQUEST);
    assert_eq!(init("nowhere", vec![("client_id", "plus"), ("origin", SPA_ORIGIN)]).await, StatusCode::NOT_FOUND);
    // A disabled client: refused, from the moment it is disabled.
    let changes = ClientChanges { enabled: Some(false), ..Default::default() };
    app.manager.update_client("default", "plus", changes, &operator()).await.unwrap();
    assert_eq!(ask("plus", SPA_ORIGIN).await, StatusCode::FORBIDDEN);
}

async fn the_readable_cookie_follows_the_sso_session_and_is_no_credential(app: TestApp) {
    app.create_user("alice", PASSWORD).await;
    spa(&app, "spa", &["+"]).await;
    let browser = app.browser();
    let pkce = Pkce::new();
    let res = app.auth_request(&browser, &auth_query("spa", &pkce, None)).await;
    assert!(status_cookies(&res).is_empty(), "nobody signed in, no cookie");
    let res = app.sign_in(&browser, &res, "alice", PASSWORD).await;
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(SPA_CB), "{location}");
    // The session cookie comes first, as before; then the readable one, for both prefixes.
    let all = set_cookies(&res);
    assert!(all[0].starts_with("portcullis_session="), "{all:?}");
    let status = status_cookies(&res);
    assert_eq!(status.len(), 2, "{all:?}");
    assert!(status[0].contains("; Path=/realms/default/;"), "{}", status[0]);
    assert!(status[1].contains("; Path=/auth/realms/default/;"), "{}", status[1]);
    for line in &status {
        assert!(!line.contains("HttpOnly"), "readable by the iframe: {line}");
        assert!(line.ends_with("; SameSite=Lax") && !line.contains("Secure"), "plain http: {line}");
        assert!(line.contains("; Max-Age=36000;"), "until the session's maximum lifespan (10 h): {line}");
    }
    // Its value is the digest of the sid that the response and the tokens carry anyway…
    let value = cookie_value(&status[0]).to_owned();
    assert_eq!(cookie_value(&status[1]), value);
    let params = redirect_params(&location);
    let sid = &params["session_state"];
    assert_eq!(value, portcullis::crypto::b64(&portcullis::crypto::sha256(sid.as_bytes())));
    let tokens: Value = app
        .exchange(&Creds { id: "spa".into(), secret: String::new() }, &params["code"], SPA_CB, Some(&pkce.verifier))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(jwt_claims(tokens["access_token"].as_str().unwrap())["sid"], sid.as_str());
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    assert_eq!(jwt_claims(&id_token)["sid"], sid.as_str());
    // …and nothing of the browser session's cookie, which alone signs a browser in.
    let session = all.iter().find(|c| c.starts_with("portcullis_session=")).unwrap();
    let session_value = cookie_value(session);
    assert!(!value.contains(session_value) && !sid.contains(session_value));
    assert_ne!(value, portcullis::crypto::b64(&portcullis::crypto::sha256(session_value.as_bytes())));
    // A browser holding only the readable cookie (or the sid) is not signed in.
    let stranger = http_client();
    let url = url::Url::parse_with_params(
        &app.realm_url("default", "/protocol/openid-connect/auth"),
        &auth_query("spa", &Pkce::new(), Some("none")),
    )
    .unwrap();
    for cookie in [format!("KEYCLOAK_SESSION={value}"), format!("KEYCLOAK_SESSION={sid}")] {
        let res = stranger.get(url.clone()).header(header::COOKIE, cookie).send().await.unwrap();
        let location = res.headers()["location"].to_str().unwrap();
        assert_eq!(redirect_params(location)["error"], "login_required");
    }
    // While it is in step with the session, nothing is set again.
    let res = app.auth_request(&browser, &auth_query("spa", &Pkce::new(), Some("none"))).await;
    assert!(redirect_params(res.headers()["location"].to_str().unwrap()).contains_key("code"));
    assert!(status_cookies(&res).is_empty());

    // Logout clears it, under both prefixes.
    let res = browser
        .get(app.realm_url("default", "/protocol/openid-connect/logout"))
        .query(&[("id_token_hint", id_token.as_str()), ("client_id", "spa"), ("post_logout_redirect_uri", SPA_CB)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], SPA_CB);
    let cleared = status_cookies(&res);
    assert_eq!(cleared.len(), 2, "{cleared:?}");
    assert!(cleared.iter().all(|c| c.starts_with("KEYCLOAK_SESSION=;") && c.contains("Max-Age=0")), "{cleared:?}");

    // Signed in again; the session then ends on the server (30 idle minutes): the next request
    // of the browser finds it over and clears the cookie.
    let res = app.auth_request(&browser, &auth_query("spa", &Pkce::new(), None)).await;
    let res = app.sign_in(&browser, &res, "alice", PASSWORD).await;
    let again = status_cookies(&res);
    assert_eq!(again.len(), 2);
    assert_ne!(cookie_value(&again[0]), value, "a new session, a new value");
    app.clock.advance(31 * 60);
    let res = app.auth_request(&browser, &auth_query("spa", &Pkce::new(), Some("none"))).await;
    assert_eq!(redirect_params(res.headers()["location"].to_str().unwrap())["error"], "login_required");
    let cleared = status_cookies(&res);
    assert_eq!(cleared.len(), 2, "{cleared:?}");
    assert!(cleared.iter().all(|c| c.starts_with("KEYCLOAK_SESSION=;")));
}

async fn refresh_tokens_have_the_shape_keycloak_js_decodes(app: TestApp) {
    app.create_user("alice", PASSWORD).await;
    let spa = spa(&app, "spa", &["+"]).await;
    let browser = app.browser();
    let pkce = Pkce::new();
    let params = app.code_flow(&browser, &auth_query("spa", &pkce, None), ("alice", PASSWORD)).await;
    let res = app.exchange(&spa, &params["code"], SPA_CB, Some(&pkce.verifier)).await;
    let tokens: Value = res.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    // `header.claims.secret`: keycloak-js decodes the middle part as it does Keycloak's.
    let parts: Vec<&str> = refresh.split('.').collect();
    assert_eq!(parts.len(), 3, "{refresh}");
    assert_eq!(jwt_header(&refresh), serde_json::json!({"alg": "none", "typ": "JWT"}));
    let claims = jwt_claims(&refresh);
    let access = jwt_claims(tokens["access_token"].as_str().unwrap());
    let issuer = app.realm_url("default", "");
    assert_eq!(claims["typ"], "Refresh");
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["aud"], issuer.as_str());
    assert_eq!(claims["azp"], "spa");
    assert_eq!(claims["sub"], access["sub"]);
    assert_eq!(claims["sid"], params["session_state"].as_str());
    assert_eq!(claims["iat"], access["iat"]);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        tokens["refresh_expires_in"].as_i64().unwrap()
    );
    let secret = parts[2];
    assert_eq!(secret.len(), 43, "256 bits");

    // Only the secret counts: presented alone (as tokens were issued before this shape) it
    // refreshes; the whole token presented again inside the reuse window gets the very same
    // successor, claims included.
    let first = app.refresh(&spa, secret, None).await;
    assert_eq!(first.status(), StatusCode::OK);
    let next = first.json::<Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();
    let again = app.refresh(&spa, &refresh, None).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap()["refresh_token"], next.as_str());
    assert_ne!(next, refresh);

    // Revocation (RFC 7009) finds the family through the same secret.
    let res = app
        .post_form("default", "/protocol/openid-connect/revoke", None, &[("token", &next), ("client_id", "spa")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_oauth_error(app.refresh(&spa, &next, None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // An offline family says so and names no session (it outlives it).
    let pkce = Pkce::new();
    let mut q = auth_query("spa", &pkce, None);
    q[3] = ("scope", "openid offline_access");
    let params = app.code_flow(&browser, &q, ("alice", PASSWORD)).await;
    let tokens: Value = app.exchange(&spa, &params["code"], SPA_CB, Some(&pkce.verifier)).await.json().await.unwrap();
    let claims = jwt_claims(tokens["refresh_token"].as_str().unwrap());
    assert_eq!(claims["typ"], "Offline");
    assert!(claims.get("sid").is_none(), "{claims}");
}
