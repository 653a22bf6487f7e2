//! Redirect URIs (`model::redirect`, `model::validate`): matching is exact string equality,
//! except that a native client's loopback IP redirect may name any port (RFC 8252 §7.3); what
//! registration accepts is absolute, without fragment, credentials, wildcards or spaces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::model::{redirect, validate, Template};

/// The URI without its port, when it is `http` on a loopback IP literal.
fn loopback_without_port(uri: &str) -> Option<String> {
    let mut url = url::Url::parse(uri).ok()?;
    let loopback = match url.host()? {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(_) => false,
    };
    if url.scheme() != "http" || !loopback {
        return None;
    }
    url.set_port(None).ok()?;
    Some(url.into())
}

fuzz_target!(|data: &[u8]| {
    // `registered NUL registered NUL … presented`, for a web and for a native client.
    let text = String::from_utf8_lossy(data);
    let mut registered: Vec<String> = text.split('\0').map(str::to_owned).collect();
    let presented = registered.pop().unwrap_or_default();
    registered.truncate(8);
    let port = 1024 + (data.len() as u16).wrapping_mul(7919) % 60000;
    for native in [false, true] {
        check(&registered, &presented, native, port);
    }
});

fn check(registered: &[String], presented: &str, native: bool, port: u16) {
    let registered = registered.to_vec();
    let presented = presented.to_owned();

    let exact = registered.contains(&presented);
    assert_eq!(redirect::matches(&registered, &presented, false), exact);
    let native_match = redirect::matches(&registered, &presented, native);
    if native_match && !exact {
        assert!(native);
        let p = loopback_without_port(&presented).expect("a port-free match is a loopback IP URI");
        assert!(registered.iter().any(|r| loopback_without_port(r).as_ref() == Some(&p)), "{presented:?}");
    }
    for r in &registered {
        assert!(redirect::matches(&registered, r, native), "a registered URI matches itself");
        // A native client's loopback IP redirect keeps matching on another port; nothing else does.
        if let Ok(mut url) = url::Url::parse(r) {
            if url.set_port(Some(port)).is_ok() && url.as_str() != r && !registered.iter().any(|x| x == url.as_str()) {
                let moved = redirect::matches(&registered, url.as_str(), native);
                assert_eq!(moved, native && loopback_without_port(r).is_some(), "{r:?} on port {port}");
            }
        }
    }

    for template in [Template::Web, Template::Spa, Template::Native] {
        if validate::redirect_uri(&presented, template).is_ok() {
            assert!(!presented.contains('*'));
            assert!(!presented.chars().any(|c| c.is_whitespace() || c.is_control()));
            let url = url::Url::parse(&presented).expect("accepted URIs parse");
            assert!(url.fragment().is_none());
            assert!(url.username().is_empty() && url.password().is_none());
            match url.scheme() {
                "https" => assert!(url.host().is_some()),
                "http" => assert!(loopback_without_port(&presented).is_some() || url.host_str() == Some("localhost")),
                scheme => assert!(template == Template::Native && scheme.contains('.'), "{presented:?}"),
            }
        }
    }
    if validate::web_origin(&presented).is_ok() && presented != "+" {
        let url = url::Url::parse(&presented).expect("accepted origins parse");
        assert_eq!(url.origin().ascii_serialization(), presented);
    }
    for origin in validate::allowed_origins(&[presented.clone(), "+".into()], &registered) {
        assert_ne!(origin, "null");
    }
}
