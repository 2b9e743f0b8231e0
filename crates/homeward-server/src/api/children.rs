//! Children: the list, creating one (with the duplicate check), matches,
//! one child, and a child's timeline: the adapter over `service::children`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::{ChildOut, TimelineOut};
use crate::http::{self, Query, body};
use crate::service::children;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use homeward_store::NewChild;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// A new child. `status`, `flags` and authority ids use the replay contract's vocabulary.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChildIn {
    pub given_name: String,
    pub family_name: String,
    /// YYYY-MM-DD
    pub date_of_birth: String,
    /// looked_after, child_protection, child_in_need, early_help, not_known, care_leaver
    pub status: String,
    pub responsible_authority: String,
    /// Where the child lives or is placed; defaults to the responsible authority.
    pub living_in: Option<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    pub allocated_worker: Option<String>,
    pub team: Option<String>,
    pub photo_ref: Option<String>,
}

/// The children list's parameters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChildrenQuery {
    /// authority id
    pub authority: Option<String>,
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    #[param(value_type = Option<i64>)]
    pub offset: Option<String>,
}

/// Creating a child: whether a likely duplicate may be created anyway.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NewChildQuery {
    #[param(value_type = Option<bool>)]
    pub allow_duplicate: Option<String>,
}

/// What to match children on.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MatchQuery {
    #[param(value_type = String, required = true)]
    pub family_name: Option<String>,
    #[param(value_type = String, required = true)]
    pub date_of_birth: Option<String>,
    pub authority: Option<String>,
}

/// Children the caller may see, optionally in one authority (as responsible or host).
#[utoipa::path(get, path = "/api/v1/children", tag = "children",
    params(ChildrenQuery),
    responses((status = 200, body = Vec<ChildOut>), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_children(State(state): State<AppState>, caller: Caller, query: Query<ChildrenQuery>) -> Result<Json<Vec<ChildOut>>, ApiError> {
    caller.audit.set_record("children", &query.describe());
    let q = &query.params;
    let limit = http::int("limit", &q.limit, 1, 1000)?.unwrap_or(100);
    let offset = http::int("offset", &q.offset, 0, i64::MAX)?.unwrap_or(0);
    Ok(Json(children::list(&state, &caller, http::text(&q.authority), limit, offset).await?))
}

/// Create a child. A record with the same family name and date of birth in
/// the same authority is refused as a likely duplicate (409, naming the
/// matches) unless `allow_duplicate=true`.
#[utoipa::path(post, path = "/api/v1/children", tag = "children", request_body = NewChildIn,
    params(NewChildQuery),
    responses((status = 201, body = ChildOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create_child(
    State(state): State<AppState>,
    caller: Caller,
    query: Query<NewChildQuery>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<ChildOut>), ApiError> {
    let input: NewChildIn = body(&bytes)?;
    let allow_duplicate = http::flag("allow_duplicate", &query.params.allow_duplicate)?;
    Ok((StatusCode::CREATED, Json(children::create(&state, &caller, input.into(), allow_duplicate).await?)))
}

impl From<NewChildIn> for NewChild {
    fn from(input: NewChildIn) -> Self {
        NewChild {
            given_name: input.given_name,
            family_name: input.family_name,
            date_of_birth: input.date_of_birth,
            status: input.status,
            responsible_authority: input.responsible_authority,
            living_in: input.living_in,
            flags: input.flags,
            allocated_worker: input.allocated_worker,
            team: input.team,
            photo_ref: input.photo_ref,
        }
    }
}

/// Children matching a family name and date of birth, among those the
/// caller may see: check before creating.
#[utoipa::path(get, path = "/api/v1/children/matches", tag = "children",
    params(MatchQuery),
    responses((status = 200, body = Vec<ChildOut>), (status = 422, body = ErrorBody)))]
pub(crate) async fn match_children(State(state): State<AppState>, caller: Caller, query: Query<MatchQuery>) -> Result<Json<Vec<ChildOut>>, ApiError> {
    caller.audit.set_record("children", &query.describe());
    let q = &query.params;
    let family = http::text(&q.family_name).ok_or_else(|| ApiError::invalid("family_name", "family_name: is required"))?;
    let dob = http::text(&q.date_of_birth).ok_or_else(|| ApiError::invalid("date_of_birth", "date_of_birth: is required"))?;
    Ok(Json(children::matches(&state, &caller, &family, &dob, http::text(&q.authority).as_deref()).await?))
}

#[utoipa::path(get, path = "/api/v1/children/{id}", tag = "children",
    params(("id" = String, Path)),
    responses((status = 200, body = ChildOut), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_child(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<ChildOut>, ApiError> {
    Ok(Json(children::get(&state, &caller, &id).await?))
}

/// Everything about a child the caller may see: episodes, recorded events
/// with who recorded them, and every duty. `access` lists what the caller
/// may read and the rule that allows each; everything else is left out
/// (for example a return interview's content, for a placement).
#[utoipa::path(get, path = "/api/v1/children/{id}/timeline", tag = "children",
    params(("id" = String, Path)),
    responses((status = 200, body = TimelineOut), (status = 404, body = ErrorBody)))]
pub(crate) async fn child_timeline(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<TimelineOut>, ApiError> {
    Ok(Json(children::timeline(&state, &caller, &id).await?))
}
