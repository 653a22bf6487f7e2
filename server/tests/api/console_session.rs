//! A signed-in admin console session over plain HTTP (no JavaScript: forms posted as a browser
//! without scripts posts them), for the console tests.

use crate::helpers::*;
use reqwest::{header, StatusCode};

/// A console session of the `default` realm.
pub struct Console<'a> {
    pub app: &'a TestApp,
    pub http: reqwest::Client,
}

impl<'a> Console<'a> {
    /// Signs `username` in: of the master realm when `home` is `None`, else of `home`.
    pub async fn sign_in(app: &'a TestApp, home: Option<&str>, username: &str, password: &str) -> Self {
        let http = app.browser();
        let login = match home {
            Some(r) => format!("{}/admin/login?realm={r}", app.base),
            None => format!("{}/admin/login", app.base),
        };
        let page = http.get(login).send().await.unwrap().text().await.unwrap();
        let mut form = vec![
            ("username", username.to_owned()),
            ("password", password.to_owned()),
            ("csrf", hidden_field(&page, "csrf").expect("a CSRF field")),
        ];
        if let Some(r) = home {
            form.push(("realm", r.to_owned()));
        }
        let res = http.post(format!("{}/admin/login", app.base)).form(&form).send().await.unwrap();
        let to = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
        assert!(to.contains("/console/"), "{username} signed in: {to}");
        Console { app, http }
    }

    /// The master realm's `root`, made for the test.
    pub async fn root(app: &'a TestApp) -> Self {
        app.manager.create_admin("root", "a long admin password".into(), &operator()).await.unwrap();
        Self::sign_in(app, None, "root", "a long admin password").await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/admin/default/console/{path}", self.app.base)
    }

    /// The page at `path`, which must answer 200.
    pub async fn page(&self, path: &str) -> String {
        let res = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.text().await.unwrap()
    }

    /// Posts `fields` (with the session's CSRF token) to `path`; returns where the browser is
    /// sent and the page found there (which shows the flash).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (String, String) {
        // The API Reference is open to every administrator of the realm; its frame has the token.
        let csrf = hidden_field(&self.page("api").await, "csrf").expect("a CSRF field");
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &csrf));
        let res = self.http.post(self.url(path)).form(&form).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        let to = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
        let page = self.http.get(format!("{}{to}", self.app.base)).send().await.unwrap().text().await.unwrap();
        (to, page)
    }
}

/// The flash message on a page.
pub fn flash(page: &str) -> String {
    let start = page.find("id=\"flash\"").unwrap_or_else(|| panic!("no flash on the page"));
    let text = &page[start..];
    let text = &text[text.find('>').unwrap() + 1..];
    text[..text.find("</div>").unwrap()].to_owned()
}
