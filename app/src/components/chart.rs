//! Charts drawn on the server as inline SVG: no chart script, nothing fetched. Each is an
//! image with a title and a description that say its numbers (`role="img"`), followed by the
//! same numbers in a visually hidden table for screen readers.

use crate::admin::SeriesView;
use leptos::prelude::*;

/// The series' colours, in order (with enough contrast on white, told apart by lightness too).
pub const COLOURS: &[&str] = &["#2563eb", "#f59e0b", "#10b981", "#db2777", "#7c3aed", "#0891b2", "#65a30d", "#9f1239"];

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;

/// The y axis's step between its four grid lines: 1, 2 or 5 × 10ⁿ, so that four steps hold
/// `max`.
fn step_for(max: i64) -> i64 {
    let mut scale = 1;
    loop {
        for m in [1, 2, 5] {
            if 4 * m * scale >= max.max(1) {
                return m * scale;
            }
        }
        scale *= 10;
    }
}

/// `n` as `1,234`.
pub fn thousands(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// One sentence saying a chart's numbers: `42 in all: client_credentials 30, password 12.`
pub fn summary(series: &[SeriesView]) -> String {
    let total: i64 = series.iter().flat_map(|s| &s.counts).sum();
    if total == 0 {
        return "None in this period.".to_owned();
    }
    let parts: Vec<String> = series
        .iter()
        .map(|s| (s.name.clone(), s.counts.iter().sum::<i64>()))
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{name} {}", thousands(n)))
        .collect();
    format!("{} in all: {}.", thousands(total), parts.join(", "))
}

/// Stacked bars, one per interval (`labels`), one colour per series, with a legend.
#[component]
pub fn StackedBars(
    /// The chart's id (its title's and table's ids derive from it).
    #[prop(into)]
    id: String,
    #[prop(into)] title: String,
    labels: Vec<String>,
    series: Vec<SeriesView>,
    /// Drawn for a whole row of the page rather than half of one.
    #[prop(optional)]
    wide: bool,
) -> impl IntoView {
    let width = if wide { 1000.0 } else { W };
    let n = labels.len().max(1);
    let totals: Vec<i64> = (0..n).map(|i| series.iter().map(|s| s.counts.get(i).copied().unwrap_or(0)).sum()).collect();
    let step = step_for(totals.iter().copied().max().unwrap_or(0));
    let top = 4 * step;
    let (plot_w, plot_h) = (width - LEFT - 8.0, H - TOP - BOTTOM);
    let slot = plot_w / n as f64;
    let bar = (slot * 0.72).max(1.0);
    let y = move |v: i64| TOP + plot_h - plot_h * v as f64 / top as f64;
    let grid = (0..=4)
        .map(|k| {
            let v = step * k;
            let at = y(v);
            view! {
                <line x1=LEFT x2=width - 8.0 y1=at y2=at class="grid"/>
                <text x=LEFT - 6.0 y=at + 4.0 text-anchor="end" class="tick">{thousands(v)}</text>
            }
        })
        .collect_view();
    let mut rects = vec![];
    for i in 0..n {
        let mut base = 0;
        for (k, s) in series.iter().enumerate() {
            let v = s.counts.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let (y0, y1) = (y(base), y(base + v));
            base += v;
            let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
            let colour = COLOURS[k % COLOURS.len()];
            let tip = format!("{}: {} {}", labels.get(i).cloned().unwrap_or_default(), s.name, thousands(v));
            rects.push(view! {
                <rect x=x y=y1 width=bar height=(y0 - y1).max(0.5) fill=colour rx="1.5"><title>{tip}</title></rect>
            });
        }
    }
    // Three labels along the x axis: the first interval, the middle one and the last.
    let marks = [0, n / 2, n - 1]
        .into_iter()
        .map(|i| {
            let x = LEFT + slot * i as f64 + slot / 2.0;
            let anchor = if i == 0 { "start" } else if i == n - 1 { "end" } else { "middle" };
            let x = if i == 0 { LEFT } else if i == n - 1 { width - 8.0 } else { x };
            view! { <text x=x y=H - 6.0 text-anchor=anchor class="tick">{labels.get(i).cloned().unwrap_or_default()}</text> }
        })
        .collect_view();
    let described = summary(&series);
    let legend = series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let total: i64 = s.counts.iter().sum();
            view! {
                <li><span class="swatch" style=format!("background:{}", COLOURS[k % COLOURS.len()])></span>
                    {s.name.clone()}" "<strong>{thousands(total)}</strong></li>
            }
        })
        .collect_view();
    let empty = series.is_empty().then(|| view! { <li class="muted">"None in this period."</li> });
    let head = series.iter().map(|s| view! { <th scope="col">{s.name.clone()}</th> }).collect_view();
    let body = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let cells =
                series.iter().map(|s| view! { <td>{s.counts.get(i).copied().unwrap_or(0)}</td> }).collect_view();
            view! { <tr><th scope="row">{l.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    let (title_id, desc_id) = (format!("{id}-title"), format!("{id}-desc"));
    let labelled = format!("{title_id} {desc_id}");
    view! {
        <figure class="chart" id=id.clone()>
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {width} {H}") role="img" aria-labelledby=labelled class="bars">
                <title id=title_id>{title.clone()}</title>
                <desc id=desc_id>{described}</desc>
                {grid}
                {rects}
                <line x1=LEFT x2=width - 8.0 y1=TOP + plot_h y2=TOP + plot_h class="axis"/>
                {marks}
            </svg>
            <ul class="legend">{legend}{empty}</ul>
            <table class="visually-hidden chart-data">
                <caption>{title}</caption>
                <thead><tr><th scope="col">"Interval (UTC)"</th>{head}</tr></thead>
                <tbody>{body}</tbody>
            </table>
        </figure>
    }
}

/// Horizontal bars: one per `(name, value)`, longest first.
#[component]
pub fn HBars(#[prop(into)] id: String, #[prop(into)] title: String, items: Vec<(String, i64)>) -> impl IntoView {
    let top = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let total: i64 = items.iter().map(|(_, v)| v).sum();
    let described = match total {
        0 => "None in this period.".to_owned(),
        _ => format!(
            "{} in all: {}.",
            thousands(total),
            items.iter().map(|(n, v)| format!("{n} {}", thousands(*v))).collect::<Vec<_>>().join(", ")
        ),
    };
    let (w, row_h) = (480.0, 30.0);
    let h = (items.len().max(1) as f64) * row_h + 4.0;
    let label_w = 150.0;
    let rows = items
        .iter()
        .enumerate()
        .map(|(i, (name, v))| {
            let y = 2.0 + i as f64 * row_h;
            let bar = ((w - label_w - 60.0) * *v as f64 / top as f64).max(1.0);
            let shown: String =
                if name.chars().count() > 22 { name.chars().take(21).chain(['…']).collect() } else { name.clone() };
            view! {
                <text x=label_w - 8.0 y=y + 20.0 text-anchor="end" class="label">{shown}</text>
                <rect x=label_w y=y + 4.0 width=bar height=row_h - 8.0 fill=COLOURS[i % COLOURS.len()] rx="2"/>
                <text x=label_w + bar + 6.0 y=y + 20.0 class="value">{thousands(*v)}</text>
            }
        })
        .collect_view();
    let empty = items.is_empty().then(|| view! { <text x=8 y=18 class="label">"None in this period."</text> });
    let body =
        items.iter().map(|(n, v)| view! { <tr><th scope="row">{n.clone()}</th><td>{*v}</td></tr> }).collect_view();
    let (title_id, desc_id) = (format!("{id}-title"), format!("{id}-desc"));
    let labelled = format!("{title_id} {desc_id}");
    view! {
        <figure class="chart" id=id.clone()>
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {w} {h}") role="img" aria-labelledby=labelled class="hbars">
                <title id=title_id>{title.clone()}</title>
                <desc id=desc_id>{described}</desc>
                {rows}
                {empty}
            </svg>
            <table class="visually-hidden chart-data">
                <caption>{title}</caption>
                <thead><tr><th scope="col">"Client"</th><th scope="col">"Tokens"</th></tr></thead>
                <tbody>{body}</tbody>
            </table>
        </figure>
    }
}
