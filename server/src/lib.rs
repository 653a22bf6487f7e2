//! Portcullis: a self-hosted OAuth 2.0 / OpenID Connect authorization server.
//!
//! # Layout
//! - `cli`: the command line (a contract), dispatching to `startup` and `manage`
//! - `config`: flags → environment → `portcullis.toml` → defaults
//! - `startup`: opening the database, building the router, running the server
//! - `state`: what handlers share
//! - `clock`: injected time
//! - `crypto`: randomness, argon2id, the master key, JWS signing
//! - `store`: every SQL statement, one file per table group, for SQLite and PostgreSQL
//! - `model`: grant types, client templates, scopes and their implications, validation
//! - `registry`: the in-memory view of realms and clients, kept fresh by the change log
//! - `manage`: administrative operations (CLI, console, later the REST API)
//! - `oauth`: the protocol endpoints
//! - `console`: the admin console's sessions, CSRF, sign-in and page service
//! - `flow`: end-user sign-in: SSO sessions, pending requests, brute-force guard, page forms
//! - `net`: the client's address behind trusted proxies, and the key per-address limits use
//! - `ratelimit`, `stats`: request limits and token-issuance counters
//! - `upstream`: Portcullis as the client of upstream providers (discovery, their tokens)
//! - `unavailable`: what the browser side answers while the database cannot be reached

pub mod admin_api;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod crypto;
pub mod flow;
pub mod manage;
pub mod management;
pub mod metrics;
pub mod model;
pub mod net;
pub mod oauth;
pub mod ratelimit;
pub mod registry;
#[cfg(test)]
mod scratch;
pub mod startup;
pub mod state;
pub mod stats;
pub mod store;
pub mod unavailable;
pub mod upstream;
