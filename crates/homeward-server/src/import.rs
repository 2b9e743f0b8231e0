//! CSV imports: the police's weekday list of missing and returned children,
//! and placements' missing/return notices (Bolton protocol, Figures 1 and 3).
//!
//! Each row is matched to an existing child (family name, date of birth,
//! authority), checked by the engine like any other record, and written with
//! an idempotency key derived from the row, so importing the same file again
//! creates nothing. A dry run reports what would be created. Rejected rows are
//! reported one by one with the line, the column and the reason; the other
//! rows still import.

use crate::AppState;
use crate::auth::Caller;
use homeward_access::{Action, RecordFacts, classify};
use homeward_store::{Actor, NewChild, RecordOptions, StoreError, Visibility};
use jiff::Timestamp;
use jiff::civil::DateTime;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use utoipa::ToSchema;

/// Columns of the police list. Optional ones may be absent from the header.
pub const POLICE_COLUMNS: &[(&str, bool)] = &[
    ("police_reference", true),
    ("given_name", true),
    ("family_name", true),
    ("date_of_birth", true),
    ("authority", true),
    ("reported_at", true),
    ("category", true),
    ("risk", false),
    ("returned_at", false),
    ("found_by", false),
    ("status", false),
];

/// Columns of a placement notice: Figure 1 (missing) and Figure 3 (returned).
pub const PLACEMENT_COLUMNS: &[(&str, bool)] = &[
    ("notice", true),
    ("given_name", true),
    ("family_name", true),
    ("date_of_birth", true),
    ("authority", true),
    ("went_missing_at", true),
    ("reported_to_police_at", false),
    ("returned_at", false),
    ("where_found", false),
    ("circumstances", false),
    ("intent", false),
    ("contact", false),
    ("child_commentary", false),
    ("placement_changes", false),
];

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub rows: usize,
    /// Children created (or, in a dry run, that would be).
    pub children_created: usize,
    /// Events recorded (or that would be).
    pub events_created: usize,
    /// Rows already imported before: nothing new written.
    pub unchanged: usize,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedRow {
    /// Line in the file (the header is line 1).
    pub line: usize,
    pub column: Option<String>,
    pub reason: String,
}

/// A whole-file problem (no such column, not CSV): nothing is imported.
#[derive(Debug, thiserror::Error)]
#[error("{column}: {message}")]
pub struct FileError {
    pub column: String,
    pub message: String,
}

struct Rows {
    header: HashMap<String, usize>,
    records: Vec<(usize, csv::StringRecord)>,
}

fn read(text: &str, columns: &[(&str, bool)]) -> Result<Rows, FileError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(text.as_bytes());
    let names = reader.headers().map_err(|e| FileError { column: "header".into(), message: format!("not a CSV header: {e}") })?;
    let mut header: HashMap<String, usize> = HashMap::new();
    for (i, h) in names.iter().enumerate() {
        let name = h.trim().trim_start_matches('\u{feff}').to_lowercase();
        if let Some(first) = header.insert(name.clone(), i) {
            // Which of two columns holds the value would be a guess.
            return Err(FileError { column: name, message: format!("this column appears twice (columns {} and {})", first + 1, i + 1) });
        }
    }
    for (name, required) in columns {
        if *required && !header.contains_key(*name) {
            return Err(FileError { column: (*name).into(), message: "this column is required".into() });
        }
    }
    if let Some(unknown) = header.keys().find(|h| !columns.iter().any(|(c, _)| c == h)) {
        return Err(FileError {
            column: unknown.clone(),
            message: format!("unknown column (expected: {})", columns.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")),
        });
    }
    let mut records = Vec::new();
    for (i, r) in reader.records().enumerate() {
        let line = i + 2;
        let r = r.map_err(|e| FileError { column: format!("line {line}"), message: format!("not valid CSV: {e}") })?;
        records.push((line, r));
    }
    Ok(Rows { header, records })
}

impl Rows {
    fn get<'a>(&self, r: &'a csv::StringRecord, column: &str) -> Option<&'a str> {
        self.header.get(column).and_then(|&i| r.get(i)).map(str::trim).filter(|v| !v.is_empty())
    }
}

struct Reject(String, String);

fn need<'a>(rows: &Rows, r: &'a csv::StringRecord, column: &str) -> Result<&'a str, Reject> {
    rows.get(r, column).ok_or_else(|| Reject(column.into(), "is required".into()))
}

/// RFC 3339, or a local Europe/London time "YYYY-MM-DD HH:MM[:SS]" as police systems export.
fn when(value: &str, column: &str) -> Result<String, Reject> {
    if let Ok(t) = value.parse::<Timestamp>() {
        return Ok(t.to_string());
    }
    let local = value.replace('T', " ");
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = DateTime::strptime(format, &local) {
            if let Ok(z) = dt.to_zoned(homeward_core::calendar::london().clone()) {
                return Ok(z.timestamp().to_string());
            }
        }
    }
    Err(Reject(column.into(), format!("'{value}' is not a time (RFC 3339, or YYYY-MM-DD HH:MM in UK local time)")))
}

fn key_part(value: &str) -> String {
    value.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c.to_ascii_lowercase() } else { '-' }).collect()
}

/// The child a row is about: exactly one match, or none (and may it be created?).
/// Only children the importer may write episodes for are matched.
async fn find_child(state: &AppState, rows: &Rows, r: &csv::StringRecord, may_create: bool, visible: &Visibility) -> Result<Option<String>, Reject> {
    let family = need(rows, r, "family_name")?;
    let dob = need(rows, r, "date_of_birth")?;
    let authority = need(rows, r, "authority")?;
    let matches = state.store.find_matches(family, dob, Some(authority), Some(visible)).await.map_err(|e| Reject(String::new(), e.to_string()))?;
    match matches.len() {
        1 => Ok(Some(matches[0].id.clone())),
        0 if may_create => Ok(None),
        0 => Err(Reject(
            "family_name".into(),
            format!("no child on record matches {family}, born {dob}, in {authority}: a placement notice must be about a child already on record"),
        )),
        _ => Err(Reject(
            "family_name".into(),
            format!("matches {} children ({}); resolve by hand", matches.len(), matches.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", ")),
        )),
    }
}

/// Checks a new child and its row's events together, as the engine would,
/// writing nothing. Errors name the CSV column.
fn check_new(rows: &Rows, r: &csv::StringRecord, events: &[Value], now: Timestamp, columns: &[(&str, &str)]) -> Result<NewChild, Reject> {
    let new = NewChild {
        given_name: need(rows, r, "given_name")?.to_string(),
        family_name: need(rows, r, "family_name")?.to_string(),
        date_of_birth: need(rows, r, "date_of_birth")?.to_string(),
        status: rows.get(r, "status").unwrap_or("not_known").to_string(),
        responsible_authority: need(rows, r, "authority")?.to_string(),
        living_in: None,
        flags: Vec::new(),
        allocated_worker: None,
        team: None,
        photo_ref: None,
    };
    let events: Vec<Value> = events
        .iter()
        .cloned()
        .map(|mut e| {
            e["child"] = json!("new");
            e
        })
        .collect();
    let probe = json!({"now": now.to_string(), "children": [{"id": "new", "date_of_birth": new.date_of_birth, "status": new.status, "responsible_authority": new.responsible_authority}], "events": events});
    homeward_core::scenario::parse(&probe.to_string()).map_err(|e| {
        let (index, field) = match e.path.strip_prefix("events[").and_then(|p| p.split_once("].")) {
            Some((i, f)) => (i.parse::<usize>().ok(), f.to_string()),
            None => (None, e.path.strip_prefix("children[0].").unwrap_or(&e.path).to_string()),
        };
        let column = match (index, field.as_str()) {
            (None, "responsible_authority") => "authority".to_string(),
            (None, f) => f.to_string(),
            (Some(i), "at" | "type" | "started_at") => columns.get(i).map(|(_, c)| c.to_string()).unwrap_or(field.clone()),
            (Some(_), f) => f.to_string(),
        };
        Reject(column, e.message)
    })?;
    Ok(new)
}

fn store_reject(e: StoreError) -> Reject {
    match e {
        StoreError::Invalid { field, message } => Reject(field, message),
        other => Reject(String::new(), other.to_string()),
    }
}

/// Records (or in a dry run, checks) one event of an existing child, with an
/// idempotency key derived from the row.
#[allow(clippy::too_many_arguments)]
async fn record(
    state: &AppState,
    child: &str,
    body: Value,
    key: String,
    actor: &Actor,
    now: Timestamp,
    dry_run: bool,
    report: &mut ImportReport,
) -> Result<(), Reject> {
    if state.store.event_by_key(&key).await.map_err(store_reject)?.is_some() {
        report.unchanged += 1;
        return Ok(());
    }
    if dry_run {
        state.store.check_event(child, body, now).await.map_err(store_reject)?;
    } else {
        state.store.record_event(child, body, actor, now, RecordOptions { idempotency_key: Some(key), supersedes: None }).await.map_err(store_reject)?;
    }
    report.events_created += 1;
    Ok(())
}

/// Maps a store field back to the CSV column it came from.
fn column_of(field: &str, mapping: &[(&str, &str)]) -> String {
    mapping.iter().find(|(f, _)| *f == field).map(|(_, c)| c.to_string()).unwrap_or_else(|| field.to_string())
}

pub async fn police_list(state: &AppState, text: &str, caller: &Caller, dry_run: bool) -> Result<ImportReport, FileError> {
    let rows = read(text, POLICE_COLUMNS)?;
    let now = state.clock.now();
    let actor = &caller.actor();
    let visible = crate::access::visibility(state, caller, Action::Write, classify::EPISODE);
    let policy = crate::access::policy_at(state, now);
    let mut report = ImportReport { dry_run, rows: rows.records.len(), ..ImportReport::default() };
    let mapping =
        [("at", "reported_at"), ("type", "reported_at"), ("started_at", "reported_at"), ("category", "category"), ("risk", "risk"), ("found_by", "found_by")];
    for (line, r) in &rows.records {
        let result: Result<(), Reject> = async {
            let reference = need(&rows, r, "police_reference")?;
            let episode = format!("police-{}", key_part(reference));
            let reported_at = when(need(&rows, r, "reported_at")?, "reported_at")?;
            let returned_at = rows.get(r, "returned_at").map(|v| when(v, "returned_at")).transpose()?;
            let mut reported = json!({"at": reported_at, "episode": episode, "type": "reported", "category": need(&rows, r, "category")?});
            if let Some(risk) = rows.get(r, "risk") {
                reported["risk"] = json!(risk);
            }
            let mut bodies = vec![(reported, format!("police-list:{}:reported", key_part(reference)), "reported_at")];
            if let Some(at) = returned_at {
                let mut returned = json!({"at": at, "episode": episode, "type": "returned"});
                if let Some(by) = rows.get(r, "found_by") {
                    returned["found_by"] = json!(by);
                }
                bodies.push((returned, format!("police-list:{}:returned", key_part(reference)), "returned_at"));
            }
            let child = match find_child(state, &rows, r, true, &visible).await? {
                Some(id) => id,
                None => {
                    let authority = need(&rows, r, "authority")?;
                    let prospective = RecordFacts { responsible_authority: authority.to_string(), living_in: authority.to_string(), ..RecordFacts::default() };
                    let decision = policy.decide(&caller.principal, Action::Write, classify::IDENTITY, &prospective);
                    if !decision.allowed {
                        return Err(Reject("authority".into(), format!("you may not create records of children in {authority} ({})", decision.rule)));
                    }
                    // A new child: check the child and its events together, then write.
                    let events: Vec<Value> = bodies.iter().map(|(b, _, _)| b.clone()).collect();
                    let columns: Vec<(&str, &str)> = bodies.iter().map(|(_, _, c)| ("", *c)).collect();
                    let new = check_new(&rows, r, &events, now, &columns)?;
                    report.children_created += 1;
                    if dry_run {
                        report.events_created += bodies.len();
                        return Ok(());
                    }
                    state.store.create_child(&new, actor, now, true, None).await.map_err(store_reject)?.id
                }
            };
            for (body, key, time_column) in bodies {
                record(state, &child, body, key, actor, now, dry_run, &mut report).await.map_err(|Reject(f, m)| {
                    Reject(if f == "at" || f == "type" || f == "started_at" { time_column.to_string() } else { column_of(&f, &mapping) }, m)
                })?;
            }
            Ok(())
        }
        .await;
        if let Err(Reject(column, reason)) = result {
            report.rejected.push(RejectedRow { line: *line, column: Some(column).filter(|c| !c.is_empty()), reason });
        }
    }
    Ok(report)
}

pub async fn placement_notice(state: &AppState, text: &str, caller: &Caller, dry_run: bool) -> Result<ImportReport, FileError> {
    let rows = read(text, PLACEMENT_COLUMNS)?;
    let now = state.clock.now();
    let actor = &caller.actor();
    let visible = crate::access::visibility(state, caller, Action::Write, classify::EPISODE);
    let mut report = ImportReport { dry_run, rows: rows.records.len(), ..ImportReport::default() };
    for (line, r) in &rows.records {
        let result: Result<(), Reject> = async {
            let notice = need(&rows, r, "notice")?;
            let went = when(need(&rows, r, "went_missing_at")?, "went_missing_at")?;
            let episode = format!("placement-{}", key_part(&went));
            let child = find_child(state, &rows, r, false, &visible).await?;
            let note = |fields: &[(&str, &str)]| -> Option<String> {
                let parts: Vec<String> = fields.iter().filter_map(|(col, label)| rows.get(r, col).map(|v| format!("{label}: {v}"))).collect();
                (!parts.is_empty()).then(|| parts.join("\n"))
            };
            let child_key = child.clone().unwrap_or_default();
            // The episode this notice is about: one that started when the child
            // went missing, or the one open now (the police may have reported it first).
            let went_at = went.parse::<Timestamp>().map(|t| t.as_second()).unwrap_or_default();
            let existing = match &child {
                Some(id) => {
                    let episodes = state.store.episodes(id).await.map_err(store_reject)?;
                    episodes.iter().find(|e| e.started_at == went_at).or_else(|| episodes.iter().find(|e| e.returned_at.is_none())).cloned()
                }
                None => None,
            };
            let episode = existing.as_ref().map(|e| e.episode.clone()).unwrap_or(episode);
            match notice {
                "missing" if existing.is_some() => {
                    // Already on record (from the police list or an earlier notice).
                    report.unchanged += 1;
                    Ok(())
                }
                "returned" if existing.as_ref().is_some_and(|e| e.returned_at.is_some()) => {
                    report.unchanged += 1;
                    Ok(())
                }
                "returned" if existing.is_none() && child.is_some() => {
                    Err(Reject("went_missing_at".into(), "the child has no episode starting then and none open: send the missing notice first".into()))
                }
                "missing" => {
                    let at = rows.get(r, "reported_to_police_at").map(|v| when(v, "reported_to_police_at")).transpose()?.unwrap_or_else(|| went.clone());
                    let mut body = json!({"at": at, "episode": episode, "type": "reported", "category": "missing", "started_at": went});
                    if let Some(n) =
                        note(&[("circumstances", "Circumstances"), ("intent", "Likely intent and where they may head"), ("contact", "Nominated contact")])
                    {
                        body["note"] = json!(n);
                    }
                    let key = format!("placement-notice:{child_key}:{episode}:missing");
                    record(state, child.as_deref().unwrap_or_default(), body, key, actor, now, dry_run, &mut report).await.map_err(|Reject(f, m)| {
                        Reject(
                            match f.as_str() {
                                "started_at" => "went_missing_at".into(),
                                "at" | "type" => "reported_to_police_at".into(),
                                _ => f,
                            },
                            m,
                        )
                    })
                }
                "returned" => {
                    let at = when(need(&rows, r, "returned_at")?, "returned_at")?;
                    let mut body = json!({"at": at, "episode": episode, "type": "returned"});
                    if let Some(place) = rows.get(r, "where_found") {
                        body["location"] = json!(place);
                    }
                    if let Some(n) = note(&[("child_commentary", "What the child said"), ("placement_changes", "Changes to care by the placement")]) {
                        body["note"] = json!(n);
                    }
                    let key = format!("placement-notice:{child_key}:{episode}:returned");
                    record(state, child.as_deref().unwrap_or_default(), body, key, actor, now, dry_run, &mut report).await.map_err(|Reject(f, m)| {
                        Reject(
                            match f.as_str() {
                                "at" | "type" => "returned_at".into(),
                                "episode" => "went_missing_at".into(),
                                _ => f,
                            },
                            m,
                        )
                    })
                }
                other => Err(Reject("notice".into(), format!("'{other}' is not missing or returned"))),
            }
        }
        .await;
        if let Err(Reject(column, reason)) = result {
            report.rejected.push(RejectedRow { line: *line, column: Some(column).filter(|c| !c.is_empty()), reason });
        }
    }
    Ok(report)
}
