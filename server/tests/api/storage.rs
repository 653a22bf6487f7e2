//! Bounded storage: the janitor deletes every kind of row that grows with traffic once it can no
//! longer matter, in batches, and keeps what still matters.

use crate::helpers::*;
use portcullis::{
    startup::janitor_pass,
    store::purge::{self, Expired},
};
use reqwest::StatusCode;

crate::db_tests!(
    the_janitor_empties_what_traffic_filled_in_batches_and_keeps_what_matters,
    durability_full_puts_every_commit_on_disk,
);

async fn durability_full_puts_every_commit_on_disk(app: TestApp) {
    use portcullis::store::{Db, Durability};
    let normal = app.state.db.commit_sync().await.unwrap();
    let full = Db::open_with(&app.db.url, Durability::Full).await.unwrap();
    let got = full.commit_sync().await.unwrap();
    match app.db.kind {
        DbKind::Sqlite => {
            assert_eq!(normal, "synchronous=NORMAL");
            assert_eq!(got, "synchronous=FULL");
        }
        // PostgreSQL's normal mode is the server's own setting; full asks for `on` whatever it is.
        DbKind::Postgres => assert_eq!(got, "synchronous_commit=on"),
    }
}

async fn rows(app: &TestApp, what: Expired) -> i64 {
    purge::rows(&mut app.state.db.conn().await.unwrap(), what).await.unwrap()
}

async fn metrics(app: &TestApp) -> String {
    let base = app.management.as_deref().expect("management listener");
    app.http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap()
}

async fn the_janitor_empties_what_traffic_filled_in_batches_and_keeps_what_matters(app: TestApp) {
    let app = app
        .instance(|c| {
            c.device_rate_limit = 0;
            c.management_addr = Some("127.0.0.1:0".into());
        })
        .await;
    app.create_client(portcullis::manage::client::NewClient {
        realm: "default".into(),
        template: "device".into(),
        client_id: Some("tv".into()),
        ..Default::default()
    })
    .await;
    // Traffic: 1,200 device requests nobody answers (more than two batches of 500)...
    let requests = 1_200;
    let form = [("client_id", "tv")];
    let url = app.realm_url("default", "/protocol/openid-connect/auth/device");
    futures::future::join_all((0..requests).map(|_| {
        let (http, url) = (app.http.clone(), url.clone());
        async move {
            let res = http.post(url).form(&form).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
    }))
    .await;
    assert_eq!(rows(&app, Expired::DeviceCodes).await, requests);
    // ...and a service's tokens, revoked, so the revocation markers wait for their expiry.
    let svc = app.service_client("svc", &[]).await;
    for _ in 0..3 {
        let token = app.access_token(&svc).await;
        let res = app.post_form("default", REVOKE, Some(&svc), &[("token", &token)]).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(rows(&app, Expired::Revocations).await, 3);

    // Within their lifetimes nothing goes.
    janitor_pass(&app.state, None).await;
    assert_eq!(rows(&app, Expired::DeviceCodes).await, requests);
    assert_eq!(rows(&app, Expired::Revocations).await, 3);

    // Past them (device codes: 10 minutes after their 10-minute expiry; access tokens: 5
    // minutes), everything goes, in batches, except a request made just now.
    app.clock.advance(21 * 60);
    let res = app.http.post(&url).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    janitor_pass(&app.state, None).await;
    assert_eq!(rows(&app, Expired::DeviceCodes).await, 1, "only the live request is left");
    assert_eq!(rows(&app, Expired::Revocations).await, 0);
    let text = metrics(&app).await;
    let purged = format!("portcullis_janitor_purged_rows_total{{table=\"device_codes\"}} {requests}");
    assert!(text.contains(&purged), "{purged} in:\n{text}");

    // Token counters go after the dashboard's 30 days; the change log after a day.
    app.state.stats.flush(&app.state.db, app.state.now()).await.unwrap();
    assert!(rows(&app, Expired::TokenStats).await > 0);
    assert!(rows(&app, Expired::Changes).await > 0);
    // Audit events go after their realm's retention.
    app.manager.set_audit_retention("default", 1, &operator()).await.unwrap();
    assert!(rows(&app, Expired::Audit).await > 0);
    app.clock.advance(31 * 86_400 + 60);
    janitor_pass(&app.state, None).await;
    assert_eq!(rows(&app, Expired::TokenStats).await, 0);
    assert_eq!(rows(&app, Expired::Changes).await, 0);
    assert_eq!(rows(&app, Expired::Audit).await, 0);
    assert_eq!(rows(&app, Expired::DeviceCodes).await, 0);
}

/// The connections token requests read on (PostgreSQL: outside sqlx's pool, given back without
/// its ping) go back idle only when their last statement finished without error: one a dropped
/// request cut off mid-statement, or one whose statement failed, is closed, never reused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_read_connections_are_reused_unless_a_statement_was_cut_or_failed() {
    use portcullis::store::{Ex, Read, Reader, Reads};
    async fn backend(r: &mut Read) -> i32 {
        let Reader::Ex(Ex::Postgres(c)) = r.reader() else { panic!("a PostgreSQL connection") };
        let pid = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(c).await.unwrap();
        r.settled(true);
        pid
    }
    let app = TestApp::spawn(DbKind::Postgres).await;
    let db = &app.state.db;
    let mut conn = db.read().await.unwrap();
    let first = backend(&mut conn).await;
    drop(conn);
    let mut conn = db.read().await.unwrap();
    assert_eq!(backend(&mut conn).await, first, "a connection given back settled is used again");

    // Cut off mid-statement, as when a client hangs up: the next read gets another connection,
    // and its answers are its own.
    let cut = tokio::time::timeout(std::time::Duration::from_millis(100), async {
        let Reader::Ex(Ex::Postgres(c)) = conn.reader() else { panic!("a PostgreSQL connection") };
        sqlx::query("SELECT pg_sleep(5)").execute(c).await
    });
    assert!(cut.await.is_err(), "the statement was cut off");
    drop(conn);
    let mut conn = db.read().await.unwrap();
    let second = backend(&mut conn).await;
    assert_ne!(second, first, "a connection cut mid-statement is not reused");
    let Reader::Ex(Ex::Postgres(c)) = conn.reader() else { panic!("a PostgreSQL connection") };
    let n: i32 = sqlx::query_scalar("SELECT 7").fetch_one(c).await.unwrap();
    conn.settled(true);
    assert_eq!(n, 7);

    // A statement that failed: closed too.
    let Reader::Ex(Ex::Postgres(c)) = conn.reader() else { panic!("a PostgreSQL connection") };
    let failed = sqlx::query("SELECT * FROM no_such_table").execute(c).await;
    conn.settled(failed.is_ok());
    assert!(failed.is_err());
    drop(conn);
    let mut conn = db.read().await.unwrap();
    let third = backend(&mut conn).await;
    assert!(third != second && third != first, "a connection whose statement failed is not reused");
}
