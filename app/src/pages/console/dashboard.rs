//! Dashboard: the realm's counts (OAuth clients, users, active sessions), charts of tokens
//! issued per grant and per client and of sign-in and client-authentication failures over
//! `Last hour`, `Last day` or `Last 30 days` (links, so they work without JavaScript), and
//! the last admin changes. The charts are SVG drawn on the server (`components::chart`);
//! once hydrated, the page asks for fresh numbers every ten seconds.

use crate::{
    admin::{console_dashboard, DashboardView, Frame},
    components::{
        chart::{thousands, HBars, StackedBars},
        form::console_key,
        shell::{console_href, console_page, use_realm},
    },
    pages::console::audit_log::EventRow,
    text,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// How often a hydrated dashboard reloads its numbers.
pub const REFRESH_SECONDS: u64 = 10;

/// The ranges: `(query value, label)`.
const RANGES: &[(&str, &str)] = &[("hour", "Last hour"), ("day", "Last day"), ("30d", "Last 30 days")];

/// `/admin/:realm/console/dashboard?range=hour|day|30d`.
#[component]
pub fn Dashboard() -> impl IntoView {
    let realm = use_realm();
    let query = use_query_map();
    let range = move || query.read().get("range").unwrap_or_else(|| "day".to_owned());
    let key = console_key();
    // Bumped by a timer that exists only in the browser: the server renders once.
    let tick = RwSignal::new(0u64);
    Effect::new(move |_| {
        if let Ok(handle) =
            set_interval_with_handle(move || tick.update(|t| *t += 1), std::time::Duration::from_secs(REFRESH_SECONDS))
        {
            on_cleanup(move || handle.clear());
        }
    });
    let data = Resource::new(
        move || (realm(), range(), key(), tick.get()),
        |(realm, range, _, _)| console_dashboard(realm, range),
    );
    console_page("Dashboard", data, move |frame, d| (vec![("Dashboard".to_owned(), None)], view! { <Board frame d/> }))
}

/// The label of interval `i` of `d`, in UTC.
fn label(d: &DashboardView, i: usize) -> String {
    let at = text::datetime_local(d.from + d.bucket * i as i64);
    match d.range.as_str() {
        "30d" => at[5..10].to_owned(),
        "day" => format!("{}:00", &at[11..13]),
        _ => at[11..16].to_owned(),
    }
}

#[component]
fn Board(frame: Frame, d: DashboardView) -> impl IntoView {
    let realm = frame.realm.clone();
    let here = console_href(&realm, "dashboard");
    let n = d.per_grant.first().map(|s| s.counts.len()).or(d.failures.first().map(|s| s.counts.len())).unwrap_or(0);
    let labels: Vec<String> = (0..n).map(|i| label(&d, i)).collect();
    let issued: i64 = d.per_grant.iter().flat_map(|s| &s.counts).sum();
    let failed: i64 = d.failures.iter().flat_map(|s| &s.counts).sum();
    let period = RANGES.iter().find(|(r, _)| *r == d.range).map(|(_, l)| *l).unwrap_or("Last day");
    let switch = RANGES
        .iter()
        .map(|(r, l)| {
            let current = (*r == d.range).then_some("page");
            view! { <a href=format!("{here}?range={r}") aria-current=current>{*l}</a> }
        })
        .collect_view();
    let failed_class = if failed > 0 { "stat warn" } else { "stat" };
    let top: Vec<(String, i64)> = d.per_client.iter().take(8).cloned().collect();
    let audit = console_href(&realm, "audit-log");
    let changes = d.recent_changes.is_empty().then(|| view! { <tr><td colspan="6">"No changes yet."</td></tr> });
    let change_rows = d.recent_changes.into_iter().map(|e| view! { <EventRow e/> }).collect_view();
    let stats = [
        ("stat-clients", "OAuth Clients", d.clients, console_href(&realm, "clients")),
        ("stat-users", "Users", d.users, console_href(&realm, "users")),
        ("stat-sessions", "Active sessions", d.sessions, console_href(&realm, "sessions")),
    ]
    .into_iter()
    .map(|(id, what, n, href)| {
        view! {
            <a class="stat" id=id href=href>
                <span class="stat-value">{thousands(n)}</span>
                <span class="stat-label">{what}</span>
            </a>
        }
    })
    .collect_view();
    view! {
        <div class="page-head">
            <h1>"Dashboard"</h1>
            <nav class="range" aria-label="Period">{switch}</nav>
        </div>
        <div class="stats">
            {stats}
            <div class="stat" id="stat-issued">
                <span class="stat-value">{thousands(issued)}</span>
                <span class="stat-label">{format!("Tokens issued, {}", period.to_lowercase())}</span>
            </div>
            <div class=failed_class id="stat-failures">
                <span class="stat-value">{thousands(failed)}</span>
                <span class="stat-label">{format!("Failures, {}", period.to_lowercase())}</span>
            </div>
        </div>
        <div class="charts">
            <StackedBars id="chart-grants" title=format!("Tokens issued per grant, {}", period.to_lowercase())
                labels=labels.clone() series=d.per_grant wide=true/>
            <HBars id="chart-clients" title=format!("Tokens issued per client, {}", period.to_lowercase()) items=top/>
            <StackedBars id="chart-failures"
                title=format!("Sign-in and client authentication failures, {}", period.to_lowercase())
                labels=labels series=d.failures/>
        </div>
        <section aria-labelledby="changes-title" class="recent">
            <div class="page-head">
                <h2 id="changes-title">"Last admin changes"</h2>
                <a href=audit>"Audit Log"</a>
            </div>
            <table class="list audit" id="recent-changes">
                <caption class="visually-hidden">"The last admin changes, newest first"</caption>
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
                <tbody>{changes}{change_rows}</tbody>
            </table>
        </section>
        <p class="muted small">{format!("Times in UTC. The numbers refresh every {REFRESH_SECONDS} seconds while this page is open.")}</p>
    }
}
