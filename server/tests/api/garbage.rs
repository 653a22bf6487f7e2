//! Hostile input against every route (issue 11, item 4, the corpus part): garbage bodies,
//! invalid UTF-8, wrong content types and methods, huge and repeated parameters, path tricks.
//! Whatever is sent, the answer is never a 5xx.

use crate::helpers::*;
use portcullis::manage::{api_key::NewApiKey, service_account::RoleRef};
use reqwest::{header, Method};

crate::db_tests!(no_garbage_gets_a_server_error);

/// The protocol and page routes of the default realm, and the console's form addresses.
const ROUTES: &[&str] = &[
    "/realms/default/protocol/openid-connect/token",
    "/realms/default/protocol/openid-connect/token/introspect",
    "/realms/default/protocol/openid-connect/revoke",
    "/realms/default/protocol/openid-connect/auth",
    "/realms/default/protocol/openid-connect/userinfo",
    "/realms/default/protocol/openid-connect/auth/device",
    "/realms/default/protocol/openid-connect/logout",
    "/realms/default/protocol/openid-connect/certs",
    "/realms/default/.well-known/openid-configuration",
    "/realms/default/device",
    "/realms/default/login-actions/update-password",
    "/realms/default",
    "/admin/login",
    "/admin/default/console/clients/new",
    "/admin/default/console/api-keys",
    "/realms/%2e%2e/protocol/openid-connect/token",
    "/realms/default/../../etc/passwd",
    "/realms/%00/protocol/openid-connect/token",
];

async fn no_garbage_gets_a_server_error(app: TestApp) {
    let new = NewApiKey {
        name: "fuzz".into(),
        roles: vec![RoleRef::parse("realm-management:realm-admin")],
        ..Default::default()
    };
    let (_, key) = app.manager.create_api_key("default", new, &operator()).await.unwrap();
    // Every admin API path of the OpenAPI document, its parameters filled with junk.
    let mut routes: Vec<String> = ROUTES.iter().map(|r| r.to_string()).collect();
    for path in portcullis::admin_api::openapi::DOCUMENT.paths.paths.keys() {
        let filled = path.replace("{realm}", "default").replace(['{', '}'], "");
        routes.push(format!("/admin/realms{}", filled.trim_start_matches("/admin/realms")));
    }
    let huge = "a".repeat(100_000);
    let repeated: String = (0..500).map(|i| format!("scope=s{i}&")).collect();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/x-www-form-urlencoded", b"grant_type=%FF%FE&client_id=\xff\xfe&scope=\x00".to_vec()),
        ("application/x-www-form-urlencoded", format!("grant_type=client_credentials&scope={huge}").into_bytes()),
        ("application/x-www-form-urlencoded", repeated.into_bytes()),
        ("application/x-www-form-urlencoded", b"a=1&a=2&&&=&%%%".to_vec()),
        (
            "application/x-www-form-urlencoded",
            b"grant_type=password&client_id=a%00b&username=%00&password=%00&token=%00&code=%00&user_code=%00".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"grant_type=refresh_token&client_id=admin-cli&refresh_token=a.b.c&scope=openid%00".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"grant_type=password&client_id=admin-cli&username=a%00b&password=x".to_vec(),
        ),
        ("application/x-www-form-urlencoded", b"username=a%00b&password=x&user_code=AB%00C&csrf=%00".to_vec()),
        ("application/json", b"{\"clientId\": [1, {\"x\": null}], \"name\": 1e999}".to_vec()),
        ("application/json", b"\xff\xfe not json".to_vec()),
        ("application/json", b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec()),
        ("text/plain", b"hello".to_vec()),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--".to_vec(),
        ),
    ];
    let cookie =
        header::HeaderValue::from_bytes(b"portcullis_session=\xff\xfegarbage; KEYCLOAK_SESSION=;;; id=\"").unwrap();
    let methods = [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH];
    let mut failures = Vec::new();
    for route in &routes {
        for bearer in [None, Some(key.as_str()), Some("pcs_garbage"), Some("eyJ.eyJ.x")] {
            for method in &methods {
                for (content_type, body) in &bodies {
                    let mut req = app
                        .http
                        .request(method.clone(), format!("{}{route}?x=%FF&redirect_uri=javascript:1", app.base))
                        .header(header::CONTENT_TYPE, *content_type)
                        .header(header::COOKIE, cookie.clone())
                        .body(body.clone());
                    match bearer {
                        Some(b) => req = req.bearer_auth(b),
                        None => req = req.basic_auth("a\0b", Some("\0")),
                    }
                    // A server that answers before reading a huge body and closes the
                    // connection makes the client's write fail: a refusal, not an error.
                    let status = match req.send().await {
                        Ok(res) => res.status(),
                        Err(e) if e.is_request() => continue,
                        Err(e) => panic!("{method} {route}: {e}"),
                    };
                    if status.is_server_error() {
                        failures.push(format!("{method} {route} ({content_type}, bearer {bearer:?}): {status}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} server errors:\n{}", failures.len(), failures.join("\n"));
}
