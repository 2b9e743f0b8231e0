//! Duties of the children the caller may see: the adapter over `service::duties`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::DutyOut;
use crate::http::{self, Query};
use crate::service::duties::Duties;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

/// The duty list's filters.
#[derive(Deserialize, IntoParams)]
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
    /// only prompts waiting to be considered (confirmed or dismissed with a prompt_considered event)
    #[param(value_type = Option<bool>)]
    pub to_consider: Option<String>,
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    #[param(value_type = Option<i64>)]
    pub offset: Option<String>,
}

impl DutyQuery {
    /// The filters, checked: a number or flag that is not one is named.
    pub fn parse(&self) -> Result<Duties, ApiError> {
        Ok(Duties {
            authority: http::text(&self.authority),
            by: http::text(&self.by),
            owner: http::text(&self.owner),
            team: http::text(&self.team),
            child: http::text(&self.child),
            kind: http::text(&self.kind),
            overdue: http::flag("overdue", &self.overdue)?,
            due_within_hours: http::int("due_within_hours", &self.due_within_hours, 0, 24 * 366)?,
            include_closed: http::flag("include_closed", &self.include_closed)?,
            to_consider: http::flag("to_consider", &self.to_consider)?,
            limit: http::int("limit", &self.limit, 1, 10_000)?,
            offset: http::int("offset", &self.offset, 0, i64::MAX)?.unwrap_or(0),
        })
    }
}

/// Duties of the children the caller may see, ordered by due time.
/// Filters: an authority (my authority), a responsible role (`by`: my role),
/// the episodes a worker owns (`owner`; `owner=me`: the caller's) or a team
/// owns (`team`), a child, a kind, only overdue, or due within the next N
/// hours; prompts are listed apart (`to_consider`).
#[utoipa::path(get, path = "/api/v1/duties", tag = "duties",
    params(DutyQuery),
    responses((status = 200, body = Vec<DutyOut>), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_duties(State(state): State<AppState>, caller: Caller, query: Query<DutyQuery>) -> Result<Json<Vec<DutyOut>>, ApiError> {
    caller.audit.set_record("duties", &query.describe());
    Ok(Json(crate::service::duties::list(&state, &caller, query.params.parse()?).await?))
}
