//! Nothing waits forever. The suite once hung for good: a page rendered while another server
//! of the same process was starting never finished (see `startup::PAGE_ROUTES`). This renders
//! pages from four browsers while sixteen servers start, and requires every page to arrive.

use crate::helpers::*;
use reqwest::StatusCode;
use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_keep_rendering_while_other_servers_start() {
    bounded("pages_keep_rendering_while_other_servers_start", async {
        let app = TestApp::spawn(DbKind::Sqlite).await;
        let started = Arc::new(AtomicBool::new(false));
        let starting = {
            let started = started.clone();
            async move {
                for _ in 0..16 {
                    drop(TestApp::spawn(DbKind::Sqlite).await);
                }
                started.store(true, Ordering::SeqCst);
            }
        };
        let browse = |browser: reqwest::Client| {
            let (app, started) = (&app, started.clone());
            async move {
                let mut rendered = 0;
                while !started.load(Ordering::SeqCst) || rendered < 20 {
                    let page = browser
                        .get(format!("{}/realms/default/login", app.base))
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await
                        .expect("the page arrives within 5 s, however many servers start meanwhile");
                    assert_eq!(page.status(), StatusCode::OK);
                    assert!(page.text().await.unwrap().contains("name=\"csrf\""), "rendered with its data");
                    rendered += 1;
                }
            }
        };
        let browsers = futures::future::join_all((0..4).map(|_| browse(app.browser())));
        futures::future::join(starting, browsers).await;
    })
    .await
}
