//! Recording an event about a child.

use crate::AppState;
use crate::access::{authorize, policy_at};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::{DutyOut, EventOut};
use crate::http::{self, Query, body};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use homeward_access::{Action, classify};
use homeward_store::RecordOptions;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct RecordedOut {
    pub event: EventOut,
    /// The child's open duties after this event.
    pub duties: Vec<DutyOut>,
    /// False when the idempotency key matched an earlier recording (nothing new was written).
    pub created: bool,
}

/// Recording an event: the earlier event it corrects, if any.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// The id of the event this one replaces.
    pub supersedes: Option<String>,
}

/// Record one event about a child, in the replay contract's shape (`type`,
/// `at`, `episode` and the type's fields; `child` is taken from the path).
/// The whole history is checked: a bad field is named and nothing is written.
/// An `Idempotency-Key` header makes a retry safe; `supersedes=<event id>`
/// records a correction that replaces an earlier event. Who may record
/// what follows the policy: a return interview only by those who may write
/// one, a note only by those who may write notes of its class.
#[utoipa::path(post, path = "/api/v1/children/{id}/events", tag = "events",
    params(("id" = String, Path), EventQuery, ("Idempotency-Key" = Option<String>, Header)),
    request_body(content = Object, description = "an event of the replay contract"),
    responses((status = 201, body = RecordedOut), (status = 200, body = RecordedOut, description = "the idempotency key matched an earlier recording"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn record_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: Query<EventQuery>,
    headers: axum::http::HeaderMap,
    bytes: Bytes,
) -> Result<(StatusCode, Json<RecordedOut>), ApiError> {
    let event: Value = body(&bytes)?;
    if event.get("child").is_some_and(|c| c.as_str() != Some(id.as_str())) {
        return Err(ApiError::invalid("child", "child: does not match the child in the path"));
    }
    let (event_type, kind) = event_vocabulary(&event)?;
    let granted = authorize(&state, &caller, &id, Action::Write, classify::event_class(&event_type, kind.as_deref())).await?;
    if event.get("note").is_some() {
        // The record's facts are already loaded: decide the note's class on them.
        let class = classify::note_class(&event_type, kind.as_deref());
        let decision = policy_at(&state, state.clock.now()).decide(&caller.principal, Action::Write, class, &granted.facts);
        if !decision.allowed {
            caller.audit.refused(class, &decision.rule);
            return Err(crate::access::forbidden(&decision, Action::Write, class));
        }
        caller.audit.add_class(class, &decision.rule);
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    let now = state.clock.now();
    let recorded = state.store.record_event(&id, event, &caller.actor(), now, RecordOptions { idempotency_key: key, supersedes: http::text(&query.params.supersedes) }).await?;
    let status = if recorded.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(RecordedOut {
        created: recorded.created,
        event: recorded.event.into(),
        duties: recorded.duties.into_iter().map(|d| DutyOut::from_record(d, now)).collect(),
    })))
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

