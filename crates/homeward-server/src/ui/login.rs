//! Logging in and out with the forms. The password check, throttling,
//! lockout and session are the API's own (`POST /api/v1/session`).

use super::view::sentence;
use super::{Submitted, Who, page, see_other};
use crate::AppState;
use crate::audit::AuditSlot;
use crate::auth::random_token;
use askama::Template;
use axum::body::Bytes;
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

fn login_page(state: &AppState, status: StatusCode, next: String, username: String, error: Option<String>, ended: bool) -> Response {
    let csrf_token = random_token();
    let mut response = page(
        &LoginPage { who: None, csrf_token: csrf_token.clone(), next, username, error, ended, providers: state.sso_providers() },
        status,
    );
    let secure = if state.auth.secure_cookie { "; Secure" } else { "" };
    let set = format!("{LOGIN_COOKIE}={csrf_token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}");
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
    login_page(&state, StatusCode::OK, safe_next(q.next.as_deref()), String::new(), None, q.ended.is_some())
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf_token: String,
    next: Option<String>,
}

pub async fn submit(State(state): State<AppState>, Extension(audit): Extension<AuditSlot>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let next = safe_next(form.next.as_deref());
    let expected = crate::auth::cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !crate::auth::same_secret(&form.csrf_token, &expected) {
        audit.set_action("login");
        audit.set_attempted_user(&form.username.trim().to_lowercase());
        let error = "The login form had expired. Enter your username and password again.".to_string();
        return login_page(&state, StatusCode::FORBIDDEN, next, form.username, Some(error), false);
    }
    let body = serde_json::json!({ "username": form.username, "password": form.password }).to_string();
    match crate::auth::routes::login(State(state.clone()), Extension(audit), Bytes::from(body)).await {
        Ok(api_response) => {
            let mut response = see_other(&next);
            if let Some(session) = api_response.headers().get(header::SET_COOKIE) {
                response.headers_mut().insert(header::SET_COOKIE, session.clone());
            }
            response
        }
        Err(e) => login_page(&state, e.status, next, form.username, Some(sentence(&e.body.message)), false),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[allow(dead_code)]
    csrf_token: String,
}

pub async fn logout(State(state): State<AppState>, submitted: Submitted<LogoutForm>) -> Response {
    let caller = submitted.viewer.0;
    match crate::auth::routes::logout(State(state), caller).await {
        Ok(api_response) => {
            let mut response = see_other("/login?ended=1");
            if let Some(clear) = api_response.headers().get(header::SET_COOKIE) {
                response.headers_mut().insert(header::SET_COOKIE, clear.clone());
            }
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
    fn next_is_encoded_for_the_query_string() {
        assert_eq!(encode("/children/a b?x=1&y"), "/children/a%20b%3Fx%3D1%26y");
    }
}
