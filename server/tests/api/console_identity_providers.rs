//! The console's Identity Providers pages and a user's Identity Provider Links tab over plain
//! HTTP (forms posted as a browser without JavaScript sends them, a 303 to the page showing
//! the outcome): create, list, edit (a blank secret keeps the current one), errors beside their
//! field with what was typed kept (never the secret), delete; what `view-identity-providers`
//! may not do; unlinking a user. The browser suite
//! (`end2end/tests/console_identity_providers.test.mjs`) drives the same pages in Chromium.

use crate::{console_session::*, helpers::*};

crate::db_tests!(
    providers_are_created_listed_edited_and_deleted,
    view_identity_providers_reads_and_changes_nothing,
    a_users_link_is_listed_and_unlinked,
);

/// The error shown beside `field`, if any.
fn field_error(page: &str, field: &str) -> Option<String> {
    let at = page.find(&format!("id=\"{field}-error\""))?;
    let start = at + page[at..].find('>')? + 1;
    Some(page[start..start + page[start..].find('<')?].to_owned())
}

/// The Create form of an OAuth 2.0 provider with loopback endpoints (nothing is called).
fn github(alias: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("alias", alias),
        ("display_name", "GitHub"),
        ("kind", "oauth2"),
        ("discovery_url", ""),
        ("authorization_url", "http://127.0.0.1:9/authorize"),
        ("token_url", "http://127.0.0.1:9/token"),
        ("userinfo_url", "http://127.0.0.1:9/user"),
        ("jwks_url", ""),
        ("client_id", "gh-client"),
        ("client_secret", "gh-secret-1"),
        ("client_auth_method", "client_secret_post"),
        ("scopes", "read:user user:email"),
        ("pkce", "on"),
        ("username_claim", "login"),
        ("email_claim", "email"),
        ("name_claim", "name"),
        ("store_tokens", "on"),
        ("first_login_review", "on"),
        ("gui_order", "2"),
        ("enabled", "on"),
    ]
}

fn with<'a>(form: &[(&'a str, &'a str)], changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<_> = form.iter().filter(|(k, _)| !changes.iter().any(|(c, _)| c == k)).copied().collect();
    form.extend_from_slice(changes);
    form
}

async fn providers_are_created_listed_edited_and_deleted(app: TestApp) {
    let console = Console::root(&app).await;
    let list = console.page("identity-providers").await;
    assert!(list.contains("No identity providers yet") && list.contains(">Create</a>"), "empty list with Create");
    // Create → the provider's page, with the redirect URI to register upstream.
    let (to, page) = console.post("identity-providers/new", &github("github")).await;
    assert_eq!(to, "/admin/default/console/identity-providers/github");
    assert!(flash(&page).starts_with("Identity provider GitHub created."), "{}", flash(&page));
    assert!(page.contains(&format!("value=\"{}/realms/default/broker/github/endpoint\"", app.base)), "redirect URI");
    assert!(!page.contains("gh-secret-1"), "the secret is never shown");
    let row = app.manager.identity_provider("default", "github", &operator()).await.unwrap();
    assert_eq!((row.kind.as_str(), row.client_auth_method.as_str()), ("oauth2", "client_secret_post"));
    assert_eq!((row.scopes.as_str(), row.username_claim.as_str()), ("read:user user:email", "login"));
    assert_eq!((row.store_tokens, row.trust_email, row.gui_order, row.enabled), (true, false, 2, true));
    assert_eq!(row.first_login_review, "on");
    assert_eq!(app.manager.idp_secret(&row).unwrap().as_deref(), Some("gh-secret-1"));
    let list = console.page("identity-providers").await;
    assert!(list.contains("data-alias=\"github\"") && list.contains("OAuth 2.0"), "listed");
    assert!(list.contains("aria-label=\"Edit github\"") && list.contains("aria-label=\"Delete github\""));

    // Edit: a blank secret keeps the current one; unticked boxes turn off.
    let edit = with(
        &github("github"),
        &[("display_name", "GitHub.com"), ("client_secret", ""), ("store_tokens", "off"), ("trust_email", "on")],
    );
    let edit: Vec<_> = edit.into_iter().filter(|(k, v)| !(*k == "store_tokens" && *v == "off")).collect();
    let (to, page) = console.post("identity-providers/github", &edit).await;
    assert_eq!(to, "/admin/default/console/identity-providers/github");
    assert_eq!(flash(&page), "Identity provider GitHub.com saved.");
    let row = app.manager.identity_provider("default", "github", &operator()).await.unwrap();
    assert_eq!((row.display_name.as_str(), row.store_tokens, row.trust_email), ("GitHub.com", false, true));
    assert_eq!(app.manager.idp_secret(&row).unwrap().as_deref(), Some("gh-secret-1"), "blank keeps the secret");

    // Bad input: the message beside its field, the rest as typed (not the secret), nothing written.
    let bad = with(&github("github"), &[("token_url", "http://up.example.com/token"), ("client_secret", "new-one")]);
    let (to, page) = console.post("identity-providers/github", &bad).await;
    assert_eq!(to, "/admin/default/console/identity-providers/github");
    let error = field_error(&page, "token_url").expect("an error beside Token URL");
    assert!(error.contains("https"), "{error}");
    assert!(page.contains("value=\"http://up.example.com/token\""), "what was typed is kept");
    assert!(!page.contains("new-one"), "the secret is typed again");
    let after = app.manager.identity_provider("default", "github", &operator()).await.unwrap();
    assert_eq!((after.token_url.as_str(), after.updated_at), (row.token_url.as_str(), row.updated_at));
    // A duplicate alias and a bad alias on Create land beside Alias.
    let (to, page) = console.post("identity-providers/new", &github("github")).await;
    assert_eq!(to, "/admin/default/console/identity-providers/new");
    assert!(field_error(&page, "alias").is_some_and(|e| e.contains("already exists")), "{page}");
    let (_, page) = console.post("identity-providers/new", &github("Git Hub")).await;
    assert!(field_error(&page, "alias").is_some_and(|e| e.contains("lowercase")));
    assert!(page.contains("value=\"Git Hub\""), "the alias as typed");
    let (_, page) = console.post("identity-providers/new", &github("new")).await;
    assert!(field_error(&page, "alias").is_some_and(|e| e.contains("reserved")), "the Create page's own address");
    // OpenID Connect without a discovery URL: beside Discovery URL.
    let oidc = with(&github("oidc"), &[("kind", "oidc")]);
    let (_, page) = console.post("identity-providers/new", &oidc).await;
    assert!(field_error(&page, "discovery_url").is_some(), "{}", flash(&page));

    // Delete (confirmed on the list) → gone, with its links.
    let confirm = console.page("identity-providers?delete=github").await;
    assert!(confirm.contains("Delete identity provider GitHub.com?") && confirm.contains("lose the link"));
    let (to, page) = console.post("identity-providers/github/delete", &[]).await;
    assert_eq!(to, "/admin/default/console/identity-providers");
    assert!(flash(&page).contains("github deleted"), "{}", flash(&page));
    assert!(!page.contains("data-alias=\"github\""));
    assert!(app.manager.list_identity_providers("default", &operator()).await.unwrap().is_empty());
}

async fn view_identity_providers_reads_and_changes_nothing(app: TestApp) {
    app.manager.create_identity_provider("default", portcullis_changes(), &operator()).await.unwrap();
    app.create_user("watcher", "a long password").await;
    let grant = [("realm-management".to_owned(), "view-identity-providers".to_owned())];
    app.manager.set_user_roles("default", "watcher", &[], &grant, true, &operator()).await.unwrap();
    let console = Console::sign_in(&app, Some("default"), "watcher", "a long password").await;
    let list = console.page("identity-providers").await;
    assert!(list.contains("data-alias=\"github\"") && list.contains("aria-label=\"View github\""), "listed");
    assert!(!list.contains(">Create</a>") && !list.contains("aria-label=\"Delete github\""), "no controls");
    let page = console.page("identity-providers/github").await;
    assert!(page.contains("value=\"gh-client\"") && !page.contains(">Save</button>"), "read-only");
    let before = app.manager.identity_provider("default", "github", &operator()).await.unwrap();
    for (path, fields) in [
        ("identity-providers/new", github("other")),
        ("identity-providers/github", with(&github("github"), &[("display_name", "Changed")])),
        ("identity-providers/github/delete", vec![]),
    ] {
        let (_, page) = console.post(path, &fields).await;
        assert!(flash(&page).contains("manage-identity-providers"), "{path}: {}", flash(&page));
    }
    let after = app.manager.list_identity_providers("default", &operator()).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!((after[0].display_name.as_str(), after[0].updated_at), ("GitHub", before.updated_at));
}

fn portcullis_changes() -> portcullis::manage::identity_provider::IdpChanges {
    use portcullis::manage::identity_provider::{IdpChanges, IdpKind};
    IdpChanges {
        alias: Some("github".into()),
        display_name: Some("GitHub".into()),
        kind: Some(IdpKind::OAuth2),
        authorization_url: Some("http://127.0.0.1:9/authorize".into()),
        token_url: Some("http://127.0.0.1:9/token".into()),
        userinfo_url: Some(Some("http://127.0.0.1:9/user".into())),
        client_id: Some("gh-client".into()),
        ..Default::default()
    }
}

async fn a_users_link_is_listed_and_unlinked(app: TestApp) {
    app.manager.create_identity_provider("default", portcullis_changes(), &operator()).await.unwrap();
    let dave = app.create_user("dave", "a long password").await;
    let console = Console::root(&app).await;
    let tab = format!("users/{dave}/identity-provider-links");
    let page = console.page(&tab).await;
    assert!(page.contains("id=\"no-idp-links\""), "empty state");
    app.manager.link_federated_identity("default", &dave, "github", "583231", "octocat", &operator()).await.unwrap();
    let page = console.page(&tab).await;
    assert!(page.contains("data-alias=\"github\"") && page.contains("octocat") && page.contains("583231"));
    assert!(page.contains("GitHub") && page.contains("aria-label=\"Unlink GitHub\""));
    let confirm = console.page(&format!("{tab}?unlink=github")).await;
    assert!(confirm.contains("Unlink dave from GitHub?"), "confirmed first");
    let (to, page) = console.post(&tab, &[("alias", "github")]).await;
    assert_eq!(to, format!("/admin/default/console/{tab}"));
    assert!(flash(&page).starts_with("Unlinked from github"), "{}", flash(&page));
    assert!(page.contains("id=\"no-idp-links\""));
    assert!(app.manager.federated_identities("default", &dave, &operator()).await.unwrap().is_empty());
}
