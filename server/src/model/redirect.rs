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

    mod properties {
        //! The rules as properties over generated URIs: exact matching, and the one freedom of
        //! RFC 8252 §7.3 (the port of a native client's loopback IP redirect).
        use super::*;
        use proptest::prelude::*;

        fn uri() -> impl Strategy<Value = String> {
            let scheme = prop_oneof![Just("https"), Just("http"), Just("com.example.app")];
            let host = prop_oneof![
                Just("app.example.com"),
                Just("127.0.0.1"),
                Just("127.9.8.7"),
                Just("[::1]"),
                Just("localhost")
            ];
            let port = proptest::option::of(1024u16..65535);
            let path = "(/[a-zA-Z0-9]{1,6}){0,3}";
            let query = proptest::option::of("[a-z]{1,3}=[a-z0-9]{0,4}");
            (scheme, host, port, path, query).prop_map(|(scheme, host, port, path, query)| {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                let query = query.map(|q| format!("?{q}")).unwrap_or_default();
                format!("{scheme}://{host}{port}{path}{query}")
            })
        }

        /// `uri` with its port removed, when it is an http URI on a loopback IP literal.
        fn loopback_ip(uri: &str) -> Option<url::Url> {
            let mut url = url::Url::parse(uri).ok()?;
            let loopback = match url.host()? {
                url::Host::Ipv4(ip) => ip.is_loopback(),
                url::Host::Ipv6(ip) => ip.is_loopback(),
                url::Host::Domain(_) => false,
            };
            (url.scheme() == "http" && loopback && url.set_port(None).is_ok()).then_some(url)
        }

        /// What a match of `presented` against the single URI `registered` may be.
        fn allowed(registered: &str, presented: &str, native: bool) -> bool {
            presented == registered
                || (native && loopback_ip(registered).is_some_and(|r| loopback_ip(presented) == Some(r)))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn a_registered_uri_matches_itself(r in uri(), others in proptest::collection::vec(uri(), 0..4), native: bool) {
                let mut registered = others;
                registered.push(r.clone());
                prop_assert!(matches(&registered, &r, native));
            }

            #[test]
            fn one_character_changed_inserted_or_removed_does_not_match(
                r in uri(),
                at in any::<prop::sample::Index>(),
                c in prop::sample::select(&['a', 'A', '0', '9', '/', '.', ':', '?', '#', '@', '%', '&', '='][..]),
                edit in 0..3u8,
                native: bool,
            ) {
                let mut chars: Vec<char> = r.chars().collect();
                let i = at.index(chars.len());
                match edit {
                    0 => chars[i] = c,
                    1 => chars.insert(i, c),
                    _ => { chars.remove(i); }
                }
                let changed: String = chars.into_iter().collect();
                let registered = [r.clone()];
                prop_assert_eq!(matches(&registered, &changed, native), allowed(&r, &changed, native), "{} vs {}", r, changed);
                if changed != r && !native {
                    prop_assert!(!matches(&registered, &changed, native));
                }
            }

            #[test]
            fn additions_and_case_changes_do_not_match(r in uri(), native: bool) {
                let registered = [r.clone()];
                let url = url::Url::parse(&r).unwrap();
                let mut variants = vec![
                    format!("{r}/x"),
                    format!("{r}#f"),
                    if r.contains('?') { format!("{r}&x=1") } else { format!("{r}?x=1") },
                    r.replacen("://", "://user@", 1),
                    r.replacen("://", "://user:pw@", 1),
                ];
                let path = url.path().to_owned();
                if path.chars().any(|c| c.is_ascii_alphabetic()) {
                    let mut upper = url.clone();
                    upper.set_path(&path.to_ascii_uppercase());
                    if upper.path() == path { upper.set_path(&path.to_ascii_lowercase()); }
                    variants.push(upper.into());
                }
                for v in variants {
                    prop_assert!(!matches(&registered, &v, native), "{} matched {}", v, r);
                }
            }

            #[test]
            fn another_port_matches_only_a_native_loopback_ip_redirect(r in uri(), port in 1024u16..65535, native: bool) {
                let mut url = url::Url::parse(&r).unwrap();
                prop_assume!(url.port() != Some(port) && url.set_port(Some(port)).is_ok());
                let moved: String = url.into();
                let expected = native && loopback_ip(&r).is_some();
                prop_assert_eq!(matches(std::slice::from_ref(&r), &moved, native), expected, "{} vs {}", r, moved);
            }
        }
    }
}
