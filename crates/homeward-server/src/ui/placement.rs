//! The placement's pages: the children placed with the agency now, and the
//! two notifications a placement sends (`bolton` "Children Looked After,
//! Missing from Care Protocol", Figures 1 and 3): a child gone missing, and
//! a child back. Each is recorded as the replay contract's `reported` or
//! `returned` event, with what the figure asks beyond it in `details`.

use super::fields::{Problem, Values, fill_date_time};
use super::view::{local, words};
use super::{Submitted, Viewer, Who, error_page, page, see_other};
use crate::AppState;
use crate::error::ApiError;
use crate::http::shapes::{ChildOut, EpisodeOut};
use crate::service;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use homeward_core::protocol::CarerCheck;
use homeward_store::RecordOptions;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

// ------------------------------------------------------------ the list

struct PlacedRow {
    id: String,
    name: String,
    date_of_birth: String,
    /// Missing now: the episode, since when, for how long, its risk in words.
    missing: Option<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "placement/children.html")]
struct ChildrenPage {
    who: Option<Who>,
    agency: String,
    banner: Option<&'static str>,
    children: Vec<PlacedRow>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ChildrenQuery {
    done: Option<String>,
}

fn banner(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "reported" => Some("Report sent. It is on the child's record with your name; the local authority and the police see it now."),
        "returned" => Some("Return recorded. It is on the child's record with your name; the local authority and the police see it now."),
        _ => None,
    }
}

/// The children placed with the viewer's agency.
pub async fn children(State(state): State<AppState>, viewer: Viewer, RawQuery(query): RawQuery) -> Response {
    let who = viewer.who();
    let query = match crate::http::Query::<ChildrenQuery>::parse(query.as_deref().unwrap_or_default()) {
        Ok(q) => q,
        Err(e) => return error_page(e, who),
    };
    match service::placements::placed_children(&state, &viewer.0).await {
        Ok(list) => {
            let children = list
                .into_iter()
                .map(|p| PlacedRow {
                    missing: p
                        .missing
                        .map(|m| (m.episode, local(&m.missing_since), super::pages::missing_for(m.hours_missing), format!("{} risk", words(&m.risk)))),
                    name: format!("{} {}", p.child.given_name, p.child.family_name),
                    date_of_birth: p.child.date_of_birth,
                    id: p.child.id,
                })
                .collect();
            let agency = viewer.0.identity.agency.name.clone();
            page(&ChildrenPage { who, agency, banner: banner(query.params.done.as_deref()), children }, StatusCode::OK)
        }
        Err(e) => error_page(e, who),
    }
}

// ------------------------------------------------------------ the two forms

/// Which of the two figures a form is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Figure {
    /// Figure 1: the child has gone missing.
    Missing,
    /// Figure 3: the child is back.
    Returned,
}

#[derive(Template)]
#[template(path = "placement/missing.html")]
struct MissingPage {
    who: Option<Who>,
    csrf_token: String,
    child: String,
    name: String,
    /// The checks of the protocol where the child lives, and its title.
    checks: Vec<CarerCheck>,
    protocol: String,
    values: HashMap<String, String>,
    problems: Vec<Problem>,
}

#[derive(Template)]
#[template(path = "placement/returned.html")]
struct ReturnedPage {
    who: Option<Who>,
    csrf_token: String,
    child: String,
    name: String,
    /// The episode the child is missing in: its id and since when.
    episode: String,
    since: String,
    values: HashMap<String, String>,
    problems: Vec<Problem>,
}

macro_rules! form_helpers {
    ($page:ty) => {
        impl $page {
            fn value(&self, name: &str) -> &str {
                self.values.get(name).map(String::as_str).unwrap_or("")
            }

            fn problem(&self, field: &str) -> &str {
                self.problems.iter().find(|p| p.field == field).map(|p| p.message.as_str()).unwrap_or("")
            }
        }
    };
}
form_helpers!(MissingPage);
form_helpers!(ReturnedPage);

impl MissingPage {
    fn checked(&self, check: &CarerCheck) -> bool {
        self.value(&format!("check-{}", check.id)) == "done"
    }
}

/// The checks asked of carers where the child lives, under the version in force today.
fn checks_for(state: &AppState, child: &ChildOut) -> (Vec<CarerCheck>, String) {
    let today = homeward_core::calendar::local_date(state.clock.now());
    match state.store.registry().in_force(&child.living_in, today) {
        Some(p) => (p.checks.clone(), p.title.clone()),
        None => (Vec::new(), String::new()),
    }
}

/// The episode the child is missing in now, if any.
fn open_episode(episodes: &[EpisodeOut]) -> Option<&EpisodeOut> {
    episodes.iter().rev().find(|e| e.returned_at.is_none())
}

/// An episode id not yet used for the child: `e1`, `e2`, …
fn next_episode(episodes: &[EpisodeOut]) -> String {
    let mut n = episodes.len() + 1;
    while episodes.iter().any(|e| e.episode == format!("e{n}")) {
        n += 1;
    }
    format!("e{n}")
}

pub async fn missing_form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    let mut values = HashMap::new();
    let now = state.clock.now();
    fill_date_time(&mut values, "police", now);
    show(&state, &viewer, &id, Figure::Missing, values, Vec::new(), StatusCode::OK).await
}

pub async fn returned_form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    let mut values = HashMap::new();
    fill_date_time(&mut values, "back", state.clock.now());
    show(&state, &viewer, &id, Figure::Returned, values, Vec::new(), StatusCode::OK).await
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    figure: Figure,
    values: HashMap<String, String>,
    problems: Vec<Problem>,
    status: StatusCode,
) -> Response {
    let (child, episodes) = match service::episodes::list(state, &viewer.0, id).await {
        Ok(found) => found,
        Err(e) if e.status == StatusCode::NOT_FOUND => return super::pages::not_found(state, viewer, id),
        Err(e) => return error_page(e, viewer.who()),
    };
    let csrf_token = viewer.who().map(|w| w.csrf_token).unwrap_or_default();
    let name = format!("{} {}", child.given_name, child.family_name);
    match figure {
        Figure::Missing => {
            if let Some(open) = open_episode(&episodes) {
                return already(viewer, &format!("{name} is already recorded as missing, since {}.", local(&open.started_at)));
            }
            let (checks, protocol) = checks_for(state, &child);
            page(&MissingPage { who: viewer.who(), csrf_token, child: id.to_string(), name, checks, protocol, values, problems }, status)
        }
        Figure::Returned => {
            let Some(open) = open_episode(&episodes) else {
                return already(viewer, &format!("{name} is not recorded as missing now, so there is no return to report."));
            };
            let (episode, since) = (open.episode.clone(), local(&open.started_at));
            page(&ReturnedPage { who: viewer.who(), csrf_token, child: id.to_string(), name, episode, since, values, problems }, status)
        }
    }
}

/// A form that does not apply now: said as a problem with the child's state.
fn already(viewer: &Viewer, message: &str) -> Response {
    error_page(ApiError::new(StatusCode::CONFLICT, "conflict", message, None), viewer.who())
}

/// The `reported` event Figure 1 describes, or every problem with it.
fn report_of(values: &HashMap<String, String>, checks: &[CarerCheck], now: Timestamp, episode: String) -> Result<Value, Vec<Problem>> {
    let v = Values(values);
    let mut problems = Vec::new();
    let category = v.text("category");
    match category.as_deref() {
        Some("missing" | "away_from_placement") => {}
        Some(_) | None => problems.push(Problem::new("category", "Choose whether the child is missing or away from placement without authorisation")),
    }
    let gone = v.date_time("missing", "the child went missing", &mut problems);
    let police = v.date_time("police", "you reported it to the police", &mut problems);
    if gone.is_some_and(|t| t > now) {
        problems.push(Problem::new("missing-day", "The time the child went missing must not be in the future"));
    }
    if police.is_some_and(|t| t > now) {
        problems.push(Problem::new("police-day", "The time you reported it to the police must not be in the future"));
    }
    if let (Some(g), Some(p)) = (gone, police) {
        if p < g {
            problems.push(Problem::new("police-day", "The time you reported it to the police must be after the child went missing"));
        }
    }
    let circumstances = v.required("circumstances", "Enter a summary of the circumstances that led to the child going missing", &mut problems);
    let contact_name = v.required("contact_name", "Enter the name of the person the local authority should contact", &mut problems);
    let contact_phone = v.required("contact_phone", "Enter a phone number for the person to contact", &mut problems);
    if contact_phone.as_deref().is_some_and(|p| !p.chars().any(|c| c.is_ascii_digit()) || p.chars().any(|c| !(c.is_ascii_digit() || " +()-".contains(c)))) {
        problems.push(Problem::new("contact_phone", "Enter the phone number in digits, for example 01204 333 333"));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut details = serde_json::Map::new();
    details.insert("nominated_contact".into(), json!({"name": contact_name, "phone": contact_phone}));
    if let Some(reference) = v.text("police_reference") {
        details.insert("police_reference".into(), json!(reference));
    }
    if let Some(intent) = v.text("intent") {
        details.insert("intent".into(), json!(intent));
    }
    if !checks.is_empty() {
        let answers: Vec<Value> =
            checks.iter().map(|c| json!({"check": c.id, "done": v.text(&format!("check-{}", c.id)).as_deref() == Some("done")})).collect();
        details.insert("carers_checks".into(), Value::Array(answers));
    }
    let (Some(gone), Some(police)) = (gone, police) else { unreachable!("no problems means both times were read") };
    Ok(json!({
        "type": "reported",
        "at": police.to_string(),
        "started_at": gone.to_string(),
        "episode": episode,
        "category": category,
        "note": circumstances,
        "details": details,
    }))
}

/// The `returned` event Figure 3 describes, or every problem with it.
fn return_of(values: &HashMap<String, String>, now: Timestamp, episode: &str, started: Option<Timestamp>) -> Result<Value, Vec<Problem>> {
    let v = Values(values);
    let mut problems = Vec::new();
    let back = v.date_time("back", "the child returned", &mut problems);
    if back.is_some_and(|t| t > now) {
        problems.push(Problem::new("back-day", "The time the child returned must not be in the future"));
    }
    if let (Some(b), Some(s)) = (back, started) {
        if b < s {
            problems.push(Problem::new("back-day", "The time the child returned must be after they went missing"));
        }
    }
    let directly = match v.text("directly").as_deref() {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => {
            problems.push(Problem::new("directly", "Choose whether the child came straight back to the placement"));
            None
        }
    };
    let found_at = v.text("found_at");
    if directly == Some(false) && found_at.is_none() {
        problems.push(Problem::new("found_at", "Enter where the child was found, as they did not come straight back"));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let Some(back) = back else { unreachable!("no problems means the time was read") };
    let mut event = json!({"type": "returned", "at": back.to_string(), "episode": episode});
    let mut details = serde_json::Map::new();
    details.insert("returned_directly".into(), json!(directly));
    if let (Some(false), Some(place)) = (directly, found_at) {
        event["location"] = json!(place);
    }
    if let Some(changes) = v.text("alterations") {
        details.insert("alterations_in_care".into(), json!(changes));
    }
    if let Some(account) = v.text("account") {
        event["note"] = json!(account);
    }
    event["details"] = Value::Object(details);
    Ok(event)
}

pub async fn report_missing(State(state): State<AppState>, Path(id): Path<String>, submitted: Submitted<HashMap<String, String>>) -> Response {
    let Submitted { viewer, form } = submitted;
    let (child, episodes) = match service::episodes::list(&state, &viewer.0, &id).await {
        Ok(found) => found,
        Err(e) if e.status == StatusCode::NOT_FOUND => return super::pages::not_found(&state, &viewer, &id),
        Err(e) => return error_page(e, viewer.who()),
    };
    if open_episode(&episodes).is_some() {
        return show(&state, &viewer, &id, Figure::Missing, form, Vec::new(), StatusCode::CONFLICT).await;
    }
    let (checks, _) = checks_for(&state, &child);
    let event = match report_of(&form, &checks, state.clock.now(), next_episode(&episodes)) {
        Ok(e) => e,
        Err(problems) => return show(&state, &viewer, &id, Figure::Missing, form, problems, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    recorded(&state, &viewer, &id, Figure::Missing, form, event).await
}

pub async fn report_returned(State(state): State<AppState>, Path(id): Path<String>, submitted: Submitted<HashMap<String, String>>) -> Response {
    let Submitted { viewer, form } = submitted;
    let episodes = match service::episodes::list(&state, &viewer.0, &id).await {
        Ok((_, episodes)) => episodes,
        Err(e) if e.status == StatusCode::NOT_FOUND => return super::pages::not_found(&state, &viewer, &id),
        Err(e) => return error_page(e, viewer.who()),
    };
    let Some(open) = open_episode(&episodes) else {
        return show(&state, &viewer, &id, Figure::Returned, form, Vec::new(), StatusCode::CONFLICT).await;
    };
    let started = open.started_at.parse::<Timestamp>().ok();
    let event = match return_of(&form, state.clock.now(), &open.episode, started) {
        Ok(e) => e,
        Err(problems) => return show(&state, &viewer, &id, Figure::Returned, form, problems, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    recorded(&state, &viewer, &id, Figure::Returned, form, event).await
}

/// Records the event; back to the list saying so, or the form again with
/// the service's problem against its field.
async fn recorded(state: &AppState, viewer: &Viewer, id: &str, figure: Figure, form: HashMap<String, String>, event: Value) -> Response {
    match service::events::record(state, &viewer.0, id, event, RecordOptions::default()).await {
        Ok(_) => see_other(if figure == Figure::Missing { "/placement?done=reported" } else { "/placement?done=returned" }),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT => {
            let first = if figure == Figure::Missing { "missing-day" } else { "back-day" };
            let field = match e.body.field.as_deref().map(|f| f.rsplit('.').next().unwrap_or(f)) {
                Some("category") => "category",
                Some("location") => "found_at",
                Some("note") if figure == Figure::Missing => "circumstances",
                Some("note") => "account",
                _ => first,
            };
            let problems = vec![Problem::new(field, super::view::sentence(&e.body.message))];
            show(state, viewer, id, figure, form, problems, StatusCode::UNPROCESSABLE_ENTITY).await
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

    fn check(id: &str) -> CarerCheck {
        CarerCheck { id: id.into(), ask: "Asked?".into(), only_if: None, cite: "§1".into(), quote: "asked".into() }
    }

    const NOW: &str = "2026-12-04T20:00:00Z";

    #[test]
    fn an_empty_report_names_every_field_at_once() {
        let problems = report_of(&HashMap::new(), &[], NOW.parse().unwrap(), "e1".into()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["category", "missing-day", "police-day", "circumstances", "contact_name", "contact_phone"]);
    }

    #[test]
    fn a_report_keeps_when_the_police_were_told_and_every_check_asked() {
        let values = form(&[
            ("category", "missing"),
            ("missing-day", "4"),
            ("missing-month", "12"),
            ("missing-year", "2026"),
            ("missing-hour", "17"),
            ("missing-minute", "30"),
            ("police-day", "4"),
            ("police-month", "12"),
            ("police-year", "2026"),
            ("police-hour", "18"),
            ("police-minute", "15"),
            ("circumstances", "Did not come back from the shop."),
            ("contact_name", "Jo Keyworker"),
            ("contact_phone", "01204 333 333"),
            ("check-home", "done"),
        ]);
        let event = report_of(&values, &[check("home"), check("phone")], NOW.parse().unwrap(), "e2".into()).unwrap();
        assert_eq!(event["at"], "2026-12-04T18:15:00Z");
        assert_eq!(event["started_at"], "2026-12-04T17:30:00Z");
        assert_eq!(event["episode"], "e2");
        assert_eq!(event["note"], "Did not come back from the shop.");
        assert_eq!(event["details"]["carers_checks"], json!([{"check": "home", "done": true}, {"check": "phone", "done": false}]));
        assert_eq!(event["details"]["nominated_contact"], json!({"name": "Jo Keyworker", "phone": "01204 333 333"}));
    }

    #[test]
    fn the_police_are_told_after_the_child_went_missing_and_never_in_the_future() {
        let mut values = form(&[
            ("category", "away_from_placement"),
            ("missing-day", "4"),
            ("missing-month", "12"),
            ("missing-year", "2026"),
            ("missing-hour", "19"),
            ("missing-minute", "00"),
            ("police-day", "4"),
            ("police-month", "12"),
            ("police-year", "2026"),
            ("police-hour", "18"),
            ("police-minute", "00"),
            ("circumstances", "x"),
            ("contact_name", "Jo"),
            ("contact_phone", "call me"),
        ]);
        let problems = report_of(&values, &[], NOW.parse().unwrap(), "e1".into()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["police-day", "contact_phone"]);
        values.insert("police-hour".into(), "21".into());
        values.insert("contact_phone".into(), "07700 900 000".into());
        let problems = report_of(&values, &[], NOW.parse().unwrap(), "e1".into()).unwrap_err();
        assert_eq!(problems[0].field, "police-day");
        assert!(problems[0].message.contains("future"));
    }

    #[test]
    fn a_child_found_elsewhere_needs_where() {
        let values = form(&[("back-day", "4"), ("back-month", "12"), ("back-year", "2026"), ("back-hour", "19"), ("back-minute", "00"), ("directly", "no")]);
        let problems = return_of(&values, NOW.parse().unwrap(), "e1", None).unwrap_err();
        assert_eq!(problems, vec![Problem::new("found_at", "Enter where the child was found, as they did not come straight back")]);
        let mut values = values;
        values.insert("found_at".into(), "Bus station".into());
        values.insert("alterations".into(), "Key worker to walk to school".into());
        let event = return_of(&values, NOW.parse().unwrap(), "e1", None).unwrap();
        assert_eq!(event["location"], "Bus station");
        assert_eq!(event["details"], json!({"returned_directly": false, "alterations_in_care": "Key worker to walk to school"}));
        let early = return_of(&values, NOW.parse().unwrap(), "e1", Some("2026-12-04T19:30:00Z".parse().unwrap())).unwrap_err();
        assert_eq!(early[0].field, "back-day");
    }

    #[test]
    fn episode_ids_are_never_reused() {
        let ep =
            |id: &str| EpisodeOut { episode: id.into(), started_at: String::new(), returned_at: Some(String::new()), category: None, risk: None, owner: None };
        assert_eq!(next_episode(&[]), "e1");
        assert_eq!(next_episode(&[ep("e1"), ep("e3")]), "e4");
    }
}
