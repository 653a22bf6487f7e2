//! The load of the crash test: one worker per flow (refresh rotation, code redemption, device
//! polling and approval, client creation), each recording what the server acknowledged until
//! the kill cuts it off.

use super::{PASSWORD, WEB_CB};
use crate::helpers::*;
use reqwest::{header, Client, StatusCode};
use serde_json::{json, Value};
use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

/// The flows of the load, each counting its acknowledged answers.
pub(super) const ROTATION: usize = 0;
pub(super) const CODE: usize = 1;
pub(super) const DEVICE: usize = 2;
pub(super) const CLIENT: usize = 3;
/// The load is killed once each flow has had this many answers acknowledged.
pub(super) const KILL_AT: [usize; 4] = [60, 20, 5, 5];
/// Workers stop on their own past this many answers, should the kill never come.
pub(super) const HARD_STOP: usize = 3000;

/// Answers counted by flow; workers stop at [`HARD_STOP`] in all or at their first failure.
#[derive(Default)]
pub(super) struct Load {
    pub(super) acks: [AtomicUsize; 4],
}

impl Load {
    /// Counts an answer of `flow`; whether to go on.
    pub(super) fn ack(&self, flow: usize) -> bool {
        self.acks[flow].fetch_add(1, Ordering::SeqCst);
        self.total() < HARD_STOP
    }

    pub(super) fn counts(&self) -> Vec<usize> {
        self.acks.iter().map(|a| a.load(Ordering::SeqCst)).collect()
    }

    pub(super) fn total(&self) -> usize {
        self.counts().iter().sum()
    }

    pub(super) fn ready_to_kill(&self) -> bool {
        self.counts().iter().zip(KILL_AT).all(|(n, at)| *n >= at)
    }
}

/// What the load saw acknowledged before the kill.
#[derive(Default)]
pub(super) struct Seen {
    /// Access tokens received.
    pub(super) access: Vec<String>,
    /// Refresh tokens received from code (`webapp`) and device (`tv`) redemptions, never
    /// presented: (client id, token).
    pub(super) fresh_refresh: Vec<(&'static str, String)>,
    /// Refresh chains: each token received, in order (the first from a password grant).
    pub(super) chains: Vec<Vec<String>>,
    /// Codes (and verifiers) whose redemption was answered 200.
    pub(super) codes_redeemed: Vec<(String, String)>,
    /// Codes received whose redemption was in flight at the kill (or not yet sent).
    pub(super) codes_open: Vec<(String, String)>,
    pub(super) devices_redeemed: Vec<String>,
    /// Device codes whose approval or final poll was in flight at the kill.
    pub(super) devices_open: Vec<String>,
    /// Clients whose creation was answered 201: (clientId, id).
    pub(super) clients: Vec<(String, String)>,
    /// Client ids whose creation was in flight at the kill.
    pub(super) clients_open: Vec<String>,
    /// Answers before the kill that were not what the flow expects.
    pub(super) unexpected: Vec<String>,
}

impl Seen {
    pub(super) fn merge(&mut self, o: Seen) {
        self.access.extend(o.access);
        self.fresh_refresh.extend(o.fresh_refresh);
        self.chains.extend(o.chains);
        self.codes_redeemed.extend(o.codes_redeemed);
        self.codes_open.extend(o.codes_open);
        self.devices_redeemed.extend(o.devices_redeemed);
        self.devices_open.extend(o.devices_open);
        self.clients.extend(o.clients);
        self.clients_open.extend(o.clients_open);
        self.unexpected.extend(o.unexpected);
    }
}

/// Sends a request and reads its JSON body: `None` when the kill cut it off.
pub(super) async fn call(req: reqwest::RequestBuilder) -> Option<(StatusCode, Value)> {
    let res = req.send().await.ok()?;
    let status = res.status();
    let text = res.text().await.ok()?;
    Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

pub(super) fn token_form<'a>(grant: &'a str, pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("grant_type", grant)];
    form.extend_from_slice(pairs);
    form
}

pub(super) fn str_of(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_default().to_owned()
}

/// Follows the sign-in page `location` leads to and signs alice in; the answer's `Location`.
pub(super) async fn sign_in(browser: &Client, base: &str, location: &str) -> Option<String> {
    let html = browser.get(format!("{base}{location}")).send().await.ok()?.text().await.ok()?;
    let mut form = vec![("username", "alice".to_owned()), ("password", PASSWORD.to_owned())];
    form.push(("csrf", hidden_field(&html, "csrf")?));
    if let Some(rid) = hidden_field(&html, "rid") {
        form.push(("rid", rid));
    }
    let res = browser.post(format!("{base}/realms/default/login-actions/authenticate")).form(&form).send().await;
    Some(res.ok()?.headers().get(header::LOCATION)?.to_str().ok()?.to_owned())
}

/// Refresh rotation: one chain per worker, each token presented once.
pub(super) async fn chain_worker(server: Arc<(String, Creds)>, first: String, load: Arc<Load>) -> Seen {
    let (token_url, client) = (&server.0, &server.1);
    let http = http_client();
    let mut seen = Seen::default();
    let mut chain = vec![first];
    loop {
        let last = chain.last().unwrap().clone();
        let form = token_form("refresh_token", &[("refresh_token", &last)]);
        let Some((status, body)) =
            call(http.post(token_url).basic_auth(&client.id, Some(&client.secret)).form(&form)).await
        else {
            break;
        };
        if status != StatusCode::OK {
            seen.unexpected.push(format!("refresh: {status} {body}"));
            break;
        }
        seen.access.push(str_of(&body, "access_token"));
        chain.push(str_of(&body, "refresh_token"));
        if !load.ack(ROTATION) {
            break;
        }
    }
    seen.chains.push(chain);
    seen
}

/// An authorization request for `webapp`: its answer's `Location`, signing in when asked.
pub(super) async fn authorize(browser: &Client, base: &str, pkce: &Pkce) -> Option<String> {
    let query = [
        ("response_type", "code"),
        ("client_id", "webapp"),
        ("redirect_uri", WEB_CB),
        ("scope", "openid"),
        ("state", "s"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ];
    let url = url::Url::parse_with_params(&format!("{base}/realms/default/protocol/openid-connect/auth"), query);
    let res = browser.get(url.ok()?).send().await.ok()?;
    let location = res.headers().get(header::LOCATION)?.to_str().ok()?.to_owned();
    if location.starts_with("/realms/default/login") {
        return sign_in(browser, base, &location).await;
    }
    Some(location)
}

/// A browser signed in as alice. (Sign-ins of one account are made one at a time: two at once
/// meet the brute-force guard's reservation and the second is told to wait.)
pub(super) async fn signed_in_browser(base: &str) -> Client {
    let browser = http_client();
    let location = authorize(&browser, base, &Pkce::new()).await.unwrap();
    assert!(location.starts_with(WEB_CB), "{location}");
    browser
}

/// Code redemption: authorize in a signed-in browser, redeem the code at once.
pub(super) async fn code_worker(base: String, client: Creds, browser: Client, load: Arc<Load>) -> Seen {
    let http = http_client();
    let mut seen = Seen::default();
    loop {
        let pkce = Pkce::new();
        let Some(location) = authorize(&browser, &base, &pkce).await else { break };
        let code = location.starts_with(WEB_CB).then(|| redirect_params(&location).remove("code")).flatten();
        let Some(code) = code else {
            seen.unexpected.push(format!("authorize: {location}"));
            break;
        };
        seen.codes_open.push((code.clone(), pkce.verifier.clone()));
        let form = token_form(
            "authorization_code",
            &[("code", &code), ("redirect_uri", WEB_CB), ("code_verifier", &pkce.verifier)],
        );
        let req = http.post(format!("{base}/realms/default{TOKEN}")).basic_auth(&client.id, Some(&client.secret));
        let Some((status, body)) = call(req.form(&form)).await else { break };
        if status != StatusCode::OK {
            seen.unexpected.push(format!("code: {status} {body}"));
            break;
        }
        seen.codes_redeemed.push(seen.codes_open.pop().unwrap());
        seen.access.push(str_of(&body, "access_token"));
        seen.fresh_refresh.push(("webapp", str_of(&body, "refresh_token")));
        if !load.ack(CODE) {
            break;
        }
    }
    seen
}

pub(super) const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Device polling and approval: start, poll (pending), approve in a signed-in browser, poll.
pub(super) async fn device_worker(base: String, browser: Client, load: Arc<Load>) -> Seen {
    let http = http_client();
    let mut seen = Seen::default();
    let token_url = format!("{base}/realms/default{TOKEN}");
    let poll = |device_code: String| {
        let form = [("grant_type", DEVICE_GRANT.to_owned()), ("device_code", device_code), ("client_id", "tv".into())];
        call(http.post(&token_url).form(&form))
    };
    loop {
        let start = http
            .post(format!("{base}/realms/default/protocol/openid-connect/auth/device"))
            .form(&[("client_id", "tv"), ("scope", "openid")]);
        let Some((status, auth)) = call(start).await else { break };
        if status != StatusCode::OK {
            seen.unexpected.push(format!("device authorization: {status} {auth}"));
            break;
        }
        let (device_code, user_code) = (str_of(&auth, "device_code"), str_of(&auth, "user_code"));
        seen.devices_open.push(device_code.clone());
        let Some((status, body)) = poll(device_code.clone()).await else { break };
        if status != StatusCode::BAD_REQUEST || body["error"] != "authorization_pending" {
            seen.unexpected.push(format!("first poll: {status} {body}"));
            break;
        }
        match approve(&browser, &base, &user_code).await {
            Ok(()) => {}
            Err(Some(unexpected)) => {
                seen.unexpected.push(unexpected);
                break;
            }
            Err(None) => break,
        }
        let Some((status, body)) = poll(device_code).await else { break };
        if status != StatusCode::OK {
            seen.unexpected.push(format!("poll after approval: {status} {body}"));
            break;
        }
        seen.devices_redeemed.push(seen.devices_open.pop().unwrap());
        seen.access.push(str_of(&body, "access_token"));
        seen.fresh_refresh.push(("tv", str_of(&body, "refresh_token")));
        if !load.ack(DEVICE) {
            break;
        }
    }
    seen
}

/// The person's part of the device flow in a signed-in browser: enter the code, approve.
/// `Err(None)`: the kill cut it off; `Err(Some(_))`: an answer the flow does not expect.
pub(super) async fn approve(browser: &Client, base: &str, user_code: &str) -> Result<(), Option<String>> {
    let page = |url: String| async move {
        let res = browser.get(format!("{base}{url}")).send().await.map_err(|_| None)?;
        let status = res.status();
        let html = res.text().await.map_err(|_| None)?;
        let fields = (hidden_field(&html, "csrf"), hidden_field(&html, "rid"));
        (status == StatusCode::OK).then_some(fields).ok_or_else(|| Some(format!("{url}: {status}")))
    };
    let csrf = page("/realms/default/device".into()).await?.0.ok_or(Some("no csrf".to_owned()))?;
    let form = [("user_code", user_code.to_owned()), ("csrf", csrf)];
    let url = format!("{base}/realms/default/login-actions/device");
    let res = browser.post(url).form(&form).send().await.map_err(|_| None)?;
    let location = res.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned();
    if !location.starts_with("/realms/default/device?rid=") {
        return Err(Some(format!("code entry: {} {location}", res.status())));
    }
    let (Some(csrf), Some(rid)) = page(location).await? else { return Err(Some("no decision form".into())) };
    let form = [("csrf", csrf), ("rid", rid), ("decision", "approve".to_owned())];
    let url = format!("{base}/realms/default/login-actions/device-decision");
    let res = browser.post(url).form(&form).send().await.map_err(|_| None)?;
    let location = res.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).unwrap_or_default();
    match location {
        "/realms/default/device?done=approved" => Ok(()),
        _ => Err(Some(format!("decision: {} {location}", res.status()))),
    }
}

/// Client creation over the admin API.
pub(super) async fn client_worker(base: String, admin: String, worker: usize, load: Arc<Load>) -> Seen {
    let http = http_client();
    let mut seen = Seen::default();
    for n in 0.. {
        let client_id = format!("load-{worker}-{n}");
        seen.clients_open.push(client_id.clone());
        let body = json!({"clientId": client_id, "serviceAccountsEnabled": true, "standardFlowEnabled": false});
        let req = http.post(format!("{base}/admin/realms/default/clients")).bearer_auth(&admin).json(&body);
        let Ok(res) = req.send().await else { break };
        let (status, location) = (res.status(), res.headers().get(header::LOCATION).cloned());
        let Ok(answer) = res.text().await else { break };
        let Some(id) = location.filter(|_| status == StatusCode::CREATED) else {
            seen.unexpected.push(format!("client creation: {status} {answer}"));
            break;
        };
        let id = id.to_str().unwrap().rsplit('/').next().unwrap().to_owned();
        seen.clients_open.pop();
        seen.clients.push((client_id, id));
        if !load.ack(CLIENT) {
            break;
        }
    }
    seen
}
