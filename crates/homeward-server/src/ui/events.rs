//! Recording what happened to a child, as forms: one page lists what can be
//! recorded, and one form per event type of the replay contract asks for
//! its fields in words. Every form is checked completely (each problem is
//! shown at once, linked to its field) and recorded through the same
//! service as the API, so the policy, the engine's checks and the audit
//! entry are the same; nothing is written on error.

use super::records::{self, Problem};
use super::view::{sentence, words};
use super::{Submitted, Viewer, Who, error_page, page, see_other};
use crate::AppState;
use crate::error::ApiError;
use crate::service;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use homeward_core::vocab;
use homeward_store::RecordOptions;
use jiff::Timestamp;
use serde_json::{Value, json};
use std::collections::HashMap;

/// What can be recorded: (event type, label, a line of help).
const KINDS: &[(&str, &str, &str)] = &[
    ("reported", "Reported missing, absent or away from placement", "starts an episode"),
    ("returned", "Found or returned", "ends the episode"),
    ("risk_graded", "Risk graded or regraded by the police", "high, medium, low or no apparent risk"),
    ("recategorised", "Category changed", "missing, absent, away from placement"),
    ("safe_and_well_check", "Safe and well check or prevention interview", "by the police or someone else"),
    ("return_interview", "Return interview", "held, declined, or no contact made"),
    ("strategy_meeting", "Strategy meeting or discussion", "held"),
    ("meeting", "Another meeting", "risk management, E-TAC, mapping and others"),
    ("notified", "Someone was told", "the role the protocol names"),
    ("assessment", "Assessment", "completed or updated"),
    ("plan_updated", "Plan", "created or updated"),
    ("significant_harm", "Significant harm identified", "in this episode"),
];

fn label_of(kind: &str) -> Option<&'static str> {
    KINDS.iter().find(|(k, _, _)| *k == kind).map(|(_, label, _)| *label)
}

struct Choice {
    kind: &'static str,
    label: &'static str,
    help: &'static str,
    /// `?episode=…` when the forms are about one episode; empty otherwise.
    query: String,
}

#[derive(Template)]
#[template(path = "events/choose.html")]
struct ChoosePage {
    who: Option<Who>,
    child: String,
    name: String,
    choices: Vec<Choice>,
}

/// A value offered by a radio group or a select.
struct Opt {
    value: String,
    label: String,
}

fn opts(values: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<Opt> {
    values.into_iter().map(|v| Opt { value: v.as_ref().to_string(), label: words(v.as_ref()) }).collect()
}

#[derive(Template)]
#[template(path = "events/record.html")]
struct RecordPage {
    who: Option<Who>,
    csrf_token: String,
    child: String,
    name: String,
    kind: String,
    title: String,
    /// The child's episodes, newest first: (id, label).
    episodes: Vec<Opt>,
    /// A report starts a new episode (its id is made here).
    new_episode: bool,
    episode_optional: bool,
    categories: Vec<Opt>,
    risks: Vec<Opt>,
    found_by: Vec<Opt>,
    check_by: Vec<Opt>,
    outcomes: Vec<Opt>,
    /// The kinds of meeting, assessment or plan, or the roles to tell.
    choices: Vec<Opt>,
    choice_label: String,
    choice_optional: bool,
    values: HashMap<String, String>,
    problems: Vec<Problem>,
    /// The record's details fields, for the types that carry them.
    details: &'static [records::Field],
    /// Input ids of the rows of an action plan, and of contact attempts.
    action_rows: Vec<String>,
    contact_rows: Vec<String>,
    /// A report's carers' checks: those of the protocol where the child lives.
    checks: Vec<homeward_core::protocol::CarerCheck>,
}

impl RecordPage {
    /// The value of the input `{prefix}-{part}`.
    fn part(&self, prefix: &str, part: &str) -> &str {
        self.value(&format!("{prefix}-{part}"))
    }

    /// Every problem with an input of a group (`offered_at`, `action`…).
    fn problems_in(&self, group: &str) -> Vec<&str> {
        self.problems
            .iter()
            .filter(|p| p.field == group || p.field.strip_prefix(group).is_some_and(|rest| rest.starts_with('-')))
            .map(|p| p.message.as_str())
            .collect()
    }

    fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// Whether the box of a carers' check is ticked.
    fn checked(&self, check: &str) -> bool {
        self.value(&format!("check-{check}")) == "done"
    }

    fn problem(&self, field: &str) -> Option<&str> {
        self.problems.iter().find(|p| p.field == field).map(|p| p.message.as_str())
    }

    /// Which fields the form has.
    fn has(&self, field: &str) -> bool {
        fields(&self.kind).contains(&field)
    }
}

/// The form's fields for an event type (besides when, the episode and a note).
fn fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "reported" => &["category", "risk"],
        "returned" => &["found_by", "location"],
        "risk_graded" => &["risk"],
        "recategorised" => &["category"],
        "safe_and_well_check" => &["check_by"],
        "return_interview" => &["outcome", "independent"],
        "strategy_meeting" | "meeting" | "assessment" | "plan_updated" | "notified" => &["choice"],
        _ => &[],
    }
}

/// Whether an event of this type belongs to one episode (else it may be about the child).
fn episode_required(kind: &str) -> bool {
    matches!(
        kind,
        "reported"
            | "returned"
            | "risk_graded"
            | "recategorised"
            | "safe_and_well_check"
            | "significant_harm"
            | "return_interview"
            | "strategy_meeting"
            | "notified"
    )
}

/// The page listing what can be recorded about a child.
pub async fn choose(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, RawQuery(query): RawQuery) -> Response {
    let episode = match episode_query(query.as_deref()) {
        Ok(e) => e,
        Err(e) => return error_page(e, viewer.who()),
    };
    match service::children::get(&state, &viewer.0, &id).await {
        Ok(child) => {
            // From an episode's page, the forms are about that episode (a report starts a new one).
            let about = |kind: &str| match &episode {
                Some(e) if kind != "reported" => format!("?episode={}", super::view::segment(e)),
                _ => String::new(),
            };
            let choices = KINDS.iter().map(|(kind, label, help)| Choice { kind, label, help, query: about(kind) }).collect();
            let name = format!("{} {}", child.given_name, child.family_name);
            page(&ChoosePage { who: viewer.who(), child: id, name, choices }, StatusCode::OK)
        }
        Err(e) => error_page(e, viewer.who()),
    }
}

/// Which episode a form is about, when it is opened from the episode's page.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EpisodeQuery {
    episode: Option<String>,
}

fn episode_query(query: Option<&str>) -> Result<Option<String>, ApiError> {
    let q = crate::http::Query::<EpisodeQuery>::parse(query.unwrap_or_default())?;
    Ok(crate::http::text(&q.params.episode))
}

/// The form for one event type, filled with now (and the episode, when
/// opened from its page: once recorded, the form goes back there).
pub async fn form(State(state): State<AppState>, viewer: Viewer, Path((id, kind)): Path<(String, String)>, RawQuery(query): RawQuery) -> Response {
    let episode = match episode_query(query.as_deref()) {
        Ok(e) => e,
        Err(e) => return error_page(e, viewer.who()),
    };
    let now = state.clock.now().to_zoned(homeward_core::calendar::london().clone());
    let mut values = HashMap::new();
    if let Some(e) = episode {
        values.insert("episode".to_string(), e.clone());
        values.insert("from_episode".to_string(), e);
    }
    values.insert("day".to_string(), now.day().to_string());
    values.insert("month".to_string(), now.month().to_string());
    values.insert("year".to_string(), now.year().to_string());
    values.insert("hour".to_string(), format!("{:02}", now.hour()));
    values.insert("minute".to_string(), format!("{:02}", now.minute()));
    render(&state, &viewer, &id, &kind, values, Vec::new(), StatusCode::OK).await
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    kind: &str,
    values: HashMap<String, String>,
    problems: Vec<Problem>,
    status: StatusCode,
) -> Response {
    let Some(title) = label_of(kind) else {
        return error_page(ApiError::not_found("form"), viewer.who());
    };
    let timeline = match service::children::timeline(state, &viewer.0, id).await {
        Ok(t) => t,
        Err(e) => return error_page(e, viewer.who()),
    };
    let episodes: Vec<Opt> = timeline
        .episodes
        .iter()
        .rev()
        .map(|e| {
            let back = e.returned_at.as_deref().map(|r| format!(", returned {}", super::view::local(r))).unwrap_or_else(|| ", still missing".to_string());
            Opt { value: e.episode.clone(), label: format!("Missing from {}{back}", super::view::local(&e.started_at)) }
        })
        .collect();
    let (choices, choice_label, choice_optional) = match kind {
        "strategy_meeting" => (opts(vocab::STRATEGY_MEETING_KINDS), "Kind of strategy meeting (if not the first)".to_string(), true),
        "meeting" => (opts(vocab::MEETING_KINDS), "Kind of meeting".to_string(), false),
        "assessment" => (opts(vocab::ASSESSMENT_KINDS), "Kind of assessment".to_string(), false),
        "plan_updated" => (opts(vocab::PLAN_KINDS), "Which plan".to_string(), false),
        "notified" => (roles(state, &timeline.child.responsible_authority, &timeline.child.living_in), "Who was told".to_string(), false),
        _ => (Vec::new(), String::new(), true),
    };
    let csrf_token = viewer.who().map(|w| w.csrf_token).unwrap_or_default();
    let p = RecordPage {
        who: viewer.who(),
        csrf_token,
        child: id.to_string(),
        name: format!("{} {}", timeline.child.given_name, timeline.child.family_name),
        kind: kind.to_string(),
        title: title.to_string(),
        episodes,
        new_episode: kind == "reported",
        episode_optional: !episode_required(kind),
        categories: opts(vocab::Category::ALL.iter().map(|c| c.as_str())),
        risks: opts(vocab::Risk::ALL.iter().filter(|r| **r != vocab::Risk::Ungraded).map(|r| r.as_str())),
        found_by: opts(vocab::FOUND_BY),
        check_by: opts(vocab::CHECK_BY),
        outcomes: opts(vocab::Outcome::ALL.iter().map(|o| o.as_str())),
        choices,
        choice_label,
        choice_optional,
        values,
        problems,
        details: records::fields(kind),
        action_rows: records::rows(records::ACTION_ROWS).into_iter().map(|n| format!("action-{n}")).collect(),
        contact_rows: records::rows(records::CONTACT_ROWS).into_iter().map(|n| format!("contact-{n}")).collect(),
        checks: if kind == "reported" { carers_checks(state, &timeline.child.living_in) } else { Vec::new() },
    };
    page(&p, status)
}

/// The checks the protocol where the child lives expects of carers before they report.
fn carers_checks(state: &AppState, living_in: &str) -> Vec<homeward_core::protocol::CarerCheck> {
    let today = homeward_core::calendar::local_date(state.clock.now());
    state.store.registry().in_force(living_in, today).map(|p| p.checks.clone()).unwrap_or_default()
}

/// The roles of the protocols that apply to the child, by name.
fn roles(state: &AppState, responsible: &str, living_in: &str) -> Vec<Opt> {
    let today = homeward_core::calendar::local_date(state.clock.now());
    let registry = state.store.registry();
    let mut out: Vec<Opt> = Vec::new();
    for authority in [living_in, responsible] {
        if let Some(p) = registry.in_force(authority, today) {
            for r in &p.roles {
                if !out.iter().any(|o| o.value == r.id) {
                    out.push(Opt { value: r.id.clone(), label: r.name.clone() });
                }
            }
        }
    }
    out
}

/// When the form says it happened, in London time; each unreadable part is a problem.
fn when(values: &HashMap<String, String>, problems: &mut Vec<Problem>) -> Option<Timestamp> {
    let number = |name: &str| values.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()).and_then(|v| v.parse::<i16>().ok());
    let (Some(day), Some(month), Some(year)) = (number("day"), number("month"), number("year")) else {
        problems.push(Problem { field: "day".into(), message: "Enter the date it happened, as day, month and year".into() });
        return None;
    };
    let (Some(hour), Some(minute)) = (number("hour"), number("minute")) else {
        problems.push(Problem { field: "hour".into(), message: "Enter the time it happened, as hour and minute (24-hour clock)".into() });
        return None;
    };
    let Ok(date) = jiff::civil::Date::new(year, month as i8, day as i8) else {
        problems.push(Problem { field: "day".into(), message: "The date must be a real date".into() });
        return None;
    };
    let Ok(time) = jiff::civil::Time::new(hour as i8, minute as i8, 0, 0) else {
        problems.push(Problem { field: "hour".into(), message: "The time must be a real time on the 24-hour clock".into() });
        return None;
    };
    match date.to_datetime(time).to_zoned(homeward_core::calendar::london().clone()) {
        Ok(z) => Some(z.timestamp()),
        Err(_) => {
            problems.push(Problem { field: "day".into(), message: "The date and time must be real".into() });
            None
        }
    }
}

/// The event the form describes, or every problem with it.
/// `checks`: the ids of the carers' checks the form asked (a report only).
fn event_of(kind: &str, values: &HashMap<String, String>, now: Timestamp, existing: &[String], checks: &[&str]) -> Result<Value, Vec<Problem>> {
    let mut problems = Vec::new();
    let text = |name: &str| values.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let at = when(values, &mut problems);
    if at.is_some_and(|t| t > now) {
        problems.push(Problem { field: "day".into(), message: "The time must not be in the future".into() });
    }
    let mut event = json!({"type": kind});
    if let Some(at) = at {
        event["at"] = json!(at.to_string());
    }
    if kind == "reported" {
        let mut n = existing.len() + 1;
        while existing.iter().any(|e| *e == format!("e{n}")) {
            n += 1;
        }
        event["episode"] = json!(format!("e{n}"));
    } else {
        match text("episode") {
            Some(e) if existing.contains(&e) => event["episode"] = json!(e),
            Some(_) => problems.push(Problem { field: "episode".into(), message: "Choose one of the child's episodes".into() }),
            None if episode_required(kind) => problems.push(Problem { field: "episode".into(), message: "Choose the episode this is about".into() }),
            None => {}
        }
    }
    fn require(text: Option<String>, field: &str, message: &str, problems: &mut Vec<Problem>) -> Option<String> {
        if text.is_none() {
            problems.push(Problem { field: field.into(), message: message.into() });
        }
        text
    }
    for f in fields(kind) {
        match *f {
            "category" => {
                if let Some(v) = require(text("category"), "category", "Choose whether the child is missing, absent or away from placement", &mut problems) {
                    event["category"] = json!(v);
                }
            }
            "risk" if kind == "reported" => {
                if let Some(v) = text("risk") {
                    event["risk"] = json!(v);
                }
            }
            "risk" => {
                if let Some(v) = require(text("risk"), "risk", "Choose the risk grade", &mut problems) {
                    event["risk"] = json!(v);
                }
            }
            "found_by" => {
                if let Some(v) = text("found_by") {
                    event["found_by"] = json!(v);
                }
            }
            "location" => {
                if let Some(v) = text("location") {
                    event["location"] = json!(v);
                }
            }
            "check_by" => {
                if let Some(v) = require(text("check_by"), "check_by", "Choose who did the check", &mut problems) {
                    event["by"] = json!(v);
                }
            }
            "outcome" => {
                if let Some(v) = require(text("outcome"), "outcome", "Choose what happened: held, declined or no contact", &mut problems) {
                    event["outcome"] = json!(v);
                }
            }
            "independent" => match text("independent").as_deref() {
                Some("yes") => event["independent"] = json!(true),
                Some("no") => event["independent"] = json!(false),
                _ => {}
            },
            "choice" => {
                let optional = kind == "strategy_meeting";
                let name = if kind == "notified" { "to" } else { "kind" };
                match text("choice") {
                    Some(v) => event[name] = json!(v),
                    None if !optional => problems.push(Problem { field: "choice".into(), message: "Choose one".into() }),
                    None => {}
                }
            }
            _ => {}
        }
    }
    if let Some(details) = records::details_of(kind, values, now, checks, &mut problems) {
        event["details"] = details;
    }
    if let Some(note) = text("note") {
        event["note"] = json!(note);
    }
    if problems.is_empty() { Ok(event) } else { Err(problems) }
}

/// The form's input that a field the service names belongs to.
fn input_for(field: &str) -> String {
    if let Some(input) = records::input_for(field) {
        return input;
    }
    let last = field.rsplit('.').next().unwrap_or(field);
    match last {
        "at" | "started_at" => "day".to_string(),
        "kind" | "to" => "choice".to_string(),
        "by" => "check_by".to_string(),
        other => other.to_string(),
    }
}

/// Records what the form describes, or shows it again with every problem.
pub async fn record(State(state): State<AppState>, Path((id, kind)): Path<(String, String)>, submitted: Submitted<HashMap<String, String>>) -> Response {
    let Submitted { viewer, form } = submitted;
    if label_of(&kind).is_none() {
        return error_page(ApiError::not_found("form"), viewer.who());
    }
    let (child, episodes) = match service::episodes::list(&state, &viewer.0, &id).await {
        Ok(found) => found,
        Err(e) => return error_page(e, viewer.who()),
    };
    let existing: Vec<String> = episodes.into_iter().map(|e| e.episode).collect();
    let checks = if kind == "reported" { carers_checks(&state, &child.living_in) } else { Vec::new() };
    let check_ids: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
    let event = match event_of(&kind, &form, state.clock.now(), &existing, &check_ids) {
        Ok(e) => e,
        Err(problems) => return render(&state, &viewer, &id, &kind, form, problems, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    // Back to the episode's page when the form was opened from it, else to the child's record.
    let episode = event.get("episode").and_then(Value::as_str).map(str::to_string);
    let from_episode = form.get("from_episode").is_some_and(|f| Some(f) == episode.as_ref());
    match service::events::record(&state, &viewer.0, &id, event, RecordOptions::default()).await {
        Ok(_) => match episode.filter(|_| from_episode) {
            Some(e) => see_other(&format!("/children/{}/episodes/{}?done=recorded", super::view::segment(&id), super::view::segment(&e))),
            None => see_other(&format!("/children/{id}")),
        },
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT => {
            let field = e.body.field.as_deref().map(input_for).unwrap_or_else(|| "day".to_string());
            let problems = vec![Problem { field, message: sentence(&e.body.message) }];
            render(&state, &viewer, &id, &kind, form, problems, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => error_page(e, viewer.who()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let now: Timestamp = "2026-12-07T12:00:00Z".parse().unwrap();
        let problems =
            event_of("returned", &form(&[("day", "31"), ("month", "2"), ("year", "2026"), ("hour", "10"), ("minute", "00")]), now, &["e1".into()], &[])
                .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["day", "episode"], "a date that does not exist, and no episode chosen");
    }

    #[test]
    fn a_report_starts_a_new_episode_in_london_time() {
        let now: Timestamp = "2026-07-07T12:00:00Z".parse().unwrap();
        let values = form(&[("day", "7"), ("month", "7"), ("year", "2026"), ("hour", "09"), ("minute", "30"), ("category", "missing"), ("risk", "high")]);
        let event = event_of("reported", &values, now, &["e1".into(), "e2".into()], &[]).unwrap();
        assert_eq!(event["episode"], "e3");
        assert_eq!(event["at"], "2026-07-07T08:30:00Z", "09:30 British Summer Time");
        assert_eq!(event["risk"], "high");
    }

    #[test]
    fn a_time_in_the_future_is_refused() {
        let now: Timestamp = "2026-12-07T12:00:00Z".parse().unwrap();
        let values = form(&[("day", "7"), ("month", "12"), ("year", "2026"), ("hour", "13"), ("minute", "00"), ("episode", "e1")]);
        let problems = event_of("significant_harm", &values, now, &["e1".into()], &[]).unwrap_err();
        assert_eq!(problems[0].field, "day");
    }
}
