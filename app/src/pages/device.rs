//! The device-verification page (RFC 8628 §3.3): enter the code shown on the device (or arrive
//! with it filled in), then — signed in — see which application asks for what, when and from
//! where, and approve or deny; a final screen sends the person back to the device.
//! Without JavaScript every step is a plain form; once hydrated the code field formats itself.

use crate::text::count;
use crate::{
    api::{load_device, DeviceConfirm},
    components::CsrfField,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The message for an `?error=` code.
pub fn error_message(code: &str, retry: Option<i64>) -> String {
    match code {
        "wait" => format!("Please wait {} before trying another code.", count(retry.unwrap_or(1), "second")),
        "locked" => {
            format!("Too many wrong codes. Try again in {}.", count((retry.unwrap_or(900) + 59) / 60, "minute"))
        }
        "csrf" => "The form expired. Please enter the code again.".into(),
        "expired" => "This request has expired or was already answered. Start again on your device.".into(),
        "internal" => "Something went wrong. Please try again.".into(),
        _ => "That code is not valid or has expired. Check the code shown on your device.".into(),
    }
}

/// Upper case, only the code's alphabet, with the dash after four characters.
fn format_code(input: &str) -> String {
    let raw: String =
        input.chars().filter(|c| c.is_ascii_alphabetic()).map(|c| c.to_ascii_uppercase()).take(8).collect();
    if raw.len() > 4 {
        format!("{}-{}", &raw[..4], &raw[4..])
    } else {
        raw
    }
}

/// `/realms/:realm/device`.
#[component]
pub fn Device() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let realm = move || params.read().get("realm").unwrap_or_default();
    let rid = move || query.read().get("rid");
    let data = Resource::new(move || (realm(), rid()), |(realm, rid)| load_device(realm, rid));
    view! {
        <main class="card narrow">
            {move || match query.read().get("done").as_deref() {
                Some("approved") => view! {
                    <h1 id="device-done">"Done — you can go back to your device"</h1>
                    <p class="muted">"The device is now signed in. You can close this window."</p>
                }.into_any(),
                Some(_) => view! {
                    <h1 id="device-done">"Request denied"</h1>
                    <p class="muted">"The device was not signed in. You can close this window."</p>
                }.into_any(),
                None => view! {
                    <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || data.get().map(|result| match result {
                            Ok(v) => match (rid(), v.confirm) {
                                (Some(rid), Some(c)) => view! { <Confirm realm=realm() rid=rid csrf=v.csrf confirm=c/> }.into_any(),
                                (Some(_), None) => view! {
                                    <h1>"This request has expired"</h1>
                                    <p class="error" role="alert">{error_message("expired", None)}</p>
                                }.into_any(),
                                (None, _) => view! { <EnterCode realm=realm() realm_display=v.realm_display csrf=v.csrf/> }.into_any(),
                            },
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        })}
                    </Suspense>
                }.into_any(),
            }}
        </main>
    }
}

#[component]
fn EnterCode(realm: String, realm_display: String, csrf: String) -> impl IntoView {
    let query = use_query_map();
    let (code, set_code) = signal(query.read_untracked().get("user_code").map(|c| format_code(&c)).unwrap_or_default());
    let error = move || {
        let q = query.read();
        q.get("error").map(|c| error_message(&c, q.get("retry").and_then(|r| r.parse().ok())))
    };
    view! {
        <h1>"Connect a device"</h1>
        <p class="muted">"Enter the code shown on your device to sign it in to " {realm_display} "."</p>
        {move || error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        <form method="post" action=format!("/realms/{realm}/login-actions/device") class="stack">
            <CsrfField token=csrf/>
            <label>
                "Code"
                <input
                    name="user_code"
                    id="user-code"
                    class="code"
                    autocomplete="one-time-code"
                    autocapitalize="characters"
                    spellcheck="false"
                    placeholder="XXXX-XXXX"
                    maxlength="20"
                    required
                    autofocus
                    value=code.get_untracked()
                    prop:value=code
                    on:input=move |ev| set_code.set(format_code(&event_target_value(&ev)))
                />
            </label>
            <button type="submit" id="submit-code">"Continue"</button>
        </form>
    }
}

#[component]
fn Confirm(realm: String, rid: String, csrf: String, confirm: DeviceConfirm) -> impl IntoView {
    view! {
        <h1><span id="client-name">{confirm.client_name}</span> " wants to sign in on a device"</h1>
        <p class="muted">
            "Signed in as " <strong>{confirm.username}</strong> ". The device running "
            <code>{confirm.client_id}</code> " asks to:"
        </p>
        <ul id="scopes" class="scopes">
            {confirm.scopes.into_iter().map(|s| {
                let name = s.name.clone();
                view! { <li data-scope=name><strong>{s.description}</strong> " " <code class="muted">{s.name}</code></li> }
            }).collect_view()}
        </ul>
        <p class="notice" id="request-origin">
            "Requested " <strong>{confirm.requested_at}</strong> " from " <strong>{confirm.requester_ip}</strong>
            ". Only approve if you started this on your own device just now."
        </p>
        <form method="post" action=format!("/realms/{realm}/login-actions/device-decision") class="row">
            <CsrfField token=csrf/>
            <input type="hidden" name="rid" value=rid/>
            <button type="submit" name="decision" value="deny" class="secondary" id="deny">"Deny"</button>
            <button type="submit" name="decision" value="approve" id="approve">"Approve"</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::format_code;

    #[test]
    fn codes_format_as_typed() {
        assert_eq!(format_code("bcdf"), "BCDF");
        assert_eq!(format_code("bcdfg"), "BCDF-G");
        assert_eq!(format_code("bcdf-ghjk"), "BCDF-GHJK");
        assert_eq!(format_code("BCDF GHJK XYZ"), "BCDF-GHJK");
    }
}
