//! Logging in and out with the forms. The password check, throttling,
//! lockout and session are the API's own (`POST /api/v1/session`).

use super::view::sentence;
use super::{Submitted, Who, page, see_other};
use crate::AppState;
use crate::audit::AuditSlot;
use crate::auth::random_token;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;

/// The login form's own CSRF cookie: there is no session yet to hold a
/// token, so the form's token must match this cookie instead.
const LOGIN_COOKIE: &str = "homeward_login";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    who: Option<Who>,
    csrf_token: String,
    next: String,
    username: String,
    error: Option<String>,
    ended: bool,
    providers: Vec<(String, String)>,
}

/// Percent-encodes a path for a query string.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where to go after logging in: a path on this site only, never elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.chars().any(char::is_control) => n.to_string(),
        _ => "/".to_string(),
    }
}

/// How long a login form may be used after it was shown.
pub const LOGIN_FORM_SECONDS: i64 = 20 * 60;

/// The secret that signs login-form tokens: made once per database, shared
/// by every instance.
async fn login_key(state: &AppState) -> Result<String, crate::error::ApiError> {
    let key = state.login_key.get_or_try_init(|| async { state.store.setting_or_init("login_form_key", &random_token()).await }).await?;
    Ok(key.clone())
}

fn mac(key: &str, issued: i64, nonce: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("login-form:{issued}.{nonce}").as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// A login-form token: when it was issued, a random part, and the server's
/// signature of both. Only this service can make one, and it expires.
fn login_token(key: &str, now: i64) -> String {
    let nonce = random_token();
    format!("{now}.{nonce}.{}", mac(key, now, &nonce))
}

/// Whether `token` is one this service made within the last
/// [`LOGIN_FORM_SECONDS`].
fn login_token_valid(key: &str, token: &str, now: i64) -> bool {
    let mut parts = token.splitn(3, '.');
    let (Some(issued), Some(nonce), Some(signature)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(issued) = issued.parse::<i64>() else {
        return false;
    };
    (now - LOGIN_FORM_SECONDS..=now).contains(&issued) && crate::auth::same_secret(signature, &mac(key, issued, nonce))
}

async fn login_page(state: &AppState, status: StatusCode, next: String, username: String, error: Option<String>, ended: bool) -> Response {
    let key = match login_key(state).await {
        Ok(k) => k,
        Err(e) => return super::error_page(e, None),
    };
    let csrf_token = login_token(&key, state.clock.now().as_second());
    let mut response = page(&LoginPage { who: None, csrf_token: csrf_token.clone(), next, username, error, ended, providers: state.sso_providers() }, status);
    let secure = if state.auth.secure_cookie { "; Secure" } else { "" };
    let set = format!("{LOGIN_COOKIE}={csrf_token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age={LOGIN_FORM_SECONDS}{secure}");
    if let Ok(v) = HeaderValue::from_str(&set) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    ended: Option<String>,
}

pub async fn form(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    login_page(&state, StatusCode::OK, safe_next(q.next.as_deref()), String::new(), None, q.ended.is_some()).await
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf_token: String,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    Extension(audit): Extension<AuditSlot>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        audit.set_action("login");
        let error = "Enter your username and password.".to_string();
        return login_page(&state, StatusCode::UNPROCESSABLE_ENTITY, "/".to_string(), String::new(), Some(error), false).await;
    };
    let next = safe_next(form.next.as_deref());
    let expected = crate::auth::cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    let key = match login_key(&state).await {
        Ok(k) => k,
        Err(e) => return super::error_page(e, None),
    };
    let genuine = !expected.is_empty()
        && crate::auth::same_secret(&form.csrf_token, &expected)
        && login_token_valid(&key, &form.csrf_token, state.clock.now().as_second());
    if !genuine {
        audit.set_action("login");
        audit.set_attempted_user(&form.username.trim().to_lowercase());
        let error = "The login form had expired. Enter your username and password again.".to_string();
        return login_page(&state, StatusCode::FORBIDDEN, next, form.username, Some(error), false).await;
    }
    match crate::service::sessions::log_in(&state, &audit, &form.username, form.password).await {
        Ok((_, session)) => {
            let mut response = see_other(&next);
            response.headers_mut().insert(header::SET_COOKIE, session.cookie);
            response
        }
        Err(e) => login_page(&state, e.status, next, form.username, Some(sentence(&e.body.message)), false).await,
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[allow(dead_code)]
    csrf_token: String,
}

pub async fn logout(State(state): State<AppState>, submitted: Submitted<LogoutForm>) -> Response {
    let caller = submitted.viewer.0;
    match crate::service::sessions::log_out(&state, &caller).await {
        Ok(()) => {
            let mut response = see_other("/login?ended=1");
            response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static(crate::auth::session::CLEAR_COOKIE));
            response
        }
        Err(e) => super::error_page(e, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_login_only_paths_on_this_site() {
        assert_eq!(safe_next(Some("/children/abc?x=1")), "/children/abc?x=1");
        for outside in ["https://evil.example/", "//evil.example/", "/\\evil.example", "evil", "/a\nb"] {
            assert_eq!(safe_next(Some(outside)), "/", "{outside:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn login_form_tokens_are_signed_and_expire() {
        let token = login_token("key", 1_000_000);
        assert!(login_token_valid("key", &token, 1_000_000));
        assert!(login_token_valid("key", &token, 1_000_000 + LOGIN_FORM_SECONDS));
        assert!(!login_token_valid("key", &token, 1_000_001 + LOGIN_FORM_SECONDS), "expired");
        assert!(!login_token_valid("another key", &token, 1_000_000), "made by another service");
        assert!(!login_token_valid("key", &random_token(), 1_000_000), "a bare random value");
        let forged = token.replacen("1000000", "1000500", 1);
        assert!(!login_token_valid("key", &forged, 1_000_600), "a changed issue time");
    }

    #[test]
    fn next_is_encoded_for_the_query_string() {
        assert_eq!(encode("/children/a b?x=1&y"), "/children/a%20b%3Fx%3D1%26y");
    }
}
