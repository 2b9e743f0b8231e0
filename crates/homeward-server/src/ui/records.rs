//! The records a return interview, a meeting or a safe and well check
//! carries beyond the engine's fields (the replay contract's `details`):
//! their form fields, what a form makes of them, how a page says them in
//! words, and the printable record of a return interview or a meeting.

use super::view::{local, words};
use super::{Viewer, Who, error_page, page};
use crate::AppState;
use crate::error::ApiError;
use crate::http::shapes::EventOut;
use crate::service;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// How a field is asked for on the form, and stored.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// One line of text.
    Line,
    /// A paragraph of text.
    Area,
    /// One item a line (a list of text).
    Lines,
    /// One of a few values.
    Radios(&'static [(&'static str, &'static str)]),
    /// Yes or no (or not recorded).
    YesNo,
    /// A date and a time (London time), stored as an RFC 3339 instant.
    Instant,
    /// A date.
    Date,
    /// Rows of action, owner and due date.
    Actions,
    /// Rows of when, how and the outcome of an attempt to reach the child.
    Contacts,
    /// One person a line: "name, role or agency".
    Attendees,
    /// A person to contact: a name and a phone number.
    Contact,
    /// The carers' checks of the protocol where the child lives (`[[check]]`):
    /// whether they were asked, then a box for each one done.
    Checks,
}

/// One field of the details of a record.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub input: Input,
}

impl Field {
    /// The kind of input, as the template tells them apart.
    pub fn kind(&self) -> &'static str {
        match self.input {
            Input::Line => "line",
            Input::Area => "area",
            Input::Lines => "lines",
            Input::Radios(_) => "radios",
            Input::YesNo => "yes_no",
            Input::Instant => "instant",
            Input::Date => "date",
            Input::Actions => "actions",
            Input::Contacts => "contacts",
            Input::Attendees => "attendees",
            Input::Contact => "contact",
            Input::Checks => "checks",
        }
    }

    /// The answers of radios: (value, label).
    pub fn options(&self) -> &'static [(&'static str, &'static str)] {
        match self.input {
            Input::Radios(o) => o,
            Input::YesNo => &[("yes", "Yes"), ("no", "No")],
            _ => &[],
        }
    }

    /// The prefix of the ids of this field's inputs (a table's rows are `action-1`, …).
    pub fn group(&self) -> &'static str {
        match self.input {
            Input::Actions => "action",
            Input::Contacts => "contact",
            _ => self.name,
        }
    }
}

const fn f(name: &'static str, label: &'static str, hint: &'static str, input: Input) -> Field {
    Field { name, label, hint, input }
}

/// Rows of an action plan on a form (blank rows are ignored).
pub const ACTION_ROWS: usize = 5;
/// Rows of contact attempts on a form.
pub const CONTACT_ROWS: usize = 3;

const MODES: &[(&str, &str)] = &[("in_person", "In person"), ("video", "By video call"), ("telephone", "By telephone")];
const SECTION_47: &[(&str, &str)] = &[("yes", "Yes"), ("no", "No"), ("not_considered", "Not considered")];

/// The return interview record: the bolton template's and `bnes` §6.10–§6.16 questions.
const RETURN_INTERVIEW: &[Field] = &[
    f("offered_at", "When the interview was offered", "London time, 24-hour clock.", Input::Instant),
    f("not_offered_reason", "Reason the interview was not offered", "", Input::Area),
    f("interviewer", "Name of worker completing the interview", "", Input::Line),
    f("interviewer_agency", "Agency", "", Input::Line),
    f("mode", "How the interview was held", "", Input::Radios(MODES)),
    f("venue", "Venue", "For example a neutral setting, home, school or a community setting.", Input::Line),
    f("contact_attempts", "Contacts with the child", "Date and time of each contact, the method (phone, visit…) and the outcome.", Input::Contacts),
    f("parental_consent", "Parental consent obtained", "", Input::YesNo),
    f("declined_reason", "Reason the child declined", "", Input::Area),
    f("reason_not_within_72_hours", "Reason for non-completion within 72 hours", "", Input::Area),
    f(
        "childs_account",
        "The child's account",
        "What happened before, while and after they were missing; where they went and who they were with; how they kept safe.",
        Input::Area,
    ),
    f("push_factors", "Push factors", "One a line: what made the child want to leave.", Input::Lines),
    f("pull_factors", "Pull factors", "One a line: what drew the child away.", Input::Lines),
    f("concerns", "Concerns", "", Input::Area),
    f("strengths", "Strengths", "", Input::Area),
    f(
        "actions",
        "Actions taken following the return interview",
        "Each row: the action, who will do it, and by when. Leave rows you do not need blank.",
        Input::Actions,
    ),
    f("safety_plan", "Safety plan", "", Input::Area),
    f("sent_to_local_authority_at", "When the record was sent to the local authority", "London time, 24-hour clock.", Input::Instant),
];

/// A strategy or other meeting's record.
const MEETING: &[Field] = &[
    f("chair", "Chair", "", Input::Line),
    f("attendees", "Attendees", "One a line: the name, a comma, then their role or agency. For example: Jo Bloggs, Police.", Input::Attendees),
    f("child_voice", "The child's voice, wishes and feelings", "", Input::Area),
    f("section_47", "Section 47 enquiries required", "", Input::Radios(SECTION_47)),
    f("decisions", "Decisions", "", Input::Area),
    f("actions", "Action plan", "Each row: the action, who will do it, and by when. Leave rows you do not need blank.", Input::Actions),
    f("next_review", "Next review", "For example, 27 3 2026.", Input::Date),
    f("record_shared_with", "Record shared with", "One a line.", Input::Lines),
];

/// A safe and well check or prevention interview.
const CHECK: &[Field] = &[
    f("by_name", "Name of the person who did the check", "", Input::Line),
    f("by_agency", "Their agency", "", Input::Line),
    f("rationale", "Rationale for a check not done by the police", "", Input::Area),
    f("presentation", "How the child presented", "Demeanour, physical state, clothing.", Input::Area),
    f("disclosures_of_harm", "Disclosures or signs of harm, and by whom", "", Input::Area),
    f("where_and_with_whom", "Where the child was and with whom", "", Input::Area),
    f("psr_submitted", "Police Safeguarding Referral submitted", "", Input::YesNo),
];

/// A report: what a placement's notification (`bolton` Figure 1) gives
/// beyond the engine's fields, and the carers' checks of the protocol.
const REPORT: &[Field] = &[
    f("police_reference", "Police reference", "The incident or log number the police gave.", Input::Line),
    f("intent", "What the child may mean to do, and where they are likely to head", "If known.", Input::Area),
    f("nominated_contact", "Who to contact to discuss the child", "For example the carer or the manager on duty.", Input::Contact),
    f(
        "carers_checks",
        "Checks the parent or carer made before reporting",
        "What the protocol expects of whoever cares for the child before calling the police.",
        Input::Checks,
    ),
];

/// A return (`bolton` Figure 3).
const RETURN: &[Field] = &[
    f("returned_directly", "Came straight back (not found somewhere else)", "", Input::YesNo),
    f("alterations_in_care", "What the carers have changed to make another episode less likely", "", Input::Area),
];

/// The details fields of an event type's form (none for other types).
pub fn fields(kind: &str) -> &'static [Field] {
    match kind {
        "return_interview" => RETURN_INTERVIEW,
        "strategy_meeting" | "meeting" => MEETING,
        "safe_and_well_check" => CHECK,
        "reported" => REPORT,
        "returned" => RETURN,
        _ => &[],
    }
}

/// A problem with one input of the form: its id and what is wrong.
#[derive(Debug)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem { field: field.into(), message: message.into() }
}

/// A date (and a time, when `with_time`) from inputs `{prefix}-day`, …;
/// `None` when every part is blank.
fn date_time(
    values: &HashMap<String, String>,
    prefix: &str,
    with_time: bool,
    what: &str,
    problems: &mut Vec<Problem>,
) -> Option<(Date, Option<jiff::civil::Time>)> {
    let part = |p: &str| values.get(&format!("{prefix}-{p}")).map(|v| v.trim().to_string()).unwrap_or_default();
    let parts: Vec<String> = if with_time {
        ["day", "month", "year", "hour", "minute"].iter().map(|p| part(p)).collect()
    } else {
        ["day", "month", "year"].iter().map(|p| part(p)).collect()
    };
    if parts.iter().all(String::is_empty) {
        return None;
    }
    let n = |i: usize| parts[i].parse::<i16>().ok();
    let id = format!("{prefix}-day");
    let (Some(day), Some(month), Some(year)) = (n(0), n(1), n(2)) else {
        problems.push(problem(id, format!("{what} must include a day, month and year")));
        return None;
    };
    let Ok(date) = Date::new(year, month as i8, day as i8) else {
        problems.push(problem(id, format!("{what} must be a real date")));
        return None;
    };
    if !with_time {
        return Some((date, None));
    }
    let (Some(hour), Some(minute)) = (n(3), n(4)) else {
        problems.push(problem(format!("{prefix}-hour"), format!("{what} must include a time, as hour and minute (24-hour clock)")));
        return None;
    };
    match jiff::civil::Time::new(hour as i8, minute as i8, 0, 0) {
        Ok(t) => Some((date, Some(t))),
        Err(_) => {
            problems.push(problem(format!("{prefix}-hour"), format!("{what} must be a real time on the 24-hour clock")));
            None
        }
    }
}

fn instant(values: &HashMap<String, String>, prefix: &str, what: &str, now: Timestamp, problems: &mut Vec<Problem>) -> Option<String> {
    let (date, time) = date_time(values, prefix, true, what, problems)?;
    match date.to_datetime(time.unwrap_or_default()).to_zoned(homeward_core::calendar::london().clone()) {
        Ok(z) if z.timestamp() > now => {
            problems.push(problem(format!("{prefix}-day"), format!("{what} must not be in the future")));
            None
        }
        Ok(z) => Some(z.timestamp().to_string()),
        Err(_) => {
            problems.push(problem(format!("{prefix}-day"), format!("{what} must be a real date and time")));
            None
        }
    }
}

/// The `details` a form describes for an event type (`None` when nothing
/// was filled in), or adds every problem with it to `problems`. `checks`:
/// the ids of the carers' checks the form asked (see [`Input::Checks`]).
pub fn details_of(kind: &str, values: &HashMap<String, String>, now: Timestamp, checks: &[&str], problems: &mut Vec<Problem>) -> Option<Value> {
    let text = |name: &str| values.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let lines = |name: &str| -> Vec<String> {
        text(name).map(|t| t.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()).unwrap_or_default()
    };
    let mut out = Map::new();
    for field in fields(kind) {
        let name = field.name;
        let value = match field.input {
            Input::Line | Input::Area => text(name).map(Value::String),
            Input::Lines => Some(lines(name)).filter(|l| !l.is_empty()).map(|l| json!(l)),
            Input::Radios(options) => match text(name) {
                Some(v) if options.iter().any(|(o, _)| *o == v) => Some(json!(v)),
                Some(_) => {
                    problems.push(problem(name, format!("Choose one of the answers for “{}”", field.label)));
                    None
                }
                None => None,
            },
            Input::YesNo => match text(name).as_deref() {
                Some("yes") => Some(json!(true)),
                Some("no") => Some(json!(false)),
                _ => None,
            },
            Input::Instant => instant(values, name, field.label, now, problems).map(Value::String),
            Input::Date => date_time(values, name, false, field.label, problems).map(|(d, _)| json!(d.to_string())),
            Input::Attendees => {
                let people: Vec<Value> = lines(name)
                    .into_iter()
                    .map(|l| match l.split_once(',') {
                        Some((n, r)) if !r.trim().is_empty() => json!({"name": n.trim(), "role_or_agency": r.trim()}),
                        Some((n, _)) => json!({"name": n.trim()}),
                        None => json!({"name": l}),
                    })
                    .collect();
                if people.iter().any(|p| p["name"].as_str().is_some_and(str::is_empty)) {
                    problems.push(problem(name, "Each attendee needs a name before the comma"));
                }
                Some(people).filter(|p| !p.is_empty()).map(Value::Array)
            }
            Input::Actions => {
                let mut rows = Vec::new();
                for n in 1..=ACTION_ROWS {
                    let id = format!("action-{n}");
                    let action = text(&id);
                    let owner = text(&format!("{id}-owner"));
                    let due = date_time(values, &format!("{id}-due"), false, &format!("The due date of action {n}"), problems);
                    if action.is_none() && owner.is_none() && due.is_none() && !has_parts(values, &format!("{id}-due")) {
                        continue;
                    }
                    let Some(action) = action else {
                        problems.push(problem(id, format!("Enter what action {n} is, or clear its row")));
                        continue;
                    };
                    let mut row = json!({"action": action});
                    if let Some(o) = owner {
                        row["owner"] = json!(o);
                    }
                    if let Some((d, _)) = due {
                        row["due"] = json!(d.to_string());
                    }
                    rows.push(row);
                }
                Some(rows).filter(|r| !r.is_empty()).map(Value::Array)
            }
            Input::Contact => {
                let (who, phone) = (text(&format!("{name}-name")), text(&format!("{name}-phone")));
                match (who, phone) {
                    (None, None) => None,
                    (None, Some(_)) => {
                        problems.push(problem(format!("{name}-name"), format!("Enter the name for “{}”, or clear the phone number", field.label)));
                        None
                    }
                    (Some(who), phone) => Some(match phone {
                        Some(p) => json!({"name": who, "phone": p}),
                        None => json!({"name": who}),
                    }),
                }
            }
            Input::Checks => match text(&format!("{name}-asked")).as_deref() {
                Some("yes") if !checks.is_empty() => {
                    Some(Value::Array(checks.iter().map(|c| json!({"check": c, "done": text(&format!("check-{c}")).as_deref() == Some("done")})).collect()))
                }
                _ => None,
            },
            Input::Contacts => {
                let mut rows = Vec::new();
                for n in 1..=CONTACT_ROWS {
                    let id = format!("contact-{n}");
                    let method = text(&format!("{id}-method"));
                    let outcome = text(&format!("{id}-outcome"));
                    let at = instant(values, &id, &format!("Contact {n}"), now, problems);
                    if method.is_none() && outcome.is_none() && at.is_none() && !has_parts(values, &id) {
                        continue;
                    }
                    if at.is_none() && !has_parts(values, &id) {
                        problems.push(problem(format!("{id}-day"), format!("Enter when contact {n} was, or clear its row")));
                    }
                    let Some(method) = method else {
                        problems.push(problem(format!("{id}-method"), format!("Enter how contact {n} was made (phone, visit…), or clear its row")));
                        continue;
                    };
                    let Some(at) = at else { continue };
                    let mut row = json!({"at": at, "method": method});
                    if let Some(o) = outcome {
                        row["outcome"] = json!(o);
                    }
                    rows.push(row);
                }
                Some(rows).filter(|r| !r.is_empty()).map(Value::Array)
            }
        };
        if let Some(v) = value {
            out.insert(name.to_string(), v);
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// Whether any part of the date inputs `{prefix}-…` was filled in.
fn has_parts(values: &HashMap<String, String>, prefix: &str) -> bool {
    ["day", "month", "year", "hour", "minute"].iter().any(|p| values.get(&format!("{prefix}-{p}")).is_some_and(|v| !v.trim().is_empty()))
}

/// The form's input a field the service names (`details.actions[1].due`) belongs to.
pub fn input_for(path: &str) -> Option<String> {
    let rest = path.strip_prefix("details.")?;
    let (name, tail) = match rest.split_once('[') {
        Some((n, t)) => (n, Some(t)),
        None => (rest, None),
    };
    let index = tail.and_then(|t| t.split(']').next()).and_then(|i| i.parse::<usize>().ok());
    Some(match (name, index) {
        ("actions", Some(i)) => format!("action-{}", i + 1),
        ("contact_attempts", Some(i)) => format!("contact-{}-method", i + 1),
        ("offered_at" | "sent_to_local_authority_at" | "next_review", _) => format!("{name}-day"),
        ("nominated_contact", _) => "nominated_contact-name".to_string(),
        ("carers_checks", _) => "carers_checks-asked".to_string(),
        (n, _) => n.to_string(),
    })
}

/// The row numbers of a form's table of rows (1, 2, …).
pub fn rows(n: usize) -> Vec<usize> {
    (1..=n).collect()
}

// ------------------------------------------------------------ in words

/// One field of a record, in words.
pub struct Shown {
    pub label: &'static str,
    /// Lines of text (empty when nothing was recorded).
    pub lines: Vec<String>,
    /// Rows of a table (actions: action, owner, due).
    pub rows: Vec<[String; 3]>,
    /// Whether this field is a table.
    pub table: bool,
}

fn day(d: &str) -> String {
    d.parse::<Date>().map(|d| d.strftime("%-d %B %Y").to_string()).unwrap_or_else(|_| d.to_string())
}

fn str_of(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// Every field of an event type's details, with what `details` records
/// for it (fields not recorded have no lines).
pub fn describe(kind: &str, details: Option<&Value>) -> Vec<Shown> {
    let empty = Value::Null;
    let details = details.unwrap_or(&empty);
    fields(kind)
        .iter()
        .map(|field| {
            let v = details.get(field.name);
            let items = || v.and_then(Value::as_array).cloned().unwrap_or_default();
            let mut lines = Vec::new();
            let mut rows = Vec::new();
            match field.input {
                Input::Line | Input::Area => lines.extend(v.and_then(Value::as_str).map(str::to_string)),
                Input::Lines => lines.extend(items().iter().filter_map(Value::as_str).map(str::to_string)),
                Input::Radios(options) => lines
                    .extend(v.and_then(Value::as_str).map(|s| options.iter().find(|(o, _)| *o == s).map(|(_, l)| l.to_string()).unwrap_or_else(|| words(s)))),
                Input::YesNo => lines.extend(v.and_then(Value::as_bool).map(|b| if b { "Yes" } else { "No" }.to_string())),
                Input::Instant => lines.extend(v.and_then(Value::as_str).map(local)),
                Input::Date => lines.extend(v.and_then(Value::as_str).map(day)),
                Input::Attendees => lines.extend(items().iter().map(|a| {
                    let role = str_of(a, "role_or_agency");
                    if role.is_empty() { str_of(a, "name") } else { format!("{} ({role})", str_of(a, "name")) }
                })),
                Input::Contacts => lines.extend(items().iter().map(|c| {
                    let outcome = str_of(c, "outcome");
                    let head = format!("{}: {}", local(&str_of(c, "at")), str_of(c, "method"));
                    if outcome.is_empty() { head } else { format!("{head} – {outcome}") }
                })),
                Input::Actions => rows.extend(items().iter().map(|a| [str_of(a, "action"), str_of(a, "owner"), day(&str_of(a, "due"))])),
                Input::Contact => lines.extend(v.filter(|c| c.is_object()).map(|c| {
                    let phone = str_of(c, "phone");
                    if phone.is_empty() { str_of(c, "name") } else { format!("{}, {phone}", str_of(c, "name")) }
                })),
                Input::Checks => lines.extend(items().iter().map(|c| {
                    let done = c.get("done").and_then(Value::as_bool).unwrap_or(false);
                    format!("{}: {}", words(&str_of(c, "check")), if done { "done" } else { "not done" })
                })),
            }
            Shown { label: field.label, lines, rows, table: field.input == Input::Actions }
        })
        .collect()
}

/// The recorded fields only, for the child's page.
pub fn recorded(kind: &str, details: Option<&Value>) -> Vec<Shown> {
    describe(kind, details).into_iter().filter(|s| !s.lines.is_empty() || !s.rows.is_empty()).collect()
}

/// Whether an event has a printable record.
pub fn printable(kind: &str) -> bool {
    matches!(kind, "return_interview" | "strategy_meeting" | "meeting" | "safe_and_well_check")
}

// ------------------------------------------------------------ printing

#[derive(Template)]
#[template(path = "records/print.html")]
struct PrintPage {
    who: Option<Who>,
    child: String,
    title: String,
    name: String,
    date_of_birth: String,
    age: String,
    /// (label, value) lines about the episode and the event itself.
    facts: Vec<(String, String)>,
    fields: Vec<Shown>,
    note: Option<String>,
    recorded_by: String,
}

/// The printable record of a return interview or a meeting, for those who
/// may read its content: others get the same refusal the policy gives.
pub async fn print(State(state): State<AppState>, viewer: Viewer, Path((id, event_id)): Path<(String, String)>) -> Response {
    let record = match service::children::record_of(&state, &viewer.0, &id, &event_id).await {
        Ok(r) => r,
        Err(e) => return error_page(e, viewer.who()),
    };
    let service::children::Record { child, episode, event } = record;
    let EventOut { event_type, body, at, recorded_by, agency, .. } = event;
    if !printable(&event_type) {
        return error_page(ApiError::not_found("printable record"), viewer.who());
    }
    let title = match (event_type.as_str(), body.get("kind").and_then(Value::as_str)) {
        ("return_interview", _) => "Return interview record".to_string(),
        ("meeting", Some(kind)) => format!("{} meeting record", words(kind)),
        ("meeting", None) => "Meeting record".to_string(),
        ("safe_and_well_check", _) => "Safe and well check record".to_string(),
        _ => "Strategy meeting record".to_string(),
    };
    let today = homeward_core::calendar::local_date(state.clock.now());
    let age = years(&child.date_of_birth, today);
    let mut facts = Vec::new();
    if let Some(e) = &episode {
        facts.push(("Missing date and time".to_string(), local(&e.started_at)));
        facts.push(("Return date and time".to_string(), e.returned_at.as_deref().map(local).unwrap_or_else(|| "Still missing".to_string())));
    }
    match event_type.as_str() {
        "return_interview" => {
            facts.push(("Date the interview was completed".to_string(), local(&at)));
            let outcome = body.get("outcome").and_then(Value::as_str).map(|o| match o {
                "completed" => "Held".to_string(),
                other => words(other),
            });
            facts.push(("Outcome".to_string(), outcome.unwrap_or_default()));
            let independent = body.get("independent").and_then(Value::as_bool).map(|b| if b { "Yes" } else { "No" }.to_string());
            facts.push(("Held by someone independent".to_string(), independent.unwrap_or_default()));
        }
        "safe_and_well_check" => {
            facts.push(("Date and time of the check".to_string(), local(&at)));
            let by = body
                .get("by")
                .and_then(Value::as_str)
                .map(|b| if b == "police" { "The police".to_string() } else { "Someone other than the police".to_string() });
            facts.push(("Done by".to_string(), by.unwrap_or_default()));
        }
        _ => {
            facts.push(("Date and time of the meeting".to_string(), local(&at)));
            if let Some(k) = body.get("kind").and_then(Value::as_str) {
                facts.push(("Kind of meeting".to_string(), words(k)));
            }
        }
    }
    let page_data = PrintPage {
        who: viewer.who(),
        child: id,
        title,
        name: format!("{} {}", child.given_name, child.family_name),
        date_of_birth: day(&child.date_of_birth),
        age,
        facts,
        fields: describe(&event_type, body.get("details")),
        note: body.get("note").and_then(Value::as_str).map(str::to_string),
        recorded_by: format!("{recorded_by} ({agency})"),
    };
    page(&page_data, StatusCode::OK)
}

/// Age in whole years on `today`, from a `YYYY-MM-DD` date of birth.
fn years(dob: &str, today: Date) -> String {
    let Ok(dob) = dob.parse::<Date>() else { return String::new() };
    let mut years = today.year() - dob.year();
    if (today.month(), today.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    years.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_form_becomes_details_and_blank_rows_are_ignored() {
        let now: Timestamp = "2026-07-07T12:00:00Z".parse().unwrap();
        let values = form(&[
            ("interviewer", "Sam Oduya"),
            ("mode", "video"),
            ("parental_consent", "no"),
            ("push_factors", "arguments\n\n  rules at home \n"),
            ("action-2", "Refer"),
            ("action-2-owner", "SW"),
            ("action-2-due-day", "9"),
            ("action-2-due-month", "7"),
            ("action-2-due-year", "2026"),
            ("offered_at-day", "6"),
            ("offered_at-month", "7"),
            ("offered_at-year", "2026"),
            ("offered_at-hour", "10"),
            ("offered_at-minute", "00"),
        ]);
        let mut problems = Vec::new();
        let d = details_of("return_interview", &values, now, &[], &mut problems).unwrap();
        assert!(problems.is_empty());
        assert_eq!(d["push_factors"], json!(["arguments", "rules at home"]));
        assert_eq!(d["actions"], json!([{"action": "Refer", "owner": "SW", "due": "2026-07-09"}]));
        assert_eq!(d["offered_at"], "2026-07-06T09:00:00Z", "10:00 British Summer Time");
        assert_eq!(d["parental_consent"], false);
        let meeting = details_of("meeting", &form(&[("attendees", "Jo Bloggs, Police\nAmal")]), now, &[], &mut problems).unwrap();
        assert_eq!(meeting["attendees"], json!([{"name": "Jo Bloggs", "role_or_agency": "Police"}, {"name": "Amal"}]));
        assert!(details_of("meeting", &form(&[]), now, &[], &mut problems).is_none());
    }

    #[test]
    fn every_problem_of_the_details_is_named() {
        let now: Timestamp = "2026-07-07T12:00:00Z".parse().unwrap();
        let values =
            form(&[("action-1-owner", "SW"), ("next_review-day", "31"), ("next_review-month", "2"), ("next_review-year", "2026"), ("section_47", "maybe")]);
        let mut problems = Vec::new();
        details_of("strategy_meeting", &values, now, &[], &mut problems);
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["section_47", "action-1", "next_review-day"]);
    }

    #[test]
    fn a_service_path_names_the_input() {
        assert_eq!(input_for("details.actions[1].due").as_deref(), Some("action-2"));
        assert_eq!(input_for("details.next_review").as_deref(), Some("next_review-day"));
        assert_eq!(input_for("details.chair").as_deref(), Some("chair"));
        assert_eq!(input_for("at"), None);
    }

    #[test]
    fn a_report_keeps_the_contact_and_every_check_asked_only_when_they_were_asked() {
        let now: Timestamp = "2026-12-04T20:00:00Z".parse().unwrap();
        let values = form(&[
            ("police_reference", "LOG 7"),
            ("nominated_contact-name", "Jo Keyworker"),
            ("nominated_contact-phone", "01204 333 333"),
            ("carers_checks-asked", "yes"),
            ("check-home-searched", "done"),
        ]);
        let mut problems = Vec::new();
        let d = details_of("reported", &values, now, &["home-searched", "hospitals-contacted"], &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(d["nominated_contact"], json!({"name": "Jo Keyworker", "phone": "01204 333 333"}));
        assert_eq!(d["carers_checks"], json!([{"check": "home-searched", "done": true}, {"check": "hospitals-contacted", "done": false}]));
        let shown = recorded("reported", Some(&d));
        let checks = shown.iter().find(|s| s.label.starts_with("Checks")).unwrap();
        assert_eq!(checks.lines, ["Home searched: done", "Hospitals contacted: not done"]);
        // Not asked: nothing is said about the checks, rather than "not done".
        let mut not_asked = values.clone();
        not_asked.insert("carers_checks-asked".into(), "no".into());
        let d = details_of("reported", &not_asked, now, &["home-searched"], &mut problems).unwrap();
        assert!(d.get("carers_checks").is_none());
        // A phone number without a name is a problem against the name.
        details_of("reported", &form(&[("nominated_contact-phone", "1")]), now, &[], &mut problems);
        assert_eq!(problems.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["nominated_contact-name"]);
    }
}
