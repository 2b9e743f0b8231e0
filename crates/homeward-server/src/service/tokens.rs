//! API tokens for machine clients, acting as the person who made them.

use crate::AppState;
use crate::auth::{Caller, TOKEN_PREFIX, Via, random_token, token_hash};
use crate::error::ApiError;
use crate::http::shapes::TokenOut;
use axum::http::StatusCode;

/// Names the caller in the audit entry, and refuses anyone not logged in
/// with a session: a token cannot make another token.
pub fn may_create(caller: &Caller) -> Result<(), ApiError> {
    caller.audit.set_record("user", &caller.identity.user.id);
    if !matches!(caller.via, Via::Session { .. }) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "an API token cannot create tokens; log in", None));
    }
    Ok(())
}

/// Creates a token with `scopes`, expiring after `expires_in_days` (1 to
/// 366; none: until revoked). The token itself is in the answer only.
pub async fn create(state: &AppState, caller: &Caller, name: &str, scopes: &[String], expires_in_days: Option<i64>) -> Result<TokenOut, ApiError> {
    may_create(caller)?;
    let now = state.clock.now().as_second();
    let expires_at = match expires_in_days {
        None => None,
        Some(d) if (1..=366).contains(&d) => Some(now + d * 86_400),
        Some(_) => return Err(ApiError::invalid("expires_in_days", "expires_in_days: must be from 1 to 366")),
    };
    let token = format!("{TOKEN_PREFIX}{}", random_token());
    let row = state.store.create_token(&token_hash(&token), &caller.identity.user.id, name, scopes, now, expires_at).await?;
    Ok(TokenOut::from_row(row, Some(token)))
}

/// The caller's tokens (never the tokens themselves).
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<TokenOut>, ApiError> {
    caller.audit.set_record("user", &caller.identity.user.id);
    let rows = state.store.tokens_of(&caller.identity.user.id).await?;
    Ok(rows.into_iter().map(|t| TokenOut::from_row(t, None)).collect())
}

/// Revokes one of the caller's tokens; it stops working at once.
pub async fn revoke(state: &AppState, caller: &Caller, id: &str) -> Result<(), ApiError> {
    caller.audit.set_record("api_token", id);
    state.store.revoke_token(id, &caller.identity.user.id, state.clock.now().as_second()).await?;
    Ok(())
}
