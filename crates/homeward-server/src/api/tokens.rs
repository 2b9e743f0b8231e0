//! API tokens for machine clients: creating, listing and revoking the caller's own.

use crate::AppState;
use crate::auth::{Caller, TOKEN_PREFIX, Via, random_token, token_hash};
use crate::error::{ApiError, ErrorBody};
use crate::http::time;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenIn {
    /// What the token is for (e.g. "police list import").
    pub name: String,
    /// `read`, `write`.
    pub scopes: Vec<String>,
    /// Days until it expires; none: until revoked.
    pub expires_in_days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
    /// Only when created: the token itself. It is not stored and cannot be shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl TokenOut {
    fn from_row(t: homeward_store::TokenRow, token: Option<String>) -> Self {
        TokenOut {
            scopes: t.scope_list(),
            id: t.id,
            name: t.name,
            created_at: time(t.created_at),
            expires_at: t.expires_at.map(time),
            revoked_at: t.revoked_at.map(time),
            last_used_at: t.last_used_at.map(time),
            token,
        }
    }
}

/// Create an API token acting as the caller, for a machine client. Only a
/// logged-in person can create one (not another token).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "session", request_body = NewTokenIn,
    responses((status = 201, body = TokenOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(State(state): State<AppState>, caller: Caller, bytes: axum::body::Bytes) -> Result<(StatusCode, Json<TokenOut>), ApiError> {
    caller.audit.set_record("user", &caller.identity.user.id);
    if !matches!(caller.via, Via::Session { .. }) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "an API token cannot create tokens; log in", None));
    }
    let input: NewTokenIn = crate::http::body(&bytes)?;
    let now = state.clock.now().as_second();
    let expires_at = match input.expires_in_days {
        None => None,
        Some(d) if (1..=366).contains(&d) => Some(now + d * 86_400),
        Some(_) => return Err(ApiError::invalid("expires_in_days", "expires_in_days: must be from 1 to 366")),
    };
    let token = format!("{TOKEN_PREFIX}{}", random_token());
    let row = state.store.create_token(&token_hash(&token), &caller.identity.user.id, &input.name, &input.scopes, now, expires_at).await?;
    Ok((StatusCode::CREATED, Json(TokenOut::from_row(row, Some(token)))))
}

/// The caller's API tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "session", responses((status = 200, body = Vec<TokenOut>)))]
pub async fn list_tokens(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<TokenOut>>, ApiError> {
    caller.audit.set_record("user", &caller.identity.user.id);
    let rows = state.store.tokens_of(&caller.identity.user.id).await?;
    Ok(Json(rows.into_iter().map(|t| TokenOut::from_row(t, None)).collect()))
}

/// Revoke one of the caller's API tokens; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "session", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    caller.audit.set_record("api_token", &id);
    state.store.revoke_token(&id, &caller.identity.user.id, state.clock.now().as_second()).await?;
    Ok(StatusCode::NO_CONTENT)
}
