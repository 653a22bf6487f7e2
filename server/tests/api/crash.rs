//! Crashes and shutdown (issue 11, item 2), with the real binary on a fresh database.
//!
//! `kill -9` under load: refresh rotation, code redemption, device polling and approval, and
//! client creation over the admin API run concurrently until a number of answers have arrived,
//! then the process is killed with SIGKILL and started again on the same database. Everything
//! acknowledged before the kill still works, nothing single-use is accepted twice, every client
//! is whole, and the server starts clean. SIGTERM: requests in flight finish, new connections
//! are refused, and the process exits 0 within the drain bound (`--shutdown-timeout`).

use crate::helpers::*;
use portcullis::{
    config::{Config, MasterKeySource},
    crypto::token_hash,
    manage::{
        client::{ClientOptions, NewClient},
        service_account::RoleRef,
        user::NewUser,
        Manager,
    },
    oauth::refresh_envelope,
    store,
};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod load;

use load::*;

macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::helpers::bounded(stringify!($name), super::$name(crate::helpers::DbKind::Sqlite)).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::helpers::bounded(stringify!($name), super::$name(crate::helpers::DbKind::Postgres)).await
                }
            )*
        }
    };
}

on_both_databases!(
    killed_under_load_loses_nothing_acknowledged_and_accepts_nothing_twice,
    sigterm_finishes_requests_in_flight_and_refuses_new_connections,
    sigterm_drops_what_is_still_in_flight_at_the_shutdown_timeout,
);

/// The issuer base of both runs, so tokens of the first are the second's (the ports differ).
const PUBLIC_URL: &str = "http://portcullis.crash.test";
const WEB_CB: &str = "https://app.example.com/cb";
const PASSWORD: &str = "correct horse battery";
/// The refresh client's reuse window (the most a client may set), so the retry of a rotation
/// whose answer the kill lost falls inside it however slow the restart.
const REUSE_WINDOW: i64 = 60;

/// A fresh database with the realm's users and clients, and the master key.
struct Setup {
    db: TestDb,
    key: String,
    manager: Manager,
    dir: PathBuf,
    svc: Creds,
    chains: Creds,
    webapp: Creds,
    /// A service account holding `administer-account`, for the admin API.
    deployer: Creds,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn setup(kind: DbKind) -> Setup {
    let db = TestDb::new(kind).await;
    let key =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, portcullis::crypto::random_bytes::<32>());
    let mut config = Config::with_database(&db.url);
    config.master_key = MasterKeySource::Inline(key.clone());
    let manager = portcullis::startup::open(&config, Arc::new(portcullis::clock::SystemClock)).await.unwrap();
    let dir = std::env::temp_dir().join(format!("portcullis-crash-{}", portcullis::crypto::random_token::<8>()));
    std::fs::create_dir_all(&dir).unwrap();
    let user = NewUser { realm: "default".into(), username: "alice".into(), ..Default::default() };
    manager.create_user(user, PASSWORD.into(), &operator()).await.unwrap();
    let create = |template: &str, id: &str, redirects: Vec<String>, options: ClientOptions| NewClient {
        realm: "default".into(),
        template: template.into(),
        client_id: Some(id.into()),
        redirect_uris: redirects,
        options,
        ..Default::default()
    };
    let creds = |c: portcullis::manage::client::CreatedClient| Creds {
        id: c.client_id,
        secret: c.client_secret.unwrap_or_default(),
    };
    let svc =
        creds(manager.create_client(create("service", "svc", vec![], Default::default()), &operator()).await.unwrap());
    let chains = ClientOptions {
        grant_types: vec!["password".into(), "refresh_token".into()],
        refresh_reuse_window: Some(REUSE_WINDOW),
        ..Default::default()
    };
    let chains =
        creds(manager.create_client(create("web", "chains", vec![WEB_CB.into()], chains), &operator()).await.unwrap());
    let web = ClientOptions { consent_required: Some(false), ..Default::default() };
    let webapp =
        creds(manager.create_client(create("web", "webapp", vec![WEB_CB.into()], web), &operator()).await.unwrap());
    manager.create_client(create("device", "tv", vec![], Default::default()), &operator()).await.unwrap();
    let deployer = creds(
        manager.create_client(create("service", "deployer", vec![], Default::default()), &operator()).await.unwrap(),
    );
    let admin = RoleRef { client_id: None, name: "administer-account".into() };
    manager.set_service_account_roles("default", "deployer", &[admin], true, &operator()).await.unwrap();
    Setup { db, key, manager, dir, svc, chains, webapp, deployer }
}

/// One run of `portcullis serve`; killed when dropped.
struct Server {
    child: Child,
    base: String,
    management: String,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the binary on the setup's database and reads its two contract lines.
    async fn start(s: &Setup, run: usize, extra: &[&str]) -> Server {
        let log = s.dir.join(format!("server-{run}.log"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(["serve", "--addr", "127.0.0.1:0", "--management-addr", "127.0.0.1:0"])
            .args(["--public-url", PUBLIC_URL, "--database-url", &s.db.url])
            .args(extra)
            .current_dir(&s.dir)
            .env("PORTCULLIS_MASTER_KEY", &s.key)
            .env("PORTCULLIS_DEVICE_RATE_LIMIT", "0")
            .env("PORTCULLIS_LOG", "warn")
            .env_remove("PORTCULLIS_CONFIG")
            .env_remove("PORTCULLIS_SHUTDOWN_TIMEOUT")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let base = next_line(&mut rx, "listening on ", &log).await;
        let management = next_line(&mut rx, "management on ", &log).await;
        Server { child, base, management, log }
    }

    fn realm(&self, path: &str) -> String {
        format!("{}/realms/default{path}", self.base)
    }

    fn admin(&self, path: &str) -> String {
        format!("{}/admin/realms/default{path}", self.base)
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Waits (at most `bound`) for the process to exit; its status and how long it took.
    async fn exit_within(&mut self, bound: Duration) -> (std::process::ExitStatus, Duration) {
        let start = Instant::now();
        while start.elapsed() < bound {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, start.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the server did not exit within {bound:?}: {}", read(&self.log));
    }
}

/// The next line the server prints (within 30 s), without its expected `prefix`.
async fn next_line(rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>, prefix: &str, log: &Path) -> String {
    let line = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.ok().flatten();
    let line = line.unwrap_or_else(|| panic!("no {prefix:?} line: {}", read(log)));
    line.strip_prefix(prefix).unwrap_or_else(|| panic!("{line:?}")).to_owned()
}

fn read(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

fn sigterm(server: &Server) {
    let status = Command::new("kill").args(["-TERM", &server.pid()]).status().unwrap();
    assert!(status.success());
}

async fn token_as(http: &Client, server: &Server, client: &Creds, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let req = http.post(server.realm(TOKEN));
    let req = if client.secret.is_empty() {
        let mut form = form.to_vec();
        form.push(("client_id", &client.id));
        req.form(&form)
    } else {
        req.basic_auth(&client.id, Some(&client.secret)).form(form)
    };
    call(req).await.expect("the restarted server answers")
}

fn assert_invalid_grant((status, body): (StatusCode, Value), what: &str) {
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{what}: {body}");
}

async fn refresh_row(manager: &Manager, token: &str) -> Option<store::refresh_tokens::RefreshRow> {
    let mut conn = manager.db.conn().await.unwrap();
    let hash = token_hash(refresh_envelope::secret(token));
    store::refresh_tokens::get(&mut conn, &hash).await.unwrap()
}

fn secret_hash(refresh_token: &str) -> Option<String> {
    Some(token_hash(refresh_envelope::secret(refresh_token)))
}

async fn killed_under_load_loses_nothing_acknowledged_and_accepts_nothing_twice(kind: DbKind) {
    let s = setup(kind).await;
    let http = http_client();
    let mut first = Server::start(&s, 1, &[]).await;
    let (status, body) = token_as(&http, &first, &s.deployer, &token_form("client_credentials", &[])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let admin = str_of(&body, "access_token");
    // New secrets are kept sealed, so each created client's secret can be read back and tried.
    let switch = json!({"attributes": {"retrievableClientSecrets": "true"}});
    let res = http.put(first.admin("")).bearer_auth(&admin).json(&switch).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let load = Arc::new(Load::default());
    let mut workers = tokio::task::JoinSet::new();
    let chain_server = Arc::new((first.realm(TOKEN), s.chains.clone()));
    for _ in 0..4 {
        let form = token_form("password", &[("username", "alice"), ("password", PASSWORD), ("scope", "openid")]);
        let (status, body) = token_as(&http, &first, &s.chains, &form).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        workers.spawn(chain_worker(chain_server.clone(), str_of(&body, "refresh_token"), load.clone()));
    }
    for _ in 0..2 {
        let browser = signed_in_browser(&first.base).await;
        workers.spawn(code_worker(first.base.clone(), s.webapp.clone(), browser, load.clone()));
    }
    let browser = signed_in_browser(&first.base).await;
    workers.spawn(device_worker(first.base.clone(), browser, load.clone()));
    for worker in 0..2 {
        workers.spawn(client_worker(first.base.clone(), admin.clone(), worker, load.clone()));
    }
    let loaded = eventually(60, || async { load.ready_to_kill() }).await;
    assert!(loaded, "answers by flow in 60 s: {:?}\n{}", load.counts(), read(&first.log));
    first.child.kill().unwrap(); // SIGKILL
    let status = first.child.wait().unwrap();
    assert!(!status.success(), "killed: {status}");
    let mut seen = Seen::default();
    let joined = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(w) = workers.join_next().await {
            seen.merge(w.unwrap());
        }
    });
    assert!(joined.await.is_ok(), "the workers end once the server is gone");
    assert!(seen.unexpected.is_empty(), "answers before the kill: {:?}\n{}", seen.unexpected, read(&first.log));

    // The restart: clean and ready at once.
    // The restarted server puts every commit on disk (--durability full); the killed one ran with
    // the default (normal), which a crash of the process loses nothing of either.
    let mut second = Server::start(&s, 2, &["--durability", "full"]).await;
    let ready = http.get(format!("{}/health/ready", second.management)).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK, "{}", ready.text().await.unwrap());

    // Every access token acknowledged before the kill is active (the admin's among them).
    for access in seen.access.iter().chain([&admin]) {
        let req = http.post(second.realm(INTROSPECT)).basic_auth(&s.svc.id, Some(&s.svc.secret));
        let (status, body) = call(req.form(&[("token", access)])).await.unwrap();
        assert_eq!((status, &body["active"]), (StatusCode::OK, &json!(true)), "an acknowledged access token");
    }
    // Every refresh token received and not yet used refreshes.
    let tv = Creds { id: "tv".into(), secret: String::new() };
    for (client, refresh) in &seen.fresh_refresh {
        let client = if *client == "tv" { &tv } else { &s.webapp };
        let (status, body) =
            token_as(&http, &second, client, &token_form("refresh_token", &[("refresh_token", refresh)])).await;
        assert_eq!(status, StatusCode::OK, "a fresh refresh token: {body}");
    }

    // Every client is whole: the acknowledged ones exist; one whose creation the kill cut off
    // exists whole or not at all; there are no others.
    let whole = |client_id: String| client_is_whole(&http, &second, &admin, client_id);
    for (client_id, id) in &seen.clients {
        assert_eq!(whole(client_id.clone()).await.as_deref(), Some(id.as_str()), "{client_id}");
    }
    let mut clients = seen.clients.len();
    for client_id in &seen.clients_open {
        clients += usize::from(whole(client_id.clone()).await.is_some());
    }
    let (_, all) = call(http.get(second.admin("/clients?max=1000")).bearer_auth(&admin)).await.unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.iter().filter(|c| c["clientId"].as_str().unwrap().starts_with("load-")).count(), clients);

    // A code is redeemed once: an acknowledged redemption was written whole and the code is
    // refused now; a code whose redemption the kill cut off is accepted at most once (refused
    // when that redemption had committed).
    let redeem = |(code, verifier): &(String, String)| {
        let form = vec![("code", code.clone()), ("redirect_uri", WEB_CB.into()), ("code_verifier", verifier.clone())];
        let form: Vec<(&str, String)> =
            [("grant_type", "authorization_code".to_owned())].into_iter().chain(form).collect();
        let (http, second, webapp) = (&http, &second, &s.webapp);
        async move {
            let req = http.post(second.realm(TOKEN)).basic_auth(&webapp.id, Some(&webapp.secret)).form(&form);
            call(req).await.unwrap()
        }
    };
    let manager = &s.manager;
    let code_row = |code: &str| {
        let hash = token_hash(code);
        async move {
            let mut conn = manager.db.conn().await.unwrap();
            store::auth_codes::get(&mut conn, &hash).await.unwrap().expect("the code is stored")
        }
    };
    for code in &seen.codes_redeemed {
        let row = code_row(&code.0).await;
        assert!(row.used_at.is_some() && row.family_id.is_some(), "a redemption written whole");
        assert_invalid_grant(redeem(code).await, "an acknowledged code again");
    }
    let mut late_codes = 0;
    for code in &seen.codes_open {
        let committed = code_row(&code.0).await.used_at.is_some();
        let (status, body) = redeem(code).await;
        if committed {
            assert_invalid_grant((status, body), "a code redeemed before the kill, its answer lost");
        } else {
            assert_eq!(status, StatusCode::OK, "a code never redeemed: {body}");
            late_codes += 1;
        }
        assert_invalid_grant(redeem(code).await, "a code after its one redemption");
    }

    // A device code gives its tokens once, likewise.
    let poll = |device_code: &str| {
        let form = [
            ("grant_type", DEVICE_GRANT.to_owned()),
            ("device_code", device_code.to_owned()),
            ("client_id", "tv".into()),
        ];
        call(http.post(second.realm(TOKEN)).form(&form))
    };
    for device_code in &seen.devices_redeemed {
        assert_invalid_grant(poll(device_code).await.unwrap(), "an acknowledged device code again");
    }
    for device_code in &seen.devices_open {
        let mut conn = s.manager.db.conn().await.unwrap();
        let row = store::device_codes::get(&mut conn, &token_hash(device_code)).await.unwrap().unwrap();
        drop(conn);
        let (status, body) = poll(device_code).await.unwrap();
        match row.status.as_str() {
            "consumed" => assert_invalid_grant((status, body), "a device code consumed before the kill"),
            "approved" => {
                assert_eq!(status, StatusCode::OK, "{body}");
                assert_invalid_grant(poll(device_code).await.unwrap(), "a device code after its tokens");
            }
            _ => assert!(
                ["authorization_pending", "slow_down"].contains(&body["error"].as_str().unwrap_or_default()),
                "a device request still pending: {status} {body}"
            ),
        }
    }

    // Refresh rotation: each acknowledged rotation was written whole (the token rotated, naming
    // the token answered as its successor, of the same family). The last token received
    // refreshes once: when the kill cut off its rotation after the commit, the retry falls in
    // the client's reuse window and gets that same successor, never a second one. Then a
    // rotated token is refused with invalid_grant, and that reuse revokes the family.
    let mut lost_rotations = 0;
    for chain in &seen.chains {
        for pair in chain.windows(2) {
            let (old, new) =
                (refresh_row(&s.manager, &pair[0]).await.unwrap(), refresh_row(&s.manager, &pair[1]).await);
            assert!(old.rotated_at.is_some() && old.revoked_at.is_none());
            assert_eq!(old.successor_hash, secret_hash(&pair[1]));
            assert_eq!(new.map(|n| n.family_id), Some(old.family_id));
        }
        let last = chain.last().unwrap();
        let before = refresh_row(&s.manager, last).await.unwrap();
        let (status, body) =
            token_as(&http, &second, &s.chains, &token_form("refresh_token", &[("refresh_token", last)])).await;
        assert_eq!(status, StatusCode::OK, "the last refresh token received: {body}");
        let next = str_of(&body, "refresh_token");
        let after = refresh_row(&s.manager, last).await.unwrap();
        assert_eq!(after.successor_hash, secret_hash(&next), "one successor");
        if before.rotated_at.is_some() {
            assert_eq!(before.successor_hash, after.successor_hash, "the successor the kill cut off");
            lost_rotations += 1;
        }
        let (status, body) =
            token_as(&http, &second, &s.chains, &token_form("refresh_token", &[("refresh_token", &next)])).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let newest = str_of(&body, "refresh_token");
        let again = token_as(&http, &second, &s.chains, &token_form("refresh_token", &[("refresh_token", last)])).await;
        assert_invalid_grant(again, "a rotated refresh token");
        for earlier in chain.iter().rev().skip(1).take(2) {
            assert_invalid_grant(
                token_as(&http, &second, &s.chains, &token_form("refresh_token", &[("refresh_token", earlier)])).await,
                "a token rotated before the kill",
            );
        }
        let revoked =
            token_as(&http, &second, &s.chains, &token_form("refresh_token", &[("refresh_token", &newest)])).await;
        assert_invalid_grant(revoked, "the family, once a rotated token came back");
    }
    eprintln!(
        "{kind:?}: SIGKILL after {:?} answers: {} rotations ({lost_rotations} cut off and retried), {} codes redeemed \
         ({} cut off, {late_codes} redeemed after the restart), {} device grants ({} cut off), {} clients \
         ({} cut off, {} of them whole)",
        load.counts(),
        seen.chains.iter().map(|c| c.len() - 1).sum::<usize>(),
        seen.codes_redeemed.len(),
        seen.codes_open.len(),
        seen.devices_redeemed.len(),
        seen.devices_open.len(),
        seen.clients.len(),
        seen.clients_open.len(),
        clients - seen.clients.len(),
    );

    // The restarted server logged no error, and stops cleanly.
    let log = read(&second.log);
    assert!(!log.contains("ERROR"), "{log}");
    sigterm(&second);
    let (status, _) = second.exit_within(Duration::from_secs(15)).await;
    assert_eq!(status.code(), Some(0), "{}", read(&second.log));
}

/// Whether `client_id` exists and, if it does, that it is whole: its representation, its secret
/// (which authenticates), its service account. Its internal id.
async fn client_is_whole(http: &Client, server: &Server, admin: &str, client_id: String) -> Option<String> {
    let get = |path: String| call(http.get(server.admin(&path)).bearer_auth(admin));
    let (status, found) = get(format!("/clients?clientId={client_id}")).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let id = str_of(found.as_array().unwrap().first()?, "id");
    let (status, client) = get(format!("/clients/{id}")).await.unwrap();
    assert_eq!((status, client["clientId"].as_str()), (StatusCode::OK, Some(client_id.as_str())), "{client}");
    assert_eq!(client["serviceAccountsEnabled"], true, "{client}");
    assert_eq!(client["publicClient"], false, "{client}");
    let (_, secret) = get(format!("/clients/{id}/client-secret")).await.unwrap();
    let secret = secret["value"].as_str().unwrap_or_else(|| panic!("{client_id}: no secret: {secret}")).to_owned();
    let creds = Creds { id: client_id.clone(), secret };
    let (status, body) = token_as(http, server, &creds, &token_form("client_credentials", &[])).await;
    assert_eq!(status, StatusCode::OK, "{client_id}: its secret authenticates: {body}");
    let (status, account) = get(format!("/clients/{id}/service-account-user")).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{client_id}: {account}");
    assert_eq!(account["username"], format!("service-account-{client_id}").as_str());
    Some(id)
}

/// Reads an HTTP/1.1 response head from a raw connection (at most 10 s): its text.
async fn read_head(stream: &mut tokio::net::TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte)).await.unwrap().unwrap();
        assert_eq!(n, 1, "the connection closed mid-head: {}", String::from_utf8_lossy(&head));
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

/// Reads a whole response with a `Content-Length`: its head and body.
async fn read_response(stream: &mut tokio::net::TcpStream) -> (String, String) {
    let head = read_head(stream).await;
    let length = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>()))
        .expect("a content-length")
        .unwrap();
    let mut body = vec![0u8; length];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut body)).await.unwrap().unwrap();
    (head, String::from_utf8(body).unwrap())
}

/// Whether the server closed the connection without another byte (within 10 s).
async fn closed_without_answer(stream: &mut tokio::net::TcpStream) -> bool {
    let mut buf = [0u8; 64];
    match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(_)) | Err(_) => false,
    }
}

/// Opens a token request for `svc` and sends its head with `Expect: 100-continue`; returns once
/// the server has answered `100 Continue`, i.e. is in the handler, reading the body.
async fn request_in_flight(addr: &str, svc: &Creds, body: &str) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let basic =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{}:{}", svc.id, svc.secret));
    let head = format!(
        "POST /realms/default{TOKEN} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {basic}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let continued = read_head(&mut stream).await;
    assert!(continued.starts_with("HTTP/1.1 100"), "{continued}");
    stream
}

const CLIENT_CREDENTIALS: &str = "grant_type=client_credentials";

async fn sigterm_finishes_requests_in_flight_and_refuses_new_connections(kind: DbKind) {
    let s = setup(kind).await;
    let mut server = Server::start(&s, 1, &[]).await;
    let addr = server.base.strip_prefix("http://").unwrap().to_owned();
    // An idle keep-alive connection, and a request in flight.
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let get = format!("GET /realms/default{DISCOVERY} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    idle.write_all(get.as_bytes()).await.unwrap();
    assert!(read_response(&mut idle).await.0.starts_with("HTTP/1.1 200"));
    let mut slow = request_in_flight(&addr, &s.svc, CLIENT_CREDENTIALS).await;

    sigterm(&server);
    // New connections are refused once the signal is taken; the idle one is closed.
    let refused = eventually(5, || async { tokio::net::TcpStream::connect(&addr).await.is_err() }).await;
    assert!(refused, "connections refused after SIGTERM");
    assert!(closed_without_answer(&mut idle).await, "the idle connection is closed");
    assert!(server.child.try_wait().unwrap().is_none(), "the server waits for the request in flight");
    // The request in flight finishes with its normal answer.
    slow.write_all(CLIENT_CREDENTIALS.as_bytes()).await.unwrap();
    let (head, body) = read_response(&mut slow).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert_eq!(jwt_claims(body["access_token"].as_str().unwrap())["azp"], "svc");
    // Then the process exits, 0, well inside the default drain bound (10 s).
    let (status, took) = server.exit_within(Duration::from_secs(10)).await;
    assert_eq!(status.code(), Some(0), "{}", read(&server.log));
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(!read(&server.log).contains("dropping"), "nothing was left to drop");
}

async fn sigterm_drops_what_is_still_in_flight_at_the_shutdown_timeout(kind: DbKind) {
    let s = setup(kind).await;
    let mut server = Server::start(&s, 1, &["--shutdown-timeout", "1"]).await;
    let addr = server.base.strip_prefix("http://").unwrap().to_owned();
    // A request whose body never comes.
    let mut stalled = request_in_flight(&addr, &s.svc, CLIENT_CREDENTIALS).await;
    let signalled = Instant::now();
    sigterm(&server);
    let (status, _) = server.exit_within(Duration::from_secs(10)).await;
    let took = signalled.elapsed();
    assert_eq!(status.code(), Some(0), "{}", read(&server.log));
    assert!(took >= Duration::from_secs(1), "the drain waited its second: {took:?}");
    assert!(took < Duration::from_secs(5), "and no longer: {took:?}");
    assert!(closed_without_answer(&mut stalled).await, "the stalled request was dropped");
    assert!(read(&server.log).contains("dropping them"), "{}", read(&server.log));
}
