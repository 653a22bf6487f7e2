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

/// A Web Origin: `+` (the client's redirect URIs' origins) or an origin `scheme://host[:port]`,
/// https (http only on loopback hosts), without path, query or wildcard.
pub fn web_origin(origin: &str) -> Result<(), String> {
    if origin == "+" {
        return Ok(());
    }
    let bad = |why: &str| Err(format!("invalid web origin {origin:?}: {why}"));
    if origin.contains('*') {
        return bad("wildcards are not allowed; list each origin");
    }
    let Ok(parsed) = url::Url::parse(origin) else {
        return bad("use scheme://host[:port], e.g. https://app.example.com");
    };
    if parsed.origin().ascii_serialization() != origin.trim_end_matches('/') || origin.ends_with('/') {
        return bad("an origin has no path, query or trailing slash");
    }
    let loopback = parsed.host().as_ref().is_some_and(is_loopback_host);
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => bad("use https (http only on localhost, 127.0.0.1 or [::1])"),
    }
}

/// The origins a client's Web Origins allow: its explicit ones and, for `+`, its redirect
/// URIs' origins.
pub fn allowed_origins(web_origins: &[String], redirect_uris: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for o in web_origins {
        if o == "+" {
            out.extend(
                redirect_uris.iter().filter_map(|u| url::Url::parse(u).ok()).map(|u| u.origin().ascii_serialization()),
            );
        } else {
            out.push(o.clone());
        }
    }
    out.retain(|o| o != "null");
    out.sort();
    out.dedup();
    out
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

    #[test]
    fn web_origins_are_origins() {
        assert!(web_origin("+").is_ok());
        assert!(web_origin("https://app.example.com").is_ok());
        assert!(web_origin("http://localhost:3000").is_ok());
        assert!(web_origin("https://app.example.com/").is_err(), "no trailing slash");
        assert!(web_origin("https://app.example.com/cb").is_err(), "no path");
        assert!(web_origin("https://*.example.com").is_err(), "no wildcard");
        assert!(web_origin("http://app.example.com").is_err(), "https off loopback");
        let redirects = ["https://app.example.com/cb".to_owned()];
        assert_eq!(
            allowed_origins(&["+".into(), "https://admin.example.com".into()], &redirects),
            vec!["https://admin.example.com".to_owned(), "https://app.example.com".to_owned()]
        );
    }
}
