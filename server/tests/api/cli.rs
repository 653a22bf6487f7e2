//! The command line contract (PRODUCT §1): JSON output, one-line errors, nothing half-written,
//! and changes that reach a running server.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::{
    io::{BufRead, BufReader, Write},
    process::{Output, Stdio},
};

crate::db_tests!(
    real_time:
    client_create_json_then_curl_flow,
    bad_input_exits_nonzero_with_one_line_and_writes_nothing,
    realm_user_and_admin_commands,
    cli_changes_reach_the_running_server,
    client_update_changes_settings_with_the_create_rules,
    roles_are_created_listed_and_deleted_only_when_unheld,
    composite_roles_put_their_children_in_tokens,
    user_grant_and_ungrant_existing_roles,
    admin_permissions_are_realm_management_roles,
    projects_and_a_clients_project_access,
    api_keys_are_made_listed_changed_and_revoked,
    realms_are_listed_and_deleted,
);

fn run(cmd: &mut std::process::Command) -> Output {
    cmd.output().expect("the binary runs")
}

fn run_stdin(cmd: &mut std::process::Command, input: &str) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn one_line_error(out: &Output) -> String {
    assert!(!out.status.success(), "expected failure");
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

async fn count_clients(app: &TestApp) -> usize {
    let realm = app.manager.realm_row("default").await.unwrap();
    let mut conn = app.manager.db.conn().await.unwrap();
    portcullis::store::clients::list(&mut conn, &realm.id).await.unwrap().len()
}

async fn client_create_json_then_curl_flow(app: TestApp) {
    let out = run(app.cli().args(["client", "create", "--realm", "default", "--template", "service", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let creds = Creds {
        id: created["client_id"].as_str().unwrap().to_owned(),
        secret: created["client_secret"].as_str().unwrap().to_owned(),
    };
    assert_eq!(creds.secret.len(), 43);
    assert_eq!(created["type"], "confidential");
    let token = app.access_token(&creds).await;
    assert_eq!(app.introspect(&creds, &token).await["active"], true);
    assert_eq!(app.post_form("default", REVOKE, Some(&creds), &[("token", &token)]).await.status(), StatusCode::OK);
    assert_eq!(app.introspect(&creds, &token).await, json!({"active": false}));
    // Public templates print no secret.
    let out = run(app.cli().args(["client", "create", "--template", "device", "--client-id", "tv", "--json"]));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["client_id"], "tv");
    assert!(created.get("client_secret").is_none());
    // Every template works.
    for (t, uri) in
        [("web", "https://app.example.com/cb"), ("spa", "http://localhost:5173/cb"), ("native", "http://127.0.0.1/cb")]
    {
        let out = run(app.cli().args([
            "client",
            "create",
            "--template",
            t,
            "--client-id",
            t,
            "--redirect-uri",
            uri,
            "--json",
        ]));
        assert!(out.status.success(), "{t}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

async fn bad_input_exits_nonzero_with_one_line_and_writes_nothing(app: TestApp) {
    app.service_client("taken", &[]).await;
    let before = count_clients(&app).await;
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["client", "create", "--template", "robot"], "unknown template"),
        (vec!["client", "create", "--template", "service", "--client-id", "taken"], "already exists"),
        (vec!["client", "create", "--template", "web", "--redirect-uri", "not a uri"], "invalid redirect URI"),
        (vec!["client", "create", "--template", "web", "--redirect-uri", "http://example.com/cb"], "https"),
        (vec!["client", "create", "--template", "service", "--redirect-uri", "https://x.example/cb"], "redirect"),
        (vec!["client", "create", "--template", "spa", "--role", "admin"], "public"),
        (vec!["client", "create", "--realm", "nope", "--template", "service"], "does not exist"),
        (vec!["client", "create", "--template", "service", "--access-token-lifespan", "0"], "lifespan"),
        (vec!["client", "create", "--template", "service", "--scope", "bad\"scope"], "scope"),
        (vec!["client", "delete", "ghost"], "no client"),
    ];
    for (args, expect) in cases {
        let err = one_line_error(&run(app.cli().args(&args)));
        assert!(err.contains(expect), "{args:?}: {err}");
    }
    assert_eq!(count_clients(&app).await, before, "nothing was written");
    // An unreachable database is a one-line error too.
    let out = run(std::process::Command::new(env!("CARGO_BIN_EXE_portcullis")).args([
        "--database-url",
        "postgres://nobody:secret@127.0.0.1:1/none",
        "client",
        "create",
        "--template",
        "service",
    ]));
    let err = one_line_error(&out);
    assert!(err.contains("cannot connect") && !err.contains("secret"), "{err}");
}

async fn realm_user_and_admin_commands(app: TestApp) {
    let out = run(app.cli().args(["realm", "create", "acme", "--display-name", "Acme Inc", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let realm: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(realm["name"], "acme");
    let res = app.http.get(app.realm_url("acme", CERTS)).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["keys"].as_array().unwrap().len(), 3);
    assert!(one_line_error(&run(app.cli().args(["realm", "create", "acme"]))).contains("already exists"));
    assert!(one_line_error(&run(app.cli().args(["realm", "create", "bad name"]))).contains("invalid realm name"));
    let out = run(app.cli().args(["realm", "sso-session", "acme", "--idle", "600", "--max", "7200"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let row = app.manager.realm_row("acme").await.unwrap();
    assert_eq!((row.sso_session_idle_timeout, row.sso_session_max_lifespan), (600, 7200));
    let bad = run(app.cli().args(["realm", "sso-session", "acme", "--idle", "9000"]));
    assert!(one_line_error(&bad).contains("cannot be longer"), "idle above max is refused");
    assert_eq!(app.manager.realm_row("acme").await.unwrap().sso_session_idle_timeout, 600, "and nothing written");
    let out = run(app.cli().args([
        "realm",
        "update",
        "acme",
        "--access-token-lifespan",
        "120",
        "--oauth-clients",
        "off",
        "--display-name",
        "Acme",
        "--json",
    ]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let changed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(changed["changed"]["access_token_lifespan"], json!({"before": 300, "after": 120}));
    let row = app.manager.realm_row("acme").await.unwrap();
    assert_eq!((row.access_token_lifespan, row.oauth_clients_enabled, row.display_name.as_str()), (120, false, "Acme"));
    let bad = run(app.cli().args(["realm", "update", "acme", "--access-token-lifespan", "0", "--display-name", "X"]));
    assert!(one_line_error(&bad).contains("between 1 and"));
    assert_eq!(app.manager.realm_row("acme").await.unwrap().display_name, "Acme", "nothing written");

    let ok = run_stdin(
        app.cli().args([
            "user",
            "create",
            "--realm",
            "acme",
            "--username",
            "alice",
            "--email",
            "alice@example.com",
            "--role",
            "staff",
            "--password-stdin",
        ]),
        "correct horse battery\n",
    );
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let realm = app.manager.realm_row("acme").await.unwrap();
    let mut conn = app.manager.db.conn().await.unwrap();
    let alice = portcullis::store::users::by_username(&mut conn, &realm.id, "alice").await.unwrap().unwrap();
    assert!(alice.password_hash.as_deref().unwrap().starts_with("$argon2id$"));
    assert!(portcullis::crypto::password::verify_blocking(alice.password_hash.as_deref(), "correct horse battery"));
    let roles = portcullis::store::roles::of_user(&mut conn, &alice.id).await.unwrap();
    assert_eq!(roles[0].name, "staff");
    let short = run_stdin(
        app.cli().args(["user", "create", "--realm", "acme", "--username", "bob", "--password-stdin"]),
        "short\n",
    );
    assert!(one_line_error(&short).contains("at least 8"));
    let dup = run_stdin(
        app.cli().args(["user", "create", "--realm", "acme", "--username", "alice", "--password-stdin"]),
        "another long one\n",
    );
    assert!(one_line_error(&dup).contains("already exists"));
    let empty =
        run_stdin(app.cli().args(["user", "create", "--realm", "acme", "--username", "carol", "--password-stdin"]), "");
    assert!(one_line_error(&empty).contains("password"));

    let admin = run_stdin(
        app.cli().args(["admin", "create", "--username", "root", "--password-stdin"]),
        "a long admin password\n",
    );
    assert!(admin.status.success(), "{}", String::from_utf8_lossy(&admin.stderr));
    let row = portcullis::store::admins::by_username(&mut conn, "root").await.unwrap().unwrap();
    assert!(row.password_hash.starts_with("$argon2id$") && row.superuser);
    // The superuser is also a user of the master realm holding its `admin` role.
    let master = app.manager.realm_row("master").await.unwrap();
    let root = portcullis::store::users::by_username(&mut conn, &master.id, "root").await.unwrap().unwrap();
    assert!(portcullis::crypto::password::verify_blocking(root.password_hash.as_deref(), "a long admin password"));
    let roles = portcullis::store::roles::of_user(&mut conn, &root.id).await.unwrap();
    assert_eq!(roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["admin"]);
    // An admin account from before the master realm existed gets its user at the next start.
    let old = portcullis::store::admins::AdminRow {
        id: "old-admin".into(),
        username: "veteran".into(),
        password_hash: row.password_hash.clone(),
        superuser: true,
        enabled: true,
        created_at: 0,
        updated_at: 0,
    };
    portcullis::store::admins::insert(&mut conn, &old).await.unwrap();
    assert_eq!(app.manager.migrate_admins().await.unwrap(), 1);
    assert_eq!(app.manager.migrate_admins().await.unwrap(), 0, "once");
    assert!(portcullis::store::users::by_username(&mut conn, &master.id, "veteran").await.unwrap().is_some());
}

async fn cli_changes_reach_the_running_server(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    let token = app.access_token(&svc).await;
    // Populate the server's caches first, so what follows must invalidate them.
    assert_eq!(app.introspect(&svc, &token).await["active"], true);

    let out = run(app.cli().args(["client", "regenerate-secret", "svc", "--json"]));
    assert!(out.status.success());
    let new: Value = serde_json::from_slice(&out.stdout).unwrap();
    let renewed = Creds { id: "svc".into(), secret: new["client_secret"].as_str().unwrap().to_owned() };
    assert!(
        eventually(5, || async { app.token(&svc, None).await.status() == StatusCode::UNAUTHORIZED }).await,
        "old secret refused"
    );
    assert_eq!(app.token(&renewed, None).await.status(), StatusCode::OK);

    let rs = app.service_client("rs", &[]).await;
    assert!(run(app.cli().args(["client", "disable", "svc"])).status.success());
    assert!(eventually(5, || async { app.introspect(&rs, &token).await["active"] == false }).await, "disabled via CLI");
    assert!(run(app.cli().args(["client", "enable", "svc"])).status.success());
    assert!(eventually(5, || async { app.introspect(&rs, &token).await["active"] == true }).await, "enabled via CLI");

    // The CLI sets not-before to its own (real) now: let that be a second after the token.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(run(app.cli().args(["client", "not-before", "svc"])).status.success());
    assert!(
        eventually(5, || async { app.introspect(&rs, &token).await["active"] == false }).await,
        "not-before via CLI"
    );

    assert!(run(app.cli().args(["client", "delete", "svc"])).status.success());
    assert!(
        eventually(5, || async { app.token(&renewed, None).await.status() == StatusCode::UNAUTHORIZED }).await,
        "deleted via CLI"
    );
}

async fn client_update_changes_settings_with_the_create_rules(app: TestApp) {
    let svc = app.service_client("reports-job", &[]).await;
    let expires_in = || async { app.token(&svc, None).await.json::<Value>().await.unwrap()["expires_in"].clone() };
    assert_eq!(expires_in().await, 300);
    let out = run(app.cli().args([
        "client",
        "update",
        "--realm",
        "default",
        "reports-job",
        "--access-token-lifespan",
        "600",
        "--name",
        "Reports job",
        "--json",
    ]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let updated: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(updated["changed"]["access_token_lifespan"], json!({"before": null, "after": 600}));
    assert_eq!(updated["changed"]["name"]["after"], "Reports job");
    assert!(eventually(5, || async { expires_in().await == 600 }).await, "the running server uses the new lifespan");

    // The create rules, and nothing written when they refuse.
    let bad = run(app.cli().args(["client", "update", "reports-job", "--access-token-lifespan", "0"]));
    assert!(one_line_error(&bad).contains("--access-token-lifespan must be between"));
    let bad = run(app.cli().args(["client", "update", "reports-job", "--name", "x", "--redirect-uri", "ftp://x"]));
    assert!(one_line_error(&bad).contains("redirect URI"));
    let row = app.manager.realm_row("default").await.unwrap();
    let mut conn = app.manager.db.conn().await.unwrap();
    let client = portcullis::store::clients::by_client_id(&mut conn, &row.id, "reports-job").await.unwrap().unwrap();
    assert_eq!((client.name.as_str(), client.access_token_lifespan), ("Reports job", Some(600)), "unchanged");
    app.app_client("spa", "spa", "http://localhost:3000/cb", Default::default()).await;
    let bad = run(app.cli().args(["client", "update", "spa", "--pkce", "off"]));
    assert!(one_line_error(&bad).contains("always use PKCE"));
    let missing = run(app.cli().args(["client", "update", "nobody", "--name", "x"]));
    assert!(one_line_error(&missing).contains("no client"));

    // Back to the realm's default; the audit log has each change with before and after.
    assert!(run(app.cli().args(["client", "update", "reports-job", "--access-token-lifespan", "default"]))
        .status
        .success());
    assert!(eventually(5, || async { expires_in().await == 300 }).await);
    let events = portcullis::store::audit::recent(&mut conn, None, 20).await.unwrap();
    let first = events.iter().rev().find(|e| e.kind == "client.updated").unwrap();
    assert!(first.detail.contains("\"before\":null") && first.detail.contains("\"after\":600"), "{}", first.detail);
}

async fn roles_are_created_listed_and_deleted_only_when_unheld(app: TestApp) {
    let svc = app.service_client("reports-job", &[]).await;
    let ok = |out: Output| assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    ok(run(app.cli().args(["role", "create", "auditor", "--description", "Reads the audit log"])));
    ok(run(app.cli().args(["role", "create", "--client", "reports-job", "viewer"])));
    let dup = run(app.cli().args(["role", "create", "auditor"]));
    assert!(one_line_error(&dup).contains("already exists"));
    let bad = run(app.cli().args(["role", "create", "--client", "nobody", "x"]));
    assert!(one_line_error(&bad).contains("no client"));
    let out = run(app.cli().args(["role", "list", "--json"]));
    let roles: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(roles
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "auditor" && r["description"] == "Reads the audit log"));
    let out = run(app.cli().args(["role", "list", "--client", "reports-job", "--json"]));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()[0]["name"], "viewer");
    ok(run(app.cli().args(["role", "update", "--client", "reports-job", "viewer", "--description", "Sees reports"])));
    let out = run(app.cli().args(["role", "list", "--client", "reports-job", "--json"]));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()[0]["description"], "Sees reports");
    let builtin =
        run(app.cli().args(["role", "update", "--client", "realm-management", "realm-admin", "--description", "x"]));
    assert!(one_line_error(&builtin).contains("cannot be changed"));

    // Held roles are not deleted by accident: the refusal names the holders, writes nothing.
    {
        let realm = app.manager.realm_row("default").await.unwrap();
        let mut tx = app.manager.db.begin().await.unwrap();
        let now = portcullis::clock::Clock::now(&*app.clock);
        let pk = portcullis::store::clients::by_client_id(&mut tx, &realm.id, "reports-job").await.unwrap().unwrap().id;
        let role = portcullis::store::roles::ensure_realm_role(&mut tx, &realm.id, "auditor", now).await.unwrap();
        portcullis::store::roles::assign_to_service_account(&mut tx, &pk, &role).await.unwrap();
        tx.commit().await.unwrap();
    }
    app.manager.delete_role("default", None, "nothing-here", false, &operator()).await.unwrap_err();
    let refused = run(app.cli().args(["role", "delete", "auditor"]));
    assert!(one_line_error(&refused).contains("held by client:reports-job"));
    let token = app.access_token(&svc).await;
    assert_eq!(jwt_claims(&token)["realm_access"]["roles"], json!(["auditor"]), "still held");
    ok(run(app.cli().args(["role", "delete", "auditor", "--force"])));
    assert!(
        eventually(5, || async { jwt_claims(&app.access_token(&svc).await).get("realm_access").is_none() }).await,
        "gone from the service account's tokens"
    );
    ok(run(app.cli().args(["role", "delete", "--client", "reports-job", "viewer"])));
    let out = run(app.cli().args(["role", "list", "--client", "reports-job", "--json"]));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap(), json!([]));
}

async fn composite_roles_put_their_children_in_tokens(app: TestApp) {
    let ok = |out: Output| assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let svc = app.service_client("reports-job", &[]).await;
    app.service_client("warehouse", &[]).await;
    ok(run(app.cli().args(["role", "create", "analyst"])));
    ok(run(app.cli().args(["role", "create", "reader"])));
    ok(run(app.cli().args(["role", "create", "--client", "warehouse", "query"])));
    ok(run(app.cli().args(["role", "add-composite", "analyst", "reader"])));
    ok(run(app.cli().args(["role", "add-composite", "reader", "--child-client", "warehouse", "query"])));
    let cycle = run(app.cli().args(["role", "add-composite", "reader", "analyst"]));
    assert!(one_line_error(&cycle).contains("cycle"));
    {
        let realm = app.manager.realm_row("default").await.unwrap();
        let mut tx = app.manager.db.begin().await.unwrap();
        let now = portcullis::clock::Clock::now(&*app.clock);
        let pk = portcullis::store::clients::by_client_id(&mut tx, &realm.id, "reports-job").await.unwrap().unwrap().id;
        let analyst = portcullis::store::roles::ensure_realm_role(&mut tx, &realm.id, "analyst", now).await.unwrap();
        portcullis::store::roles::assign_to_service_account(&mut tx, &pk, &analyst).await.unwrap();
        tx.commit().await.unwrap();
    }
    app.state.registry.invalidate_client(&app.manager.realm_row("default").await.unwrap().id, "reports-job");
    // Holding "analyst" means holding "reader" and, through it, warehouse's "query".
    let claims = jwt_claims(&app.access_token(&svc).await);
    assert_eq!(claims["realm_access"]["roles"], json!(["analyst", "reader"]));
    assert_eq!(claims["resource_access"]["warehouse"]["roles"], json!(["query"]));
    ok(run(app.cli().args(["role", "remove-composite", "reader", "--child-client", "warehouse", "query"])));
    assert!(
        eventually(5, || async { jwt_claims(&app.access_token(&svc).await).get("resource_access").is_none() }).await,
        "taken out of the composite, gone from the tokens"
    );
    let missing = run(app.cli().args(["role", "remove-composite", "reader", "--child-client", "warehouse", "query"]));
    assert!(one_line_error(&missing).contains("does not include"));
}

async fn user_grant_and_ungrant_existing_roles(app: TestApp) {
    let ok = |out: Output| assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    app.create_user("alice", "correct horse battery").await;
    app.service_client("warehouse", &[]).await;
    ok(run(app.cli().args(["role", "create", "auditor"])));
    ok(run(app.cli().args(["role", "create", "--client", "warehouse", "query"])));
    let roles = || async {
        let realm = app.manager.realm_row("default").await.unwrap();
        let mut conn = app.manager.db.conn().await.unwrap();
        let alice = portcullis::store::users::by_username(&mut conn, &realm.id, "alice").await.unwrap().unwrap();
        let mut names: Vec<String> = portcullis::store::roles::of_user(&mut conn, &alice.id)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.client_id.map(|c| format!("{c}:{}", r.name)).unwrap_or(r.name))
            .collect();
        names.sort();
        names
    };
    ok(run(app.cli().args([
        "user",
        "grant",
        "--username",
        "alice",
        "--role",
        "auditor",
        "--client-role",
        "warehouse:query",
    ])));
    assert_eq!(roles().await, ["auditor", "staff", "warehouse:query"]);
    // Only existing roles, and nothing granted when one of them is wrong.
    let bad = run(app.cli().args(["user", "grant", "--username", "alice", "--role", "admin2", "--role", "auditor"]));
    assert!(one_line_error(&bad).contains("no role \"admin2\""));
    let nobody = run(app.cli().args(["user", "grant", "--username", "nobody", "--role", "auditor"]));
    assert!(one_line_error(&nobody).contains("no user"));
    ok(run(app.cli().args(["user", "ungrant", "--username", "alice", "--client-role", "warehouse:query"])));
    assert_eq!(roles().await, ["auditor", "staff"]);
    let again = run(app.cli().args(["user", "ungrant", "--username", "alice", "--client-role", "warehouse:query"]));
    assert!(one_line_error(&again).contains("does not hold"));
}

async fn admin_permissions_are_realm_management_roles(app: TestApp) {
    let ok = |out: Output| assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    ok(run(app.cli().args(["realm", "create", "acme"])));
    for realm in ["default", "acme"] {
        let out = run(app.cli().args(["role", "list", "--realm", realm, "--client", "realm-management", "--json"]));
        let roles: Value = serde_json::from_slice(&out.stdout).unwrap();
        let names: Vec<&str> = roles.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        for wanted in [
            "realm-admin",
            "manage-clients",
            "view-clients",
            "query-clients",
            "manage-users",
            "view-users",
            "manage-realm",
            "view-realm",
            "view-events",
        ] {
            assert!(names.contains(&wanted), "{realm}: {wanted} in {names:?}");
        }
    }
    // The seeds' names are composites: administer-clients = manage + view (+ query) clients.
    app.create_user("clara", "correct horse battery").await;
    ok(run(app.cli().args(["user", "grant", "--username", "clara", "--role", "administer-clients"])));
    let realm = app.manager.realm_row("default").await.unwrap();
    let mut conn = app.manager.db.conn().await.unwrap();
    let clara = portcullis::store::users::by_username(&mut conn, &realm.id, "clara").await.unwrap().unwrap();
    let (realm_roles, client_roles) =
        portcullis::store::roles::split(portcullis::store::roles::of_user(&mut conn, &clara.id).await.unwrap());
    assert!(realm_roles.contains(&"administer-clients".to_owned()));
    let mut perms = client_roles["realm-management"].clone();
    perms.sort();
    assert_eq!(perms, ["create-client", "manage-clients", "query-clients", "view-clients"]);
    // realm-admin includes every permission.
    ok(run(app.cli().args(["user", "grant", "--username", "clara", "--client-role", "realm-management:realm-admin"])));
    let (_, client_roles) =
        portcullis::store::roles::split(portcullis::store::roles::of_user(&mut conn, &clara.id).await.unwrap());
    assert!(client_roles["realm-management"].len() >= 18, "{client_roles:?}");
    // The built-in client holds roles, never tokens, and cannot be changed or deleted.
    let del = run(app.cli().args(["client", "delete", "realm-management"]));
    assert!(one_line_error(&del).contains("built-in"));
    let upd = run(app.cli().args(["client", "update", "realm-management", "--name", "x"]));
    assert!(one_line_error(&upd).contains("built-in"));
    let res = app
        .post_form("default", TOKEN, None, &[("grant_type", "client_credentials"), ("client_id", "realm-management")])
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Realms made before the roles existed get them at start; once.
    assert_eq!(app.manager.ensure_admin_roles_everywhere().await.unwrap(), 0);
}

/// `portcullis serve` prints the contract lines, serves, is ready, and has created the default
/// realm.
#[tokio::test]
async fn serve_prints_listening_line_and_creates_the_default_realm() {
    let db = TestDb::new(DbKind::Sqlite).await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["serve", "--addr", "127.0.0.1:0", "--management-addr", "127.0.0.1:0", "--database-url", &db.url])
        .env("PORTCULLIS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut line, mut management) = (String::new(), String::new());
    out.read_line(&mut line).unwrap();
    out.read_line(&mut management).unwrap();
    let url = line.trim().strip_prefix("listening on ").expect("contract line").to_owned();
    let management = management.trim().strip_prefix("management on ").expect("second contract line").to_owned();
    let ready = reqwest::get(format!("{management}/health/ready")).await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK, "ready once it says so");
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"), "{url}");
    let res = reqwest::get(format!("{url}/realms/default/.well-known/openid-configuration")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["issuer"], format!("{url}/realms/default").as_str());
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    child.kill().unwrap();
    let _ = child.wait();
}

async fn projects_and_a_clients_project_access(app: TestApp) {
    app.service_client("reports-job", &[]).await;
    let out =
        run(app.cli().args(["project", "create", "--realm", "default", "--name", "Alpha", "--id", "alpha", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap(), json!({"id": "alpha", "name": "Alpha"}));
    let generated = run(app.cli().args(["project", "create", "--name", "Beta", "--json"]));
    let beta: Value = serde_json::from_slice(&generated.stdout).unwrap();
    assert_eq!(beta["id"].as_str().unwrap().len(), 12, "a generated id: {beta}");
    assert!(one_line_error(&run(app.cli().args(["project", "create", "--name", "Again", "--id", "alpha"])))
        .contains("already exists"));
    assert!(one_line_error(&run(app.cli().args(["project", "create", "--name", "Bad", "--id", "Not Ok"])))
        .contains("invalid project id"));
    let described =
        run(app.cli().args(["project", "create", "--name", "Gamma", "--id", "gamma", "--description", "Reports"]));
    assert!(described.status.success(), "{}", String::from_utf8_lossy(&described.stderr));
    let listed: Value = serde_json::from_slice(&run(app.cli().args(["project", "list", "--json"])).stdout).unwrap();
    let gamma = listed.as_array().unwrap().iter().find(|p| p["id"] == "gamma").unwrap();
    assert_eq!(gamma["description"], "Reports");

    let out = run(app.cli().args(["client", "update", "reports-job", "--project", "alpha", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let updated: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(updated["changed"]["projects"], json!({"before": [], "after": ["alpha"]}));
    let unknown = run(app.cli().args(["client", "update", "reports-job", "--project", "nope", "--name", "Renamed"]));
    assert!(one_line_error(&unknown).contains("no project \"nope\""));
    let detail = app.manager.client_detail("default", "reports-job", &operator()).await.unwrap();
    assert_eq!(
        (detail.projects, detail.client.name.as_str()),
        (vec!["alpha".to_owned()], "reports-job"),
        "nothing written"
    );
    let out = run(app.cli().args(["client", "update", "reports-job", "--no-projects"]));
    assert!(out.status.success());
    assert!(app.manager.client_detail("default", "reports-job", &operator()).await.unwrap().projects.is_empty());
    let listed = run(app.cli().args(["project", "list", "--json"]));
    assert_eq!(serde_json::from_slice::<Value>(&listed.stdout).unwrap().as_array().unwrap().len(), 3);

    // Update and delete: a client given the project loses it with it.
    let out = run(app.cli().args(["project", "update", "gamma", "--name", "Gamma 2", "--description", "More reports"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(one_line_error(&run(app.cli().args(["project", "update", "gamma", "--name", ""]))).contains("1-200"));
    run(app.cli().args(["client", "update", "reports-job", "--project", "gamma"]));
    let out = run(app.cli().args(["project", "delete", "gamma"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(app.manager.client_detail("default", "reports-job", &operator()).await.unwrap().projects.is_empty());
    assert!(one_line_error(&run(app.cli().args(["project", "delete", "gamma"]))).contains("no project"));
    let listed: Value = serde_json::from_slice(&run(app.cli().args(["project", "list", "--json"])).stdout).unwrap();
    assert!(listed.as_array().unwrap().iter().all(|p| p["id"] != "gamma"));
    let events = app.manager.audit_events("default", None, 0, 2, &operator()).await.unwrap();
    assert_eq!((events[0].kind.as_str(), events[1].kind.as_str()), ("project.deleted", "client.updated"));
}

async fn realms_are_listed_and_deleted(app: TestApp) {
    assert!(run(app.cli().args(["realm", "create", "acme"])).status.success());
    let listed: Value = serde_json::from_slice(&run(app.cli().args(["realm", "list", "--json"])).stdout).unwrap();
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"acme") && names.contains(&"default"), "{names:?}");
    assert!(one_line_error(&run(app.cli().args(["realm", "delete", "nowhere"]))).contains("nowhere"));
    let out = run(app.cli().args(["realm", "delete", "acme"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let res = app.http.get(app.realm_url("acme", "/.well-known/openid-configuration")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "the running server dropped it");
}

async fn api_keys_are_made_listed_changed_and_revoked(app: TestApp) {
    let out = run(app.cli().args(["project", "create", "--name", "Alpha", "--id", "alpha"]));
    assert!(out.status.success());
    let out = run(app.cli().args([
        "api-key",
        "create",
        "--name",
        "nightly",
        "--role",
        "realm-management:view-clients",
        "--project",
        "alpha",
        "--expires-in",
        "3600",
        "--json",
    ]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let made: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (id, key) = (made["id"].as_str().unwrap(), made["key"].as_str().unwrap());
    assert!(key.starts_with(&format!("pcs_{id}_")), "{made}");
    let clients = app.http.get(format!("{}/admin/realms/default/clients", app.base)).bearer_auth(key).send().await;
    assert_eq!(clients.unwrap().status(), StatusCode::OK, "the key works at the running server");

    // Bad input: one line, nothing written.
    assert!(one_line_error(&run(app.cli().args(["api-key", "create", "--name", "x", "--role", "nope"])))
        .contains("no role \"nope\""));
    assert!(one_line_error(&run(app.cli().args(["api-key", "create", "--name", "x", "--expires-in", "1"])))
        .contains("--expires-in"));
    let listed: Value = serde_json::from_slice(&run(app.cli().args(["api-key", "list", "--json"])).stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["roles"], json!(["realm-management:view-clients"]));
    assert_eq!(listed[0]["projects"], json!(["alpha"]));
    assert!(listed[0].get("key").is_none(), "never the key again");

    let out = run(app.cli().args(["api-key", "update", id, "--name", "nightly-2", "--no-expiry"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: Value = serde_json::from_slice(&run(app.cli().args(["api-key", "list", "--json"])).stdout).unwrap();
    assert_eq!((listed[0]["name"].as_str(), listed[0]["expires_at"].is_null()), (Some("nightly-2"), true));
    let out = run(app.cli().args(["api-key", "delete", id]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let clients = app.http.get(format!("{}/admin/realms/default/clients", app.base)).bearer_auth(key).send().await;
    assert_eq!(clients.unwrap().status(), StatusCode::UNAUTHORIZED, "revoked at once");
    assert!(one_line_error(&run(app.cli().args(["api-key", "revoke", id]))).contains("revoked already"));
}
