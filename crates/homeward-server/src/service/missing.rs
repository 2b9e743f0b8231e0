//! Children missing now.

use crate::AppState;
use crate::access::visibility;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::shapes::MissingOut;
use homeward_access::{Action, classify};

/// Children missing now, most recent first, among those whose episodes the
/// caller may see; optionally only those of one authority.
pub async fn list(state: &AppState, caller: &Caller, authority: Option<&str>) -> Result<Vec<MissingOut>, ApiError> {
    let now = state.clock.now();
    let visible = visibility(state, caller, Action::Read, classify::EPISODE);
    let rows = state.store.currently_missing(authority, Some(&visible)).await?;
    Ok(rows.into_iter().map(|m| MissingOut::from_row(m, now)).collect())
}
