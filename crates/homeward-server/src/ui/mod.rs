//! The web pages practitioners use: plain HTML forms, no JavaScript.
//!
//! Every page is a rendering of what the JSON API returns for the same
//! person: the pages call the API's handlers with the caller, so the
//! access policy, its filters in the queries and the audit entry are the
//! same ones, and a page shows nothing the API would not. One audit entry
//! is written per page, as for an API request.
//!
//! Pages use the session cookie only. Every form carries the session's
//! CSRF token (`csrf_token`), checked by the same code as the API's
//! `X-CSRF-Token` header; the login form, made before there is a session,
//! carries a token that must match a cookie of its own.

mod admin;
mod episodes;
mod events;
mod fields;
mod login;
mod notification_form;
mod notifications;
mod pages;
mod placement;
mod profile;
mod protocols;
mod records;
mod report;
mod view;

use crate::AppState;
use crate::auth::{Caller, Via};
use crate::error::ApiError;
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::de::DeserializeOwned;

/// The pages' routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/", get(pages::home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", axum::routing::post(login::logout))
        .route("/me", get(pages::me))
        .route("/children/{id}", get(pages::child))
        .route("/children/{id}/episodes/{episode}", get(episodes::episode))
        .route("/children/{id}/episodes/{episode}/notification-form", get(notification_form::form))
        .route("/children/{id}/break-glass", get(pages::break_glass_form).post(pages::break_glass))
        .route("/report", get(report::search))
        .route("/report/new", get(report::new_form).post(report::create))
        .route("/children/{id}/record", get(events::choose))
        .route("/children/{id}/record/{kind}", get(events::form).post(events::record))
        .route("/children/{id}/events/{event}/print", get(records::print))
        .route("/children/{id}/duties/{duty}/done", axum::routing::post(pages::duty_done))
        .route("/children/{id}/duties/{duty}/considered", axum::routing::post(pages::prompt_considered))
        .route("/children/{id}/duties/{duty}/exception", get(pages::exception_form).post(pages::exception))
        .route("/placement", get(placement::children))
        .route("/children/{id}/placement/missing", get(placement::missing_form).post(placement::report_missing))
        .route("/children/{id}/placement/returned", get(placement::returned_form).post(placement::report_returned))
        .route("/notifications", get(notifications::inbox))
        .route("/notifications/{id}", get(notifications::notice))
        .route("/notifications/{id}/acknowledge", axum::routing::post(notifications::acknowledge))
        .route("/protocols", get(protocols::list))
        .route("/protocols/{id}", get(protocols::show))
        .route("/protocols/{id}/changes", get(protocols::changes))
        .route("/children/{id}/profile", get(profile::show))
        .route("/children/{id}/profile/change", get(profile::change_form).post(profile::change))
        .route("/children/{id}/profile/history", get(profile::history))
        .route("/children/{id}/profile/print", get(profile::print))
        .route("/children/{id}/photos", axum::routing::post(profile::upload))
        .route("/children/{id}/photos/new", get(profile::photo_form))
        .route("/children/{id}/photos/{photo}", get(profile::photo))
        .route("/children/{id}/associates/new", get(profile::associate_form).post(profile::link_associate))
        .route("/children/{id}/places/new", get(profile::place_form).post(profile::link_place))
        .route("/associates/{id}", get(profile::associate))
        .route("/places/{id}", get(profile::place))
        .route("/static/homeward.css", get(stylesheet))
        .merge(admin::routes())
}

async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], include_str!("../../static/homeward.css"))
        .into_response()
}

/// Who the header names, and the token its logout form carries.
pub struct Who {
    pub display_name: String,
    pub role: String,
    pub agency_name: String,
    pub csrf_token: String,
    /// The person works for a placement (a children's home, a foster
    /// agency): their header links to the children placed with them.
    pub placement: bool,
    /// The policy lets them administer accounts (the header links to them).
    pub administers: bool,
}

impl Who {
    fn of(caller: &Caller, administers: bool) -> Option<Who> {
        match &caller.via {
            Via::Session { csrf_token, .. } => Some(Who {
                display_name: caller.identity.user.display_name.clone(),
                role: caller.identity.user.role.replace('_', " "),
                agency_name: caller.identity.agency.name.clone(),
                csrf_token: csrf_token.clone(),
                placement: caller.identity.agency.kind == "placement",
                administers,
            }),
            _ => None,
        }
    }
}

/// Renders a page. Pages about children must not be kept by browsers or
/// proxies, nor framed, nor load anything from elsewhere.
fn page(template: &impl Template, status: StatusCode) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
            );
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "rendering a page");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    who: Option<Who>,
    title: String,
    message: String,
    rule: Option<String>,
    break_glass_for: Option<String>,
}

/// An API error as a page, with the same status and message.
pub(crate) fn error_page(error: ApiError, who: Option<Who>) -> Response {
    let title = match error.status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "You may not see this",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "There is a problem",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        s if s.is_server_error() => "Sorry, there is a problem with the service",
        _ => "There is a problem",
    };
    let body = error.body;
    page(&ErrorPage { who, title: title.to_string(), message: body.message, rule: body.rule, break_glass_for: None }, error.status)
}

/// The person looking at a page (logged in with a session). Anyone else
/// is sent to the login page, and comes back to the page afterwards. The
/// second field: whether the policy lets them administer accounts.
pub struct Viewer(pub Caller, pub bool);

impl Viewer {
    pub fn who(&self) -> Option<Who> {
        Who::of(&self.0, self.1)
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let wanted = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".to_string());
        match Caller::from_request_parts(parts, state).await {
            Ok(caller) if matches!(caller.via, Via::Session { .. }) => {
                let administers = crate::service::accounts::administers(state, &caller);
                Ok(Viewer(caller, administers))
            }
            Ok(_) => Err(error_page(
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", "the pages are for people logged in with a session; API tokens are for the API", None),
                None,
            )),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => {
                let next = if parts.method == axum::http::Method::GET { wanted } else { "/".to_string() };
                Err(see_other(&format!("/login?next={}", login::encode(&next))))
            }
            Err(e) => Err(error_page(e, None)),
        }
    }
}

/// A submitted form and the person who submitted it. The form's
/// `csrf_token` field is checked exactly as the API checks `X-CSRF-Token`:
/// without the session's token, nothing is done.
pub struct Submitted<T> {
    pub viewer: Viewer,
    pub form: T,
}

/// Largest form accepted (a break-glass reason, a login).
const FORM_LIMIT: usize = 64 * 1024;

impl<T: DeserializeOwned> FromRequest<AppState> for Submitted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| error_page(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "invalid", "the form is too large", None), None))?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let token = fields.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.clone()).unwrap_or_default();
        // The API's check reads the header; a form sends the token as a field.
        parts.headers.remove("x-csrf-token");
        if let Ok(v) = HeaderValue::from_str(&token) {
            parts.headers.insert("x-csrf-token", v);
        }
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            error_page(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("the form could not be read: {e}"), None), viewer.who())
        })?;
        Ok(Submitted { viewer, form })
    }
}
