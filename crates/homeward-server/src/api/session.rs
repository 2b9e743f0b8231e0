//! Logging in and out, and who am I: the adapter over `service::sessions`.

use crate::AppState;
use crate::audit::AuditSlot;
use crate::auth::session::CLEAR_COOKIE;
use crate::auth::{Caller, Via};
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::SessionOut;
use crate::service::sessions::{self, session_out};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    pub username: String,
    pub password: String,
}

/// Log in with a username and password. Sets the session cookie (a new one
/// every time) and returns the CSRF token to send with changes.
/// Too many failures lock the username, and too many from one address
/// refuse that address, for a while.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginIn,
    responses((status = 201, body = SessionOut), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "too many logins at once; retry after the seconds in Retry-After")))]
pub async fn login(State(state): State<AppState>, Extension(audit): Extension<AuditSlot>, bytes: axum::body::Bytes) -> Result<Response, ApiError> {
    // Audited as a login even when the body cannot be read.
    audit.set_action("login");
    let input: LoginIn = crate::http::body(&bytes)?;
    let (body, session) = sessions::log_in(&state, &audit, &input.username, input.password).await?;
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session.cookie);
    Ok(response)
}

/// Who is logged in, with the policy rules that give them access.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = SessionOut), (status = 401, body = ErrorBody)))]
pub async fn whoami(State(state): State<AppState>, caller: Caller) -> Json<SessionOut> {
    caller.audit.set_record("user", &caller.identity.user.id);
    let (csrf, expires) = match &caller.via {
        Via::Session { csrf_token, expires_at, .. } => (Some(csrf_token.clone()), Some(*expires_at)),
        Via::Token { .. } | Via::Local => (None, None),
    };
    Json(session_out(&state, &caller.identity, csrf, expires))
}

/// Log out: the session ends at once.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    sessions::log_out(&state, &caller).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static(CLEAR_COOKIE));
    Ok(response)
}
