//! The notifications pages: the inbox (messages about the children the
//! viewer may see, waiting ones first) and one message with its duty, its
//! deliveries and an Acknowledge button. The link in every email and
//! webhook body opens the message's page.

use super::view::{local, words};
use super::{Submitted, Viewer, Who, error_page, page, see_other};
use crate::AppState;
use crate::access::visibility;
use crate::error::ApiError;
use crate::http::shapes::NotificationOut;
use crate::notify::addressee::{ADDRESSEE, answers_for};
use crate::service;
use crate::service::duties::Duties;
use crate::service::notifications::Notifications;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use homeward_access::{Action, classify};
use serde::Deserialize;
use std::collections::HashMap;

/// Most messages listed in the inbox.
const INBOX_ROWS: i64 = 200;

/// One message as the inbox and its page show it.
struct NoticeRow {
    id: String,
    subject: String,
    child: String,
    child_name: String,
    authority: String,
    /// The protocol role it is addressed to, by the protocol's name for it.
    role: String,
    /// The viewer answers for the role addressed (or one above it): theirs
    /// to acknowledge.
    for_viewer: bool,
    /// "Escalated to you from Social worker": None for a first message.
    escalation: Option<String>,
    sent: String,
    acknowledge_by: String,
    waiting: bool,
    /// "Waiting", "Acknowledged", "Closed: the duty was done or ended".
    state: String,
    /// Past its acknowledge-by time and still waiting.
    late: bool,
}

/// The protocol's name for `role` ("Team manager"); a role only the
/// directory names (an `escalate_to`) in words.
fn role_name(state: &AppState, protocol: &str, role: &str) -> String {
    state.store.registry().versions(protocol).filter_map(|p| p.role(role)).last().map(|r| r.name.clone()).unwrap_or_else(|| words(role))
}

fn state_words(settled: Option<&str>) -> String {
    match settled {
        None => "Waiting".to_string(),
        Some("acknowledged") => "Acknowledged".to_string(),
        Some("duty_closed") => "Closed: the duty was done or ended".to_string(),
        Some(other) => words(other),
    }
}

/// The names of `children` the viewer may know (identity class).
async fn names(state: &AppState, viewer: &Viewer, children: &[String]) -> Result<HashMap<String, String>, ApiError> {
    let mut ids = children.to_vec();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let filter = homeward_store::ChildFilter {
        limit: ids.len() as i64,
        ids,
        visible: Some(visibility(state, &viewer.0, Action::Read, classify::IDENTITY)),
        ..Default::default()
    };
    let rows = state.store.children(&filter).await?;
    Ok(rows.into_iter().map(|c| (c.id, format!("{} {}", c.given_name, c.family_name))).collect())
}

/// Rows for `notices`, naming the role each escalation came from.
async fn rows(state: &AppState, viewer: &Viewer, notices: &[NotificationOut]) -> Result<Vec<NoticeRow>, ApiError> {
    let children: Vec<String> = notices.iter().map(|n| n.child.clone()).collect();
    let names = names(state, viewer, &children).await?;
    let listed: HashMap<&str, &NotificationOut> = notices.iter().map(|n| (n.id.as_str(), n)).collect();
    let now = state.clock.now();
    let mut out = Vec::with_capacity(notices.len());
    for n in notices {
        let for_viewer = answers_for(state, &viewer.0, &n.protocol, &n.authority, &n.role);
        let escalation = match &n.escalation_of {
            Some(from) if n.level > 0 => {
                // The message it escalates is about the same child and stage.
                let below = match listed.get(from.as_str()) {
                    Some(m) => Some(m.role.clone()),
                    None => state.store.notification(from).await?.map(|m| m.role),
                };
                let below = below.map(|r| role_name(state, &n.protocol, &r)).unwrap_or_else(|| "the role below".to_string());
                let to = if for_viewer { "you".to_string() } else { role_name(state, &n.protocol, &n.role) };
                Some(format!("Escalated to {to} from {below} (level {})", n.level))
            }
            _ => None,
        };
        let waiting = n.settled.is_none();
        let late = waiting && n.acknowledge_by.parse::<jiff::Timestamp>().is_ok_and(|t| t < now);
        out.push(NoticeRow {
            id: n.id.clone(),
            subject: n.subject.clone(),
            child: n.child.clone(),
            child_name: names.get(&n.child).cloned().unwrap_or_else(|| "Child's record".to_string()),
            authority: n.authority.clone(),
            role: role_name(state, &n.protocol, &n.role),
            for_viewer,
            escalation,
            sent: local(&n.created_at),
            acknowledge_by: local(&n.acknowledge_by),
            waiting,
            state: state_words(n.settled.as_deref()),
            late,
        });
    }
    Ok(out)
}

// ------------------------------------------------------------ the inbox

#[derive(Template)]
#[template(path = "notifications/inbox.html")]
struct Inbox {
    who: Option<Who>,
    all: bool,
    notices: Vec<NoticeRow>,
}

/// `?show=all` for every message; anything else: only those waiting (an
/// odd query string is not worth an error page).
pub async fn inbox(State(state): State<AppState>, viewer: Viewer, RawQuery(query): RawQuery) -> Response {
    let all = query.is_some_and(|q| q.split('&').any(|pair| pair == "show=all"));
    let who = viewer.who();
    match inbox_rows(&state, &viewer, all).await {
        Ok(notices) => page(&Inbox { who, all, notices }, StatusCode::OK),
        Err(e) => error_page(e, who),
    }
}

async fn inbox_rows(state: &AppState, viewer: &Viewer, all: bool) -> Result<Vec<NoticeRow>, ApiError> {
    let caller = &viewer.0;
    let limit = Some(INBOX_ROWS);
    // Waiting first, the soonest to be acknowledged at the top; then (with
    // all) the rest, newest first.
    let mut notices = service::notifications::list(state, caller, Notifications { waiting: true, limit, ..Notifications::default() }).await?;
    notices.sort_by(|a, b| a.acknowledge_by.cmp(&b.acknowledge_by));
    if all {
        let rest = service::notifications::list(state, caller, Notifications { limit, ..Notifications::default() }).await?;
        notices.extend(rest.into_iter().filter(|n| n.settled.is_some()));
        notices.truncate(INBOX_ROWS as usize);
    }
    caller.audit.set_record("notifications", if all { "inbox, all" } else { "inbox, waiting" });
    rows(state, viewer, &notices).await
}

// ------------------------------------------------------------ one message

struct DutyView {
    what: String,
    by: String,
    due: String,
    state: String,
    cite: String,
    /// The protocol's words that create the duty.
    quote: Option<String>,
}

struct DeliveryRow {
    channel: String,
    target: String,
    round: i64,
    state: String,
    attempts: i64,
    sent_at: String,
    last_error: String,
}

#[derive(Template)]
#[template(path = "notifications/notice.html")]
struct NoticePage {
    who: Option<Who>,
    csrf_token: String,
    notice: NoticeRow,
    body: String,
    break_glass: bool,
    /// None when the viewer may not see the child's duties.
    duty: Option<DutyView>,
    deliveries: Vec<DeliveryRow>,
    acknowledged: Option<String>,
    /// The viewer tried to acknowledge it and may not (not the addressee).
    refused: bool,
}

pub async fn notice(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    match notice_page(&state, &viewer, &id, false).await {
        Ok(p) => page(&p, StatusCode::OK),
        Err(e) => error_page(e, viewer.who()),
    }
}

async fn notice_page(state: &AppState, viewer: &Viewer, id: &str, refused: bool) -> Result<NoticePage, ApiError> {
    let caller = &viewer.0;
    let n = service::notifications::get(state, caller, id).await?;
    let break_glass = n.stage == classify::BREAK_GLASS_STAGE;
    let duty = if break_glass { None } else { duty_view(state, viewer, &n).await? };
    let deliveries = n
        .deliveries
        .iter()
        .flatten()
        .map(|d| DeliveryRow {
            channel: words(&d.channel),
            target: d.target.clone(),
            round: d.round,
            state: words(&d.state),
            attempts: d.attempts,
            sent_at: d.sent_at.as_deref().map(local).unwrap_or_default(),
            last_error: d.last_error.clone().unwrap_or_default(),
        })
        .collect();
    let acknowledged = n.acknowledged_at.as_deref().map(|at| {
        let by = [n.acknowledged_by.clone(), n.acknowledged_agency.clone()].into_iter().flatten().collect::<Vec<_>>().join(", ");
        format!("Acknowledged by {by} on {}.", local(at))
    });
    let body = n.body.split("\nAcknowledge").next().unwrap_or(&n.body).trim_end().to_string();
    let notice = rows(state, viewer, std::slice::from_ref(&n)).await?.pop().expect("one row");
    // The page is about this notification, whatever else it looked up.
    caller.audit.set_record("notification", id);
    Ok(NoticePage {
        who: viewer.who(),
        csrf_token: viewer.who().map(|w| w.csrf_token).unwrap_or_default(),
        notice,
        body,
        break_glass,
        duty,
        deliveries,
        acknowledged,
        refused,
    })
}

/// The duty the message is about, with the protocol's words for it, when
/// the viewer may see the child's duties.
async fn duty_view(state: &AppState, viewer: &Viewer, n: &NotificationOut) -> Result<Option<DutyView>, ApiError> {
    let duties = service::duties::list(state, &viewer.0, Duties { child: Some(n.child.clone()), include_closed: true, ..Duties::default() }).await?;
    let Some(d) = duties.into_iter().find(|d| d.id == n.duty) else { return Ok(None) };
    let quote = state
        .store
        .registry()
        .versions(&d.protocol)
        .filter_map(|p| p.rules.iter().find(|r| r.id == d.rule && p.cite(&r.cite) == d.cite))
        .last()
        .map(|r| r.quote.clone());
    Ok(Some(DutyView { what: d.what, by: role_name(state, &d.protocol, &d.by), due: local(&d.due), state: d.state, cite: d.cite, quote }))
}

#[derive(Deserialize)]
pub struct AcknowledgeForm {
    #[allow(dead_code)]
    csrf_token: String,
}

pub async fn acknowledge(State(state): State<AppState>, Path(id): Path<String>, submitted: Submitted<AcknowledgeForm>) -> Response {
    let viewer = submitted.viewer;
    match service::notifications::acknowledge(&state, &viewer.0, &id).await {
        Ok(_) => see_other(&format!("/notifications/{id}")),
        // Not the addressee: the page again, saying why, with nothing settled.
        Err(e) if e.body.rule.as_deref() == Some(ADDRESSEE) => match notice_page(&state, &viewer, &id, true).await {
            Ok(p) => page(&p, StatusCode::FORBIDDEN),
            Err(e) => error_page(e, viewer.who()),
        },
        Err(e) => error_page(e, viewer.who()),
    }
}
