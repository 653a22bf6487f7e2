//! Building and running the server: an [`Application`] is made from a [`Config`] and a bound
//! listener, so tests start it in-process on port 0 with their own clock.

use crate::{
    clock::{SharedClock, SystemClock},
    config::{Config, MasterKeySource},
    console::{self, service::Console, sessions},
    crypto::master_key::{MasterKey, MasterKeyError},
    flow::service::Flow,
    manage::{ManageError, Manager},
    oauth,
    ratelimit::Limits,
    registry::Registry,
    state::{AppState, Inner},
    stats::TokenStats,
    store::{self, Db, OpenError},
};
use app::service::{SharedConsole, SharedFlow};
use axum::{
    http::{header, HeaderValue, Method, StatusCode},
    middleware,
    response::IntoResponse,
    serve::ListenerExt,
    Router,
};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    cors::{self, CorsLayer},
    set_header::SetResponseHeaderLayer,
};

/// Why the server (or a CLI command) could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    MasterKey(#[from] MasterKeyError),
    #[error(
        "the master key (fingerprint {found}) is not the one this database was created with \
         (fingerprint {expected}); point PORTCULLIS_MASTER_KEY or PORTCULLIS_MASTER_KEY_FILE at the original key"
    )]
    KeyMismatch { expected: String, found: String },
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A database error while starting, naming the database (its password redacted).
    #[error("database {url}: {source}{}", read_only_hint(source))]
    Database { url: String, source: sqlx::Error },
    #[error("cannot create the default realm: {0}")]
    DefaultRealm(#[from] ManageError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
}

const KEY_FINGERPRINT: &str = "master_key_fingerprint";

/// What to do about a database that cannot be written to.
fn read_only_hint(e: &sqlx::Error) -> &'static str {
    match e {
        sqlx::Error::Database(db) if db.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 8) => {
            " (the file, its folder or the URL's mode=ro makes it read-only: Portcullis writes to its database)"
        }
        _ => "",
    }
}

/// Opens the database, applies migrations, loads the master key (checking it against the
/// database) and makes sure the `default` realm exists. Shared by `serve` and the CLI. A
/// database error names the database.
pub async fn open(config: &Config, clock: SharedClock) -> Result<Manager, StartError> {
    open_named(config, clock).await.map_err(|e| match e {
        StartError::Db(source) => StartError::Database { url: store::redact_url(&config.database_url), source },
        e => e,
    })
}

async fn open_named(config: &Config, clock: SharedClock) -> Result<Manager, StartError> {
    let db = Db::open_with(&config.database_url, config.durability).await?;
    db.migrate().await?;
    match db.commit_sync().await {
        Ok(sync) => tracing::info!(durability = ?config.durability, %sync, "database commits"),
        Err(e) => tracing::warn!(error = %e, "cannot read the database's commit setting"),
    }
    let master = Arc::new(match &config.master_key {
        MasterKeySource::Inline(k) => MasterKey::from_base64(k)?,
        MasterKeySource::File(p) => MasterKey::load_or_create(p)?,
    });
    let mut conn = db.conn().await?;
    match store::meta_get(&mut conn, KEY_FINGERPRINT).await? {
        Some(expected) if expected != master.fingerprint() => {
            return Err(StartError::KeyMismatch { expected, found: master.fingerprint().to_owned() })
        }
        Some(_) => {}
        None => store::meta_set(&mut conn, KEY_FINGERPRINT, master.fingerprint()).await?,
    }
    drop(conn);
    let manager = Manager { db, master, clock, registry: None };
    manager.ensure_default_realm().await?;
    manager.ensure_admin_roles_everywhere().await?;
    manager.migrate_admins().await?;
    Ok(manager)
}

/// A server ready to run.
pub struct Application {
    listener: tokio::net::TcpListener,
    /// Health and metrics (`None`: off).
    management: Option<tokio::net::TcpListener>,
    state: AppState,
    sessions: sessions::Store,
    router: Router,
}

impl Application {
    /// Builds the server with the system clock.
    pub async fn build(config: Config) -> Result<Application, StartError> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Builds the server with `clock` (tests move it by hand).
    pub async fn build_with_clock(config: Config, clock: SharedClock) -> Result<Application, StartError> {
        let mut manager = open(&config, clock.clone()).await?;
        let listener = tokio::net::TcpListener::bind(&config.addr)
            .await
            .map_err(|source| StartError::Bind { addr: config.addr.clone(), source })?;
        let local = listener.local_addr().map_err(|source| StartError::Bind { addr: config.addr.clone(), source })?;
        let management = match &config.management_addr {
            None => None,
            Some(addr) => Some(
                tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartError::Bind { addr: addr.clone(), source })?,
            ),
        };
        let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{local}"));
        let registry = Arc::new(Registry::new(manager.db.clone(), manager.master.clone(), public_url.clone()));
        manager.registry = Some(registry.clone());
        let sessions = sessions::Store::open(&manager.db)
            .await
            .map_err(|source| StartError::Database { url: store::redact_url(&config.database_url), source })?;
        let leptos = LeptosOptions::builder()
            .output_name("portcullis")
            .site_root(config.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(local)
            .env(match std::env::var("LEPTOS_ENV").as_deref() {
                Ok("DEV") => leptos::config::Env::DEV,
                _ => leptos::config::Env::PROD,
            })
            .build();
        let state = AppState::new(Inner {
            limits: Limits::new(config.token_rate_limit, config.device_rate_limit, config.auth_failure_limit),
            secure_cookies: public_url.starts_with("https://"),
            db: manager.db.clone(),
            clock,
            registry,
            manager,
            stats: TokenStats::default(),
            metrics: Default::default(),
            leptos,
            public_url,
            config,
        });
        let router = router(state.clone(), sessions.clone());
        Ok(Application { listener, management, state, sessions, router })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The management listener's address (health, metrics), unless it is off.
    pub fn management_addr(&self) -> Option<SocketAddr> {
        self.management.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, running the background tasks alongside.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let tasks = spawn_background(self.state.clone(), self.sessions.clone());
        let management = self.management.map(|l| {
            let router = crate::management::router(self.state.clone());
            tokio::spawn(async move { axum::serve(l, router).await })
        });
        // Small responses: send them at once rather than wait for Nagle.
        let listener = self.listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        // On the signal the listener closes (new connections are refused) and requests in flight
        // finish; the drain is bounded, since a client that never finishes its request would
        // otherwise keep the process alive: past `shutdown_timeout` its connection is dropped.
        let (signalled, drain_started) = tokio::sync::oneshot::channel::<()>();
        let serve = axum::serve(listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = signalled.send(());
            });
        let drain = self.state.config.shutdown_timeout;
        let bound = async move {
            if drain_started.await.is_ok() {
                tokio::time::sleep(drain).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let result = tokio::select! {
            result = std::future::IntoFuture::into_future(serve) => result,
            () = bound => {
                tracing::warn!(?drain, "requests still in flight at the end of the shutdown drain: dropping them");
                Ok(())
            }
        };
        tasks.abort();
        if let Some(m) = management {
            m.abort();
        }
        if let Err(e) = self.state.stats.flush(&self.state.db, self.state.now()).await {
            tracing::warn!(error = %e, "flushing token counters");
        }
        result
    }
}

fn security_headers<S: Clone + Send + Sync + 'static>(router: Router<S>, pages: bool) -> Router<S> {
    let router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ));
    if !pages {
        return router;
    }
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'; base-uri 'self'; object-src 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
}

/// The pages' routes, listed once per process.
///
/// Listing them renders the app with resource loading switched off by a flag that is global to
/// the process (`leptos_server::SuppressResourceLoad`): any page rendered on another thread
/// while the list is being made has its resources wait on `pending()` forever. That was the
/// test suite's hang: every test starts a server, so a server starting in one test froze a
/// page rendering in another. Made once, before any router (and so any page) exists, the list
/// can never overlap a render.
static PAGE_ROUTES: std::sync::LazyLock<Vec<leptos_axum::AxumRouteListing>> =
    std::sync::LazyLock::new(|| generate_route_list(app::App));

/// The whole router: protocol endpoints (no sessions, no compression) and the pages.
pub fn router(state: AppState, session_store: sessions::Store) -> Router {
    let console: SharedConsole = Arc::new(Console { state: state.clone() });
    let flow: SharedFlow = Arc::new(Flow { state: state.clone() });
    let routes = PAGE_ROUTES.clone();
    let options = state.leptos.clone();
    let (api, browser_endpoints) = oauth::routers();
    let browser: Router<AppState> = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(console.clone());
                provide_context(flow.clone());
            },
            move || app::shell(options.clone()),
        )
        .merge(console::router())
        .merge(crate::flow::router())
        .merge(browser_endpoints)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
        .layer(middleware::from_fn(console::login::guard))
        .layer(middleware::from_fn_with_state(state.clone(), oauth::login_status::cookie::track))
        .layer(sessions::layer(session_store, state.secure_cookies))
        .layer(middleware::from_fn_with_state(state.clone(), crate::unavailable::gate))
        .layer(middleware::from_fn(oauth::login_status::cookie::emit))
        .layer(middleware::from_fn({
            let secure = state.secure_cookies;
            move |req, next| console::csrf::visitor_token(secure, req, next)
        }))
        .layer(CompressionLayer::new());
    // The API endpoints authenticate with what the request carries (client secret, code and
    // verifier, refresh or bearer token), never with cookies, so any origin may call them: SPAs
    // need that for the token endpoint. No credentials mode, so no cookie ever rides along.
    let cors = CorsLayer::new()
        .allow_origin(cors::Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600));
    // Keycloak's Admin REST API: bearer tokens, no cookies. The protocol endpoints answer CORS
    // for any origin without credentials, and with credentials for registered Web Origins.
    let api = api
        .layer(cors)
        .layer(middleware::from_fn_with_state(state.clone(), oauth::cors::web_origins))
        .merge(crate::admin_api::router());
    security_headers(api, false)
        .merge(security_headers(browser, true))
        .layer(middleware::from_fn(deadline))
        .layer(middleware::from_fn_with_state(state.clone(), crate::management::observe))
        .layer(CatchPanicLayer::custom(|_| {
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(serde_json::json!({"error": "server_error"})))
                .into_response()
        }))
        .with_state(state)
}

/// The longest any request is served: every wait inside has a shorter bound of its own
/// (database 10 s, secret verification 20 s), so this is the net under them, not a limit
/// anyone should meet.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// Answers 503 `temporarily_unavailable` for a request still unanswered at the deadline, so
/// no request can wait forever whatever it waits on.
async fn deadline(req: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
    let path = req.uri().path().to_owned();
    match tokio::time::timeout(REQUEST_DEADLINE, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::error!(%path, "request abandoned at the deadline");
            let body = serde_json::json!({"error": "temporarily_unavailable", "error_description": "the server is busy; retry shortly"});
            (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "1")], axum::Json(body)).into_response()
        }
    }
}

/// Aborts a task when dropped (when the background loop is aborted, so is its watcher).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The change poller (woken at once by PostgreSQL's notifications), the janitor and the
/// counter flusher.
fn spawn_background(state: AppState, sessions: sessions::Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last_change = match state.db.conn().await {
            Ok(mut c) => store::changes::last_id(&mut c).await.unwrap_or(0),
            Err(_) => 0,
        };
        // PostgreSQL announces changes (LISTEN/NOTIFY): read the log at once; polling stays as
        // the fallback, and the only way on SQLite.
        let wake = Arc::new(tokio::sync::Notify::new());
        let watcher = tokio::spawn(store::changes::watch(state.db.clone(), wake.clone()));
        let _watcher = AbortOnDrop(watcher);
        let mut poll = tokio::time::interval(state.config.change_poll_interval);
        let mut flush = tokio::time::interval(Duration::from_secs(10));
        // The first pass a minute after start, not during it: start-up stays short, and a pass
        // never races what a test (or an operator) does in the server's first moments.
        let minute = Duration::from_secs(60);
        let mut janitor = tokio::time::interval_at(tokio::time::Instant::now() + minute, minute);
        loop {
            tokio::select! {
                _ = wake.notified() => {
                    if let Err(e) = state.registry.apply_changes(&mut last_change).await {
                        tracing::warn!(error = %e, "reading the change log");
                    }
                }
                _ = poll.tick() => {
                    if let Err(e) = state.registry.apply_changes(&mut last_change).await {
                        tracing::warn!(error = %e, "polling the change log");
                    }
                }
                _ = flush.tick() => {
                    if let Err(e) = state.stats.flush(&state.db, state.now()).await {
                        tracing::warn!(error = %e, "flushing token counters");
                    }
                }
                _ = janitor.tick() => janitor_pass(&state, Some(&sessions)).await,
            }
        }
    })
}

/// Deletes what has expired ([`store::purge::Expired`]: revocations of expired tokens, codes,
/// refresh tokens, device codes, ended SSO sessions, old counters, change-log rows and audit
/// events past retention) and browser sessions; rotates and retires signing keys. Runs every
/// minute.
pub async fn janitor_pass(state: &AppState, sessions: Option<&sessions::Store>) {
    let now = state.now();
    state.limits.purge(now);
    let result = purge_expired(state, now).await;
    let mut ok = result.is_ok();
    if let Err(e) = result {
        tracing::warn!(error = %e, "janitor");
    }
    // Signing keys: rotation on each realm's schedule, retirement once their tokens expired.
    if let Err(e) = state.manager.rotate_and_retire_keys().await {
        ok = false;
        tracing::warn!(error = %e, "janitor: signing keys");
    }
    // Upstream tokens kept for apps and services, refreshed before they expire (one failing
    // provider is logged and skipped, never failing the pass).
    crate::flow::broker_token::refresh_due(state).await;
    crate::flow::service_token::refresh_due(state).await;
    state.metrics.janitor_pass(ok);
    if let Some(Err(e)) = match sessions {
        Some(s) => Some(s.delete_expired().await),
        None => None,
    } {
        tracing::warn!(error = %e, "deleting expired sessions");
    }
}

/// Rows deleted per statement: small enough that a request waits at most a few milliseconds
/// for the database between two of them.
const PURGE_BATCH: i64 = 500;

/// Every kind of expired row, a batch at a time, each batch on a connection taken from the
/// pool and given back (a request needing one gets it between batches).
async fn purge_expired(state: &AppState, now: i64) -> sqlx::Result<()> {
    for what in store::purge::Expired::ALL {
        loop {
            let deleted = store::purge::batch(&mut state.db.conn().await?, what, now, PURGE_BATCH).await?;
            state.metrics.purged(what.table(), deleted);
            if deleted < PURGE_BATCH as u64 {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
    Ok(())
}
