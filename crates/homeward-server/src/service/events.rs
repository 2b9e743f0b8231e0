//! Recording an event about a child.

use crate::AppState;
use crate::access::{authorize, require};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::shapes::{DutyOut, RecordedOut};
use homeward_access::{Action, classify};
use homeward_store::RecordOptions;
use serde_json::Value;

/// Records `event` (the replay contract's shape) about `child_id`. Who may
/// record what follows the policy: the event's class (a return interview
/// only by those who may write one) and, when it carries a note or
/// details (the record's content), the note's class. The whole history is checked: a bad field is named and nothing is
/// written. A `prompt_considered` without `by` records the caller as the
/// one who decided.
pub async fn record(state: &AppState, caller: &Caller, child_id: &str, mut event: Value, options: RecordOptions) -> Result<RecordedOut, ApiError> {
    if event.get("type").and_then(Value::as_str) == Some("prompt_considered") && event.get("by").is_none() {
        if let Some(obj) = event.as_object_mut() {
            obj.insert("by".into(), Value::String(caller.identity.user.display_name.clone()));
        }
    }
    if event.get("child").is_some_and(|c| c.as_str() != Some(child_id)) {
        return Err(ApiError::invalid("child", "child: does not match the child in the path"));
    }
    let (event_type, kind) = event_vocabulary(&event)?;
    let granted = authorize(state, caller, child_id, Action::Write, classify::event_class(&event_type, kind.as_deref())).await?;
    if event.get("note").is_some() || event.get("details").is_some() {
        // The record's facts are already loaded: decide the note's class on them.
        require(state, caller, Action::Write, classify::note_class(&event_type, kind.as_deref()), &granted.facts)?;
    }
    let now = state.clock.now();
    let recorded = state.store.record_event(child_id, event, &caller.actor(), now, options).await?;
    Ok(RecordedOut {
        created: recorded.created,
        event: recorded.event.into(),
        duties: recorded.duties.into_iter().map(|d| DutyOut::from_record(d, now)).collect(),
    })
}

/// An event's `type` and `kind`, checked against the contract's lists
/// before anything is decided on them: the class of an event (and so who
/// may write it) depends on both, so an unknown or mis-spelt value is
/// refused with its field named, never filed under a default class.
fn event_vocabulary(event: &Value) -> Result<(String, Option<String>), ApiError> {
    let event_type = match event.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(_) => return Err(ApiError::invalid("type", "type: must be a string")),
        None => return Err(ApiError::invalid("type", "type: is required")),
    };
    let parsed = homeward_core::vocab::EventType::parse(&event_type).map_err(|m| ApiError::invalid("type", format!("type: {m}")))?;
    let kind = match event.get("kind") {
        None | Some(Value::Null) => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(ApiError::invalid("kind", "kind: must be a string")),
    };
    if let (Some(k), Some(accepted)) = (&kind, homeward_core::vocab::event_kinds(parsed)) {
        if !accepted.contains(&k.as_str()) {
            return Err(ApiError::invalid("kind", format!("kind: '{k}' is not a kind of {event_type} (expected one of: {})", accepted.join(", "))));
        }
    }
    Ok((event_type, kind))
}
