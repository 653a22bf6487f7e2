//! Database outages (issue 11, item 3). PostgreSQL cannot be stopped here (other tests share
//! it), so a TCP proxy stands between the server and it: "stopping" the database cuts every
//! open connection and resets new ones, "hanging" it accepts connections and never answers
//! (a host gone from the network), "starting" it forwards again. Under concurrent load, what
//! needs the database answers 503 quickly, what does not keeps serving, and the server recovers
//! without a restart, its change listener included.

use crate::helpers::*;
use portcullis::{config::Config, manage::client_update::ClientChanges};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

/// Every answer during an outage comes within this (the pool's connect-and-acquire bound is 2 s).
const ANSWER_BOUND: Duration = Duration::from_secs(3);
/// The same requests succeed again within this once the database is back.
const RECOVERY_BOUND: Duration = Duration::from_secs(5);
/// A change made after recovery reaches the server's cache within this (the listener retries
/// every second; the poll is a minute here, so only the listener can explain it).
const LISTENER_BOUND: u64 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Forward,
    /// Open connections cut, new ones reset.
    Stopped,
    /// Open connections cut, new ones accepted and never answered.
    Hanging,
}

/// The proxy in front of PostgreSQL.
struct Proxy {
    port: u16,
    mode: watch::Sender<Mode>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    async fn start() -> Proxy {
        let admin = url::Url::parse(&pg_admin_url()).unwrap();
        let target = format!("{}:{}", admin.host_str().unwrap(), admin.port().unwrap_or(5432));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (mode, rx) = watch::channel(Mode::Forward);
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                let Ok((client, _)) = listener.accept().await else { continue };
                match *rx.borrow() {
                    Mode::Forward => {
                        held.clear();
                        tokio::spawn(forward(client, target.clone(), rx.clone()));
                    }
                    Mode::Stopped => reset(client),
                    Mode::Hanging => held.push(client),
                }
            }
        });
        Proxy { port, mode, task }
    }

    fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    /// `url` with its host and port replaced by the proxy's.
    fn url(&self, url: &str) -> String {
        let mut u = url::Url::parse(url).unwrap();
        u.set_host(Some("127.0.0.1")).unwrap();
        u.set_port(Some(self.port)).unwrap();
        u.to_string()
    }
}

/// Closes with a reset, as a refused connection would be.
fn reset(stream: TcpStream) {
    #[allow(deprecated)]
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}

async fn forward(mut client: TcpStream, target: String, mut mode: watch::Receiver<Mode>) {
    let Ok(mut upstream) = TcpStream::connect(&target).await else { return reset(client) };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
        _ = mode.wait_for(|m| *m != Mode::Forward) => reset(client),
    }
}

/// A server on PostgreSQL through `proxy`, with its management listener and a one-minute poll
/// of the change log (so only LISTEN/NOTIFY can explain a fast pick-up).
async fn behind(proxy: &Proxy) -> TestApp {
    TestApp::spawn_with(DbKind::Postgres, |c: &mut Config| {
        c.database_url = proxy.url(&c.database_url);
        c.management_addr = Some("127.0.0.1:0".into());
        c.change_poll_interval = Duration::from_secs(60);
    })
    .await
}

/// What the tests send, each with what it answers while the database is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 503 `temporarily_unavailable` (protocol and admin API JSON).
    Unavailable,
    /// The 503 page.
    Page,
    /// 200: this needs no database.
    Serves,
}

struct World {
    app: TestApp,
    service: Creds,
    web: Creds,
    admin_token: String,
    user_access: String,
    refresh: String,
    code: String,
    verifier: String,
    device_code: String,
}

const WEB_CB: &str = "https://app.example.com/cb";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A server with everything the outage requests need, made while the database is up: a cached
/// service client, a signed-in user's tokens, an unredeemed code and a pending device request.
async fn world(app: TestApp) -> World {
    use portcullis::manage::{client::ClientOptions, service_account::RoleRef};
    let service = app.service_client("worker", &[]).await;
    let admin = app.service_client("admin", &[]).await;
    let role = RoleRef { client_id: Some("realm-management".into()), name: "view-clients".into() };
    app.manager.set_service_account_roles("default", "admin", &[role], true, &operator()).await.unwrap();
    let admin_token = app.access_token(&admin).await;
    app.access_token(&service).await;
    app.create_user("alice", "correct horse battery").await;
    let web = app.app_client("web", "webapp", WEB_CB, ClientOptions::default()).await;
    let browser = app.browser();
    let flow = |pkce: &Pkce| {
        let challenge = pkce.challenge.clone();
        let (app, browser) = (&app, &browser);
        async move {
            let q = [
                ("response_type", "code"),
                ("client_id", "webapp"),
                ("redirect_uri", WEB_CB),
                ("scope", "openid read:dataset"),
                ("state", "s"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ];
            app.code_flow(browser, &q, ("alice", "correct horse battery")).await["code"].clone()
        }
    };
    let first = Pkce::new();
    let code = flow(&first).await;
    let res = app.exchange(&web, &code, WEB_CB, Some(&first.verifier)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let tokens: Value = res.json().await.unwrap();
    let second = Pkce::new();
    let code = flow(&second).await;
    app.device_client("tv").await;
    let res = app.post_form("default", "/protocol/openid-connect/auth/device", None, &[("client_id", "tv")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let device: Value = res.json().await.unwrap();
    World {
        service,
        web,
        admin_token,
        user_access: tokens["access_token"].as_str().unwrap().to_owned(),
        refresh: tokens["refresh_token"].as_str().unwrap().to_owned(),
        code,
        verifier: second.verifier,
        device_code: device["device_code"].as_str().unwrap().to_owned(),
        app,
    }
}

impl World {
    /// Every kind of request, with what it answers during an outage.
    fn requests(&self) -> Vec<(&'static str, Expect, reqwest::RequestBuilder)> {
        let app = &self.app;
        let http = &app.http;
        let token = app.realm_url("default", TOKEN);
        let (web, service) = (&self.web, &self.service);
        let code = [
            ("grant_type", "authorization_code"),
            ("code", self.code.as_str()),
            ("redirect_uri", WEB_CB),
            ("code_verifier", self.verifier.as_str()),
        ];
        vec![
            (
                "client_credentials (cached client)",
                Expect::Serves,
                http.post(&token)
                    .basic_auth(&service.id, Some(&service.secret))
                    .form(&[("grant_type", "client_credentials")]),
            ),
            ("JWKS", Expect::Serves, http.get(app.realm_url("default", CERTS))),
            ("discovery", Expect::Serves, http.get(app.realm_url("default", DISCOVERY))),
            (
                "authorization_code",
                Expect::Unavailable,
                http.post(&token).basic_auth(&web.id, Some(&web.secret)).form(&code),
            ),
            (
                "refresh_token",
                Expect::Unavailable,
                http.post(&token)
                    .basic_auth(&web.id, Some(&web.secret))
                    .form(&[("grant_type", "refresh_token"), ("refresh_token", self.refresh.as_str())]),
            ),
            (
                "device_code",
                Expect::Unavailable,
                http.post(&token).form(&[
                    ("grant_type", DEVICE_GRANT),
                    ("device_code", self.device_code.as_str()),
                    ("client_id", "tv"),
                ]),
            ),
            (
                "introspection",
                Expect::Unavailable,
                http.post(app.realm_url("default", INTROSPECT))
                    .basic_auth(&service.id, Some(&service.secret))
                    .form(&[("token", self.user_access.as_str())]),
            ),
            (
                "userinfo",
                Expect::Unavailable,
                http.get(app.realm_url("default", USERINFO)).bearer_auth(&self.user_access),
            ),
            (
                "admin API",
                Expect::Unavailable,
                http.get(format!("{}/admin/realms/default/clients", app.base)).bearer_auth(&self.admin_token),
            ),
            ("sign-in page", Expect::Page, http.get(app.realm_url("default", "/login"))),
            ("console", Expect::Page, http.get(format!("{}/admin/default/console/clients", app.base))),
        ]
    }

    /// Sends every request `copies` times at once, checks each answer against what it should
    /// answer during an outage and within [`ANSWER_BOUND`]; returns the slowest answer.
    async fn load(&self, copies: usize) -> Duration {
        let mut running = Vec::new();
        for _ in 0..copies {
            for (name, expect, req) in self.requests() {
                running.push(tokio::spawn(async move {
                    let started = Instant::now();
                    let res = req.send().await.unwrap();
                    let took = started.elapsed();
                    check(name, expect, res).await;
                    assert!(took <= ANSWER_BOUND, "{name} answered in {took:?}, over {ANSWER_BOUND:?}");
                    took
                }));
            }
        }
        let mut slowest = Duration::ZERO;
        for r in running {
            slowest = slowest.max(r.await.unwrap());
        }
        slowest
    }

    async fn ready(&self) -> StatusCode {
        let url = format!("{}/health/ready", self.app.management.as_ref().unwrap());
        self.app.http.get(url).send().await.unwrap().status()
    }
}

async fn check(name: &str, expect: Expect, res: reqwest::Response) {
    let status = res.status();
    let content_type = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let retry_after = res.headers().get("retry-after").is_some();
    let body = res.text().await.unwrap();
    match expect {
        Expect::Serves => assert!(status == StatusCode::OK, "{name}: {status} {body}"),
        Expect::Unavailable => {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{name}: {body}");
            assert!(content_type.starts_with("application/json"), "{name}: {content_type}");
            let json: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(json["error"], "temporarily_unavailable", "{name}: {json}");
        }
        Expect::Page => {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{name}: {body}");
            assert!(content_type.starts_with("text/html"), "{name}: {content_type}");
            assert!(retry_after, "{name}: Retry-After");
            assert!(body.contains("Temporarily unavailable") && body.contains("try again"), "{name}: {body}");
            for leak in ["panicked", "sqlx", "error returned from database", "Io(", "backtrace"] {
                assert!(!body.contains(leak), "{name} shows {leak:?}: {body}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_answers_503_fast_keeps_serving_and_recovers() {
    bounded("postgres_outage", async {
        let proxy = Proxy::start().await;
        let w = world(behind(&proxy).await).await;
        assert_eq!(w.ready().await, StatusCode::OK);

        proxy.set(Mode::Stopped);
        let slowest = w.load(4).await;
        tracing::info!(?slowest, "slowest answer with the database stopped");
        assert_eq!(w.ready().await, StatusCode::SERVICE_UNAVAILABLE, "not ready while the database is down");

        proxy.set(Mode::Forward);
        let back = Instant::now();
        let recovered = eventually(RECOVERY_BOUND.as_secs(), || async {
            w.app.refresh(&w.web, &w.refresh, None).await.status() == StatusCode::OK
        });
        assert!(recovered.await, "refresh works again within {RECOVERY_BOUND:?} of the database's return");
        tracing::info!(took = ?back.elapsed(), "recovered");
        assert_eq!(w.ready().await, StatusCode::OK, "ready again");
        // Nothing the failed requests touched was used up: the code and the device request
        // still answer as before the outage.
        let res = w.app.exchange(&w.web, &w.code, WEB_CB, Some(&w.verifier)).await;
        assert_eq!(res.status(), StatusCode::OK, "the code survived the outage");
        let form = [("grant_type", DEVICE_GRANT), ("device_code", w.device_code.as_str()), ("client_id", "tv")];
        let res = w.app.post_form("default", TOKEN, None, &form).await;
        assert_oauth_error(res, StatusCode::BAD_REQUEST, "authorization_pending").await;

        // The change listener reconnected: a client disabled by another process (here a manager
        // on a direct connection) is refused well before the one-minute poll.
        let mut direct = Config::with_database(&w.app.db.url);
        direct.master_key = portcullis::config::MasterKeySource::Inline(w.app.master_key.clone());
        let other = portcullis::startup::open(&direct, w.app.clock.clone()).await.unwrap();
        let off = ClientChanges { enabled: Some(false), ..Default::default() };
        other.update_client("default", "worker", off, &operator()).await.unwrap();
        let refused =
            eventually(LISTENER_BOUND, || async { w.app.token(&w.service, None).await.status() != StatusCode::OK });
        assert!(refused.await, "a change made after recovery reaches the cache within {LISTENER_BOUND} s");
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_that_never_answers_is_bounded() {
    bounded("postgres_outage_hanging", async {
        let proxy = Proxy::start().await;
        let w = world(behind(&proxy).await).await;
        // Connections are accepted and never answered: each request waits for the pool's bound
        // (2 s), not the 10 s of a busy SQLite write or the 30 s request deadline.
        proxy.set(Mode::Hanging);
        let slowest = w.load(3).await;
        tracing::info!(?slowest, "slowest answer with the database hanging");
        proxy.set(Mode::Forward);
        let recovered = eventually(RECOVERY_BOUND.as_secs(), || async {
            w.app.refresh(&w.web, &w.refresh, None).await.status() == StatusCode::OK
        });
        assert!(recovered.await, "refresh works again within {RECOVERY_BOUND:?}");
        assert_eq!(w.ready().await, StatusCode::OK, "ready again");
    })
    .await
}

/// `portcullis serve` on `url` through `sh` with `prelude` (resource limits), its listening
/// line read: the base URL, or the first line of its error when it does not start.
fn serve(app: &TestApp, prelude: &str, url: &str) -> (std::process::Child, Result<String, String>) {
    use std::io::{BufRead, BufReader, Read};
    let script = format!("{prelude}; exec \"$0\" \"$@\"");
    let mut child = std::process::Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_portcullis")])
        .args(["serve", "--addr", "127.0.0.1:0", "--management-addr", "off", "--database-url", url])
        // The issuer of the tokens made before.
        .args(["--public-url", &app.base])
        .env("PORTCULLIS_MASTER_KEY", &app.master_key)
        .env("PORTCULLIS_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    match line.trim().strip_prefix("listening on ") {
        Some(base) => (child, Ok(base.to_owned())),
        None => {
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            let _ = child.wait();
            (child, Err(err))
        }
    }
}

/// `PRAGMA integrity_check` of the SQLite file at `url`.
async fn integrity(url: &str) -> String {
    let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(url).await.unwrap();
    let ok: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut c).await.unwrap();
    ok
}

/// Tokens issued before the trouble, on a fresh SQLite server whose pool is then closed so a
/// process of its own can take the file.
async fn sqlite_with_tokens() -> (TestApp, Creds, Creds, Value) {
    // Real time: the server processes below read the system clock.
    let app = TestApp::spawn_real_time(DbKind::Sqlite).await;
    let service = app.service_client("worker", &[]).await;
    let web = app.password_client("web", WEB_CB).await;
    app.create_user("alice", "correct horse battery").await;
    let form = [("grant_type", "password"), ("username", "alice"), ("password", "correct horse battery")];
    let res = app.post_form("default", TOKEN, Some(&web), &form).await;
    assert_eq!(res.status(), StatusCode::OK);
    let tokens: Value = res.json().await.unwrap();
    app.state.db.close().await;
    (app, service, web, tokens)
}

/// Disk full: the server runs with RLIMIT_FSIZE a little above the database's size (SIGXFSZ
/// ignored, so a write past it fails with EFBIG as on a full disk). Refresh rotation writes
/// until the write-ahead log reaches the limit: that request answers 503
/// `temporarily_unavailable`, reads keep working, and after the limit is lifted the file passes
/// `integrity_check` and the tokens from before (the last rotated refresh token included) work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_disk_full_answers_503_and_corrupts_nothing() {
    bounded("sqlite_disk_full", async {
        let (app, service, web, tokens) = sqlite_with_tokens().await;
        let file = app.db.url.strip_prefix("sqlite:").unwrap().to_owned();
        let size = std::fs::metadata(&file).unwrap().len();
        let blocks = (size + 64 * 1024) / 512; // dash counts ulimit -f in 512-byte blocks
        let (mut child, base) = serve(&app, &format!("trap '' XFSZ; ulimit -f {blocks}"), &app.db.url);
        let base = base.expect("the server starts under the limit");
        let http = http_client();
        let token_url = format!("{base}/realms/default{TOKEN}");
        let mut refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
        let mut refused = None;
        for _ in 0..500 {
            let form = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())];
            let res = http.post(&token_url).basic_auth(&web.id, Some(&web.secret)).form(&form).send().await.unwrap();
            if res.status() != StatusCode::OK {
                refused = Some(res);
                break;
            }
            refresh = res.json::<Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();
        }
        let refused = refused.expect("a write fails once the file limit is reached");
        assert_oauth_error(refused, StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable").await;
        // Reads keep working: a client never cached before is loaded and issued a token, and
        // the user's access token from before introspects as active.
        let res = http
            .post(&token_url)
            .basic_auth(&service.id, Some(&service.secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "client_credentials reads only");
        let introspect = format!("{base}/realms/default{INTROSPECT}");
        let access = tokens["access_token"].as_str().unwrap();
        let res = http
            .post(&introspect)
            .basic_auth(&service.id, Some(&service.secret))
            .form(&[("token", access)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.json::<Value>().await.unwrap()["active"], true);
        child.kill().unwrap();
        let _ = child.wait();

        assert_eq!(integrity(&app.db.url).await, "ok");
        let after = app.instance(|c| c.public_url = Some(app.base.clone())).await;
        let res = after.refresh(&web, &refresh, None).await;
        assert_eq!(res.status(), StatusCode::OK, "the last refresh token before the failure still works");
        assert_eq!(after.introspect(&service, access).await["active"], true);
    })
    .await
}

/// A read-only database file: where permissions bind (not root), the file and its folder lose
/// their write bits; as root, which ignores them, the URL's `mode=ro` opens it read-only. The
/// server starts (start-up writes nothing to a database already set up) and serves what only
/// reads; a write answers 503 `temporarily_unavailable`; the file is intact afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_read_only_file_serves_reads_and_refuses_writes() {
    use std::os::unix::fs::PermissionsExt;
    bounded("sqlite_read_only", async {
        let (app, service, web, tokens) = sqlite_with_tokens().await;
        let file = app.db.url.strip_prefix("sqlite:").unwrap().to_owned();
        let dir = std::path::Path::new(&file).parent().unwrap().to_owned();
        let set = |path: &std::path::Path, mode| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        set(std::path::Path::new(&file), 0o444);
        set(&dir, 0o555);
        let permissions_bind = std::fs::OpenOptions::new().append(true).open(&file).is_err();
        let url = if permissions_bind { app.db.url.clone() } else { format!("{}?mode=ro", app.db.url) };
        let (mut child, started) = serve(&app, "true", &url);
        let base = match started {
            Ok(base) => base,
            Err(err) => panic!("a read-only database serves reads; it did not start: {err}"),
        };
        let http = http_client();
        let token_url = format!("{base}/realms/default{TOKEN}");
        let res = http
            .post(&token_url)
            .basic_auth(&service.id, Some(&service.secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "client_credentials reads only");
        let refresh = tokens["refresh_token"].as_str().unwrap();
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
        let res = http.post(&token_url).basic_auth(&web.id, Some(&web.secret)).form(&form).send().await.unwrap();
        assert_oauth_error(res, StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable").await;
        child.kill().unwrap();
        let _ = child.wait();
        set(&dir, 0o700);
        set(std::path::Path::new(&file), 0o600);

        assert_eq!(integrity(&app.db.url).await, "ok");
        let after = app.instance(|c| c.public_url = Some(app.base.clone())).await;
        let res = after.refresh(&web, refresh, None).await;
        assert_eq!(res.status(), StatusCode::OK, "the refused rotation used nothing up");
        assert_eq!(after.introspect(&service, tokens["access_token"].as_str().unwrap()).await["active"], true);
    })
    .await
}
