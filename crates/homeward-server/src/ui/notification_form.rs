//! `newham` Appendix D, the Strategic Missing Person Notification Form,
//! filled from the child's record for one episode and laid out to print on
//! A4. What Homeward does not hold (Azeus ID, practice leader, service
//! area, media) is left as a line to fill in by hand; what it holds but the
//! reader may not see is left out, as on every page.

use super::view::{local, words};
use super::{Viewer, Who, error_page, page};
use crate::AppState;
use crate::error::ApiError;
use crate::http::shapes::{EventOut, TimelineOut};
use crate::service;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use homeward_access::classify;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

/// One "Status of Notification" row: who, when the form says, and what the record shows.
struct StatusRow {
    who: &'static str,
    when: &'static str,
    /// The point in time the row is about (24 hours, 72 hours, 7 days after the child went missing).
    due: String,
    /// The notifications recorded to those people, in words; empty: none.
    recorded: Vec<String>,
}

/// A yes/no question of the form, answered from the record where it can be.
struct Answer {
    question: &'static str,
    /// "Yes, Tue 3 Mar 2026, 10:00", or None when the record has nothing.
    answer: Option<String>,
}

#[derive(Template)]
#[template(path = "print/newham_notification.html")]
struct NotificationForm {
    who: Option<Who>,
    child_id: String,
    episode: String,
    from_care: bool,
    social_worker: String,
    statuses: Vec<StatusRow>,
    name: String,
    date_of_birth: String,
    legal_status: String,
    address: Option<String>,
    went_missing: String,
    days_missing: String,
    still_missing: bool,
    circumstances: Option<String>,
    vulnerabilities: Vec<String>,
    strategy_meetings: Vec<String>,
    answers: Vec<Answer>,
    printed: String,
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, Path((id, episode)): Path<(String, String)>) -> Response {
    let who = viewer.who();
    match build(&state, &viewer, &id, &episode).await {
        Ok(f) => page(&NotificationForm { who, ..f }, StatusCode::OK),
        Err(e) if e.status == StatusCode::NOT_FOUND => super::pages::not_found(&state, &viewer, &id),
        Err(e) => error_page(e, who),
    }
}

/// Whether the form applies: the child's responsible authority follows `newham`.
pub fn applies(state: &AppState, responsible_authority: &str) -> bool {
    let today = homeward_core::calendar::local_date(state.clock.now());
    state.store.registry().in_force(responsible_authority, today).is_some_and(|p| p.id == "newham")
}

fn kind(e: &EventOut) -> Option<&str> {
    e.body.get("kind").and_then(Value::as_str)
}

fn to(e: &EventOut) -> Option<&str> {
    e.body.get("to").and_then(Value::as_str)
}

async fn build(state: &AppState, viewer: &Viewer, id: &str, episode: &str) -> Result<NotificationForm, ApiError> {
    let timeline: TimelineOut = service::children::timeline(state, &viewer.0, id).await?;
    let readable = |class: &str| timeline.access.iter().any(|a| a.class == class);
    if !applies(state, &timeline.child.responsible_authority) {
        return Err(ApiError::not_found("form"));
    }
    let Some(found) = timeline.episodes.iter().find(|e| e.episode == episode).filter(|_| readable(classify::MISSING_STATUS)) else {
        return Err(ApiError::not_found("episode"));
    };
    let started = found.started_at.parse::<Timestamp>().map_err(|_| ApiError::not_found("episode"))?;
    let ended = found.returned_at.as_deref().and_then(|r| r.parse::<Timestamp>().ok());
    let now = state.clock.now();
    let days = (ended.unwrap_or(now).as_second() - started.as_second()).max(0) / 86_400;
    let ours: Vec<&EventOut> = timeline.events.iter().filter(|e| e.episode.as_deref() == Some(episode)).collect();
    let notified = |roles: &[&str]| -> Vec<String> {
        ours.iter()
            .filter(|e| e.event_type == "notified" && to(e).is_some_and(|t| roles.contains(&t)))
            .map(|e| format!("{}: {}", words(to(e).unwrap_or_default()), local(&e.at)))
            .collect()
    };
    let after = |hours: i64| local(&started.checked_add(SignedDuration::from_hours(hours)).unwrap_or(started).to_string());
    let statuses = vec![
        StatusRow { who: "Head of Service", when: "24hrs after missing", due: after(24), recorded: notified(&["head_of_service", "head_of_service_si"]) },
        StatusRow { who: "Director of Operations", when: "72hrs after missing", due: after(72), recorded: notified(&["director_of_operations"]) },
        StatusRow { who: "Executive Director & Lead Member", when: "7days after missing", due: after(24 * 7), recorded: notified(&["dcs", "lead_member"]) },
    ];
    let first = |matches: &dyn Fn(&EventOut) -> bool, whole_record: bool| -> Option<String> {
        let pool: Vec<&EventOut> = if whole_record { timeline.events.iter().collect() } else { ours.clone() };
        pool.into_iter().filter(|e| matches(e)).map(|e| format!("Yes, {}", local(&e.at))).next_back()
    };
    let answers = vec![
        Answer { question: "Parents informed", answer: first(&|e| e.event_type == "notified" && to(e) == Some("parents"), false) },
        Answer {
            question: "Has the Exploitation Screening Tool been completed?",
            answer: first(&|e| e.event_type == "assessment" && kind(e) == Some("exploitation_screening"), true),
        },
        Answer { question: "Has the ETAC been completed?", answer: first(&|e| e.event_type == "meeting" && kind(e) == Some("e_tac"), true) },
        Answer {
            question: "Has the Trigger Plan been completed?",
            answer: first(&|e| e.event_type == "plan_updated" && kind(e) == Some("trigger_plan"), true),
        },
    ];
    // The profile: the legal status in detail, and whether a trigger plan is written.
    let profile = service::profiles::profile(state, &viewer.0, id).await?;
    let legal_status = match service::profiles::LEGAL_STATUSES.iter().find(|(k, _)| *k == profile.profile.legal_status) {
        Some((_, label)) if profile.profile.legal_status_detail.is_empty() => label.to_string(),
        Some((_, label)) => format!("{label}: {}", profile.profile.legal_status_detail),
        None => words(&timeline.child.status),
    };
    let plan_written = profile.plan_readable && !profile.profile.plan_when_missing.is_empty();
    let mut answers = answers;
    let trigger = answers.iter_mut().find(|a| a.question.starts_with("Has the Trigger Plan"));
    if let (Some(trigger), true, Some(version)) = (trigger, plan_written, &profile.version) {
        if trigger.answer.is_none() {
            let at = Timestamp::from_second(version.changed_at).map(|t| local(&t.to_string())).unwrap_or_default();
            trigger.answer = Some(format!("Yes: the trigger plan in the child's profile, last changed {at}"));
        }
    }
    let circumstances = ours.iter().find(|e| e.event_type == "reported").and_then(|e| e.body.get("note")).and_then(Value::as_str).map(str::to_string);
    let strategy_meetings = ours
        .iter()
        .filter(|e| e.event_type == "strategy_meeting")
        .map(|e| {
            let what = kind(e).map(|k| format!("{} strategy meeting", words(k))).unwrap_or_else(|| "Strategy meeting".to_string());
            let note = e.body.get("note").and_then(Value::as_str).map(|n| format!(": {n}")).unwrap_or_default();
            format!("{what}, {}{note}", local(&e.at))
        })
        .collect();
    let c = &timeline.child;
    Ok(NotificationForm {
        who: None,
        child_id: c.id.clone(),
        episode: episode.to_string(),
        from_care: c.status == "looked_after" || found.category.as_deref() == Some("away_from_placement"),
        social_worker: c.allocated_worker.clone().unwrap_or_default(),
        statuses,
        name: format!("{} {}", c.given_name, c.family_name),
        date_of_birth: c.date_of_birth.clone(),
        legal_status,
        address: c.placement_address.clone(),
        went_missing: local(&found.started_at),
        days_missing: match (days, ended.is_none()) {
            (1, true) => "1 day so far".to_string(),
            (d, true) => format!("{d} days so far"),
            (1, false) => "1 day".to_string(),
            (d, false) => format!("{d} days"),
        },
        still_missing: ended.is_none(),
        circumstances,
        vulnerabilities: c.flags.iter().map(|f| words(f)).collect(),
        strategy_meetings,
        answers,
        printed: local(&Timestamp::from_second(now.as_second()).unwrap_or(now).to_string()),
    })
}
