//! Validation of names, identifiers and redirect URIs, with messages that say what to fix.

use super::Template;

/// A realm name: 1–63 characters of letters, digits, `.`, `_` and `-`, starting alphanumeric.
pub fn realm_name(name: &str) -> Result<(), String> {
    let ok = (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    ok.then_some(()).ok_or_else(|| {
        format!(
            "invalid realm name {name:?}: use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    })
}

/// A client id: 1–128 printable ASCII characters without spaces, quotes or backslashes.
pub fn client_id(id: &str) -> Result<(), String> {
    let ok = (1..=128).contains(&id.len())
        && id.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '\'' | '<' | '>'));
    ok.then_some(()).ok_or_else(|| {
        format!("invalid client id {id:?}: use 1-128 printable ASCII characters without spaces or quotes")
    })
}

/// A username (realm users and admins): 1–255 characters, no control characters or spaces.
pub fn username(name: &str) -> Result<(), String> {
    let ok = (1..=255).contains(&name.chars().count()) && !name.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(()).ok_or_else(|| format!("invalid username {name:?}: use 1-255 characters without spaces"))
}

/// A role name: 1–100 characters, no control characters or spaces.
pub fn role_name(name: &str) -> Result<(), String> {
    let ok = (1..=100).contains(&name.chars().count()) && !name.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(()).ok_or_else(|| format!("invalid role name {name:?}: use 1-100 characters without spaces"))
}

/// A plausible email address (one `@`, something on both sides, no spaces).
pub fn email(email: &str) -> Result<(), String> {
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.contains('@'));
    ok.then_some(()).ok_or_else(|| format!("invalid email address {email:?}"))
}

/// Whether `host` names the local machine (development redirects may use plain http there).
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// A redirect URI registered for a client of `template` (RFC 6749 §3.1.2, RFC 8252 §7).
///
/// Absolute, no fragment, no wildcards. Web apps and SPAs use https, or http on a loopback
/// host for development. Native apps use a private-use scheme containing a dot (reverse domain
/// name, RFC 8252 §7.1), a loopback http URI (§7.3) or https (§7.2).
pub fn redirect_uri(uri: &str, template: Template) -> Result<(), String> {
    let bad = |why: &str| Err(format!("invalid redirect URI {uri:?}: {why}"));
    if uri.contains('*') {
        return bad("wildcards are not allowed; register each URI exactly");
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it contains spaces or control characters");
    }
    let Ok(parsed) = url::Url::parse(uri) else {
        return bad("it is not an absolute URI (e.g. https://app.example.com/callback)");
    };
    if parsed.fragment().is_some() {
        return bad("it must not contain a fragment (#...)");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return bad("it must not contain credentials");
    }
    let loopback = parsed.host().as_ref().is_some_and(is_loopback_host);
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        "http" => bad("plain http is allowed only on localhost, 127.0.0.1 or [::1]; use https"),
        scheme if template == Template::Native && scheme.contains('.') => Ok(()),
        _ if template == Template::Native => {
            bad("native apps use https, http://127.0.0.1, or a private-use scheme like com.example.app:/callback")
        }
        _ => bad("use https (or http on localhost for development)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_follow_rfc_8252_and_the_bcp() {
        assert!(redirect_uri("https://app.example.com/cb", Template::Web).is_ok());
        assert!(redirect_uri("http://localhost:3000/cb", Template::Spa).is_ok());
        assert!(redirect_uri("http://127.0.0.1/cb", Template::Native).is_ok());
        assert!(redirect_uri("com.example.app:/cb", Template::Native).is_ok());
        assert!(redirect_uri("http://app.example.com/cb", Template::Web).is_err());
        assert!(redirect_uri("https://app.example.com/cb#x", Template::Web).is_err());
        assert!(redirect_uri("https://*.example.com/cb", Template::Web).is_err());
        assert!(redirect_uri("/relative", Template::Web).is_err());
        assert!(redirect_uri("myapp:/cb", Template::Native).is_err());
        assert!(redirect_uri("com.example.app:/cb", Template::Web).is_err());
        assert!(redirect_uri("https://u:p@example.com/cb", Template::Web).is_err());
    }

    #[test]
    fn names() {
        assert!(realm_name("default").is_ok());
        assert!(realm_name("-x").is_err());
        assert!(realm_name("a b").is_err());
        assert!(client_id("my-service").is_ok());
        assert!(client_id("has space").is_err());
        assert!(client_id("").is_err());
        assert!(email("a@b.co").is_ok());
        assert!(email("nope").is_err());
    }
}
