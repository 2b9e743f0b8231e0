//! Duties of the children the caller may see.

use crate::AppState;
use crate::access::visibility;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::shapes::DutyOut;
use homeward_access::{Action, classify};
use homeward_store::DutyFilter;

/// Which duties to list: every filter is optional.
#[derive(Debug, Default)]
pub struct Duties {
    pub authority: Option<String>,
    /// The role that must act.
    pub by: Option<String>,
    /// Only episodes this worker owns; `me` is the caller.
    pub owner: Option<String>,
    /// Only episodes this team owns.
    pub team: Option<String>,
    pub child: Option<String>,
    /// A duty kind of the contract's vocabulary.
    pub kind: Option<String>,
    pub overdue: bool,
    pub due_within_hours: Option<i64>,
    /// Include done, excepted and lapsed duties.
    pub include_closed: bool,
    /// Only prompts waiting to be considered (never listed among firm duties).
    pub to_consider: bool,
    /// At most this many (500 when not given).
    pub limit: Option<i64>,
    pub offset: i64,
}

/// The duties `filter` asks for, among those the caller may see, ordered by
/// due time; the policy's filter is applied in the query itself.
pub async fn list(state: &AppState, caller: &Caller, filter: Duties) -> Result<Vec<DutyOut>, ApiError> {
    if let Some(kind) = &filter.kind {
        homeward_core::vocab::DutyKind::parse(kind).map_err(|m| ApiError::invalid("kind", format!("kind: {m}")))?;
    }
    let filter = DutyFilter {
        authority: filter.authority,
        child: filter.child,
        kind: filter.kind,
        by_role: filter.by,
        overdue: filter.overdue,
        due_within_hours: filter.due_within_hours,
        include_closed: filter.include_closed,
        to_consider: filter.to_consider,
        owner: filter.owner.map(|o| if o == "me" { caller.identity.user.username.clone() } else { o }),
        team: filter.team,
        limit: Some(filter.limit.unwrap_or(500)),
        offset: filter.offset,
        visible: Some(visibility(state, caller, Action::Read, classify::DUTIES)),
    };
    let now = state.clock.now();
    let rows = state.store.duties(&filter, now).await?;
    Ok(rows.into_iter().map(|d| DutyOut::from_record(d, now)).collect())
}
