//! Configuration: command-line flags first, then `PORTCULLIS_*` environment variables (and the
//! conventional `DATABASE_URL`), then `portcullis.toml`, then defaults.

use serde::Deserialize;
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

/// The default database: an SQLite file created (with its folder) on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:./data/portcullis.db";
/// The default listen address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// The default address of the management listener (health and metrics).
pub const DEFAULT_MANAGEMENT_ADDR: &str = "127.0.0.1:9000";
/// The default drain bound: how long requests in flight at SIGTERM may take to finish.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the master key comes from.
#[derive(Clone)]
pub enum MasterKeySource {
    /// `PORTCULLIS_MASTER_KEY`: base64 of 32 bytes.
    Inline(String),
    /// A key file, created on first start.
    File(PathBuf),
}

impl std::fmt::Debug for MasterKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MasterKeySource::Inline(_) => f.write_str("Inline(***)"),
            MasterKeySource::File(p) => f.debug_tuple("File").field(p).finish(),
        }
    }
}

/// The resolved configuration of a server or CLI run.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    /// `HOST:PORT` to listen on; port 0 picks a free port.
    pub addr: String,
    /// `HOST:PORT` of the management listener (health, metrics); `None`: off.
    pub management_addr: Option<String>,
    /// The public base URL (issuer base); `None`: `http://` + the bound address.
    pub public_url: Option<String>,
    pub master_key: MasterKeySource,
    /// Where the built site (`pkg/`, assets) lives.
    pub site_root: PathBuf,
    /// `tracing` filter.
    pub log: String,
    /// How often to poll the change log for other processes' changes.
    pub change_poll_interval: Duration,
    /// Requests per second per client IP at the token endpoint; 0 disables the limit.
    pub token_rate_limit: u32,
    /// Failed authentications of one client from one address per minute before that address
    /// may only use credentials already verified (see `oauth::client_auth`).
    pub auth_failure_limit: u32,
    /// Device authorization requests per minute per client address (0: unlimited).
    pub device_rate_limit: u32,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` headers name the client.
    pub trusted_proxies: Vec<crate::net::Cidr>,
    /// After SIGTERM, how long requests in flight may take before their connections are dropped
    /// and the process exits.
    pub shutdown_timeout: Duration,
    /// When a commit reaches the disk (`normal` or `full`).
    pub durability: crate::store::Durability,
}

/// Values given on the command line.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Flags {
    /// Database URL: sqlite:PATH or postgres://USER:PASS@HOST/DB [env: DATABASE_URL]
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Listen address HOST:PORT; port 0 picks a free port [env: PORTCULLIS_ADDR]
    #[arg(long, global = true)]
    pub addr: Option<String>,
    /// Health and metrics listener HOST:PORT, or off [env: PORTCULLIS_MANAGEMENT_ADDR] [default: 127.0.0.1:9000]
    #[arg(long, global = true)]
    pub management_addr: Option<String>,
    /// Public base URL used as the issuer base [env: PORTCULLIS_PUBLIC_URL]
    #[arg(long, global = true)]
    pub public_url: Option<String>,
    /// Configuration file [env: PORTCULLIS_CONFIG] [default: ./portcullis.toml if present]
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Seconds to finish requests in flight after SIGTERM [env: PORTCULLIS_SHUTDOWN_TIMEOUT] [default: 10]
    #[arg(long, global = true, value_name = "SECONDS")]
    pub shutdown_timeout: Option<u64>,
    /// normal: an acknowledged write survives a crash of Portcullis; full: also a power loss
    /// (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on) [env: PORTCULLIS_DURABILITY] [default: normal]
    #[arg(long, global = true, value_parser = ["normal", "full"])]
    pub durability: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    addr: Option<String>,
    management_addr: Option<String>,
    public_url: Option<String>,
    master_key_file: Option<PathBuf>,
    site_root: Option<PathBuf>,
    log: Option<String>,
    change_poll_ms: Option<u64>,
    token_rate_limit: Option<u32>,
    auth_failure_limit: Option<u32>,
    device_rate_limit: Option<u32>,
    trusted_proxies: Option<Vec<String>>,
    shutdown_timeout: Option<u64>,
    durability: Option<String>,
}

/// Why the configuration could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {0}: {1}")]
    Read(String, std::io::Error),
    #[error("invalid config file {0}: {1}")]
    Parse(String, String),
    #[error("invalid value for {0}: {1}")]
    Value(&'static str, String),
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn env_num<T: std::str::FromStr>(name: &'static str) -> Result<Option<T>, ConfigError> {
    env(name).map(|v| v.parse().map_err(|_| ConfigError::Value(name, format!("{v:?} is not a number")))).transpose()
}

impl Config {
    /// Resolves flags, environment, file and defaults.
    pub fn load(flags: &Flags) -> Result<Config, ConfigError> {
        let file = read_file(flags.config.clone().or_else(|| env("PORTCULLIS_CONFIG").map(PathBuf::from)))?;
        let database_url = flags
            .database_url
            .clone()
            .or_else(|| env("PORTCULLIS_DATABASE_URL"))
            .or_else(|| env("DATABASE_URL"))
            .or(file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let addr = flags
            .addr
            .clone()
            .or_else(|| env("PORTCULLIS_ADDR"))
            .or(file.addr)
            .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
        let management_addr = flags
            .management_addr
            .clone()
            .or_else(|| env("PORTCULLIS_MANAGEMENT_ADDR"))
            .or(file.management_addr)
            .unwrap_or_else(|| DEFAULT_MANAGEMENT_ADDR.to_owned());
        let management_addr = (!management_addr.eq_ignore_ascii_case("off")).then_some(management_addr);
        let public_url = flags.public_url.clone().or_else(|| env("PORTCULLIS_PUBLIC_URL")).or(file.public_url);
        if let Some(url) = &public_url {
            validate_public_url(url)?;
        }
        let master_key = match env("PORTCULLIS_MASTER_KEY") {
            Some(k) => MasterKeySource::Inline(k),
            None => MasterKeySource::File(
                env("PORTCULLIS_MASTER_KEY_FILE")
                    .map(PathBuf::from)
                    .or(file.master_key_file)
                    .unwrap_or_else(|| default_key_file(&database_url)),
            ),
        };
        Ok(Config {
            master_key,
            site_root: env("PORTCULLIS_SITE_ROOT")
                .or_else(|| env("LEPTOS_SITE_ROOT"))
                .map(PathBuf::from)
                .or(file.site_root)
                .unwrap_or_else(|| PathBuf::from("target/site")),
            log: env("PORTCULLIS_LOG").or_else(|| env("RUST_LOG")).or(file.log).unwrap_or_else(|| "info".into()),
            change_poll_interval: Duration::from_millis(
                env_num("PORTCULLIS_CHANGE_POLL_MS")?.or(file.change_poll_ms).unwrap_or(1000).max(50),
            ),
            token_rate_limit: env_num("PORTCULLIS_TOKEN_RATE_LIMIT")?.or(file.token_rate_limit).unwrap_or(0),
            auth_failure_limit: env_num("PORTCULLIS_AUTH_FAILURE_LIMIT")?.or(file.auth_failure_limit).unwrap_or(30),
            device_rate_limit: env_num("PORTCULLIS_DEVICE_RATE_LIMIT")?.or(file.device_rate_limit).unwrap_or(10),
            trusted_proxies: parse_proxies(
                env("PORTCULLIS_TRUSTED_PROXIES")
                    .map(|v| v.split(',').map(str::to_owned).collect())
                    .or(file.trusted_proxies)
                    .unwrap_or_default(),
            )?,
            shutdown_timeout: flags
                .shutdown_timeout
                .or(env_num("PORTCULLIS_SHUTDOWN_TIMEOUT")?)
                .or(file.shutdown_timeout)
                .map_or(DEFAULT_SHUTDOWN_TIMEOUT, Duration::from_secs),
            durability: flags
                .durability
                .clone()
                .or_else(|| env("PORTCULLIS_DURABILITY"))
                .or(file.durability)
                .map(|d| d.parse().map_err(|e| ConfigError::Value("durability", e)))
                .transpose()?
                .unwrap_or_default(),
            database_url,
            addr,
            management_addr,
            public_url: public_url.map(|u| u.trim_end_matches('/').to_owned()),
        })
    }

    /// A configuration for `database_url` with every other value at its default, ignoring the
    /// environment (tests and embedding).
    pub fn with_database(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_owned(),
            addr: "127.0.0.1:0".into(),
            management_addr: None,
            public_url: None,
            master_key: MasterKeySource::File(default_key_file(database_url)),
            site_root: PathBuf::from("target/site"),
            log: "warn".into(),
            change_poll_interval: Duration::from_millis(200),
            token_rate_limit: 0,
            auth_failure_limit: 30,
            device_rate_limit: 10,
            trusted_proxies: Vec::new(),
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            durability: crate::store::Durability::Normal,
        }
    }
}

fn parse_proxies(list: Vec<String>) -> Result<Vec<crate::net::Cidr>, ConfigError> {
    list.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|e| ConfigError::Value("PORTCULLIS_TRUSTED_PROXIES", e)))
        .collect()
}

fn validate_public_url(url: &str) -> Result<(), ConfigError> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.query().is_none() => Ok(()),
        _ => Err(ConfigError::Value("PORTCULLIS_PUBLIC_URL", format!("{url:?} is not an http(s) base URL"))),
    }
}

/// The key file beside the SQLite database, or `./data/master.key`.
fn default_key_file(database_url: &str) -> PathBuf {
    let sqlite_path = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"));
    match sqlite_path.map(|p| Path::new(p.split('?').next().unwrap_or_default())) {
        Some(p) if p.as_os_str() != ":memory:" => {
            p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).join("master.key")
        }
        _ => PathBuf::from("./data/master.key"),
    }
}

fn read_file(explicit: Option<PathBuf>) -> Result<FileConfig, ConfigError> {
    let (path, required) = match explicit {
        Some(p) => (p, true),
        None => (PathBuf::from("portcullis.toml"), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(e) => return Err(ConfigError::Read(path.display().to_string(), e)),
    };
    toml::from_str(&text).map_err(|e| ConfigError::Parse(path.display().to_string(), e.message().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_sits_beside_the_sqlite_database() {
        assert_eq!(default_key_file("sqlite:./data/portcullis.db"), PathBuf::from("./data/master.key"));
        assert_eq!(default_key_file("sqlite:///tmp/x/db.sqlite?mode=rwc"), PathBuf::from("/tmp/x/master.key"));
        assert_eq!(default_key_file("sqlite:db.sqlite"), PathBuf::from("./master.key"));
        assert_eq!(default_key_file("postgres://u@h/db"), PathBuf::from("./data/master.key"));
    }

    #[test]
    fn public_url_must_be_an_http_base() {
        assert!(validate_public_url("https://id.example.com").is_ok());
        assert!(validate_public_url("ftp://x").is_err());
        assert!(validate_public_url("not a url").is_err());
    }
}
