//! Notifications about duties: listing, reading, acknowledging, and a
//! meeting's calendar invitation.

use crate::AppState;
use crate::access::{authorize, visibility};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::shapes::NotificationOut;
use homeward_access::{Action, classify};

/// Which notifications to list: every filter is optional.
#[derive(Debug, Default)]
pub struct Notifications {
    pub child: Option<String>,
    pub duty: Option<String>,
    pub authority: Option<String>,
    pub role: Option<String>,
    /// Only those still waiting for acknowledgement.
    pub waiting: bool,
    pub limit: Option<i64>,
}

/// Notifications about the children the caller may see whose content they
/// may read, newest first.
pub async fn list(state: &AppState, caller: &Caller, filter: Notifications) -> Result<Vec<NotificationOut>, ApiError> {
    let filter = homeward_store::NotificationFilter {
        child: filter.child,
        duty: filter.duty,
        authority: filter.authority,
        role: filter.role,
        waiting: filter.waiting,
        limit: filter.limit,
        visible: Some(visibility(state, caller, Action::Read, classify::NOTIFICATIONS)),
        break_glass_visible: Some(visibility(state, caller, Action::Read, classify::notification_class(classify::BREAK_GLASS_STAGE))),
    };
    let rows = state.store.notifications(&filter).await?;
    Ok(rows.into_iter().map(|n| NotificationOut::from_record(n, None)).collect())
}

/// One notification with every delivery attempt.
pub async fn get(state: &AppState, caller: &Caller, id: &str) -> Result<NotificationOut, ApiError> {
    let n = readable(state, caller, id).await?;
    let deliveries = state.store.deliveries(id).await?;
    Ok(NotificationOut::from_record(n, Some(deliveries)))
}

/// Acknowledges a notification (and every message about the same duty
/// stage), when the caller answers for the role it is addressed to or for
/// a role above it on its escalation chain.
pub async fn acknowledge(state: &AppState, caller: &Caller, id: &str) -> Result<NotificationOut, ApiError> {
    let n = readable(state, caller, id).await?;
    authorize(state, caller, &n.child_id, Action::Write, classify::NOTIFICATIONS).await?;
    crate::notify::addressee::may_acknowledge(state, caller, &n)?;
    let n = state.store.acknowledge(id, &caller.actor(), state.clock.now()).await?;
    let deliveries = state.store.deliveries(id).await?;
    Ok(NotificationOut::from_record(n, Some(deliveries)))
}

/// The iCalendar invitation offered with a meeting duty's notification.
pub async fn calendar(state: &AppState, caller: &Caller, id: &str) -> Result<String, ApiError> {
    let n = readable(state, caller, id).await?;
    n.calendar.ok_or_else(|| ApiError::not_found("calendar invitation (this notification is not about a meeting)"))
}

/// A notification the caller may read: its child is one they may see and
/// its content is of a class they may read (a break-glass notice is the
/// record's access log). Any refusal is answered as if it did not exist,
/// so that a real notification and a missing one look alike.
async fn readable(state: &AppState, caller: &Caller, id: &str) -> Result<homeward_store::NotificationRecord, ApiError> {
    let n = state.store.notification(id).await?.ok_or_else(|| ApiError::not_found("notification"))?;
    authorize(state, caller, &n.child_id, Action::Read, classify::notification_class(&n.stage)).await.map_err(|_| ApiError::not_found("notification"))?;
    caller.audit.set_record("notification", id);
    Ok(n)
}
