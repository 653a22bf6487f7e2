//! Federated sign-in and the token vault (issue 12, items 2 and 3; PRODUCT §10). The upstream
//! provider is a second Portcullis (its own server, database and clock); the browser is two
//! cookie jars (one per site, as a browser keeps them), driven request by request.

use crate::helpers::*;
use portcullis::clock::Clock;
use portcullis::manage::{
    client::ClientOptions,
    identity_provider::{FirstLoginReview, IdpChanges},
    user::NewUser,
};
use reqwest::StatusCode;
use serde_json::Value;

crate::db_tests!(
    first_sign_in_creates_and_links_a_user_and_the_next_reuses_the_link,
    trusted_verified_email_links_the_existing_user,
    review_profile_shows_what_is_taken_and_creates_the_user_as_reviewed,
    upstream_errors_are_pages_and_write_nothing,
    id_tokens_tampered_with_by_a_proxy_are_refused,
    broker_token_needs_read_token_and_is_refreshed_when_expired,
);

const SHOP_CB: &str = "https://shop.example.com/cb";
const PASSWORD: &str = "correct horse battery";

/// The downstream (`down`, the app under test) and its upstream provider (`up`).
struct Pair {
    down: TestApp,
    up: TestApp,
    shop: Creds,
}

/// The upstream with `alice` and a web client for the downstream's broker endpoint; the
/// downstream with the `shop` app and provider `up` (by discovery), changed by `tweak`.
async fn pair(down: TestApp, tweak: impl FnOnce(&mut IdpChanges)) -> Pair {
    let up = TestApp::spawn(down.db.kind).await;
    up.manager
        .create_user(
            NewUser {
                realm: "default".into(),
                username: "alice".into(),
                email: Some("alice@example.com".into()),
                email_verified: true,
                first_name: "Alice".into(),
                last_name: "Liddell".into(),
                ..Default::default()
            },
            PASSWORD.into(),
            &operator(),
        )
        .await
        .unwrap();
    let endpoint = down.realm_url("default", "/broker/up/endpoint");
    let mut changes = IdpChanges {
        alias: Some("up".into()),
        display_name: Some("Upstream Corp".into()),
        discovery_url: Some(up.realm_url("default", "")),
        store_tokens: Some(true),
        ..Default::default()
    };
    tweak(&mut changes);
    // The upstream asks for PKCE from its client exactly when the provider sends it.
    let options = ClientOptions { pkce_required: Some(changes.pkce != Some(false)), ..Default::default() };
    let registered = up.app_client("web", "portcullis-down", &endpoint, options).await;
    changes.client_id = Some(registered.id.clone());
    changes.client_secret = Some(registered.secret.clone());
    down.manager.create_identity_provider("default", changes, &operator()).await.unwrap();
    let shop = down.app_client("web", "shop", SHOP_CB, ClientOptions::default()).await;
    Pair { down, up, shop }
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// The `href` of the element with `id` in a page.
fn href_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>')?];
    let href = tag.split("href=\"").nth(1)?.split('"').next()?;
    Some(href.replace("&amp;", "&"))
}

/// A started federated sign-in: the downstream's authorize request, then "Sign in with
/// Upstream Corp". Returns the redirect to the upstream's authorization endpoint.
async fn start(p: &Pair, down_browser: &reqwest::Client, pkce: &Pkce) -> reqwest::Response {
    let q = [
        ("response_type", "code"),
        ("client_id", "shop"),
        ("redirect_uri", SHOP_CB),
        ("scope", "openid profile email"),
        ("state", "shop-state"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ];
    let res = p.down.auth_request(down_browser, &q).await;
    assert!(location(&res).starts_with("/realms/default/login"), "to the sign-in page: {}", location(&res));
    let (_, html) = p.down.follow(down_browser, &res).await;
    assert!(html.contains("Sign in with Upstream Corp"), "the provider's link on the sign-in page");
    let href = href_of(&html, "idp-up").expect("a plain link to the broker");
    assert!(href.starts_with("/realms/default/broker/up/login?rid="), "{href}");
    let res = down_browser.get(format!("{}{href}", p.down.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with(&p.up.realm_url("default", "/protocol/openid-connect/auth?")));
    res
}

/// At the upstream: sign in (unless its SSO session is still there) and consent; returns the
/// redirect back to the downstream's broker endpoint.
async fn upstream_part(p: &Pair, up_browser: &reqwest::Client, to_upstream: &reqwest::Response) -> String {
    let mut res = up_browser.get(location(to_upstream)).send().await.unwrap();
    if location(&res).starts_with("/realms/default/login") {
        res = p.up.sign_in(up_browser, &res, "alice", PASSWORD).await;
    }
    if location(&res).starts_with("/realms/default/consent") {
        res = p.up.consent(up_browser, &res, "allow").await;
    }
    let back = location(&res);
    assert!(back.starts_with(&p.down.realm_url("default", "/broker/up/endpoint?")), "back to the broker: {back}");
    back
}

/// The whole federated sign-in; returns the tokens the shop gets.
async fn federated_sign_in(p: &Pair, down_browser: &reqwest::Client, up_browser: &reqwest::Client) -> Value {
    let pkce = Pkce::new();
    let res = start(p, down_browser, &pkce).await;
    let back = upstream_part(p, up_browser, &res).await;
    let mut res = down_browser.get(back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the broker endpoint continues the request");
    if location(&res).starts_with("/realms/default/consent") {
        res = p.down.consent(down_browser, &res, "allow").await;
    }
    let params = redirect_params(&location(&res));
    assert_eq!(params["state"], "shop-state");
    let res = p.down.exchange(&p.shop, &params["code"], SHOP_CB, Some(&pkce.verifier)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn user_count(app: &TestApp) -> i64 {
    let realm = app.manager.realm_row("default").await.unwrap();
    let mut conn = app.state.db.conn().await.unwrap();
    portcullis::store::users::count(&mut conn, &realm.id, &Default::default()).await.unwrap()
}

async fn first_sign_in_creates_and_links_a_user_and_the_next_reuses_the_link(down: TestApp) {
    // A local alice exists already (same email, but the provider is not trusted with emails)
    // and the profile is not reviewed: the upstream alice becomes a new user, alice-2, without
    // the taken email.
    let local = down.create_user("alice", "local password").await;
    let p = pair(down, |c| c.first_login_review = Some(FirstLoginReview::Off)).await;
    set_email(&p.down, &local, "alice@example.com").await;
    let before = user_count(&p.down).await;
    let up_browser = p.up.browser();
    let tokens = federated_sign_in(&p, &p.down.browser(), &up_browser).await;
    let claims = jwt_claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["preferred_username"], "alice-2");
    assert_eq!(claims["iss"], p.down.realm_url("default", ""));
    let id = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["given_name"], "Alice");
    assert!(id.get("email").is_none(), "the taken email is not copied: {id}");
    let sub = claims["sub"].as_str().unwrap().to_owned();
    assert_eq!(user_count(&p.down).await, before + 1);
    let links = p.down.manager.federated_identities("default", &sub, &operator()).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].0, "up");
    assert_eq!(links[0].1.username, "alice");
    // The sign-in is audited with the provider named.
    let realm = p.down.manager.realm_row("default").await.unwrap();
    let mut conn = p.down.state.db.conn().await.unwrap();
    let events = portcullis::store::audit::recent(&mut conn, Some(&realm.id), 50).await.unwrap();
    assert!(
        events.iter().any(|e| e.kind == "user.login" && e.detail.contains("\"identity_provider\":\"up\"")),
        "a user.login event naming the provider"
    );
    drop(conn);

    // A new browser at the shop, the same upstream session: the link is reused, no new user.
    let again = federated_sign_in(&p, &p.down.browser(), &up_browser).await;
    assert_eq!(jwt_claims(again["access_token"].as_str().unwrap())["sub"], sub);
    assert_eq!(user_count(&p.down).await, before + 1);

    // A disabled user is refused, and the browser gets a page.
    p.down
        .manager
        .update_user(
            "default",
            &sub,
            portcullis::manage::user::UserChanges { enabled: Some(false), ..Default::default() },
            &operator(),
        )
        .await
        .unwrap();
    let down_browser = p.down.browser();
    let res = start(&p, &down_browser, &Pkce::new()).await;
    let back = upstream_part(&p, &up_browser, &res).await;
    let res = down_browser.get(back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("This account is disabled"));
}

async fn trusted_verified_email_links_the_existing_user(down: TestApp) {
    let local = down.create_user("alice.local", "local password").await;
    let p = pair(down, |c| c.trust_email = Some(true)).await;
    // The local user's email is the upstream alice's.
    set_email(&p.down, &local, "alice@example.com").await;
    let before = user_count(&p.down).await;
    let tokens = federated_sign_in(&p, &p.down.browser(), &p.up.browser()).await;
    let claims = jwt_claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], local.as_str());
    assert_eq!(claims["preferred_username"], "alice.local");
    assert_eq!(user_count(&p.down).await, before);
}

async fn set_email(app: &TestApp, user_id: &str, email: &str) {
    let changes = portcullis::manage::user::UserChanges { email: Some(Some(email.into())), ..Default::default() };
    app.manager.update_user("default", user_id, changes, &operator()).await.unwrap();
}

/// Posts the review page `res` leads to with `profile` (username, email, first, last name);
/// returns the page's HTML and the response.
async fn review(
    p: &Pair,
    browser: &reqwest::Client,
    res: &reqwest::Response,
    profile: [&str; 4],
) -> (String, reqwest::Response) {
    let (status, html) = p.down.follow(browser, res).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Review your profile"), "the review page: {html}");
    let form = [
        ("csrf", hidden_field(&html, "csrf").expect("csrf")),
        ("username", profile[0].to_owned()),
        ("email", profile[1].to_owned()),
        ("first_name", profile[2].to_owned()),
        ("last_name", profile[3].to_owned()),
    ];
    let url = p.down.realm_url("default", "/login-actions/first-broker-login");
    (html, browser.post(url).form(&form).send().await.unwrap())
}

async fn review_profile_shows_what_is_taken_and_creates_the_user_as_reviewed(down: TestApp) {
    // A local alice with the upstream alice's email; the provider reviews only what is missing
    // or taken (the default) and keeps tokens.
    let local = down.create_user("alice", "local password").await;
    let p = pair(down, |_| {}).await;
    set_email(&p.down, &local, "alice@example.com").await;
    let before = user_count(&p.down).await;
    let (down_browser, up_browser) = (p.down.browser(), p.up.browser());
    let pkce = Pkce::new();
    let res = start(&p, &down_browser, &pkce).await;
    let back = upstream_part(&p, &up_browser, &res).await;
    let res = down_browser.get(back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).contains("error=username-taken"), "{}", location(&res));
    assert_eq!(user_count(&p.down).await, before, "nothing written before the review");

    // The page: prefilled from the upstream, the message beside Username. A forged form is
    // refused; the typed username kept when the email is taken too.
    let (html, res) = review(&p, &down_browser, &res, ["alice", "alice@example.com", "Alice", "Liddell"]).await;
    assert!(html.contains("This username is taken"), "{html}");
    assert!(html.contains("value=\"alice@example.com\"") && html.contains("value=\"Liddell\""), "prefilled");
    assert!(location(&res).contains("error=username-taken"));
    let (html, res) = review(&p, &down_browser, &res, ["alice.up", "alice@example.com", "Alice", "Liddell"]).await;
    assert!(html.contains("value=\"alice\""));
    assert!(location(&res).contains("error=email-taken"), "{}", location(&res));
    let forged = [("csrf", "forged"), ("username", "mallory"), ("email", "m@example.com")];
    let url = p.down.realm_url("default", "/login-actions/first-broker-login");
    let refused = down_browser.post(&url).form(&forged).send().await.unwrap();
    assert!(location(&refused).contains("error=csrf"));
    assert_eq!(user_count(&p.down).await, before, "nothing written while the profile is wrong");
    let (html, mut res) = review(&p, &down_browser, &res, ["alice.up", "alice.up@example.com", "Al", "Up"]).await;
    assert!(html.contains("value=\"alice.up\"") && html.contains("An account with this email address exists"));

    // Continue: the request goes on to the shop, the user made as reviewed.
    if location(&res).starts_with("/realms/default/consent") {
        res = p.down.consent(&down_browser, &res, "allow").await;
    }
    let params = redirect_params(&location(&res));
    assert_eq!(params["state"], "shop-state");
    let tokens: Value =
        p.down.exchange(&p.shop, &params["code"], SHOP_CB, Some(&pkce.verifier)).await.json().await.unwrap();
    let id = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["preferred_username"], "alice.up");
    assert_eq!(id["email"], "alice.up@example.com");
    assert_eq!(id["email_verified"], false, "not the address the provider vouched for");
    assert_eq!((id["given_name"].as_str(), id["family_name"].as_str()), (Some("Al"), Some("Up")));
    assert_eq!(user_count(&p.down).await, before + 1);
    let sub = id["sub"].as_str().unwrap();
    let links = p.down.manager.federated_identities("default", sub, &operator()).await.unwrap();
    assert_eq!((links.len(), links[0].1.username.as_str()), (1, "alice"));
    // The upstream tokens, sealed for the new account while it was reviewed, are kept for it.
    let realm = p.down.manager.realm_row("default").await.unwrap();
    let mut conn = p.down.state.db.conn().await.unwrap();
    let idp = portcullis::store::identity_providers::by_alias(&mut conn, &realm.id, "up").await.unwrap().unwrap();
    assert!(portcullis::store::identity_providers::tokens(&mut conn, sub, &idp.id).await.unwrap().is_some());
    drop(conn);
    // The review is spent: posting it again is refused as expired.
    let again =
        [("csrf", hidden_field(&html, "csrf").unwrap()), ("username", "x".into()), ("email", "x@example.com".into())];
    let res = down_browser.post(&url).form(&again).send().await.unwrap();
    assert!(location(&res).contains("error=expired"), "{}", location(&res));

    // With review on, a first sign-in whose profile is complete is reviewed too.
    let other = p.down.browser();
    p.down
        .manager
        .update_identity_provider(
            "default",
            "up",
            IdpChanges { first_login_review: Some(FirstLoginReview::On), ..Default::default() },
            &operator(),
        )
        .await
        .unwrap();
    p.down.manager.unlink_federated_identity("default", sub, "up", &operator()).await.unwrap();
    p.down.manager.delete_user("default", &local, &operator()).await.unwrap();
    let res = start(&p, &other, &Pkce::new()).await;
    let back = upstream_part(&p, &up_browser, &res).await;
    let res = other.get(back).send().await.unwrap();
    let to = location(&res);
    assert!(to.starts_with("/realms/default/login?rid=") && !to.contains("error="), "{to}");
}

/// The state a started sign-in sent upstream.
fn sent_state(to_upstream: &reqwest::Response) -> String {
    redirect_params(&location(to_upstream))["state"].clone()
}

async fn upstream_errors_are_pages_and_write_nothing(down: TestApp) {
    // Without PKCE, so a code can be replayed under another sign-in's state (below).
    let p = pair(down, |c| c.pkce = Some(false)).await;
    let before = user_count(&p.down).await;
    let down_browser = p.down.browser();
    let up_browser = p.up.browser();
    let endpoint = p.down.realm_url("default", "/broker/up/endpoint");

    // A tampered state: refused whatever the code.
    let res = start(&p, &down_browser, &Pkce::new()).await;
    let back = upstream_part(&p, &up_browser, &res).await;
    let tampered = back.replace(&format!("state={}", redirect_params(&back)["state"]), "state=forged");
    let page = down_browser.get(&tampered).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.unwrap().contains("Sign-in expired"));

    // The user cancelled at the provider.
    let res = start(&p, &down_browser, &Pkce::new()).await;
    let url = format!("{endpoint}?error=access_denied&state={}", sent_state(&res));
    let page = down_browser.get(url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.unwrap().contains("Signing in with Upstream Corp was cancelled"));

    // A code whose ID token carries another sign-in's nonce: the ID token is refused.
    let first = start(&p, &down_browser, &Pkce::new()).await;
    let second = start(&p, &down_browser, &Pkce::new()).await;
    let back = upstream_part(&p, &up_browser, &first).await;
    let code = redirect_params(&back).get("code").cloned().unwrap_or_else(|| panic!("a code: {back}"));
    let swapped = format!("{endpoint}?code={code}&state={}", sent_state(&second));
    let page = down_browser.get(swapped).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_GATEWAY);
    assert!(page.text().await.unwrap().contains("its ID token was not valid"));

    // The upstream goes away between its sign-in and the code exchange.
    let res = start(&p, &down_browser, &Pkce::new()).await;
    let back = upstream_part(&p, &up_browser, &res).await;
    let up_base = p.up.base.clone();
    let Pair { down, up, .. } = p;
    drop(up);
    assert!(eventually(10, || async { reqwest::get(&up_base).await.is_err() }).await, "the upstream stopped");
    let page = down_browser.get(back).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_GATEWAY);
    let html = page.text().await.unwrap();
    assert!(html.contains("Signing in with Upstream Corp did not work"), "{html}");
    // Nothing was written: no user, no link.
    assert_eq!(user_count(&down).await, before);
}

async fn broker_token_needs_read_token_and_is_refreshed_when_expired(down: TestApp) {
    let p = pair(down, |_| {}).await;
    let tokens = federated_sign_in(&p, &p.down.browser(), &p.up.browser()).await;
    let access = tokens["access_token"].as_str().unwrap();
    let sub = jwt_claims(access)["sub"].as_str().unwrap().to_owned();
    let vault = p.down.realm_url("default", "/broker/up/token");
    let get = |bearer: String| {
        let (http, vault) = (p.down.http.clone(), vault.clone());
        async move { http.get(vault).bearer_auth(bearer).send().await.unwrap() }
    };
    // Without the broker client's read-token role: 403; without a token at all: 401.
    assert_eq!(get(access.to_owned()).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(p.down.http.get(&vault).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);

    let username = jwt_claims(access)["preferred_username"].as_str().unwrap().to_owned();
    let read_token = [("broker".to_owned(), "read-token".to_owned())];
    p.down.manager.set_user_roles("default", &username, &[], &read_token, true, &operator()).await.unwrap();
    let refreshed = p.down.refresh(&p.shop, tokens["refresh_token"].as_str().unwrap(), None).await;
    let refreshed: Value = refreshed.json().await.unwrap();
    let access = refreshed["access_token"].as_str().unwrap().to_owned();
    assert_eq!(jwt_claims(&access)["resource_access"]["broker"]["roles"][0], "read-token");
    let res = get(access.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let stored: Value = res.json().await.unwrap();
    let upstream = jwt_claims(stored["access_token"].as_str().unwrap());
    assert_eq!(upstream["iss"], p.up.realm_url("default", ""));
    assert_eq!(upstream["preferred_username"], "alice");
    assert_eq!(stored["token_type"], "Bearer");
    assert!(stored["expires_in"].as_i64().unwrap() > 0);
    // The vault keeps them sealed: the stored row holds no token in the clear.
    let mut conn = p.down.state.db.conn().await.unwrap();
    let realm = p.down.manager.realm_row("default").await.unwrap();
    let idp = portcullis::store::identity_providers::by_alias(&mut conn, &realm.id, "up").await.unwrap().unwrap();
    let row = portcullis::store::identity_providers::tokens(&mut conn, &sub, &idp.id).await.unwrap().unwrap();
    assert!(!row.access_sealed.contains(stored["access_token"].as_str().unwrap()));
    drop(conn);

    // A user with the role but no stored token: 400.
    p.down.create_user("bob", PASSWORD).await;
    p.down.manager.set_user_roles("default", "bob", &[], &read_token, true, &operator()).await.unwrap();
    let pw = p.down.password_client("pw", "https://pw.example.com/cb").await;
    let res = p
        .down
        .post_form(
            "default",
            TOKEN,
            Some(&pw),
            &[("grant_type", "password"), ("username", "bob"), ("password", PASSWORD)],
        )
        .await;
    let bob_access = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get(bob_access).await.status(), StatusCode::BAD_REQUEST);

    // The upstream token expires (both clocks move past its 5 minutes): the endpoint refreshes
    // it at the upstream first, and stores the rotated refresh token (the second round uses it).
    let mut previous = stored["access_token"].as_str().unwrap().to_owned();
    let mut refresh_token = refreshed["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        p.up.clock.advance(400);
        p.down.clock.advance(400);
        let again: Value = p.down.refresh(&p.shop, &refresh_token, None).await.json().await.unwrap();
        refresh_token = again["refresh_token"].as_str().unwrap().to_owned();
        let res = get(again["access_token"].as_str().unwrap().to_owned()).await;
        assert_eq!(res.status(), StatusCode::OK);
        let fresh: Value = res.json().await.unwrap();
        let token = fresh["access_token"].as_str().unwrap().to_owned();
        assert_ne!(token, previous, "a new upstream token");
        assert_eq!(jwt_claims(&token)["iat"], p.up.clock.now(), "issued by the upstream just now");
        assert!(fresh["expires_in"].as_i64().unwrap() > 250);
        previous = token;
    }

    // The janitor refreshes tokens due within minutes, without anyone asking.
    p.up.clock.advance(200);
    p.down.clock.advance(200);
    portcullis::startup::janitor_pass(&p.down.state, None).await;
    let mut conn = p.down.state.db.conn().await.unwrap();
    let row = portcullis::store::identity_providers::tokens(&mut conn, &sub, &idp.id).await.unwrap().unwrap();
    assert_eq!(row.updated_at, p.down.clock.now(), "refreshed by the janitor");
    assert!(row.expires_at.unwrap() > p.down.clock.now() + 250);
}

/// How the tampering proxy changes the ID token of each token response.
#[derive(Clone, Copy, Debug)]
enum Tamper {
    /// One bit of the signature flipped.
    Signature,
    /// Another subject in the payload, the signature kept.
    Payload,
    /// `alg: none`, no signature.
    AlgNone,
    /// Signed with a key of the proxy's own (HS256 with the client secret as its key, the
    /// classic confusion attack).
    Hmac,
    /// Passed through unchanged.
    Nothing,
}

fn tamper(id_token: &str, how: Tamper, secret: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
    let parts: Vec<&str> = id_token.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    match how {
        Tamper::Signature => {
            let mut sig = B64.decode(parts[2]).unwrap();
            sig[10] ^= 1;
            format!("{}.{}.{}", parts[0], parts[1], B64.encode(sig))
        }
        Tamper::Payload => {
            claims["sub"] = "someone-else".into();
            format!("{}.{}.{}", parts[0], B64.encode(claims.to_string()), parts[2])
        }
        Tamper::AlgNone => {
            format!("{}.{}.", B64.encode(r#"{"alg":"none","typ":"JWT"}"#), parts[1])
        }
        Tamper::Hmac => {
            let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
            jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &key).unwrap()
        }
        Tamper::Nothing => id_token.to_owned(),
    }
}

/// A proxy in front of the upstream's token endpoint that forwards every request and changes
/// the ID token of the answer as `mode` says. Returns its URL.
async fn tampering_proxy(
    upstream_token_url: String,
    secret: String,
    mode: std::sync::Arc<std::sync::Mutex<Tamper>>,
) -> String {
    use axum::{body::Bytes, http::HeaderMap, response::IntoResponse};
    let http = reqwest::Client::new();
    let handler = move |headers: HeaderMap, body: Bytes| {
        let (http, url, secret, mode) = (http.clone(), upstream_token_url.clone(), secret.clone(), mode.clone());
        async move {
            let mut req = http.post(url).header("content-type", "application/x-www-form-urlencoded").body(body);
            if let Some(auth) = headers.get("authorization") {
                req = req.header("authorization", auth.to_str().unwrap());
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let mut json: Value = res.json().await.unwrap();
            let how = *mode.lock().unwrap();
            if let Some(t) = json["id_token"].as_str() {
                json["id_token"] = tamper(t, how, &secret).into();
            }
            (axum::http::StatusCode::from_u16(status).unwrap(), axum::Json(json)).into_response()
        }
    };
    let app = axum::Router::new().route("/token", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn id_tokens_tampered_with_by_a_proxy_are_refused(down: TestApp) {
    let p = pair(down, |_| {}).await;
    let realm = p.down.manager.realm_row("default").await.unwrap();
    let idp = {
        let mut conn = p.down.state.db.conn().await.unwrap();
        portcullis::store::identity_providers::by_alias(&mut conn, &realm.id, "up").await.unwrap().unwrap()
    };
    let secret = p.down.manager.idp_secret(&idp).unwrap().unwrap();
    let mode = std::sync::Arc::new(std::sync::Mutex::new(Tamper::Nothing));
    let proxy = tampering_proxy(idp.token_url.clone(), secret, mode.clone()).await;
    let to_proxy = IdpChanges { token_url: Some(proxy), ..Default::default() };
    p.down.manager.update_identity_provider("default", "up", to_proxy, &operator()).await.unwrap();
    let before = user_count(&p.down).await;
    let up_browser = p.up.browser();
    for how in [Tamper::Signature, Tamper::Payload, Tamper::AlgNone, Tamper::Hmac] {
        *mode.lock().unwrap() = how;
        let down_browser = p.down.browser();
        let res = start(&p, &down_browser, &Pkce::new()).await;
        let back = upstream_part(&p, &up_browser, &res).await;
        let page = down_browser.get(back).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::BAD_GATEWAY, "{how:?}");
        let html = page.text().await.unwrap();
        assert!(html.contains("its ID token was not valid"), "{how:?}: {html}");
        assert_eq!(user_count(&p.down).await, before, "{how:?}: nothing written");
    }
    // The same path untouched: the sign-in works, so the refusals above were the tampering's.
    *mode.lock().unwrap() = Tamper::Nothing;
    let tokens = federated_sign_in(&p, &p.down.browser(), &up_browser).await;
    assert_eq!(jwt_claims(tokens["access_token"].as_str().unwrap())["preferred_username"], "alice");
    assert_eq!(user_count(&p.down).await, before + 1);
}
