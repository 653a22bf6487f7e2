//! Several instances over one database: a change made on one reaches the others' caches within
//! a stated bound. On PostgreSQL, LISTEN/NOTIFY wakes them at once (the test gives the second
//! instance a one-minute poll, so only the notification can explain a fast pick-up); on SQLite
//! the poll does it.

use crate::helpers::*;
use portcullis::{
    config::{Config, MasterKeySource},
    manage::client_update::ClientChanges,
    startup::Application,
};
use reqwest::StatusCode;

crate::db_tests!(a_change_on_one_instance_reaches_another_within_a_second);

async fn a_change_on_one_instance_reaches_another_within_a_second(app: TestApp) {
    let mut config = Config::with_database(&app.db.url);
    config.master_key = MasterKeySource::Inline(app.master_key.clone());
    config.change_poll_interval = match app.db.kind {
        DbKind::Postgres => std::time::Duration::from_secs(60),
        DbKind::Sqlite => std::time::Duration::from_millis(200),
    };
    let second = Application::build_with_clock(config, app.clock.clone()).await.expect("second instance");
    let second_base = format!("http://{}", second.local_addr());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(second.run(async {
        let _ = stopped.await;
    }));
    let creds = app.service_client("worker", &[]).await;
    let token_at_second = || {
        let (url, creds) = (format!("{second_base}/realms/default/protocol/openid-connect/token"), creds.clone());
        async move {
            let form = [("grant_type", "client_credentials")];
            let res = http_client().post(url).basic_auth(&creds.id, Some(&creds.secret)).form(&form).send().await;
            res.unwrap().status()
        }
    };
    // The second instance serves the client from its cache...
    assert_eq!(token_at_second().await, StatusCode::OK);
    assert_eq!(token_at_second().await, StatusCode::OK);
    // ...until the first disables it.
    let off = ClientChanges { enabled: Some(false), ..Default::default() };
    let changed = std::time::Instant::now();
    app.manager.update_client("default", "worker", off, &operator()).await.unwrap();
    let refused = eventually(1, || async { token_at_second().await != StatusCode::OK }).await;
    assert!(refused, "the second instance refuses the disabled client within 1 s");
    tracing::info!(took_ms = changed.elapsed().as_millis() as u64, "change reached the second instance");
}
