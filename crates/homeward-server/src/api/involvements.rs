//! Which agencies are involved with a child: listing, adding and ending
//! involvements; the adapter over `service::involvements`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::body;
use crate::http::shapes::InvolvementOut;
use crate::service::involvements;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use homeward_store::NewInvolvement;
use serde::Deserialize;
use utoipa::ToSchema;

/// A new involvement of an agency with the child.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvolvementIn {
    pub agency: String,
    /// placement, return_interview, school, health, cross_border
    pub relation: String,
    /// For a placement: its address (shown only to those allowed to see it).
    pub address: Option<String>,
    pub reason: Option<String>,
}

/// Which agencies are involved with the child, current and past. Their
/// involvement is what lets a placement, school, health provider,
/// return-interview service or another partnership see the record.
#[utoipa::path(get, path = "/api/v1/children/{id}/involvements", tag = "access",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<InvolvementOut>), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_involvements(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Vec<InvolvementOut>>, ApiError> {
    Ok(Json(involvements::list(&state, &caller, &id).await?))
}

/// Record that an agency is involved with the child (a placement, the
/// child's school, a referral to the return-interview service, a health
/// provider, another partnership's police or children's services).
#[utoipa::path(post, path = "/api/v1/children/{id}/involvements", tag = "access",
    params(("id" = String, Path)), request_body = NewInvolvementIn,
    responses((status = 201, body = InvolvementOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn add_involvement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<InvolvementOut>), ApiError> {
    let input: NewInvolvementIn = body(&bytes)?;
    let new = NewInvolvement { agency_id: input.agency, relation: input.relation, address: input.address, reason: input.reason };
    Ok((StatusCode::CREATED, Json(involvements::add(&state, &caller, &id, new).await?)))
}

/// End an involvement: from now on it no longer gives that agency access.
#[utoipa::path(post, path = "/api/v1/children/{id}/involvements/{involvement}/end", tag = "access",
    params(("id" = String, Path), ("involvement" = String, Path)),
    responses((status = 200, body = InvolvementOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn end_involvement(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, involvement)): Path<(String, String)>,
) -> Result<Json<InvolvementOut>, ApiError> {
    Ok(Json(involvements::end(&state, &caller, &id, &involvement).await?))
}
