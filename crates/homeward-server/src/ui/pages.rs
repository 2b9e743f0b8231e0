//! The pages: home (children missing now, overdue and coming duties), a
//! child's record, "your access", and emergency (break-glass) access.

use super::view::{DutyRow, EpisodeRow, EventRow, MissingRow, local, words};
use super::{Submitted, Viewer, Who, error_page, page, see_other};
use crate::AppState;
use crate::access::{policy_at, visibility};
use crate::service;
use crate::service::duties::Duties;
use crate::http::shapes::DutyOut;
use crate::http::shapes::SessionOut;
use crate::service::break_glass::may_use as may_break_glass;
use crate::service::sessions::session_out;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use homeward_access::{Action, classify};
use serde::Deserialize;
use std::collections::HashMap;

/// Most rows in each list on the home page.
const HOME_ROWS: usize = 50;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    who: Option<Who>,
    missing: Vec<MissingRow>,
    overdue: Vec<DutyRow>,
    due_soon: Vec<DutyRow>,
}

/// The names of `children` that the viewer may know (identity class).
async fn names(state: &AppState, viewer: &Viewer, children: &[&DutyOut]) -> Result<HashMap<String, String>, ApiError> {
    let mut ids: Vec<String> = children.iter().map(|d| d.child.clone()).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let filter = homeward_store::ChildFilter {
        ids: ids.clone(),
        limit: ids.len() as i64,
        visible: Some(visibility(state, &viewer.0, Action::Read, classify::IDENTITY)),
        ..Default::default()
    };
    let rows = state.store.children(&filter).await?;
    Ok(rows.into_iter().map(|c| (c.id, format!("{} {}", c.given_name, c.family_name))).collect())
}

pub async fn home(State(state): State<AppState>, viewer: Viewer) -> Response {
    let who = viewer.who();
    match home_lists(&state, &viewer).await {
        Ok((missing, overdue, due_soon)) => page(&Home { who, missing, overdue, due_soon }, StatusCode::OK),
        Err(e) => error_page(e, who),
    }
}

type HomeLists = (Vec<MissingRow>, Vec<DutyRow>, Vec<DutyRow>);

async fn home_lists(state: &AppState, viewer: &Viewer) -> Result<HomeLists, ApiError> {
    let caller = &viewer.0;
    let missing = service::missing::list(state, caller, None).await?;
    let limit = Some(HOME_ROWS as i64);
    let overdue = service::duties::list(state, caller, Duties { overdue: true, limit, ..Duties::default() }).await?;
    // From now on: none of these is overdue yet.
    let due_soon = service::duties::list(state, caller, Duties { due_within_hours: Some(24), limit, ..Duties::default() }).await?;
    // The entry is for the page, not for each list on it.
    caller.audit.set_record("home", "missing, overdue and due duties");
    let all: Vec<&DutyOut> = overdue.iter().chain(due_soon.iter()).collect();
    let names = names(state, viewer, &all).await?;
    let row = |d: DutyOut| {
        let name = names.get(&d.child).cloned();
        DutyRow::new(d, name)
    };
    Ok((
        missing.into_iter().take(HOME_ROWS).map(MissingRow::from).collect(),
        overdue.into_iter().map(row).collect(),
        due_soon.into_iter().map(row).collect(),
    ))
}

// ------------------------------------------------------------ a child's record

struct ChildView {
    name: String,
    date_of_birth: String,
    status: String,
    responsible_authority: String,
    living_in: String,
    flags: Vec<String>,
    worker: String,
    placement_address: Option<String>,
}

struct AccessRow {
    class: String,
    rule: String,
    reason: String,
}

struct AccessLogRow {
    at: String,
    user: String,
    agency: String,
    operation: String,
    outcome: String,
    rule: String,
    break_glass: bool,
}

#[derive(Template)]
#[template(path = "child.html")]
struct ChildPage {
    who: Option<Who>,
    child_id: String,
    child: ChildView,
    break_glass: Option<String>,
    access: Vec<AccessRow>,
    show_episodes: bool,
    episodes: Vec<EpisodeRow>,
    show_duties: bool,
    duties: Vec<DutyRow>,
    events: Vec<EventRow>,
    access_log: Option<Vec<AccessLogRow>>,
}

pub async fn child(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    let who = viewer.who();
    match child_page(&state, &viewer, &id).await {
        Ok(p) => page(&ChildPage { who, ..p }, StatusCode::OK),
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found(&state, &viewer, &id),
        Err(e) => error_page(e, who),
    }
}

/// Hidden records and records that do not exist look the same; both
/// offer break-glass to those who may use it.
fn not_found(state: &AppState, viewer: &Viewer, id: &str) -> Response {
    let offer = super::ErrorPage {
        who: viewer.who(),
        title: "Not found".to_string(),
        message: "There is no record with this reference that you may see.".to_string(),
        rule: None,
        break_glass_for: may_break_glass(state, &viewer.0).then(|| id.to_string()),
    };
    page(&offer, StatusCode::NOT_FOUND)
}

async fn child_page(state: &AppState, viewer: &Viewer, id: &str) -> Result<ChildPage, ApiError> {
    let caller = &viewer.0;
    let timeline = service::children::timeline(state, caller, id).await?;
    let readable = |class: &str| timeline.access.iter().any(|a| a.class == class);
    let policy = policy_at(state, state.clock.now());
    // Read under a break-glass grant: say until when, as the rule that allows it says.
    let under_break_glass = timeline.access.iter().find_map(|a| policy.rule(&a.rule).filter(|r| policy.is_break_glass_rule(&r.id))).map(|r| r.lasts_hours);
    let access = timeline
        .access
        .iter()
        .map(|a| AccessRow {
            class: words(&a.class),
            rule: a.rule.clone(),
            reason: policy
                .rules
                .iter()
                .find(|r| r.id == a.rule)
                .map(|r| r.reason.clone())
                .unwrap_or_else(|| "Emergency (break-glass) access you asked for, with your reason.".to_string()),
        })
        .collect();
    let access_log = if readable(classify::ACCESS_LOG) {
        let log = service::access_log::list(state, caller, id, Some(200)).await?;
        let mut people: HashMap<String, String> = HashMap::new();
        let mut rows = Vec::new();
        for entry in log {
            let user = match entry.user {
                Some(user_id) => match people.get(&user_id) {
                    Some(name) => name.clone(),
                    None => {
                        let name = state.store.identity_by_id(&user_id).await?.map(|i| i.user.display_name).unwrap_or_else(|| user_id.clone());
                        people.insert(user_id, name.clone());
                        name
                    }
                },
                None => "unknown".to_string(),
            };
            rows.push(AccessLogRow {
                at: local(&entry.at),
                user,
                agency: format!("{} · {}", entry.agency.unwrap_or_default(), words(&entry.role.unwrap_or_default())),
                operation: entry.operation,
                outcome: entry.outcome,
                rule: entry.rule.unwrap_or_default(),
                break_glass: entry.break_glass,
            });
        }
        Some(rows)
    } else {
        None
    };
    let c = timeline.child;
    let name = format!("{} {}", c.given_name, c.family_name);
    let duty_names: HashMap<String, String> = timeline.duties.iter().map(|d| (d.id.clone(), d.what.clone())).collect();
    Ok(ChildPage {
        who: None,
        child_id: c.id.clone(),
        child: ChildView {
            name: name.clone(),
            date_of_birth: c.date_of_birth,
            status: words(&c.status),
            responsible_authority: c.responsible_authority,
            living_in: c.living_in,
            flags: c.flags.iter().map(|f| words(f)).collect(),
            worker: [c.allocated_worker, c.team].into_iter().flatten().collect::<Vec<_>>().join(", "),
            placement_address: c.placement_address,
        },
        break_glass: under_break_glass.map(|hours| match hours {
            Some(h) => format!("{} after it was granted", homeward_core::duration::Duration::Hours(h).describe()),
            None => "when the grant ends".to_string(),
        }),
        access,
        show_episodes: readable(classify::MISSING_STATUS),
        episodes: timeline.episodes.into_iter().map(EpisodeRow::from).collect(),
        show_duties: readable(classify::DUTIES),
        duties: timeline.duties.into_iter().map(|d| DutyRow::new(d, Some(name.clone()))).collect(),
        events: timeline.events.into_iter().map(|e| EventRow::new(e, &duty_names)).collect(),
        access_log,
    })
}

// ------------------------------------------------------------ your access

struct RuleRow {
    id: String,
    reason: String,
    actions: String,
    classes: String,
    relations: String,
    unless_flags: String,
    cite: String,
}

#[derive(Template)]
#[template(path = "me.html")]
struct Me {
    who: Option<Who>,
    me: SessionOut,
    role: String,
    authorities: String,
    rules: Vec<RuleRow>,
}

pub async fn me(State(state): State<AppState>, viewer: Viewer) -> Response {
    let caller = &viewer.0;
    caller.audit.set_record("user", &caller.identity.user.id);
    let me = session_out(&state, &caller.identity, None, None);
    let list = |items: &[String]| items.iter().map(|i| words(i)).collect::<Vec<_>>().join(", ");
    let rules = me
        .rules
        .iter()
        .map(|r| RuleRow {
            id: r.id.clone(),
            reason: r.reason.clone(),
            actions: list(&r.actions),
            classes: list(&r.classes),
            relations: list(&r.relations),
            unless_flags: list(&r.unless_flags),
            cite: r.cite.join("; "),
        })
        .collect();
    let authorities = me.authorities.join(", ");
    let role = words(&me.role);
    page(&Me { who: viewer.who(), me, role, authorities, rules }, StatusCode::OK)
}

// ------------------------------------------------------------ break-glass

#[derive(Template)]
#[template(path = "break_glass.html")]
struct BreakGlassPage {
    who: Option<Who>,
    child: String,
    csrf_token: String,
    reason: String,
    error: Option<String>,
    /// How long a grant lasts, as the policy's break-glass rule says ("4 hours").
    lasts: String,
}

/// How long the viewer's break-glass grant would last, in words.
fn grant_lasts(state: &AppState, viewer: &Viewer) -> String {
    service::break_glass::lasts_hours(state, &viewer.0).map(|h| homeward_core::duration::Duration::Hours(h).describe()).unwrap_or_default()
}

fn refused_break_glass(viewer: &Viewer) -> Response {
    viewer.0.audit.refused(classify::IDENTITY, homeward_access::DEFAULT_DENY);
    error_page(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Your role may not use emergency (break-glass) access.", None), viewer.who())
}

pub async fn break_glass_form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    viewer.0.audit.set_record("child", &id);
    if !may_break_glass(&state, &viewer.0) {
        return refused_break_glass(&viewer);
    }
    let csrf_token = viewer.who().map(|w| w.csrf_token).unwrap_or_default();
    let lasts = grant_lasts(&state, &viewer);
    page(&BreakGlassPage { who: viewer.who(), child: id, csrf_token, reason: String::new(), error: None, lasts }, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct BreakGlassForm {
    #[allow(dead_code)]
    csrf_token: String,
    reason: String,
}

pub async fn break_glass(State(state): State<AppState>, Path(id): Path<String>, submitted: Submitted<BreakGlassForm>) -> Response {
    let Submitted { viewer, form } = submitted;
    if !may_break_glass(&state, &viewer.0) {
        return refused_break_glass(&viewer);
    }
    match service::break_glass::grant(&state, &viewer.0, &id, form.reason.trim()).await {
        Ok(_) => see_other(&format!("/children/{id}")),
        // The reason is the form's one field: show the problem beside it.
        Err(e) if e.body.field.as_deref() == Some("reason") => {
            let csrf_token = viewer.who().map(|w| w.csrf_token).unwrap_or_default();
            let error = Some(format!("Say why you need this record now ({})", e.body.message));
            let lasts = grant_lasts(&state, &viewer);
            page(&BreakGlassPage { who: viewer.who(), child: id, csrf_token, reason: form.reason, error, lasts }, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found(&state, &viewer, &id),
        Err(e) => error_page(e, viewer.who()),
    }
}
