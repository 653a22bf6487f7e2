//! Audit Log: every recorded event of the realm (admin changes with their settings before →
//! after, sign-ins and their failures, client-authentication failures, lockouts,
//! revocations), filtered by `Actor`, `Client`, `Kind` and `From`/`To` with a GET form (so a
//! filter is a link), paged, `Export` as JSON lines; `Retention (days)` with `Save`.

use crate::{
    admin::{console_audit_log, AuditLogView, AuditQueryView, AuditRowView, Frame},
    components::{
        field::Field,
        form::{console_key, ConsoleForm},
        pager::Pager,
        shell::{console_href, console_page, escape, use_realm},
    },
    text,
};
use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

/// How many events a page shows.
pub const PAGE: i64 = 50;

/// `/admin/:realm/console/audit-log?actor=&client=&kind=&from=&to=&first=`.
#[component]
pub fn AuditLog() -> impl IntoView {
    let realm = use_realm();
    let query = use_query_map();
    let filter = move || {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        AuditQueryView {
            actor: get("actor"),
            client: get("client"),
            kind: get("kind"),
            from: get("from"),
            to: get("to"),
            first: get("first").parse().unwrap_or(0),
        }
    };
    let key = console_key();
    let data = Resource::new(move || (realm(), filter(), key()), |(realm, q, _)| console_audit_log(realm, q));
    console_page("Audit Log", data, move |frame, log| {
        (vec![("Audit Log".to_owned(), None)], view! { <Log frame log q=filter()/> })
    })
}

/// The query string of `q` starting at `first` (empty fields left out).
fn query_string(q: &AuditQueryView, first: Option<i64>) -> String {
    let pairs = [("actor", &q.actor), ("client", &q.client), ("kind", &q.kind), ("from", &q.from), ("to", &q.to)];
    let mut parts: Vec<String> =
        pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", escape(v))).collect();
    if let Some(f) = first.filter(|f| *f > 0) {
        parts.push(format!("first={f}"));
    }
    parts.join("&")
}

fn with_query(href: String, query: String) -> String {
    if query.is_empty() {
        href
    } else {
        format!("{href}?{query}")
    }
}

#[component]
fn Log(frame: Frame, log: AuditLogView, q: AuditQueryView) -> impl IntoView {
    let realm = frame.realm.clone();
    let here = console_href(&realm, "audit-log");
    let export = with_query(format!("{here}/export"), query_string(&q, None));
    let page_href = {
        let (here, q) = (here.clone(), q.clone());
        move |first: i64| with_query(here.clone(), query_string(&q, Some(first)))
    };
    let kinds = log
        .kinds
        .iter()
        .map(|k| view! { <option value=k.clone() selected=*k == q.kind>{k.clone()}</option> })
        .collect_view();
    let (csrf, flash) = (frame.csrf.clone(), frame.flash.clone());
    let retention = frame.can("manage-realm").then(|| {
        view! {
            <ConsoleForm action=here.clone() csrf=csrf class="stack form retention" label="Audit retention">
                <Field name="audit_retention_days" label="Retention (days)" kind="number" min="1" max="36500"
                    value=log.retention_days.to_string() flash=flash
                    hint="Events older than this are deleted (checked every few minutes)."/>
                <div class="buttons"><button type="submit">"Save"</button></div>
            </ConsoleForm>
        }
    });
    let shown_retention = (!frame.can("manage-realm")).then(|| {
        view! { <p class="muted">{format!("Events are kept {}.", text::count(log.retention_days, "day"))}</p> }
    });
    let error = log.error.clone().map(|e| view! { <p class="error" role="alert" id="filter-error">{e}</p> });
    let none = log.events.is_empty().then(|| view! { <tr><td colspan="6">"No events match."</td></tr> });
    let rows = log.events.into_iter().map(|e| view! { <EventRow e/> }).collect_view();
    view! {
        <div class="page-head">
            <h1>"Audit Log"</h1>
            <a class="button secondary" href=export download="">"Export"</a>
        </div>
        // A GET form: the filter is in the address, so it works without JavaScript and can be
        // linked to; hydrated, the router loads it.
        <div role="search" class="filters">
            <Form method="get" action=here.clone()>
                <div class="filter-row">
                    <div class="filter">
                        <label for="actor">"Actor"</label>
                        <input id="actor" name="actor" value=q.actor.clone() autocomplete="off"/>
                    </div>
                    <div class="filter">
                        <label for="client">"Client"</label>
                        <input id="client" name="client" value=q.client.clone() autocomplete="off"/>
                    </div>
                    <div class="filter">
                        <label for="kind">"Kind"</label>
                        <select id="kind" name="kind">
                            <option value="" selected=q.kind.is_empty()>"Any"</option>
                            {kinds}
                        </select>
                    </div>
                    <div class="filter">
                        <label for="from">"From"</label>
                        <input id="from" name="from" type="datetime-local" value=q.from.clone() aria-describedby="times-hint"/>
                    </div>
                    <div class="filter">
                        <label for="to">"To"</label>
                        <input id="to" name="to" type="datetime-local" value=q.to.clone() aria-describedby="times-hint"/>
                    </div>
                    <div class="filter">
                        <button type="submit">"Filter"</button>
                    </div>
                </div>
                <span class="hint" id="times-hint">"Times are UTC."</span>
            </Form>
        </div>
        {error}
        <table class="list audit" id="audit-log">
            <caption class="visually-hidden">"Audit events, newest first"</caption>
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Actor"</th>
                    <th scope="col">"Kind"</th>
                    <th scope="col">"Object"</th>
                    <th scope="col">"Details"</th>
                    <th scope="col">"From"</th>
                </tr>
            </thead>
            <tbody>{none}{rows}</tbody>
        </table>
        <Pager first=log.first max=log.max total=log.total href=page_href/>
        <section class="retention-section" aria-labelledby="retention-title">
            <h2 id="retention-title">"Retention"</h2>
            {retention}
            {shown_retention}
        </section>
    }
}

/// One event: its details as `field: before → after` for settings changes, else `key: value`.
#[component]
pub fn EventRow(e: AuditRowView) -> impl IntoView {
    let object = match (&e.client_id, &e.subject) {
        (Some(c), _) => view! { <span>"client "<code>{c.clone()}</code></span> }.into_any(),
        (None, Some(s)) => view! { <span class="muted">{s.clone()}</span> }.into_any(),
        (None, None) => view! { <span class="muted">"—"</span> }.into_any(),
    };
    view! {
        <tr>
            <td class="nowrap">{text::utc(e.at)}</td>
            <td>{e.actor.clone()}</td>
            <td><code class="kind">{e.kind.clone()}</code></td>
            <td>{object}</td>
            <td class="detail">{details(e.details.clone())}</td>
            <td>{e.ip.clone().unwrap_or_default()}</td>
        </tr>
    }
}

/// The lines of an event's details.
fn details(lines: Vec<(String, Option<String>, String)>) -> impl IntoView {
    lines
        .into_iter()
        .map(|(k, before, value)| match before {
            Some(b) => view! {
                <div><span class="key">{k}": "</span><span class="before">{b}</span>" → "<span class="after">{value}</span></div>
            }
            .into_any(),
            None => view! { <div><span class="key">{k}": "</span>{value}</div> }.into_any(),
        })
        .collect_view()
}
