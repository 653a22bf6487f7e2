//! Signing Keys: the realm's keys per algorithm with their status (Active, Published, Retiring,
//! Retired), a `Rotate {alg}` button per algorithm, and the rotation settings
//! (`Rotation interval (days)`, `Publish delay (seconds)`, `Save`).

use crate::{
    admin::{console_signing_keys, Frame, SigningKeysView},
    components::{
        field::Field,
        form::{console_key, ConsoleForm},
        shell::{console_href, console_page, use_realm},
    },
    text,
};
use leptos::prelude::*;

/// The algorithms, in the order the page shows them.
const ALGS: [&str; 3] = ["ES256", "RS256", "EdDSA"];

/// `/admin/:realm/console/signing-keys`.
#[component]
pub fn SigningKeys() -> impl IntoView {
    let realm = use_realm();
    let key = console_key();
    let data = Resource::new(move || (realm(), key()), |(realm, _)| console_signing_keys(realm));
    console_page("Signing Keys", data, |frame, keys| {
        (vec![("Signing Keys".to_owned(), None)], view! { <KeyList frame keys/> })
    })
}

#[component]
fn KeyList(frame: Frame, keys: SigningKeysView) -> impl IntoView {
    let can = frame.can("manage-realm");
    let here = console_href(&frame.realm, "signing-keys");
    let delay = match keys.publish_delay {
        0 => " The publish delay is 0: a new key signs at once, and relying parties that cache the JWKS may \
              refuse its first tokens until they fetch it again."
            .to_owned(),
        s => format!(" The publish delay is {}.", text::duration(s)),
    };
    let rotate = can.then(|| {
        ALGS.iter()
            .map(|alg| {
                view! {
                    <ConsoleForm action=here.clone() csrf=frame.csrf.clone() class="inline">
                        <input type="hidden" name="op" value="rotate"/>
                        <input type="hidden" name="alg" value=*alg/>
                        <button type="submit">{format!("Rotate {alg}")}</button>
                    </ConsoleForm>
                }
            })
            .collect_view()
    });
    let now = keys.now;
    let rows = keys
        .keys
        .iter()
        .map(|k| {
            let signs_from = match k.status.as_str() {
                "Published" => text::utc(k.active_from),
                _ if k.active_from <= now => text::utc(k.active_from),
                _ => "—".to_owned(),
            };
            let retires = match (k.status.as_str(), k.retire_at) {
                ("Retired", Some(t)) => format!("retired {}", text::utc(t)),
                (_, Some(t)) => text::utc(t),
                (_, None) => "when replaced".to_owned(),
            };
            view! {
                <tr>
                    <th scope="row"><code>{k.kid.clone()}</code></th>
                    <td>{k.alg.clone()}</td>
                    <td class="status">{k.status.clone()}</td>
                    <td>{text::utc(k.created_at)}</td>
                    <td>{signs_from}</td>
                    <td>{retires}</td>
                </tr>
            }
        })
        .collect_view();
    let flash = frame.flash.clone();
    view! {
        <div class="page-head"><h1>"Signing Keys"</h1></div>
        <p class="muted">
            "Tokens are signed with the realm's Active key of their algorithm; relying parties check them against the "
            "published keys (the JWKS). " <strong>"Rotate"</strong> " publishes a new key now (Published) and switches "
            "signing to it after the publish delay, so relying parties that cache the JWKS have it before any token "
            "signed with it. The replaced key keeps verifying (Retiring) until every token it signed has expired, then "
            "leaves the JWKS (Retired)." {delay}
        </p>
        {rotate.map(|forms| view! { <div class="row" role="group" aria-label="Rotate">{forms}</div> })}
        <table class="list" id="signing-keys">
            <caption class="visually-hidden">"The realm's signing keys"</caption>
            <thead>
                <tr>
                    <th scope="col">"Key ID"</th>
                    <th scope="col">"Algorithm"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Signs from"</th>
                    <th scope="col">"Retires"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <h2>"Rotation"</h2>
        <ConsoleForm action=here.clone() csrf=frame.csrf.clone() class="stack form" label="Rotation settings">
            <input type="hidden" name="op" value="settings"/>
            <fieldset disabled=!can>
                <Field name="key_rotation_days" label="Rotation interval (days)" value=keys.rotation_days.to_string()
                    flash=flash.clone() kind="number" min="0"
                    hint="Keys rotate by themselves when the newest key of an algorithm is this many days old; 0: never."/>
                <Field name="key_publish_delay" label="Publish delay (seconds)" value=keys.publish_delay.to_string()
                    flash=flash.clone() kind="number" min="0"
                    hint=format!("How long a new key is published before it signs (now {}).", text::duration(keys.publish_delay))/>
            </fieldset>
            {can.then(|| view! { <div class="buttons"><button type="submit">"Save"</button></div> })}
        </ConsoleForm>
    }
    .into_any()
}
