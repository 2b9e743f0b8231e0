//! A placement's own children: those placed with the caller's agency now,
//! each with the episode they are missing in, if any.

use crate::AppState;
use crate::access::visibility;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::shapes::{ChildOut, MissingOut};
use homeward_access::{Action, classify};
use homeward_store::ChildFilter;

/// Most children one placement lists.
const MOST: i64 = 500;

/// A child placed with the caller's agency, and their episode if they are missing now.
pub struct PlacedChild {
    pub child: ChildOut,
    pub missing: Option<MissingOut>,
}

/// The children placed with the caller's agency now, that the caller may
/// know (the policy's identity filter, in the query), by name; each with
/// the episode they are missing in, where the caller may see episodes.
pub async fn placed_children(state: &AppState, caller: &Caller) -> Result<Vec<PlacedChild>, ApiError> {
    let now = state.clock.now();
    let filter = ChildFilter {
        limit: MOST,
        placed_with: Some((caller.identity.agency.id.clone(), now.as_second())),
        visible: Some(visibility(state, caller, Action::Read, classify::IDENTITY)),
        ..Default::default()
    };
    let children = state.store.children(&filter).await?;
    let mut missing = crate::service::missing::list(state, caller, None).await?;
    Ok(children
        .into_iter()
        .map(|c| {
            let at = missing.iter().position(|m| m.child == c.id);
            PlacedChild { missing: at.map(|i| missing.swap_remove(i)), child: c.into() }
        })
        .collect())
}
