//! Which agencies are involved with a child: their involvement is what lets
//! a placement, school, health provider, return-interview service or another
//! partnership see the record.

use crate::AppState;
use crate::access::{authorize, may_read};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::shapes::InvolvementOut;
use homeward_access::{Action, classify};
use homeward_store::NewInvolvement;

/// Every involvement with the child, current and past; a placement's address
/// only to those who may read it.
pub async fn list(state: &AppState, caller: &Caller, child_id: &str) -> Result<Vec<InvolvementOut>, ApiError> {
    let granted = authorize(state, caller, child_id, Action::Read, classify::INVOLVEMENT).await?;
    let show_address = may_read(state, caller, &granted.facts, classify::PLACEMENT_ADDRESS);
    let rows = state.store.involvements(child_id).await?;
    Ok(rows.into_iter().map(|i| InvolvementOut::from_row(i, show_address)).collect())
}

/// Records that an agency is involved with the child; giving an address
/// needs `write` on the placement address too.
pub async fn add(state: &AppState, caller: &Caller, child_id: &str, new: NewInvolvement) -> Result<InvolvementOut, ApiError> {
    let granted = authorize(state, caller, child_id, Action::Write, classify::INVOLVEMENT).await?;
    if new.address.is_some() {
        authorize(state, caller, child_id, Action::Write, classify::PLACEMENT_ADDRESS).await?;
    }
    let row = state.store.add_involvement(child_id, &new, &caller.identity.user.username, state.clock.now().as_second()).await?;
    let show_address = may_read(state, caller, &granted.facts, classify::PLACEMENT_ADDRESS);
    Ok(InvolvementOut::from_row(row, show_address))
}

/// Ends an involvement: from now on it no longer gives that agency access.
pub async fn end(state: &AppState, caller: &Caller, child_id: &str, involvement: &str) -> Result<InvolvementOut, ApiError> {
    let granted = authorize(state, caller, child_id, Action::Write, classify::INVOLVEMENT).await?;
    let row = state.store.end_involvement(child_id, involvement, &caller.identity.user.username, state.clock.now().as_second()).await?;
    let show_address = may_read(state, caller, &granted.facts, classify::PLACEMENT_ADDRESS);
    Ok(InvolvementOut::from_row(row, show_address))
}
