//! The protocol pages: every partnership's protocol and the version in
//! force, one version's rules in plain English with the document's words,
//! and what changed between two versions. Protocols are public documents:
//! anyone logged in may read them. Each page is one audit entry naming the
//! protocol (record type `protocol`).

use super::{Viewer, Who, error_page, page};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use homeward_core::Registry;
use homeward_core::protocol::{self, DueSource, Protocol, conditions_words, retention_words, role_name, rule_words, trigger_words};
use jiff::civil::Date;
use serde::Deserialize;

/// "1 January 2025".
fn long_date(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

/// Where a version stands on `today`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Standing {
    InForce,
    Superseded,
    NotYet,
}

impl Standing {
    fn label(self) -> &'static str {
        match self {
            Standing::InForce => "In force",
            Standing::Superseded => "Superseded",
            Standing::NotYet => "Not yet in force",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Standing::InForce => "state-done",
            Standing::Superseded => "tag-grey",
            Standing::NotYet => "state-due",
        }
    }
}

fn standing(registry: &Registry, p: &Protocol, today: Date) -> Standing {
    match registry.version_in_force(&p.id, today) {
        Some(current) if current.effective_from == p.effective_from => Standing::InForce,
        _ if p.effective_from > today => Standing::NotYet,
        _ => Standing::Superseded,
    }
}

fn today(state: &AppState) -> Date {
    homeward_core::calendar::local_date(state.clock.now())
}

fn covers(p: &Protocol) -> String {
    if p.is_baseline() { "every authority without a local protocol (the national baseline)".to_string() } else { p.authorities.join(", ") }
}

fn unknown_protocol(who: Option<Who>) -> Response {
    error_page(ApiError::new(StatusCode::NOT_FOUND, "not_found", "There is no protocol or protocol version with this name.", None), who)
}

// ------------------------------------------------------------ the list

struct VersionRow {
    version: String,
    effective: String,
    effective_iso: String,
    standing: &'static str,
    standing_class: &'static str,
}

struct ProtocolRow {
    id: String,
    title: String,
    covers: String,
    versions: Vec<VersionRow>,
    has_changes: bool,
}

#[derive(Template)]
#[template(path = "protocols/list.html")]
struct ListPage {
    who: Option<Who>,
    today: String,
    protocols: Vec<ProtocolRow>,
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Response {
    viewer.0.audit.set_record("protocol", "all");
    let registry = state.store.registry();
    let today = today(&state);
    let mut protocols: Vec<ProtocolRow> = registry
        .ids()
        .into_iter()
        .filter_map(|id| {
            let versions: Vec<&Protocol> = registry.versions(id).collect();
            let latest = versions.last()?;
            Some(ProtocolRow {
                id: id.to_string(),
                title: latest.title.clone(),
                covers: covers(latest),
                has_changes: versions.len() > 1,
                versions: versions
                    .iter()
                    .map(|p| {
                        let s = standing(registry, p, today);
                        VersionRow {
                            version: p.version.clone(),
                            effective: long_date(p.effective_from),
                            effective_iso: p.effective_from.to_string(),
                            standing: s.label(),
                            standing_class: s.class(),
                        }
                    })
                    .collect(),
            })
        })
        .collect();
    // The national baseline last: it covers whoever the others do not.
    protocols.sort_by_key(|p| p.covers.starts_with("every authority"));
    page(&ListPage { who: viewer.who(), today: long_date(today), protocols }, StatusCode::OK)
}

// ------------------------------------------------------------ one version

#[derive(Deserialize)]
pub struct VersionQuery {
    /// The version's effective date (`2019-01-01`); the one in force when absent.
    version: Option<String>,
}

/// A link to a reading of the same version.
struct ReadingLink {
    id: String,
    cite: String,
}

struct RuleView {
    id: String,
    cite: String,
    quote: String,
    what: String,
    prompt: bool,
    who: String,
    whose: String,
    when: Vec<String>,
    deadline: String,
    /// None: the document sets the deadline.
    deadline_source: Option<String>,
    deadline_reading: Option<ReadingLink>,
    done: String,
    reading: Option<ReadingLink>,
    earlier_acts: Option<ReadingLink>,
}

struct KindGroup {
    kind: String,
    heading: String,
    rules: Vec<RuleView>,
}

struct FlagView {
    id: String,
    cite: String,
    quote: String,
    what: String,
    when: Vec<String>,
}

struct RetentionView {
    id: String,
    cite: String,
    quote: String,
    record: String,
    words: String,
    reviewer: String,
    reading: Option<ReadingLink>,
}

struct RoleView {
    name: String,
    agency: String,
    hours: String,
}

struct ReadingView {
    id: String,
    cite: String,
    text: String,
}

struct VersionLink {
    version: String,
    effective: String,
    effective_iso: String,
    current: bool,
    standing: &'static str,
    standing_class: &'static str,
}

#[derive(Template)]
#[template(path = "protocols/show.html")]
struct ShowPage {
    who: Option<Who>,
    id: String,
    title: String,
    version: String,
    effective: String,
    standing: &'static str,
    standing_class: &'static str,
    document: String,
    covers: String,
    versions: Vec<VersionLink>,
    rule_count: usize,
    prompts: usize,
    read_deadlines: usize,
    groups: Vec<KindGroup>,
    flags: Vec<FlagView>,
    warnings: Vec<FlagView>,
    retention: Vec<RetentionView>,
    checks: Vec<CheckView>,
    roles: Vec<RoleView>,
    readings: Vec<ReadingView>,
}

/// A check the document expects of carers before they report a child missing.
struct CheckView {
    id: String,
    ask: String,
    only_if: Option<String>,
    cite: String,
    quote: String,
}

fn reading_link(p: &Protocol, id: Option<&str>) -> Option<ReadingLink> {
    let id = id?;
    let cite = p.readings.iter().find(|r| r.id == id).map(|r| p.cite(&r.cite)).unwrap_or_default();
    Some(ReadingLink { id: id.to_string(), cite })
}

/// What each kind of duty is called as a heading.
fn kind_heading(kind: &str) -> String {
    let plural = match kind {
        "notify" => "Notifications",
        "alert" => "Alerts",
        "meeting" => "Meetings",
        "interview" => "Return interviews",
        "check" => "Checks",
        "assessment" => "Assessments",
        "plan" => "Plans",
        "referral" => "Referrals",
        "record" => "Records to make",
        "review" => "Reviews",
        _ => "",
    };
    if plural.is_empty() { super::view::sentence(&super::view::words(kind)) } else { plural.to_string() }
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, Query(q): Query<VersionQuery>) -> Response {
    viewer.0.audit.set_record("protocol", &id);
    let registry = state.store.registry();
    let today = today(&state);
    let chosen = match q.version.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => registry.versions(&id).find(|p| p.effective_from.to_string() == v),
        None => registry.version_in_force(&id, today),
    };
    let Some(p) = chosen else {
        return unknown_protocol(viewer.who());
    };
    let s = standing(registry, p, today);
    let versions = registry
        .versions(&id)
        .map(|v| {
            let vs = standing(registry, v, today);
            VersionLink {
                version: v.version.clone(),
                effective: long_date(v.effective_from),
                effective_iso: v.effective_from.to_string(),
                current: v.effective_from == p.effective_from,
                standing: vs.label(),
                standing_class: vs.class(),
            }
        })
        .collect();
    let mut groups: Vec<KindGroup> = Vec::new();
    for r in &p.rules {
        let w = rule_words(p, r);
        let deadline = match &w.repeat {
            Some(repeat) => format!("{}; {repeat}", super::view::sentence(&w.due)),
            None => super::view::sentence(&w.due),
        };
        let view = RuleView {
            id: r.id.clone(),
            cite: p.cite(&r.cite),
            quote: r.quote.clone(),
            what: r.what.clone(),
            prompt: r.prompt,
            who: w.who,
            whose: super::view::sentence(&w.whose),
            when: w.when,
            deadline,
            deadline_source: w.due_source.map(|s| super::view::sentence(&s)),
            deadline_reading: match &r.due_source {
                DueSource::Reading(id) => reading_link(p, Some(id)),
                _ => None,
            },
            done: super::view::sentence(&w.done),
            reading: reading_link(p, r.reading.as_deref()),
            earlier_acts: reading_link(p, r.satisfied_before.as_deref()),
        };
        let kind = r.kind.as_str();
        match groups.iter_mut().find(|g| g.kind == kind) {
            Some(g) => g.rules.push(view),
            None => groups.push(KindGroup { kind: kind.to_string(), heading: kind_heading(kind), rules: vec![view] }),
        }
    }
    let flags = p
        .flags
        .iter()
        .map(|f| FlagView { id: f.id.clone(), cite: p.cite(&f.cite), quote: f.quote.clone(), what: f.what.clone(), when: conditions_words(p, &f.when) })
        .collect();
    let warnings = p
        .warnings
        .iter()
        .map(|w| {
            let mut when = vec![trigger_words(&w.trigger, w.when.still_missing)];
            when.extend(conditions_words(p, &w.when));
            FlagView { id: w.id.clone(), cite: p.cite(&w.cite), quote: w.quote.clone(), what: w.what.clone(), when }
        })
        .collect();
    let retention = p
        .retention
        .iter()
        .map(|r| RetentionView {
            id: r.id.clone(),
            cite: p.cite(&r.cite),
            quote: r.quote.clone(),
            record: super::view::sentence(&super::view::words(r.record.as_str())),
            words: retention_words(p, r),
            reviewer: role_name(p, &r.review_by),
            reading: reading_link(p, r.reading.as_deref()),
        })
        .collect();
    let checks = p
        .checks
        .iter()
        .map(|c| CheckView { id: c.id.clone(), ask: c.ask.clone(), only_if: c.only_if.clone(), cite: p.cite(&c.cite), quote: c.quote.clone() })
        .collect();
    let roles = p
        .roles
        .iter()
        .map(|r| RoleView {
            name: r.name.clone(),
            agency: super::view::words(r.agency.as_str()),
            hours: if r.office_hours.is_empty() {
                String::new()
            } else {
                let hours: Vec<&str> = r.office_hours.iter().map(|h| h.text.as_str()).collect();
                match &r.out_of_hours {
                    Some(o) => format!("Open {}; otherwise {}", hours.join(", "), role_name(p, o)),
                    None => format!("Open {}", hours.join(", ")),
                }
            },
        })
        .collect();
    let readings = p.readings.iter().map(|r| ReadingView { id: r.id.clone(), cite: p.cite(&r.cite), text: r.text.clone() }).collect();
    let show = ShowPage {
        who: viewer.who(),
        id: p.id.clone(),
        title: p.title.clone(),
        version: p.version.clone(),
        effective: long_date(p.effective_from),
        standing: s.label(),
        standing_class: s.class(),
        document: p.document.clone(),
        covers: covers(p),
        versions,
        rule_count: p.rules.len(),
        prompts: p.rules.iter().filter(|r| r.prompt).count(),
        read_deadlines: p.rules.iter().filter(|r| r.due_source != DueSource::Document).count(),
        groups,
        flags,
        warnings,
        retention,
        checks,
        roles,
        readings,
    };
    page(&show, StatusCode::OK)
}

// ------------------------------------------------------------ changes

#[derive(Deserialize)]
pub struct ChangesQuery {
    from: Option<String>,
    to: Option<String>,
}

struct FieldRow {
    field: &'static str,
    before: String,
    after: String,
}

struct ChangedRule {
    cite: String,
    what: String,
    id: String,
    fields: Vec<FieldRow>,
}

struct RuleRef {
    id: String,
    cite: String,
    what: String,
}

/// A flag, warning or retention entry added, removed or changed.
struct OtherRow {
    section: &'static str,
    id: String,
    what: String,
    cite: String,
    /// "Added", "Removed" or "Changed".
    change: &'static str,
    fields: Vec<FieldRow>,
}

struct ReadingChange {
    id: String,
    cite: String,
    before: String,
    after: String,
}

#[derive(Template)]
#[template(path = "protocols/changes.html")]
struct ChangesPage {
    who: Option<Who>,
    id: String,
    title: String,
    versions: Vec<VersionLink>,
    from_iso: String,
    to_iso: String,
    from_label: String,
    to_label: String,
    nothing: bool,
    changed: Vec<ChangedRule>,
    added: Vec<RuleRef>,
    removed: Vec<RuleRef>,
    readings_added: Vec<ReadingView>,
    readings_removed: Vec<ReadingView>,
    readings_changed: Vec<ReadingChange>,
    others: Vec<OtherRow>,
}

/// The version named by its effective date, or `default` when none is named.
fn pick<'a>(all: &[&'a Protocol], named: &Option<String>, default: &'a Protocol) -> Option<&'a Protocol> {
    match named.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => all.iter().copied().find(|p| p.effective_from.to_string() == v),
        None => Some(default),
    }
}

pub async fn changes(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, Query(q): Query<ChangesQuery>) -> Response {
    viewer.0.audit.set_record("protocol", &id);
    let registry = state.store.registry();
    let today = today(&state);
    let all: Vec<&Protocol> = registry.versions(&id).collect();
    if all.is_empty() {
        return unknown_protocol(viewer.who());
    }
    // By default, the latest version against the one before it.
    let latest = all[all.len() - 1];
    let before_latest = all[all.len().saturating_sub(2)];
    let (Some(from), Some(to)) = (pick(&all, &q.from, before_latest), pick(&all, &q.to, latest)) else {
        return unknown_protocol(viewer.who());
    };
    let d = protocol::diff(from, to);
    let label = |p: &Protocol| format!("{}, effective from {}", p.version, long_date(p.effective_from));
    let rule_ref = |p: &Protocol, r: &protocol::Rule| RuleRef { id: r.id.clone(), cite: p.cite(&r.cite), what: r.what.clone() };
    let versions = all
        .iter()
        .map(|v| {
            let vs = standing(registry, v, today);
            VersionLink {
                version: v.version.clone(),
                effective: long_date(v.effective_from),
                effective_iso: v.effective_from.to_string(),
                current: false,
                standing: vs.label(),
                standing_class: vs.class(),
            }
        })
        .collect();
    let changes = ChangesPage {
        who: viewer.who(),
        id: id.clone(),
        title: latest.title.clone(),
        versions,
        from_iso: from.effective_from.to_string(),
        to_iso: to.effective_from.to_string(),
        from_label: label(from),
        to_label: label(to),
        nothing: d.is_empty(),
        changed: d
            .changed
            .iter()
            .map(|c| ChangedRule {
                cite: to.cite(&c.after.cite),
                what: c.after.what.clone(),
                id: c.after.id.clone(),
                fields: c.fields.iter().map(|f| FieldRow { field: f.field, before: f.before.clone(), after: f.after.clone() }).collect(),
            })
            .collect(),
        added: d.added.iter().map(|r| rule_ref(to, r)).collect(),
        removed: d.removed.iter().map(|r| rule_ref(from, r)).collect(),
        readings_added: d.readings_added.iter().map(|r| ReadingView { id: r.id.clone(), cite: to.cite(&r.cite), text: r.text.clone() }).collect(),
        readings_removed: d.readings_removed.iter().map(|r| ReadingView { id: r.id.clone(), cite: from.cite(&r.cite), text: r.text.clone() }).collect(),
        readings_changed: d
            .readings_changed
            .iter()
            .map(|(b, a)| ReadingChange { id: a.id.clone(), cite: to.cite(&a.cite), before: b.text.clone(), after: a.text.clone() })
            .collect(),
        others: d
            .others
            .iter()
            .map(|o| {
                let (change, fields) = match &o.change {
                    protocol::Change::Added => ("Added", Vec::new()),
                    protocol::Change::Removed => ("Removed", Vec::new()),
                    protocol::Change::Changed(fields) => {
                        ("Changed", fields.iter().map(|f| FieldRow { field: f.field, before: f.before.clone(), after: f.after.clone() }).collect())
                    }
                };
                OtherRow { section: o.section, id: o.id.clone(), what: o.what.clone(), cite: o.cite.clone(), change, fields }
            })
            .collect(),
    };
    page(&changes, StatusCode::OK)
}
