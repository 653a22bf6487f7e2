//! The one integration-test binary: every area is a module, and every test runs on SQLite and
//! on PostgreSQL (`db_tests!`). PostgreSQL comes from `PORTCULLIS_TEST_PG_URL` (default
//! `postgres://portcullis:portcullis@127.0.0.1:5432/postgres`); the postgres tests fail, not
//! skip, when it is unreachable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod console_session;
mod helpers;

mod admin_api;
mod api_keys;
mod authorization_code;
mod backup;
mod broker;
mod cli;
mod client_credentials;
mod console;
mod console_activity;
mod console_admin;
mod console_identity_providers;
mod console_users;
mod crash;
mod device;
mod discovery;
mod garbage;
mod identity_providers;
mod instances;
mod introspection;
mod keycloak_js;
mod lifecycle;
mod liveness;
mod management;
mod outage;
mod refresh;
mod revocation;
mod security;
mod service_connections;
mod sign_in;
mod signing_keys;
mod soak;
mod storage;
mod token_errors;
mod userinfo;
