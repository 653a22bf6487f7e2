//! Redirect URI matching at authorization time: exact string comparison (RFC 9700 §4.1.3),
//! except that for native apps a loopback IP redirect may use any port (RFC 8252 §7.3).

use super::validate::is_loopback_host;

/// Whether `presented` matches one of `registered`.
pub fn matches(registered: &[String], presented: &str, native: bool) -> bool {
    if registered.iter().any(|r| r == presented) {
        return true;
    }
    if !native {
        return false;
    }
    let Some(presented) = loopback_without_port(presented) else {
        return false;
    };
    registered.iter().filter_map(|r| loopback_without_port(r)).any(|r| r == presented)
}

/// `uri` with its port removed, if it is an `http` URI on a loopback IP literal.
fn loopback_without_port(uri: &str) -> Option<String> {
    let mut url = url::Url::parse(uri).ok()?;
    let ip_literal = matches!(url.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)));
    if url.scheme() != "http" || !ip_literal || !url.host().as_ref().is_some_and(is_loopback_host) {
        return None;
    }
    url.set_port(None).ok()?;
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exact_match_only_for_web_clients() {
        let r = reg(&["https://app.example.com/cb"]);
        assert!(matches(&r, "https://app.example.com/cb", false));
        assert!(!matches(&r, "https://app.example.com/cb/", false));
        assert!(!matches(&r, "https://app.example.com/cb?x=1", false));
        assert!(!matches(&r, "HTTPS://app.example.com/cb", false));
        let r = reg(&["http://127.0.0.1:8000/cb"]);
        assert!(!matches(&r, "http://127.0.0.1:9000/cb", false));
    }

    #[test]
    fn native_loopback_redirects_may_use_any_port() {
        let r = reg(&["http://127.0.0.1/cb", "http://[::1]/cb", "http://localhost/cb"]);
        assert!(matches(&r, "http://127.0.0.1:51234/cb", true));
        assert!(matches(&r, "http://[::1]:8080/cb", true));
        assert!(!matches(&r, "http://127.0.0.1:51234/other", true));
        assert!(!matches(&r, "http://localhost:51234/cb", true), "only IP literals (RFC 8252 §8.3)");
        assert!(!matches(&r, "https://127.0.0.1:51234/cb", true));
    }
}
