//! `portcullis backup` and `portcullis restore` (issue 11): an SQLite backup taken while the
//! server runs, restored into a new database, keeps tokens issued before it working; the master
//! key is not in it and a restore refuses another one. PostgreSQL points at pg_dump.

use crate::helpers::*;
use base64::{engine::general_purpose::STANDARD, Engine};
use reqwest::StatusCode;
use serde_json::Value;
use std::process::Output;

crate::db_tests!(
    real_time:
    a_backup_restored_keeps_tokens_and_sign_in,
);

fn run(cmd: &mut std::process::Command) -> Output {
    cmd.output().expect("the binary runs")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn one_line_error(out: &Output) -> String {
    assert!(!out.status.success(), "expected failure: {}", String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

async fn password_grant(app: &TestApp, client: &Creds, password: &str) -> reqwest::Response {
    let form = [("grant_type", "password"), ("username", "alice"), ("password", password), ("scope", "openid")];
    app.post_form("default", TOKEN, Some(client), &form).await
}

async fn audit_kinds(app: &TestApp) -> Vec<String> {
    let mut conn = app.manager.db.conn().await.unwrap();
    let rows = portcullis::store::audit::recent(&mut conn, None, 100).await.unwrap();
    rows.into_iter().filter(|r| r.actor == "cli").map(|r| r.kind).collect()
}

async fn a_backup_restored_keeps_tokens_and_sign_in(app: TestApp) {
    let dir = std::env::temp_dir().join(format!("portcullis-backup-{}", portcullis::crypto::random_token::<8>()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("backup.db");
    let file_arg = file.to_str().unwrap();

    if app.db.kind == DbKind::Postgres {
        // PostgreSQL is backed up with its own tools: the message gives the commands.
        let err = one_line_error(&run(app.cli().args(["backup", file_arg])));
        assert!(err.contains("pg_dump --format=custom") && err.contains("pg_restore"), "{err}");
        assert!(!err.contains("portcullis:portcullis@"), "the password is redacted: {err}");
        let err = one_line_error(&run(app.cli().args(["restore", file_arg])));
        assert!(err.contains("pg_restore"), "{err}");
        assert!(!file.exists());
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    }

    // Tokens issued before the backup.
    let svc = app.service_client("svc", &[]).await;
    let access = app.access_token(&svc).await;
    let web = app.password_client("web", "https://app.example.com/cb").await;
    app.create_user("alice", "a long user password").await;
    let res = password_grant(&app, &web, "a long user password").await;
    assert_eq!(res.status(), StatusCode::OK);
    let refresh = res.json::<Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();

    // The backup, while the server runs; the reminder names where the key is, not the key.
    let out = ok(&run(app.cli().args(["backup", file_arg])));
    assert!(out.contains("master key is not in the backup"), "{out}");
    assert!(out.contains("PORTCULLIS_MASTER_KEY"), "{out}");
    assert!(!out.contains(&app.master_key), "the key itself is never printed");
    assert!(file.is_file());
    assert!(audit_kinds(&app).await.contains(&"backup.created".to_owned()));
    // An existing file is kept unless --force; no temporary file is left beside it.
    let err = one_line_error(&run(app.cli().args(["backup", file_arg])));
    assert!(err.contains("exists") && err.contains("--force"), "{err}");
    ok(&run(app.cli().args(["backup", file_arg, "--force"])));
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("backup.db")]);

    let restored = dir.join("restored").join("db.sqlite");
    let restored_url = format!("sqlite:{}", restored.display());
    let restore = |key: &str, args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"));
        cmd.args(["--database-url", &restored_url, "restore"])
            .args(args)
            .env("PORTCULLIS_MASTER_KEY", key)
            .env_remove("DATABASE_URL")
            .env_remove("PORTCULLIS_DATABASE_URL")
            .env("PORTCULLIS_LOG", "error");
        run(&mut cmd)
    };
    // Another master key is refused, and nothing is written.
    let other = STANDARD.encode(portcullis::crypto::random_bytes::<32>());
    let err = one_line_error(&restore(&other, &[file_arg]));
    assert!(err.contains("another master key"), "{err}");
    assert!(!restored.exists());
    // A file that is not a Portcullis database is refused.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, "not a database").unwrap();
    let err = one_line_error(&restore(&app.master_key, &[junk.to_str().unwrap()]));
    assert!(err.contains("not a Portcullis SQLite database"), "{err}");
    assert!(!restored.exists());

    // The same key restores it; an existing database needs --force.
    let out = ok(&restore(&app.master_key, &[file_arg]));
    assert!(out.contains("restored"), "{out}");
    let err = one_line_error(&restore(&app.master_key, &[file_arg]));
    assert!(err.contains("--force"), "{err}");
    ok(&restore(&app.master_key, &[file_arg, "--force"]));

    // A server on the restored database, with the same key and public URL (the tokens' issuer).
    let (key, base) = (app.master_key.clone(), app.base.clone());
    let url = restored_url.clone();
    let new = TestApp::spawn_with(DbKind::Sqlite, move |config| {
        config.database_url = url;
        config.master_key = portcullis::config::MasterKeySource::Inline(key);
        config.public_url = Some(base);
    })
    .await;
    assert!(audit_kinds(&new).await.contains(&"backup.restored".to_owned()));
    assert_eq!(new.introspect(&svc, &access).await["active"], true);
    let res = new.refresh(&web, &refresh, None).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    assert_eq!(password_grant(&new, &web, "a long user password").await.status(), StatusCode::OK);
    assert_ne!(password_grant(&new, &web, "a wrong password").await.status(), StatusCode::OK);

    // While that server uses the database, a restore over it is refused.
    let err = one_line_error(&restore(&app.master_key, &[file_arg, "--force"]));
    assert!(err.contains("in use") && err.contains("stop the server"), "{err}");

    drop(new);
    std::fs::remove_dir_all(&dir).unwrap();
}
