//! `TestApp`: the real router on a random port with a fresh database (a temp SQLite file or a
//! fresh PostgreSQL database), a manual clock, and typed request helpers.

use base64::{engine::general_purpose::STANDARD, Engine};
use portcullis::{
    clock::ManualClock,
    config::{Config, MasterKeySource},
    manage::{client::NewClient, Manager},
    startup::Application,
};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use std::{path::PathBuf, sync::Arc};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        $crate::db_tests!(@with spawn; $($name),*);
    };
    // Tests that run other processes (the CLI) use a clock that follows real time.
    (real_time: $($name:ident),* $(,)?) => {
        $crate::db_tests!(@with spawn_real_time; $($name),*);
    };
    (@with $spawn:ident; $($name:ident),*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::helpers::bounded(stringify!($name), async {
                        super::$name($crate::helpers::TestApp::$spawn($crate::helpers::DbKind::Sqlite).await).await
                    }).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::helpers::bounded(stringify!($name), async {
                        super::$name($crate::helpers::TestApp::$spawn($crate::helpers::DbKind::Postgres).await).await
                    }).await
                }
            )*
        }
    };
}

/// The longest one test may run: a hang fails the test instead of stalling the suite.
/// The actor of set-up steps: the operator, who may do anything.
pub fn operator() -> portcullis::manage::Actor {
    portcullis::manage::Actor::operator("test")
}

pub const TEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(180);
/// The longest one HTTP request of a test may take: longer than the server's own deadline
/// (30 s), so a stuck request shows up as the server's 503 and its log line.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(45);

/// Server warnings and errors go to the test's captured output (shown when it fails).
fn init_tracing() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = std::env::var("PORTCULLIS_TEST_LOG").unwrap_or_else(|_| "warn".into());
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    });
}

/// Runs a test body, failing it if it takes longer than [`TEST_TIMEOUT`] (plus `SOAK_SECS`, the
/// soak's own length, when set).
pub async fn bounded(name: &str, test: impl std::future::Future<Output = ()>) {
    let soak = std::env::var("SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let limit = TEST_TIMEOUT + std::time::Duration::from_secs(soak);
    if tokio::time::timeout(limit, test).await.is_err() {
        panic!("test {name} did not finish within {limit:?}: something waits forever");
    }
}

/// An HTTP client as the tests use it: no automatic redirects, a cookie jar, and timeouts.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap()
}

/// The PostgreSQL server tests create their databases on.
pub fn pg_admin_url() -> String {
    std::env::var("PORTCULLIS_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://portcullis:portcullis@127.0.0.1:5432/postgres".into())
}

fn random_name() -> String {
    portcullis::crypto::hex(&portcullis::crypto::random_bytes::<6>())
}

/// A fresh database: its URL and what removes it.
pub struct TestDb {
    pub url: String,
    pub kind: DbKind,
    dir: PathBuf,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(kind: DbKind) -> TestDb {
        let dir = std::env::temp_dir().join(format!("portcullis-test-{}", random_name()));
        std::fs::create_dir_all(&dir).unwrap();
        match kind {
            DbKind::Sqlite => TestDb { url: format!("sqlite:{}/db.sqlite", dir.display()), kind, dir, pg_name: None },
            DbKind::Postgres => {
                let name = format!("pc_test_{}", random_name());
                let admin = pg_admin_url();
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL is required for the postgres tests ({admin}): {e}"));
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                TestDb { url: url.to_string(), kind, dir, pg_name: Some(name) }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(name) = self.pg_name.take() {
            // Drop runs outside any runtime we may block: use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(mut c) = <sqlx::PgConnection as sqlx::Connection>::connect(&pg_admin_url()).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c).await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running server and what a test needs to drive it.
pub struct TestApp {
    pub base: String,
    /// The management listener's base URL, when the test turned it on.
    pub management: Option<String>,
    pub http: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub manager: Manager,
    pub master_key: String,
    pub state: portcullis::state::AppState,
    /// Shared by every instance over it; removed when the last one stops.
    pub db: Arc<TestDb>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A client's credentials.
#[derive(Debug, Clone)]
pub struct Creds {
    pub id: String,
    pub secret: String,
}

impl TestApp {
    /// A server on `kind` with default settings.
    pub async fn spawn(kind: DbKind) -> TestApp {
        Self::spawn_with(kind, |_| {}).await
    }

    /// A server on `kind` whose clock follows real time.
    pub async fn spawn_real_time(kind: DbKind) -> TestApp {
        Self::start(kind, |_| {}, ManualClock::following_system()).await
    }

    /// A server on `kind` with `tweak` applied to its configuration.
    pub async fn spawn_with(kind: DbKind, tweak: impl FnOnce(&mut Config)) -> TestApp {
        Self::start(kind, tweak, ManualClock::new()).await
    }

    async fn start(kind: DbKind, tweak: impl FnOnce(&mut Config), clock: Arc<ManualClock>) -> TestApp {
        init_tracing();
        let db = Arc::new(TestDb::new(kind).await);
        let master_key = STANDARD.encode(portcullis::crypto::random_bytes::<32>());
        Self::launch(db, master_key, tweak, clock).await
    }

    /// Another instance over the same database, master key and clock: a second `portcullis
    /// serve` behind the same load balancer, with `tweak` applied to its configuration.
    pub async fn instance(&self, tweak: impl FnOnce(&mut Config)) -> TestApp {
        Self::launch(self.db.clone(), self.master_key.clone(), tweak, self.clock.clone()).await
    }

    async fn launch(
        db: Arc<TestDb>,
        master_key: String,
        tweak: impl FnOnce(&mut Config),
        clock: Arc<ManualClock>,
    ) -> TestApp {
        let mut config = Config::with_database(&db.url);
        config.master_key = MasterKeySource::Inline(master_key.clone());
        tweak(&mut config);
        let app = Application::build_with_clock(config, clock.clone()).await.expect("server starts");
        let base = format!("http://{}", app.local_addr());
        let management = app.management_addr().map(|a| format!("http://{a}"));
        let manager = app.state().manager.clone();
        let state = app.state().clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(app.run(async {
            let _ = rx.await;
        }));
        let http = http_client();
        TestApp { base, management, http, clock, manager, master_key, state, db, shutdown: Some(tx) }
    }

    /// `{base}/realms/{realm}{path}`.
    pub fn realm_url(&self, realm: &str, path: &str) -> String {
        format!("{}/realms/{realm}{path}", self.base)
    }

    /// Creates a client in `realm` through the management layer.
    pub async fn create_client(&self, req: NewClient) -> Creds {
        let created = self.manager.create_client(req, &operator()).await.expect("client created");
        Creds { id: created.client_id, secret: created.client_secret.unwrap_or_default() }
    }

    /// A service client of the default realm allowed `scopes`.
    pub async fn service_client(&self, id: &str, scopes: &[&str]) -> Creds {
        self.create_client(NewClient {
            realm: "default".into(),
            template: "service".into(),
            client_id: Some(id.into()),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        })
        .await
    }

    /// A public device-grant client of the default realm.
    pub async fn device_client(&self, id: &str) -> Creds {
        self.create_client(NewClient {
            realm: "default".into(),
            template: "device".into(),
            client_id: Some(id.into()),
            ..Default::default()
        })
        .await
    }

    /// A confidential web client of the default realm allowed the password grant.
    pub async fn password_client(&self, id: &str, redirect: &str) -> Creds {
        self.create_client(NewClient {
            realm: "default".into(),
            template: "web".into(),
            client_id: Some(id.into()),
            redirect_uris: vec![redirect.into()],
            options: portcullis::manage::client::ClientOptions {
                grant_types: vec!["password".into(), "refresh_token".into()],
                ..Default::default()
            },
            ..Default::default()
        })
        .await
    }

    /// POSTs a form to `{realm}{path}` with optional Basic credentials.
    pub async fn post_form(&self, realm: &str, path: &str, basic: Option<&Creds>, form: &[(&str, &str)]) -> Response {
        let mut req = self.http.post(self.realm_url(realm, path)).form(form);
        if let Some(c) = basic {
            req = req.basic_auth(&c.id, Some(&c.secret));
        }
        req.send().await.unwrap()
    }

    /// A client_credentials request with client_secret_basic.
    pub async fn token(&self, creds: &Creds, scope: Option<&str>) -> Response {
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        self.post_form("default", TOKEN, Some(creds), &form).await
    }

    /// A client_credentials access token (asserting success).
    pub async fn access_token(&self, creds: &Creds) -> String {
        let res = self.token(creds, None).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
    }

    /// Introspects `token` as `caller`, returning the JSON body (asserting 200).
    pub async fn introspect(&self, caller: &Creds, token: &str) -> Value {
        let res = self.post_form("default", INTROSPECT, Some(caller), &[("token", token)]).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// The CLI binary, pointed at this test's database and master key.
    pub fn cli(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"));
        cmd.arg("--database-url")
            .arg(&self.db.url)
            .env("PORTCULLIS_MASTER_KEY", &self.master_key)
            .env_remove("DATABASE_URL")
            .env_remove("PORTCULLIS_DATABASE_URL")
            .env("PORTCULLIS_LOG", "error");
        cmd
    }
}

pub const TOKEN: &str = "/protocol/openid-connect/token";
pub const INTROSPECT: &str = "/protocol/openid-connect/token/introspect";
pub const REVOKE: &str = "/protocol/openid-connect/revoke";
pub const USERINFO: &str = "/protocol/openid-connect/userinfo";
pub const CERTS: &str = "/protocol/openid-connect/certs";
pub const DISCOVERY: &str = "/.well-known/openid-configuration";

/// Asserts an RFC 6749 §5.2 error: status, `error` code, `Cache-Control: no-store`. Returns the body.
pub async fn assert_oauth_error(res: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(res.status(), status, "status");
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], code, "error code in {body}");
    body
}

/// Polls `check` every 50 ms until it returns true or `secs` pass.
pub async fn eventually<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// Decodes a JWT's payload without verifying it.
pub fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&portcullis::crypto::b64_decode(payload).unwrap()).unwrap()
}

/// Decodes a JWT's header.
pub fn jwt_header(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&portcullis::crypto::b64_decode(header).unwrap()).unwrap()
}

/// A PKCE verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Pkce {
        let verifier = portcullis::crypto::random_token::<32>();
        let challenge = portcullis::crypto::b64(&portcullis::crypto::sha256(verifier.as_bytes()));
        Pkce { verifier, challenge }
    }
}

/// The query parameters of a redirect `Location` (from its query, or its fragment).
pub fn redirect_params(location: &str) -> std::collections::HashMap<String, String> {
    let url = url::Url::parse(location).unwrap();
    let mut map: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    if let Some(f) = url.fragment() {
        map.extend(url::form_urlencoded::parse(f.as_bytes()).into_owned());
    }
    map
}

/// The hidden `name` field's value in an HTML page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..].split('"').next()?.replace("&amp;", "&"))
}

impl TestApp {
    /// A fresh browser: its own cookie jar, no automatic redirects.
    pub fn browser(&self) -> reqwest::Client {
        http_client()
    }

    /// Creates a user in the default realm.
    pub async fn create_user(&self, username: &str, password: &str) -> String {
        self.manager
            .create_user(
                portcullis::manage::user::NewUser {
                    realm: "default".into(),
                    username: username.into(),
                    email: Some(format!("{username}@example.com")),
                    roles: vec!["staff".into()],
                    ..Default::default()
                },
                password.into(),
                &operator(),
            )
            .await
            .unwrap()
    }

    /// Creates a user-facing client of `template` in the default realm.
    pub async fn app_client(
        &self,
        template: &str,
        id: &str,
        redirect: &str,
        options: portcullis::manage::client::ClientOptions,
    ) -> Creds {
        self.create_client(NewClient {
            realm: "default".into(),
            template: template.into(),
            client_id: Some(id.into()),
            name: Some(format!("The {id} app")),
            redirect_uris: vec![redirect.into()],
            scopes: vec!["read:dataset".into()],
            options,
            ..Default::default()
        })
        .await
    }

    /// `GET {realm}/protocol/openid-connect/auth?{query}` in `browser`.
    pub async fn auth_request(&self, browser: &reqwest::Client, query: &[(&str, &str)]) -> Response {
        let url =
            url::Url::parse_with_params(&self.realm_url("default", "/protocol/openid-connect/auth"), query).unwrap();
        browser.get(url).send().await.unwrap()
    }

    /// Follows a same-site `Location` (a page of ours) and returns the body.
    pub async fn follow(&self, browser: &reqwest::Client, res: &Response) -> (StatusCode, String) {
        let location = res.headers()["location"].to_str().unwrap();
        let url = if location.starts_with('/') { format!("{}{location}", self.base) } else { location.to_owned() };
        let page = browser.get(url).send().await.unwrap();
        (page.status(), page.text().await.unwrap())
    }

    /// Submits the sign-in page reached by `res` (a redirect to it). Returns the response.
    pub async fn sign_in(&self, browser: &reqwest::Client, res: &Response, username: &str, password: &str) -> Response {
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/realms/default/login"), "expected the sign-in page, got {location}");
        let (_, html) = self.follow(browser, res).await;
        let csrf = hidden_field(&html, "csrf").expect("csrf field");
        let mut form = vec![("username", username.to_owned()), ("password", password.to_owned()), ("csrf", csrf)];
        if let Some(rid) = hidden_field(&html, "rid") {
            form.push(("rid", rid));
        }
        browser
            .post(format!("{}/realms/default/login-actions/authenticate", self.base))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Answers the consent page reached by `res` with `decision` (`allow` or `deny`).
    pub async fn consent(&self, browser: &reqwest::Client, res: &Response, decision: &str) -> Response {
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/realms/default/consent"), "expected the consent page, got {location}");
        let (_, html) = self.follow(browser, res).await;
        let form = [
            ("csrf", hidden_field(&html, "csrf").expect("csrf")),
            ("rid", hidden_field(&html, "rid").expect("rid")),
            ("decision", decision.to_owned()),
        ];
        browser.post(format!("{}/realms/default/login-actions/consent", self.base)).form(&form).send().await.unwrap()
    }

    /// The whole browser part of a code flow: authorize, sign in, consent. Returns the final
    /// redirect's parameters.
    pub async fn code_flow(
        &self,
        browser: &reqwest::Client,
        query: &[(&str, &str)],
        user: (&str, &str),
    ) -> std::collections::HashMap<String, String> {
        let mut res = self.auth_request(browser, query).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "authorize: {:?}", res.headers().get("location"));
        if res.headers()["location"].to_str().unwrap().starts_with("/realms/default/login") {
            res = self.sign_in(browser, &res, user.0, user.1).await;
        }
        if res.headers()["location"].to_str().unwrap().starts_with("/realms/default/consent") {
            res = self.consent(browser, &res, "allow").await;
        }
        redirect_params(res.headers()["location"].to_str().unwrap())
    }

    /// Exchanges a code at the token endpoint.
    pub async fn exchange(&self, client: &Creds, code: &str, redirect_uri: &str, verifier: Option<&str>) -> Response {
        let mut form = vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect_uri)];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        if client.secret.is_empty() {
            form.push(("client_id", &client.id));
            self.post_form("default", TOKEN, None, &form).await
        } else {
            self.post_form("default", TOKEN, Some(client), &form).await
        }
    }

    /// A refresh request.
    pub async fn refresh(&self, client: &Creds, refresh_token: &str, scope: Option<&str>) -> Response {
        let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        if client.secret.is_empty() {
            form.push(("client_id", &client.id));
            self.post_form("default", TOKEN, None, &form).await
        } else {
            self.post_form("default", TOKEN, Some(client), &form).await
        }
    }
}
