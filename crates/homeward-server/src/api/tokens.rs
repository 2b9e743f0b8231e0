//! API tokens for machine clients: creating, listing and revoking the
//! caller's own; the adapter over `service::tokens`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::TokenOut;
use crate::service::tokens;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
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

/// Create an API token acting as the caller, for a machine client. Only a
/// logged-in person can create one (not another token).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "session", request_body = NewTokenIn,
    responses((status = 201, body = TokenOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(State(state): State<AppState>, caller: Caller, bytes: axum::body::Bytes) -> Result<(StatusCode, Json<TokenOut>), ApiError> {
    // Refused before the body is read, as the service would.
    tokens::may_create(&caller)?;
    let input: NewTokenIn = crate::http::body(&bytes)?;
    Ok((StatusCode::CREATED, Json(tokens::create(&state, &caller, &input.name, &input.scopes, input.expires_in_days).await?)))
}

/// The caller's API tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "session", responses((status = 200, body = Vec<TokenOut>)))]
pub async fn list_tokens(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<TokenOut>>, ApiError> {
    Ok(Json(tokens::list(&state, &caller).await?))
}

/// Revoke one of the caller's API tokens; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "session", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    tokens::revoke(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
