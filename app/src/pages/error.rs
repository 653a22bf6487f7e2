//! The error page for what cannot be redirected back to the application: an unknown client or
//! a redirect URI that is not registered (RFC 6749 §4.1.2.1). The server renders it directly.

use leptos::prelude::*;

/// The error card.
#[component]
pub fn ErrorCard(#[prop(into)] title: String, #[prop(into)] message: String) -> impl IntoView {
    view! {
        <main class="card narrow">
            <h1 id="error-title">{title}</h1>
            <p class="error" role="alert" id="error-message">{message}</p>
            <p class="muted">"Go back to the application and try again, or contact its administrator."</p>
        </main>
    }
}

/// A complete HTML document with the error card (no scripts: nothing to hydrate).
#[cfg(feature = "ssr")]
pub fn render_document(title: &str, message: &str) -> String {
    let (title, message) = (title.to_owned(), message.to_owned());
    let owner = Owner::new();
    let body = owner.with(|| view! { <ErrorCard title=title.clone() message=message/> }.to_html());
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">\
         <link rel=\"stylesheet\" href=\"/pkg/portcullis.css\"><title>{}</title></head><body>{body}</body></html>",
        html_escape(&title)
    )
}

#[cfg(feature = "ssr")]
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
