//! The end-user sign-in page of a realm: a plain form posted to
//! `/realms/{realm}/login-actions/authenticate`, which continues the pending authorization
//! request `rid` once the user is signed in.

use crate::text::count;
use crate::{
    api::load_login,
    components::{flash::FieldError, CsrfField, PasswordField},
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The message for an `?error=` code set by the sign-in handler.
pub fn error_message(code: &str, retry: Option<i64>) -> String {
    match code {
        "wait" => format!("Please wait {} before trying again.", count(retry.unwrap_or(1), "second")),
        "locked" => format!(
            "Too many failed attempts. Sign-in is locked for {} more.",
            count((retry.unwrap_or(60) + 59) / 60, "minute")
        ),
        "csrf" => "Your sign-in form expired. Please try again.".into(),
        "expired" => "This sign-in request has expired. Go back to the application and start again.".into(),
        "forbidden" => "This account may not use the admin console.".into(),
        "internal" => "Sign-in is unavailable right now. Please try again.".into(),
        "temporary" => "Your password is temporary: choose a new one on your realm's sign-in page first \
                        (/realms/{realm}/login), then sign in here."
            .into(),
        "password-expired" => "Too much time passed since you signed in. Please sign in again.".into(),
        _ => "Invalid username or password.".into(),
    }
}

/// `/realms/:realm/login`.
#[component]
pub fn Login() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let realm = move || params.read().get("realm").unwrap_or_default();
    let rid = move || query.read().get("rid");
    let data = Resource::new(move || (realm(), rid()), |(realm, rid)| load_login(realm, rid));
    let error = move || {
        let q = query.read();
        q.get("error").map(|c| error_message(&c, q.get("retry").and_then(|r| r.parse().ok())))
    };
    view! {
        <main class="card narrow">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || data.get().map(|result| match result {
                    Ok(v) if v.update_password_for.is_some() => {
                        let code = query.read().get("error").unwrap_or_default();
                        view! { <UpdatePassword view=v realm=realm() rid=rid() code/> }.into_any()
                    }
                    Ok(v) if v.review_profile.is_some() => {
                        let code = query.read().get("error").unwrap_or_default();
                        view! { <ReviewProfile view=v realm=realm() code/> }.into_any()
                    }
                    Ok(v) => {
                        let action = format!("/realms/{}/login-actions/authenticate", realm());
                        view! {
                            <h1>"Sign in to " {v.realm_display.clone()}</h1>
                            {v.client_name.clone().map(|c| view! {
                                <p class="muted">"to continue to " <strong id="client-name">{c}</strong></p>
                            })}
                            {v.signed_in_as.clone().map(|u| view! {
                                <p class="notice" id="signed-in">"You are signed in as " <strong>{u}</strong> "."</p>
                            })}
                            {error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                            <form method="post" action=action class="stack">
                                <CsrfField token=v.csrf.clone()/>
                                {rid().map(|r| view! { <input type="hidden" name="rid" value=r/> })}
                                <label>
                                    "Username or email"
                                    <input
                                        name="username"
                                        autocomplete="username"
                                        value=v.login_hint.clone().unwrap_or_default()
                                        required
                                        autofocus
                                    />
                                </label>
                                <PasswordField autocomplete="current-password"/>
                                <button type="submit" id="sign-in">"Sign in"</button>
                            </form>
                            {(!v.providers.is_empty()).then(|| view! {
                                <nav class="stack" id="identity-providers" aria-label="Other ways to sign in">
                                    <p class="or-divider">"or"</p>
                                    // rel="external": a page load, never the router's client-side
                                    // navigation (the broker's redirect is no page of the app).
                                    {v.providers.iter().map(|p| view! {
                                        <a class="button secondary" id=format!("idp-{}", p.alias) href=p.href.clone() rel="external">
                                            {format!("Sign in with {}", p.display_name)}
                                        </a>
                                    }).collect_view()}
                                </nav>
                            })}
                        }
                        .into_any()
                    }
                    Err(e) => view! { <h1>"Sign-in unavailable"</h1><p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </main>
    }
}

/// The error of the update-password form: `(field, message)`.
fn update_error(code: &str, min: i64) -> Option<(&'static str, String)> {
    match code {
        "" => None,
        "password-blank" => Some(("password_new", "Enter a new password.".into())),
        "password-short" => {
            Some(("password_new", format!("The password must be at least {}.", count(min, "character"))))
        }
        "password-mismatch" => Some(("password_confirm", "The two passwords differ.".into())),
        other => Some(("", error_message(other, None))),
    }
}

/// After a temporary password: `New password`, `Confirm password`, `Save`, posted to
/// `/realms/{realm}/login-actions/update-password`; errors beside their field.
#[component]
fn UpdatePassword(view: crate::api::LoginView, realm: String, rid: Option<String>, code: String) -> impl IntoView {
    let action = format!("/realms/{realm}/login-actions/update-password");
    let error = update_error(&code, view.password_min_length);
    let beside = |field: &'static str| error.clone().filter(|(f, _)| *f == field).map(|(_, m)| m);
    let (new_error, confirm_error) = (beside("password_new"), beside("password_confirm"));
    let page_error = beside("");
    let invalid = |e: &Option<String>| e.is_some().then_some("true");
    view! {
        <h1>"Update password"</h1>
        <p>
            "Signed in as " <strong id="update-password-user">{view.update_password_for.clone()}</strong>
            ". Your password was set as temporary: choose a new one to continue."
        </p>
        {page_error.map(|m| view! { <p class="error" role="alert">{m}</p> })}
        <form method="post" action=action class="stack" aria-label="Update password">
            <CsrfField token=view.csrf.clone()/>
            {rid.map(|r| view! { <input type="hidden" name="rid" value=r/> })}
            <div class="field">
                <label for="password_new">"New password"</label>
                <input id="password_new" name="password_new" type="password" autocomplete="new-password" required autofocus
                    aria-describedby="password_new-hint password_new-error" aria-invalid=invalid(&new_error)/>
                <span class="hint" id="password_new-hint">
                    {format!("At least {}.", count(view.password_min_length, "character"))}
                </span>
                <FieldError field="password_new" message=new_error.clone()/>
            </div>
            <div class="field">
                <label for="password_confirm">"Confirm password"</label>
                <input id="password_confirm" name="password_confirm" type="password" autocomplete="new-password" required
                    aria-describedby="password_confirm-error" aria-invalid=invalid(&confirm_error)/>
                <FieldError field="password_confirm" message=confirm_error.clone()/>
            </div>
            <button type="submit" id="update-password">"Save"</button>
        </form>
    }
}

/// The review form's error: `(field, message)`.
fn review_error(code: &str) -> Option<(&'static str, String)> {
    let message = |m: &str| m.to_owned();
    match code {
        "" => None,
        "username-invalid" => Some(("username", message("Use 1–255 characters without spaces."))),
        "username-taken" => Some(("username", message("This username is taken: choose another."))),
        "email-missing" => Some(("email", message("Enter your email address."))),
        "email-invalid" => Some(("email", message("Enter an email address like name@example.com."))),
        "email-taken" => Some((
            "email",
            message("An account with this email address exists already: use another, or sign in to that account."),
        )),
        other => Some(("", error_message(other, None))),
    }
}

/// A first sign-in through an identity provider: `Username`, `Email`, `First name`, `Last
/// name` prefilled from the provider, `Continue`, posted to
/// `/realms/{realm}/login-actions/first-broker-login`; errors beside their field.
#[component]
fn ReviewProfile(view: crate::api::LoginView, realm: String, code: String) -> impl IntoView {
    let action = format!("/realms/{realm}/login-actions/first-broker-login");
    let Some(review) = view.review_profile.clone() else { return ().into_any() };
    let error = review_error(&code);
    let beside = |field: &'static str| error.clone().filter(|(f, _)| *f == field).map(|(_, m)| m);
    let page_error = beside("");
    let errorless = error.as_ref().is_none_or(|(field, _)| field.is_empty());
    let input = move |id: &'static str, label: &'static str, value: String, kind: &'static str, auto: &'static str| {
        let message = beside(id);
        let invalid = message.is_some().then_some("true");
        // The field to correct, else the first.
        let focus = message.is_some() || (errorless && id == "username");
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id name=id type=kind autocomplete=auto value=value required=matches!(id, "username" | "email")
                    aria-describedby=invalid.map(|_| format!("{id}-error")) aria-invalid=invalid autofocus=focus/>
                <FieldError field=id message/>
            </div>
        }
    };
    view! {
        <h1>"Review your profile"</h1>
        <p>
            "This is your first sign-in with " <strong id="review-provider">{review.provider.clone()}</strong>
            ". Check the details of your new " {view.realm_display.clone()} " account, then continue."
        </p>
        {page_error.map(|m| view! { <p class="error" role="alert">{m}</p> })}
        <form method="post" action=action class="stack" aria-label="Review your profile">
            <CsrfField token=view.csrf.clone()/>
            {input("username", "Username", review.username.clone(), "text", "username")}
            {input("email", "Email", review.email.clone(), "email", "email")}
            {input("first_name", "First name", review.first_name.clone(), "text", "given-name")}
            {input("last_name", "Last name", review.last_name.clone(), "text", "family-name")}
            <button type="submit" id="review-continue">"Continue"</button>
        </form>
    }
    .into_any()
}
