//! Paging for server-side lists: "1–20 of 10,000", Previous and Next as links.

use leptos::prelude::*;

/// The pager of a list showing `max` items from `first` out of `total`; `href(first)` is the
/// address of the page starting at `first`.
#[component]
pub fn Pager(first: i64, max: i64, total: i64, href: impl Fn(i64) -> String + 'static) -> impl IntoView {
    let last = (first + max).min(total);
    let shown = if total == 0 { "No results".to_owned() } else { format!("{}–{} of {}", first + 1, last, total) };
    let prev = (first > 0).then(|| href((first - max).max(0)));
    let next = (last < total).then(|| href(first + max));
    view! {
        <nav class="pager" aria-label="Pages">
            <span id="page-range" aria-live="polite">{shown}</span>
            {prev.map(|h| view! { <a href=h rel="prev">"Previous"</a> })}
            {next.map(|h| view! { <a href=h rel="next">"Next"</a> })}
        </nav>
    }
}
