//! keycloak-js's session-status pages, at Keycloak's paths (its `LoginStatusIframeEndpoint` and
//! `ThirdPartyCookiesIframeEndpoint`), below `/protocol/openid-connect/`:
//!
//! - `login-status-iframe.html`: the `check_session_iframe` (OpenID Connect Session Management
//!   1.0 §3.3) that keycloak-js embeds to learn, every few seconds and without a request to the
//!   server, whether the browser is still signed in with the session its tokens name;
//! - `login-status-iframe.html/init?client_id=…&origin=…`: the iframe's one question to the
//!   server, 204 when `origin` is one of that enabled client's Web Origins, otherwise 403 (as
//!   Keycloak answers, so an unknown client looks like a refused origin), 400 without both;
//! - `3p-cookies/step1.html` and `step2.html`: keycloak-js's check that the iframe may read
//!   its cookie at all; when it may not, keycloak-js turns the iframe off.
//!
//! The pages are static: HTML with one inline script, allowed by its hash in a Content Security
//! Policy that allows nothing else (no other script, style, image, form, plugin or `<base>`; the
//! iframe may `fetch` its own origin). Framing is their purpose, so they, and only they, may be
//! framed by any page (`frame-ancestors *`, no `X-Frame-Options`): they show nothing to click,
//! and the iframe answers nothing but `error` until the server confirmed the asking origin.
//!
//! # Layout
//! - `cookie`: the readable `KEYCLOAK_SESSION` cookie the iframe compares with, kept in step
//!   with the browser's SSO session
//! - `iframe.js`, `step1.js`, `step2.js`: the pages' scripts

pub mod cookie;

use super::{error::OAuthError, load_realm};
use crate::state::AppState;
use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde::Deserialize;
use std::sync::LazyLock;

/// A static page: its HTML and the policy that lets exactly its script run.
struct Page {
    html: String,
    csp: String,
}

impl Page {
    fn new(title: &str, script: &str, connect_self: bool) -> Page {
        let hash = STANDARD.encode(crate::crypto::sha256(script.as_bytes()));
        let connect = if connect_self { "'self'" } else { "'none'" };
        Page {
            html: format!(
                "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
                 <body><script>{script}</script></body></html>\n"
            ),
            csp: format!(
                "default-src 'none'; script-src 'sha256-{hash}'; connect-src {connect}; base-uri 'none'; \
                 form-action 'none'; frame-ancestors *"
            ),
        }
    }

    fn response(&self) -> Response {
        let csp = HeaderValue::from_str(&self.csp).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
        (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
                (header::CONTENT_SECURITY_POLICY, csp),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            ],
            self.html.clone(),
        )
            .into_response()
    }
}

static IFRAME: LazyLock<Page> = LazyLock::new(|| {
    Page::new("Login status", concat!(include_str!("storage_access.js"), include_str!("iframe.js")), true)
});
static STEP1: LazyLock<Page> = LazyLock::new(|| {
    Page::new("Third-party cookie check", concat!(include_str!("storage_access.js"), include_str!("step1.js")), false)
});
static STEP2: LazyLock<Page> = LazyLock::new(|| Page::new("Third-party cookie check", include_str!("step2.js"), false));

/// `GET {realm}/protocol/openid-connect/login-status-iframe.html`.
pub async fn iframe(State(state): State<AppState>, Path(realm): Path<String>) -> Result<Response, OAuthError> {
    load_realm(&state, &realm).await?;
    Ok(IFRAME.response())
}

/// `GET {realm}/protocol/openid-connect/3p-cookies/step1.html`.
pub async fn step1(State(state): State<AppState>, Path(realm): Path<String>) -> Result<Response, OAuthError> {
    load_realm(&state, &realm).await?;
    Ok(STEP1.response())
}

/// `GET {realm}/protocol/openid-connect/3p-cookies/step2.html`.
pub async fn step2(State(state): State<AppState>, Path(realm): Path<String>) -> Result<Response, OAuthError> {
    load_realm(&state, &realm).await?;
    Ok(STEP2.response())
}

/// The iframe's question.
#[derive(Debug, Deserialize)]
pub struct InitQuery {
    client_id: Option<String>,
    origin: Option<String>,
}

/// `GET {realm}/protocol/openid-connect/login-status-iframe.html/init?client_id=…&origin=…`.
#[tracing::instrument(skip_all, fields(realm = %realm_name))]
pub async fn init(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    Query(q): Query<InitQuery>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&state, &realm_name).await?;
    let answer = |status: StatusCode| ([(header::CACHE_CONTROL, "no-store")], status).into_response();
    let (Some(client_id), Some(origin)) = (q.client_id, q.origin) else {
        return Ok(answer(StatusCode::BAD_REQUEST));
    };
    let allowed = match state.registry.client(&realm, &client_id).await? {
        Some(client) if client.row.enabled => client.web_origins().contains(&origin),
        _ => false,
    };
    Ok(answer(if allowed { StatusCode::NO_CONTENT } else { StatusCode::FORBIDDEN }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_page_allows_exactly_its_own_script() {
        for page in [&*IFRAME, &*STEP1, &*STEP2] {
            let script = page.html.split("<script>").nth(1).and_then(|s| s.split("</script>").next()).unwrap();
            let hash = STANDARD.encode(crate::crypto::sha256(script.as_bytes()));
            assert!(page.csp.contains(&format!("script-src 'sha256-{hash}';")), "{}", page.csp);
            assert!(!script.contains("</"), "no closing tag inside the script");
        }
        assert!(IFRAME.csp.contains("connect-src 'self'") && STEP1.csp.contains("connect-src 'none'"));
    }
}
