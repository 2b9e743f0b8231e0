//! Which agencies are involved with a child: listing, adding and ending involvements.

use crate::AppState;
use crate::access::{authorize, may_read};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::{body, time};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use homeward_access::{Action, classify};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct InvolvementOut {
    pub id: String,
    pub child: String,
    pub agency: String,
    /// placement, return_interview, school, health, cross_border
    pub relation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub reason: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub recorded_by: String,
    pub ended_by: Option<String>,
}

impl InvolvementOut {
    fn from_row(i: homeward_store::Involvement, show_address: bool) -> Self {
        InvolvementOut {
            address: if show_address { i.address } else { None },
            started_at: time(i.started_at),
            ended_at: i.ended_at.map(time),
            id: i.id,
            child: i.child_id,
            agency: i.agency_id,
            relation: i.relation,
            reason: i.reason,
            recorded_by: i.recorded_by,
            ended_by: i.ended_by,
        }
    }
}

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
    let granted = authorize(&state, &caller, &id, Action::Read, classify::INVOLVEMENT).await?;
    let show_address = may_read(&state, &caller, &granted.facts, classify::PLACEMENT_ADDRESS);
    let rows = state.store.involvements(&id).await?;
    Ok(Json(rows.into_iter().map(|i| InvolvementOut::from_row(i, show_address)).collect()))
}

/// Record that an agency is involved with the child (a placement, the
/// child's school, a referral to the return-interview service, a health
/// provider, another partnership's police or children's services).
#[utoipa::path(post, path = "/api/v1/children/{id}/involvements", tag = "access",
    params(("id" = String, Path)), request_body = NewInvolvementIn,
    responses((status = 201, body = InvolvementOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn add_involvement(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, bytes: Bytes) -> Result<(StatusCode, Json<InvolvementOut>), ApiError> {
    let input: NewInvolvementIn = body(&bytes)?;
    let granted = authorize(&state, &caller, &id, Action::Write, classify::INVOLVEMENT).await?;
    if input.address.is_some() {
        authorize(&state, &caller, &id, Action::Write, classify::PLACEMENT_ADDRESS).await?;
    }
    let new = homeward_store::NewInvolvement { agency_id: input.agency, relation: input.relation, address: input.address, reason: input.reason };
    let row = state.store.add_involvement(&id, &new, &caller.identity.user.username, state.clock.now().as_second()).await?;
    let show_address = may_read(&state, &caller, &granted.facts, classify::PLACEMENT_ADDRESS);
    Ok((StatusCode::CREATED, Json(InvolvementOut::from_row(row, show_address))))
}

/// End an involvement: from now on it no longer gives that agency access.
#[utoipa::path(post, path = "/api/v1/children/{id}/involvements/{involvement}/end", tag = "access",
    params(("id" = String, Path), ("involvement" = String, Path)),
    responses((status = 200, body = InvolvementOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn end_involvement(State(state): State<AppState>, caller: Caller, Path((id, involvement)): Path<(String, String)>) -> Result<Json<InvolvementOut>, ApiError> {
    let granted = authorize(&state, &caller, &id, Action::Write, classify::INVOLVEMENT).await?;
    let row = state.store.end_involvement(&id, &involvement, &caller.identity.user.username, state.clock.now().as_second()).await?;
    let show_address = may_read(&state, &caller, &granted.facts, classify::PLACEMENT_ADDRESS);
    Ok(Json(InvolvementOut::from_row(row, show_address)))
}
