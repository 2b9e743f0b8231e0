//! Duties of the children the caller may see.

use crate::AppState;
use crate::access::visibility;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::Params;
use crate::http::shapes::DutyOut;
use axum::Json;
use axum::extract::{Query, State};
use homeward_access::{Action, classify};
use homeward_store::DutyFilter;
use std::collections::HashMap;

/// Duties of the children the caller may see, ordered by due time.
/// Filters: an authority (my authority), a responsible role (`by`: my role),
/// the episodes a worker owns (`owner`; `owner=me`: the caller's) or a team
/// owns (`team`), a child, a kind, only overdue, or due within the next N hours.
#[utoipa::path(get, path = "/api/v1/duties", tag = "duties",
    params(("authority" = Option<String>, Query), ("by" = Option<String>, Query, description = "the role that must act"),
           ("owner" = Option<String>, Query, description = "only episodes this worker owns; `me` is the caller"),
           ("team" = Option<String>, Query, description = "only episodes this team owns"), ("child" = Option<String>, Query),
           ("kind" = Option<String>, Query), ("overdue" = Option<bool>, Query), ("due_within_hours" = Option<i64>, Query),
           ("include_closed" = Option<bool>, Query), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = Vec<DutyOut>), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_duties(State(state): State<AppState>, caller: Caller, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<DutyOut>>, ApiError> {
    let q = Params(q);
    q.only(&["authority", "by", "owner", "team", "child", "kind", "overdue", "due_within_hours", "include_closed", "limit", "offset"])?;
    caller.audit.set_record("duties", &q.describe());
    if let Some(kind) = q.text("kind") {
        homeward_core::vocab::DutyKind::parse(&kind).map_err(|m| ApiError::invalid("kind", format!("kind: {m}")))?;
    }
    let filter = DutyFilter {
        authority: q.text("authority"),
        child: q.text("child"),
        kind: q.text("kind"),
        by_role: q.text("by"),
        overdue: q.flag("overdue")?,
        due_within_hours: q.int("due_within_hours", 0, 24 * 366)?,
        include_closed: q.flag("include_closed")?,
        owner: q.text("owner").map(|o| if o == "me" { caller.identity.user.username.clone() } else { o }),
        team: q.text("team"),
        limit: Some(q.int("limit", 1, 10_000)?.unwrap_or(500)),
        offset: q.int("offset", 0, i64::MAX)?.unwrap_or(0),
        visible: Some(visibility(&state, &caller, Action::Read, classify::DUTIES)),
    };
    let now = state.clock.now();
    let rows = state.store.duties(&filter, now).await?;
    Ok(Json(rows.into_iter().map(|d| DutyOut::from_record(d, now)).collect()))
}

