//! Telling a child's managers that someone used break-glass access.

use crate::AppState;
use crate::error::ApiError;
use homeward_store::{AccessGrant, Child, Identity};

/// Writes the notices (delivered by the worker like every notification);
/// returns how many were written.
pub async fn tell_managers(state: &AppState, child: &Child, grant: &AccessGrant, who: &Identity) -> Result<usize, ApiError> {
    let name = format!("{} ({}, {})", who.user.display_name, who.user.role, who.agency.name);
    let list = state.store.notifier().on_break_glass(child, grant, &name);
    Ok(state.store.notify(&list, state.clock.now()).await?)
}
