//! The console's layout, the same for list and detail pages: a top bar (product, the realm
//! switcher labelled `Realm`, the signed-in user, `Sign out`), the sidebar of sections, and
//! the main area with breadcrumbs, the flash message and the page.

use super::flash::FlashMessage;
use crate::admin::{console_frame, Frame};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{de::DeserializeOwned, Serialize};

/// The sidebar: `(label, path under /admin/{realm}/console/, built yet)`.
pub const SECTIONS: &[(&str, &str, bool)] = &[
    ("Dashboard", "dashboard", true),
    ("OAuth Clients", "clients", true),
    ("Client Scopes", "client-scopes", true),
    ("Roles", "roles", true),
    ("Users", "users", true),
    ("Identity Providers", "identity-providers", true),
    ("Service Connections", "service-connections", true),
    ("Projects", "projects", true),
    ("API Keys", "api-keys", true),
    ("Sessions", "sessions", true),
    ("Audit Log", "audit-log", true),
    ("Realm Settings", "realm-settings", true),
    ("Signing Keys", "signing-keys", true),
    ("API Reference", "api", true),
];

/// `/admin/{realm}/console/{path}`, escaped.
pub fn console_href(realm: &str, path: &str) -> String {
    format!("/admin/{}/console/{path}", escape(realm))
}

/// A path segment, percent-encoded where needed.
pub fn escape(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The realm in the page's address.
pub fn use_realm() -> impl Fn() -> String + Clone + Send + Sync + 'static {
    let params = use_params_map();
    move || params.read().get("realm").unwrap_or_default()
}

/// A breadcrumb: its label and, except for the current page, its address.
pub type Crumb = (String, Option<String>);

/// The frame resource of the page's realm, reloaded after every change.
pub fn frame_resource() -> Resource<Result<Frame, ServerFnError>> {
    let realm = use_realm();
    let key = super::form::console_key();
    Resource::new(move || (realm(), key()), |(realm, _)| console_frame(realm))
}

/// A console page: waits for its frame and its data, then lays out `render(frame, data)`,
/// which gives the breadcrumbs and the body. Errors (no access, no such thing) are shown in
/// the same layout.
pub fn console_page<T, V>(
    section: &'static str,
    data: Resource<Result<T, ServerFnError>>,
    render: impl Fn(Frame, T) -> (Vec<Crumb>, V) + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let frame = frame_resource();
    view! {
        <Transition fallback=|| view! { <p class="muted loading">"Loading…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    let frame = match frame.await {
                        // A hydrated form's flash comes with its answer, not from the session.
                        Ok(f) => Frame { flash: super::form::pending_flash().or(f.flash), ..f },
                        Err(e) => return view! { <NoAccess message=clean(e)/> }.into_any(),
                    };
                    let (crumbs, body) = match data.await {
                        Ok(d) => {
                            let (crumbs, body) = render(frame.clone(), d);
                            (crumbs, body.into_any())
                        }
                        Err(e) => (vec![], view! { <p class="error" role="alert">{clean(e)}</p> }.into_any()),
                    };
                    view! { <Shell frame section crumbs>{body}</Shell> }.into_any()
                })
            }}
        </Transition>
    }
}

/// A server function's message without its wrapping.
pub fn clean(e: ServerFnError) -> String {
    let text = e.to_string();
    text.strip_prefix("error running server function: ").unwrap_or(&text).to_owned()
}

/// Shown when there is no signed-in administrator or the realm is not theirs.
#[component]
fn NoAccess(message: String) -> impl IntoView {
    view! {
        <main class="card narrow">
            <h1>"Portcullis"</h1>
            <p class="error" role="alert">{message}</p>
            <p><a href="/admin/login">"Sign in"</a></p>
        </main>
    }
}

/// The layout around a page's body.
#[component]
pub fn Shell(frame: Frame, section: &'static str, crumbs: Vec<Crumb>, children: Children) -> impl IntoView {
    let realm = frame.realm.clone();
    let flash = frame.flash.clone();
    super::form::clear_pending_flash_elsewhere();
    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <div class="console">
            <header class="topbar">
                <strong class="brand">"Portcullis"</strong>
                <RealmSwitcher realm=realm.clone() realms=frame.realms.clone()/>
                <span class="spacer"></span>
                <span class="muted" id="admin-name">{frame.username.clone()}</span>
                <form method="post" action="/admin/logout" class="inline">
                    <input type="hidden" name="csrf" value=frame.csrf.clone()/>
                    <button type="submit" class="secondary">"Sign out"</button>
                </form>
            </header>
            <nav class="sidebar" aria-label="Console">
                <ul>
                    {SECTIONS
                        .iter()
                        .map(|(label, path, built)| {
                            let here = *label == section;
                            view! {
                                <li>
                                    <a href=console_href(&realm, path) aria-current=here.then_some("page")>
                                        {*label}
                                        {(!built).then(|| view! { <span class="soon" aria-hidden="true">" (soon)"</span> })}
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
            <main id="main" class="content">
                <nav aria-label="Breadcrumb" class="crumbs">
                    <ol>
                        <li>{realm.clone()}</li>
                        {crumbs
                            .into_iter()
                            .map(|(label, href)| match href {
                                Some(h) => view! { <li><a href=h>{label}</a></li> }.into_any(),
                                None => view! { <li aria-current="page">{label}</li> }.into_any(),
                            })
                            .collect_view()}
                    </ol>
                </nav>
                <FlashMessage flash/>
                {children()}
            </main>
        </div>
    }
}

/// The realm switcher: a select labelled `Realm`; a GET form with `Open` without JavaScript,
/// and a change of selection opens the realm once hydrated.
#[component]
fn RealmSwitcher(realm: String, realms: Vec<String>) -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        let chosen = event_target_value(&ev);
        let navigate = leptos_router::hooks::use_navigate();
        navigate(&console_href(&chosen, "clients"), Default::default());
    };
    view! {
        <form method="get" action="/admin/switch" class="inline realm-switcher">
            <label for="realm-switcher">"Realm"</label>
            <select id="realm-switcher" name="realm" on:change=on_change>
                {realms
                    .into_iter()
                    .map(|r| {
                        let selected = r == realm;
                        view! { <option value=r.clone() selected=selected>{r.clone()}</option> }
                    })
                    .collect_view()}
            </select>
            <noscript><button type="submit" class="secondary">"Open"</button></noscript>
        </form>
    }
}
