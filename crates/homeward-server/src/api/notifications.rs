//! Notifications about duties: listing, reading, acknowledging, and a meeting's calendar invitation.

use crate::AppState;
use crate::access::{authorize, visibility};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::{self, Query, time};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use homeward_access::{Action, classify};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: String,
    /// 0 for the first sending, then 1, 2, … for each re-send.
    pub round: i64,
    /// `email` or `webhook`.
    pub channel: String,
    pub target: String,
    /// `pending`, `sent` or `failed` (given up after every retry).
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
}

impl From<homeward_store::DeliveryRecord> for DeliveryOut {
    fn from(d: homeward_store::DeliveryRecord) -> Self {
        DeliveryOut {
            id: d.id,
            round: d.round,
            channel: d.channel,
            target: d.target,
            state: d.state,
            attempts: d.attempts,
            next_attempt_at: time(d.next_attempt_at),
            last_error: d.last_error,
            sent_at: d.sent_at.map(time),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NotificationOut {
    pub id: String,
    pub duty: String,
    /// `triggered` or `overdue`.
    pub stage: String,
    pub child: String,
    pub authority: String,
    pub protocol: String,
    /// The protocol role told.
    pub role: String,
    /// 0 for the first message; 1 for its escalation to the role's manager, …
    pub level: i64,
    pub escalation_of: Option<String>,
    pub subject: String,
    pub body: String,
    pub has_calendar: bool,
    pub created_at: String,
    pub acknowledge_by: String,
    /// `acknowledged`, `duty_closed` (the duty was done or ended first), or null while waiting.
    pub settled: Option<String>,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_agency: Option<String>,
    pub escalated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<Vec<DeliveryOut>>,
}

impl NotificationOut {
    fn from_record(n: homeward_store::NotificationRecord, deliveries: Option<Vec<homeward_store::DeliveryRecord>>) -> Self {
        NotificationOut {
            id: n.id,
            duty: n.duty_id,
            stage: n.stage,
            child: n.child_id,
            authority: n.authority,
            protocol: n.protocol,
            role: n.role,
            level: n.level,
            escalation_of: n.escalation_of,
            subject: n.subject,
            body: n.body,
            has_calendar: n.calendar.is_some(),
            created_at: time(n.created_at),
            acknowledge_by: time(n.ack_due_at),
            settled: n.settled,
            acknowledged_at: n.acknowledged_at.map(time),
            acknowledged_by: n.acknowledged_by,
            acknowledged_agency: n.acknowledged_agency,
            escalated_at: n.escalated_at.map(time),
            deliveries: deliveries.map(|d| d.into_iter().map(DeliveryOut::from).collect()),
        }
    }
}

/// A notification the caller may read: its child is one they may see and
/// its content is of a class they may read (a break-glass notice is the
/// record's access log). Any refusal is answered as if it did not exist,
/// so that a real notification and a missing one look alike.
pub(crate) async fn notification_for(state: &AppState, caller: &Caller, id: &str) -> Result<homeward_store::NotificationRecord, ApiError> {
    let n = state.store.notification(id).await?.ok_or_else(|| ApiError::not_found("notification"))?;
    authorize(state, caller, &n.child_id, Action::Read, classify::notification_class(&n.stage)).await.map_err(|_| ApiError::not_found("notification"))?;
    caller.audit.set_record("notification", id);
    Ok(n)
}

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
pub(crate) async fn list_notifications(State(state): State<AppState>, caller: Caller, query: Query<NotificationQuery>) -> Result<Json<Vec<NotificationOut>>, ApiError> {
    caller.audit.set_record("notifications", &query.describe());
    let q = &query.params;
    let filter = homeward_store::NotificationFilter {
        child: http::text(&q.child),
        duty: http::text(&q.duty),
        authority: http::text(&q.authority),
        role: http::text(&q.role),
        waiting: http::flag("waiting", &q.waiting)?,
        limit: http::int("limit", &q.limit, 1, 5000)?,
        visible: Some(visibility(&state, &caller, Action::Read, classify::NOTIFICATIONS)),
        break_glass_visible: Some(visibility(&state, &caller, Action::Read, classify::notification_class(classify::BREAK_GLASS_STAGE))),
    };
    let rows = state.store.notifications(&filter).await?;
    Ok(Json(rows.into_iter().map(|n| NotificationOut::from_record(n, None)).collect()))
}

/// One notification with every delivery attempt stream.
#[utoipa::path(get, path = "/api/v1/notifications/{id}", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = NotificationOut), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_notification(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<NotificationOut>, ApiError> {
    let n = notification_for(&state, &caller, &id).await?;
    let deliveries = state.store.deliveries(&id).await?;
    Ok(Json(NotificationOut::from_record(n, Some(deliveries))))
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
    let n = notification_for(&state, &caller, &id).await?;
    authorize(&state, &caller, &n.child_id, Action::Write, classify::NOTIFICATIONS).await?;
    if !crate::notify::addressee::may_acknowledge(&state, &caller, &n) {
        caller.audit.refused(classify::NOTIFICATIONS, crate::notify::addressee::ADDRESSEE);
        let mut e = ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this message is addressed to the {} role of {}; only those who answer for that role, or for a role above it on its escalation chain, may acknowledge it", n.role, n.authority),
            None,
        );
        e.body.rule = Some(crate::notify::addressee::ADDRESSEE.to_string());
        return Err(e);
    }
    let n = state.store.acknowledge(&id, &caller.actor(), state.clock.now()).await?;
    let deliveries = state.store.deliveries(&id).await?;
    Ok(Json(NotificationOut::from_record(n, Some(deliveries))))
}

/// The iCalendar invitation offered with a meeting duty's notification.
#[utoipa::path(get, path = "/api/v1/notifications/{id}/calendar.ics", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = ErrorBody)))]
pub(crate) async fn notification_calendar(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let n = notification_for(&state, &caller, &id).await?;
    let ics = n.calendar.ok_or_else(|| ApiError::not_found("calendar invitation (this notification is not about a meeting)"))?;
    Ok(([("content-type", "text/calendar; charset=utf-8; method=PUBLISH"), ("content-disposition", "attachment; filename=\"meeting.ics\"")], ics).into_response())
}
