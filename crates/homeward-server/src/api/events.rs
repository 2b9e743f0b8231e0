//! Recording an event about a child: the adapter over `service::events`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::RecordedOut;
use crate::http::{self, Query, body};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use homeward_store::RecordOptions;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

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
/// one, a note or `details` (the record's content) only by those who may
/// write notes of its class. A
/// `prompt_considered` without `by` records the caller as the one who decided.
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
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    let options = RecordOptions { idempotency_key: key, supersedes: http::text(&query.params.supersedes) };
    let recorded = crate::service::events::record(&state, &caller, &id, event, options).await?;
    let status = if recorded.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(recorded)))
}
