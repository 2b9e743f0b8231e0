//! Reporting a child missing: find the child first (family name, and date
//! of birth and authority if known), so that the record found is used; only
//! when none fits, make a new record, then record the report itself with
//! the form for a report ([`super::events`]).

use super::view::{sentence, words};
use super::{Submitted, Viewer, Who, error_page, page, see_other};
use crate::AppState;
use crate::service;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use homeward_core::vocab;
use homeward_store::NewChild;
use serde::Deserialize;
use std::collections::HashMap;

/// A child the search found.
struct Found {
    id: String,
    name: String,
    date_of_birth: String,
    authority: String,
}

/// A problem with one field: its input's id and what is wrong.
struct Problem {
    field: String,
    message: String,
}

#[derive(Template)]
#[template(path = "report/search.html")]
struct SearchPage {
    who: Option<Who>,
    values: HashMap<String, String>,
    searched: bool,
    found: Vec<Found>,
    problems: Vec<Problem>,
    /// The query to carry into the new-record form.
    carry: String,
}

impl SearchPage {
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    family_name: Option<String>,
    day: Option<String>,
    month: Option<String>,
    year: Option<String>,
    authority: Option<String>,
}

/// The date of birth from day, month and year, when all are given.
fn date_of_birth(day: &str, month: &str, year: &str) -> Result<Option<String>, String> {
    let parts = [day.trim(), month.trim(), year.trim()];
    if parts.iter().all(|p| p.is_empty()) {
        return Ok(None);
    }
    let numbers: Vec<Option<i16>> = parts.iter().map(|p| p.parse::<i16>().ok()).collect();
    match (numbers[0], numbers[1], numbers[2]) {
        (Some(d), Some(m), Some(y)) => {
            jiff::civil::Date::new(y, m as i8, d as i8).map(|date| Some(date.to_string())).map_err(|_| "The date of birth must be a real date".to_string())
        }
        _ => Err("Enter the date of birth as day, month and year, or leave it all blank".to_string()),
    }
}

/// Find the child: the search form, and what it found.
pub async fn search(State(state): State<AppState>, viewer: Viewer, Query(q): Query<SearchQuery>) -> Response {
    viewer.0.audit.set_record("children", "search before a report");
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or("").to_string();
    let mut values = HashMap::new();
    for (k, v) in [("family_name", &q.family_name), ("day", &q.day), ("month", &q.month), ("year", &q.year), ("authority", &q.authority)] {
        values.insert(k.to_string(), text(v));
    }
    let carry = serde_urlencoded::to_string(values.iter().filter(|(_, v)| !v.is_empty()).collect::<Vec<_>>()).unwrap_or_default();
    let mut problems = Vec::new();
    let family = text(&q.family_name);
    let searched = q.family_name.is_some();
    if searched && family.is_empty() {
        problems.push(Problem { field: "family_name".into(), message: "Enter the child's family name".into() });
    }
    let dob = match date_of_birth(&text(&q.day), &text(&q.month), &text(&q.year)) {
        Ok(d) => d,
        Err(m) => {
            problems.push(Problem { field: "day".into(), message: m });
            None
        }
    };
    let authority = Some(text(&q.authority)).filter(|a| !a.is_empty());
    let mut found = Vec::new();
    if searched && problems.is_empty() {
        match service::children::search(&state, &viewer.0, &family, dob.as_deref(), authority.as_deref()).await {
            Ok(rows) => {
                found = rows
                    .into_iter()
                    .map(|c| Found {
                        id: c.id,
                        name: format!("{} {}", c.given_name, c.family_name),
                        date_of_birth: c.date_of_birth,
                        authority: words(&c.responsible_authority),
                    })
                    .collect()
            }
            Err(e) => return error_page(e, viewer.who()),
        }
    }
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page(&SearchPage { who: viewer.who(), values, searched: searched && problems.is_empty(), found, problems, carry }, status)
}

/// An option of a radio group.
struct Opt {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "report/new.html")]
struct NewChildPage {
    who: Option<Who>,
    csrf_token: String,
    values: HashMap<String, String>,
    statuses: Vec<Opt>,
    problems: Vec<Problem>,
    /// Records that may be this child (a likely duplicate).
    matches: Vec<Found>,
}

impl NewChildPage {
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    fn problem(&self, field: &str) -> Option<&str> {
        self.problems.iter().find(|p| p.field == field).map(|p| p.message.as_str())
    }
}

fn statuses() -> Vec<Opt> {
    vocab::Status::ALL.iter().map(|s| Opt { value: s.as_str().to_string(), label: words(s.as_str()) }).collect()
}

fn new_page(viewer: &Viewer, values: HashMap<String, String>, problems: Vec<Problem>, matches: Vec<Found>, status: StatusCode) -> Response {
    let csrf_token = viewer.who().map(|w| w.csrf_token).unwrap_or_default();
    page(&NewChildPage { who: viewer.who(), csrf_token, values, statuses: statuses(), problems, matches }, status)
}

/// A new child record, filled with what the search was for.
pub async fn new_form(viewer: Viewer, Query(q): Query<SearchQuery>) -> Response {
    let mut values = HashMap::new();
    for (k, v) in [("family_name", q.family_name), ("day", q.day), ("month", q.month), ("year", q.year), ("authority", q.authority)] {
        values.insert(k.to_string(), v.unwrap_or_default());
    }
    new_page(&viewer, values, Vec::new(), Vec::new(), StatusCode::OK)
}

/// The service's field names, as the form's inputs.
fn input_for(field: &str) -> &str {
    match field {
        "date_of_birth" => "day",
        "responsible_authority" => "authority",
        other => other,
    }
}

/// Makes the record (refusing a likely duplicate, which it shows), then
/// goes on to the report.
pub async fn create(State(state): State<AppState>, submitted: Submitted<HashMap<String, String>>) -> Response {
    let Submitted { viewer, form } = submitted;
    let text = |name: &str| form.get(name).map(|v| v.trim().to_string()).unwrap_or_default();
    let mut problems = Vec::new();
    for (field, message) in [
        ("given_name", "Enter the child's given name"),
        ("family_name", "Enter the child's family name"),
        ("status", "Choose the child's legal status (not known, if it is not)"),
        ("authority", "Enter the authority responsible for the child, for example bolton"),
    ] {
        if text(field).is_empty() {
            problems.push(Problem { field: field.into(), message: message.into() });
        }
    }
    let dob = match date_of_birth(&text("day"), &text("month"), &text("year")) {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            problems.push(Problem { field: "day".into(), message: "Enter the child's date of birth (an estimate, if it is not known)".into() });
            None
        }
        Err(m) => {
            problems.push(Problem { field: "day".into(), message: m });
            None
        }
    };
    if !problems.is_empty() {
        return new_page(&viewer, form, problems, Vec::new(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let living_in = Some(text("living_in")).filter(|l| !l.is_empty());
    let new = NewChild {
        given_name: text("given_name"),
        family_name: text("family_name"),
        date_of_birth: dob.unwrap_or_default(),
        status: text("status"),
        responsible_authority: text("authority"),
        living_in,
        flags: Vec::new(),
        allocated_worker: None,
        team: None,
        photo_ref: None,
    };
    let allow_duplicate = text("not_a_duplicate") == "yes";
    match service::children::create(&state, &viewer.0, new, allow_duplicate).await {
        Ok(child) => see_other(&format!("/children/{}/record/reported", child.id)),
        Err(e) if e.status == StatusCode::CONFLICT && !e.body.matches.is_empty() => {
            let mut matches = Vec::new();
            for id in &e.body.matches {
                if let Ok(c) = service::children::get(&state, &viewer.0, id).await {
                    matches.push(Found {
                        id: c.id,
                        name: format!("{} {}", c.given_name, c.family_name),
                        date_of_birth: c.date_of_birth,
                        authority: words(&c.responsible_authority),
                    });
                }
            }
            let problems = vec![Problem { field: "given_name".into(), message: "This may be a child already on record: check the records below first".into() }];
            new_page(&viewer, form, problems, matches, StatusCode::CONFLICT)
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::FORBIDDEN => {
            let field = input_for(e.body.field.as_deref().unwrap_or("authority")).to_string();
            let problems = vec![Problem { field, message: sentence(&e.body.message) }];
            new_page(&viewer, form, problems, Vec::new(), e.status)
        }
        Err(e) => error_page(e, viewer.who()),
    }
}
