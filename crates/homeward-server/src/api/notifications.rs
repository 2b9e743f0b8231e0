//! Notifications about duties: listing, reading, acknowledging, and a
//! meeting's calendar invitation; the adapter over `service::notifications`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::NotificationOut;
use crate::http::{self, Query};
use crate::service::notifications::{self, Notifications};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::IntoParams;

/// The notification list's filters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    pub child: Option<String>,
    pub duty: Option<String>,
    pub authority: Option<String>,
    pub role: Option<String>,
    #[param(value_type = Option<bool>)]
    pub waiting: Option<String>,
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
}

/// Notifications about the children the caller may see, newest first. Filters: a child, a duty, an authority, a
/// role, or only those still waiting for acknowledgement.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    params(NotificationQuery),
    responses((status = 200, body = Vec<NotificationOut>), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_notifications(
    State(state): State<AppState>,
    caller: Caller,
    query: Query<NotificationQuery>,
) -> Result<Json<Vec<NotificationOut>>, ApiError> {
    caller.audit.set_record("notifications", &query.describe());
    let q = &query.params;
    let filter = Notifications {
        child: http::text(&q.child),
        duty: http::text(&q.duty),
        authority: http::text(&q.authority),
        role: http::text(&q.role),
        waiting: http::flag("waiting", &q.waiting)?,
        limit: http::int("limit", &q.limit, 1, 5000)?,
    };
    Ok(Json(notifications::list(&state, &caller, filter).await?))
}

/// One notification with every delivery attempt stream.
#[utoipa::path(get, path = "/api/v1/notifications/{id}", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = NotificationOut), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_notification(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<NotificationOut>, ApiError> {
    Ok(Json(notifications::get(&state, &caller, &id).await?))
}

/// Acknowledge a notification: the caller has seen it and the duty is in
/// hand. Every message about the same duty stage (to colleagues, or escalated
/// to managers) is acknowledged with it, and escalation stops. Repeating it
/// changes nothing. Only those who answer for the role the message is
/// addressed to, or for a role above it on its escalation chain, may
/// acknowledge it (the policy roles' `answers_for`).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/acknowledge", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = NotificationOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn acknowledge_notification(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<NotificationOut>, ApiError> {
    Ok(Json(notifications::acknowledge(&state, &caller, &id).await?))
}

/// The iCalendar invitation offered with a meeting duty's notification.
#[utoipa::path(get, path = "/api/v1/notifications/{id}/calendar.ics", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = ErrorBody)))]
pub(crate) async fn notification_calendar(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let ics = notifications::calendar(&state, &caller, &id).await?;
    Ok(([("content-type", "text/calendar; charset=utf-8; method=PUBLISH"), ("content-disposition", "attachment; filename=\"meeting.ics\"")], ics)
        .into_response())
}
