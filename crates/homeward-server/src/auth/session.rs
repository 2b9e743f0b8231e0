//! Starting a session: a new token every time (no fixation), and the cookie
//! that carries it.

use super::{COOKIE, random_token, token_hash};
use crate::AppState;
use crate::error::ApiError;
use axum::http::{HeaderValue, StatusCode};

/// A session just started, and the cookie that carries it.
pub struct NewSession {
    pub cookie: HeaderValue,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// Starts a session for `identity` (always a new token: no fixation).
pub async fn start_session(state: &AppState, identity: &homeward_store::Identity, source: &str) -> Result<NewSession, ApiError> {
    let now = state.clock.now().as_second();
    let token = random_token();
    let csrf_token = random_token();
    let expires_at = now + state.auth.absolute_timeout;
    state.store.create_session(&token_hash(&token), &identity.user.id, &csrf_token, now, expires_at, Some(source)).await?;
    let secure = if state.auth.secure_cookie { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", state.auth.absolute_timeout);
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string(), None))?;
    Ok(NewSession { cookie, csrf_token, expires_at })
}

/// Ends the session cookie in the browser.
pub(crate) const CLEAR_COOKIE: &str = "homeward_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";
