//! Duties of the children the caller may see.

use crate::AppState;
use crate::access::visibility;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::{self, Query};
use crate::http::shapes::DutyOut;
use axum::Json;
use axum::extract::State;
use homeward_access::{Action, classify};
use homeward_store::DutyFilter;
use serde::Deserialize;
use utoipa::IntoParams;

/// The duty list's filters.
#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DutyQuery {
    pub authority: Option<String>,
    /// the role that must act
    pub by: Option<String>,
    /// only episodes this worker owns; `me` is the caller
    pub owner: Option<String>,
    /// only episodes this team owns
    pub team: Option<String>,
    pub child: Option<String>,
    pub kind: Option<String>,
    #[param(value_type = Option<bool>)]
    pub overdue: Option<String>,
    #[param(value_type = Option<i64>)]
    pub due_within_hours: Option<String>,
    #[param(value_type = Option<bool>)]
    pub include_closed: Option<String>,
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    #[param(value_type = Option<i64>)]
    pub offset: Option<String>,
}

/// Duties of the children the caller may see, ordered by due time.
/// Filters: an authority (my authority), a responsible role (`by`: my role),
/// the episodes a worker owns (`owner`; `owner=me`: the caller's) or a team
/// owns (`team`), a child, a kind, only overdue, or due within the next N hours.
#[utoipa::path(get, path = "/api/v1/duties", tag = "duties",
    params(DutyQuery),
    responses((status = 200, body = Vec<DutyOut>), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_duties(State(state): State<AppState>, caller: Caller, query: Query<DutyQuery>) -> Result<Json<Vec<DutyOut>>, ApiError> {
    caller.audit.set_record("duties", &query.describe());
    let q = &query.params;
    if let Some(kind) = http::text(&q.kind) {
        homeward_core::vocab::DutyKind::parse(&kind).map_err(|m| ApiError::invalid("kind", format!("kind: {m}")))?;
    }
    let filter = DutyFilter {
        authority: http::text(&q.authority),
        child: http::text(&q.child),
        kind: http::text(&q.kind),
        by_role: http::text(&q.by),
        overdue: http::flag("overdue", &q.overdue)?,
        due_within_hours: http::int("due_within_hours", &q.due_within_hours, 0, 24 * 366)?,
        include_closed: http::flag("include_closed", &q.include_closed)?,
        owner: http::text(&q.owner).map(|o| if o == "me" { caller.identity.user.username.clone() } else { o }),
        team: http::text(&q.team),
        limit: Some(http::int("limit", &q.limit, 1, 10_000)?.unwrap_or(500)),
        offset: http::int("offset", &q.offset, 0, i64::MAX)?.unwrap_or(0),
        visible: Some(visibility(&state, &caller, Action::Read, classify::DUTIES)),
    };
    let now = state.clock.now();
    let rows = state.store.duties(&filter, now).await?;
    Ok(Json(rows.into_iter().map(|d| DutyOut::from_record(d, now)).collect()))
}

