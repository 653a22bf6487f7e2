//! Portcullis as the client of upstream providers (issue 12): the HTTP client it calls them with,
//! and OpenID discovery. Every call has a short timeout, follows no redirect, and reads at most
//! [`MAX_BODY`] bytes: an upstream can make a sign-in fail, never hang or exhaust the server.

pub mod discovery;
pub mod id_token;
pub mod token;

use std::time::Duration;

/// The largest upstream answer read (discovery documents, token responses, JWKS, userinfo).
pub const MAX_BODY: usize = 256 * 1024;
/// How long one upstream call may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why an upstream call failed, in words an administrator (or the sign-in page) can show.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url} answered {status}")]
    Status { url: String, status: u16, body: String },
    #[error("{url} answered something unexpected: {reason}")]
    Malformed { url: String, reason: String },
}

/// The client upstream calls go through: no redirects, bounded time.
// Building fails only when the TLS backend cannot start: rustls is compiled in, with nothing to
// load from the system, so that cannot happen at run time.
#[allow(clippy::expect_used)]
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .user_agent(concat!("Portcullis/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("rustls is compiled in")
}

/// `GET url` as JSON of type `T`, bounded in size.
pub async fn get_json<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: &str) -> Result<T, UpstreamError> {
    let res = http
        .get(url)
        .header(http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| UpstreamError::Unreachable { url: url.to_owned(), reason: without_url(&e) })?;
    read_json(url, res).await
}

/// The JSON body of an upstream answer, checked for status and size.
pub async fn read_json<T: serde::de::DeserializeOwned>(
    url: &str,
    mut res: reqwest::Response,
) -> Result<T, UpstreamError> {
    let status = res.status();
    let mut body = Vec::new();
    while let Some(chunk) =
        res.chunk().await.map_err(|e| UpstreamError::Unreachable { url: url.to_owned(), reason: without_url(&e) })?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(UpstreamError::Malformed { url: url.to_owned(), reason: "the answer is too large".into() });
        }
        body.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned();
        return Err(UpstreamError::Status { url: url.to_owned(), status: status.as_u16(), body: text });
    }
    serde_json::from_slice(&body).map_err(|e| UpstreamError::Malformed { url: url.to_owned(), reason: e.to_string() })
}

/// reqwest's message without the URL it repeats.
pub(crate) fn without_url(e: &reqwest::Error) -> String {
    let mut e = e.to_string();
    if let Some(i) = e.find(" for url (") {
        e.truncate(i);
    }
    e
}

/// Whether `url` may name an upstream endpoint: https, or http to a loopback address (a provider
/// on the same machine, and tests).
pub fn check_endpoint(url: &str) -> Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" if parsed.host().is_some() => {}
        "http" if loopback => {}
        _ => return Err(format!("{url:?} must be an https URL (http only to localhost)")),
    }
    if parsed.fragment().is_some() || !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!("{url:?} must not carry a fragment or credentials"));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_or_loopback_http() {
        assert!(check_endpoint("https://idp.example.com/token").is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080/token").is_ok());
        assert!(check_endpoint("http://localhost/token").is_ok());
        assert!(check_endpoint("http://idp.example.com/token").is_err());
        assert!(check_endpoint("https://user:pw@idp.example.com/token").is_err());
        assert!(check_endpoint("https://idp.example.com/token#x").is_err());
        assert!(check_endpoint("ftp://idp.example.com/").is_err());
        assert!(check_endpoint("not a url").is_err());
    }
}
