//! A child's missing episodes.

use crate::AppState;
use crate::access::{authorize, may_read};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::shapes::{ChildOut, EpisodeOut};
use homeward_access::{Action, classify};

/// One child's episodes, oldest first, when the caller may know that the
/// child went missing (category, risk and owner only to those who may read
/// the episode's details).
pub async fn list(state: &AppState, caller: &Caller, child_id: &str) -> Result<(ChildOut, Vec<EpisodeOut>), ApiError> {
    let granted = authorize(state, caller, child_id, Action::Read, classify::MISSING_STATUS).await?;
    let child: ChildOut = state.store.child(child_id).await?.ok_or_else(|| ApiError::not_found("child"))?.into();
    let details = may_read(state, caller, &granted.facts, classify::EPISODE);
    let episodes = state.store.episodes(child_id).await?.into_iter().map(|e| EpisodeOut::from_row(e, &child.responsible_authority, details)).collect();
    Ok((child, episodes))
}
