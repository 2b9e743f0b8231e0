//! A replay scenario: children, what was recorded about them, and a time.
//!
//! Parsing checks every field and the episode lifecycle, and names the first
//! offending field (`events[3].at: not an RFC 3339 time`). A scenario that
//! parses is internally consistent; the engine never fails on it.

use crate::vocab::{self, Category, EventType, Outcome, Risk, Status};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

type Text<'a> = Option<Cow<'a, str>>;

/// A scenario field that is not valid, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ScenarioError {
    pub path: String,
    pub message: String,
}

impl ScenarioError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError { path: path.into(), message: message.into() }
    }
}

// ---------------------------------------------------------------- raw input

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario<'a> {
    #[serde(borrow)]
    now: Text<'a>,
    #[serde(default, borrow)]
    children: Vec<RawChild<'a>>,
    #[serde(default, borrow)]
    events: Vec<RawEvent<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChild<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    date_of_birth: Text<'a>,
    #[serde(borrow)]
    status: Text<'a>,
    #[serde(borrow)]
    responsible_authority: Text<'a>,
    #[serde(borrow)]
    living_in: Text<'a>,
    #[serde(default, borrow)]
    flags: Vec<Cow<'a, str>>,
    /// Free-form display name; the engine never reads it.
    #[serde(default, borrow)]
    #[allow(dead_code)]
    name: Text<'a>,
}

/// One recorded event as it arrives. Every field of every type is optional
/// here; [`parse`] checks which ones the type needs.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawEvent<'a> {
    #[serde(borrow)]
    pub at: Text<'a>,
    #[serde(borrow)]
    pub child: Text<'a>,
    #[serde(borrow)]
    pub episode: Text<'a>,
    #[serde(rename = "type", borrow)]
    pub kind: Text<'a>,
    #[serde(borrow)]
    pub category: Text<'a>,
    #[serde(borrow)]
    pub risk: Text<'a>,
    pub with_others: Option<Vec<String>>,
    #[serde(borrow)]
    pub started_at: Text<'a>,
    #[serde(borrow)]
    pub found_by: Text<'a>,
    #[serde(borrow)]
    pub location: Text<'a>,
    /// `returned`: the authority where the child was found.
    #[serde(borrow)]
    pub found_in: Text<'a>,
    #[serde(borrow)]
    pub by: Text<'a>,
    #[serde(borrow)]
    pub outcome: Text<'a>,
    pub independent: Option<bool>,
    #[serde(borrow)]
    pub to: Text<'a>,
    #[serde(borrow)]
    pub duty: Text<'a>,
    #[serde(borrow)]
    pub reason: Text<'a>,
    #[serde(borrow)]
    pub authorised_by: Text<'a>,
    /// `prompt_considered`: `confirmed` or `dismissed`.
    #[serde(borrow)]
    pub decision: Text<'a>,
    /// `episode_assigned`: the worker (a user id) now responsible for the episode.
    #[serde(borrow)]
    pub worker: Text<'a>,
    /// `episode_assigned`: the team now responsible for the episode.
    #[serde(borrow)]
    pub team: Text<'a>,
    /// Free text recorded with the event (circumstances, what the child
    /// said); the engine never reads it.
    #[serde(borrow)]
    #[allow(dead_code)]
    pub note: Text<'a>,
    /// Who recorded it (the service fills this); the engine never reads it.
    #[serde(borrow)]
    #[allow(dead_code)]
    pub recorded_by: Text<'a>,
    #[serde(rename = "kind", borrow)]
    pub sub_kind: Text<'a>,
    /// `return_interview`, `strategy_meeting`, `meeting`,
    /// `safe_and_well_check`: what the record's form asks beyond the
    /// engine's fields (see [`crate::details`]); checked, never read by the engine.
    pub details: Option<serde_json::Value>,
}

// ---------------------------------------------------------------- validated

#[derive(Debug, Clone)]
pub struct Child {
    pub id: String,
    pub date_of_birth: Date,
    pub status: Status,
    pub responsible_authority: String,
    pub living_in: String,
    pub flags: Vec<String>,
}

impl Child {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// Age in whole years on `day` (a 29 February birthday falls on 1 March).
    pub fn age_on(&self, day: Date) -> i16 {
        let dob = self.date_of_birth;
        let mut years = day.year() - dob.year();
        if (day.month(), day.day()) < (dob.month(), dob.day()) {
            years -= 1;
        }
        years
    }
}

/// The type-specific content of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    Reported {
        category: Category,
        risk: Option<Risk>,
        with_others: Vec<String>,
        started_at: Option<Timestamp>,
    },
    Recategorised {
        category: Category,
    },
    RiskGraded {
        risk: Risk,
    },
    Returned {
        found_by: Option<String>,
        location: Option<String>,
        /// The authority where the child was found (an authority id).
        found_in: Option<String>,
    },
    SafeAndWellCheck {
        by: Option<String>,
    },
    ReturnInterview {
        outcome: Outcome,
        independent: Option<bool>,
    },
    StrategyMeeting {
        kind: Option<String>,
    },
    Meeting {
        kind: String,
    },
    Notified {
        to: String,
    },
    Assessment {
        kind: String,
    },
    PlanUpdated {
        kind: String,
    },
    SignificantHarm,
    DutyDone {
        duty: String,
    },
    Exception {
        duty: String,
        reason: String,
        authorised_by: String,
    },
    /// Someone weighed a prompt ("consider…"): confirmed (the step is
    /// taken) or dismissed (not needed), and who decided.
    PromptConsidered {
        duty: String,
        decision: String,
        by: String,
    },
    /// Who is responsible for the episode from now on: a team, and a worker
    /// in it when one is allocated. The engine keeps it on the episode; no
    /// duty depends on it unless a protocol matches the event.
    EpisodeAssigned {
        worker: Option<String>,
        team: String,
        reason: Option<String>,
    },
}

impl EventData {
    pub fn event_type(&self) -> EventType {
        match self {
            EventData::Reported { .. } => EventType::Reported,
            EventData::Recategorised { .. } => EventType::Recategorised,
            EventData::RiskGraded { .. } => EventType::RiskGraded,
            EventData::Returned { .. } => EventType::Returned,
            EventData::SafeAndWellCheck { .. } => EventType::SafeAndWellCheck,
            EventData::ReturnInterview { .. } => EventType::ReturnInterview,
            EventData::StrategyMeeting { .. } => EventType::StrategyMeeting,
            EventData::Meeting { .. } => EventType::Meeting,
            EventData::Notified { .. } => EventType::Notified,
            EventData::Assessment { .. } => EventType::Assessment,
            EventData::PlanUpdated { .. } => EventType::PlanUpdated,
            EventData::SignificantHarm => EventType::SignificantHarm,
            EventData::DutyDone { .. } => EventType::DutyDone,
            EventData::Exception { .. } => EventType::Exception,
            EventData::EpisodeAssigned { .. } => EventType::EpisodeAssigned,
            EventData::PromptConsidered { .. } => EventType::PromptConsidered,
        }
    }

    /// The field that most often tells two events of one type apart.
    fn tie_key(&self) -> &str {
        match self {
            EventData::Notified { to } => to,
            EventData::Meeting { kind } | EventData::Assessment { kind } | EventData::PlanUpdated { kind } => kind,
            EventData::StrategyMeeting { kind } => kind.as_deref().unwrap_or(""),
            EventData::DutyDone { duty } | EventData::Exception { duty, .. } | EventData::PromptConsidered { duty, .. } => duty,
            EventData::ReturnInterview { outcome, .. } => outcome.as_str(),
            EventData::EpisodeAssigned { team, .. } => team,
            _ => "",
        }
    }

    /// The value of a named field, as matchers compare it.
    pub fn field(&self, name: MatchField) -> Option<&str> {
        match (self, name) {
            (EventData::Reported { category, .. }, MatchField::Category) | (EventData::Recategorised { category }, MatchField::Category) => {
                Some(category.as_str())
            }
            (EventData::Reported { risk: Some(r), .. }, MatchField::Risk) | (EventData::RiskGraded { risk: r }, MatchField::Risk) => Some(r.as_str()),
            (EventData::ReturnInterview { outcome, .. }, MatchField::Outcome) => Some(outcome.as_str()),
            (EventData::ReturnInterview { independent, .. }, MatchField::Independent) => independent.map(|b| if b { "true" } else { "false" }),
            (EventData::StrategyMeeting { kind }, MatchField::Kind) => kind.as_deref(),
            (EventData::Meeting { kind }, MatchField::Kind)
            | (EventData::Assessment { kind }, MatchField::Kind)
            | (EventData::PlanUpdated { kind }, MatchField::Kind) => Some(kind),
            (EventData::Notified { to }, MatchField::To) => Some(to),
            (EventData::SafeAndWellCheck { by }, MatchField::By) => by.as_deref(),
            (EventData::Returned { found_by, .. }, MatchField::By) => found_by.as_deref(),
            _ => None,
        }
    }
}

/// The event fields a protocol matcher may test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchField {
    Category,
    Risk,
    Outcome,
    Kind,
    To,
    By,
    Independent,
}

impl MatchField {
    pub fn parse(name: &str) -> Option<MatchField> {
        Some(match name {
            "category" => MatchField::Category,
            "risk" => MatchField::Risk,
            "outcome" => MatchField::Outcome,
            "kind" => MatchField::Kind,
            "to" => MatchField::To,
            "by" => MatchField::By,
            "independent" => MatchField::Independent,
            _ => return None,
        })
    }

    /// Which event types carry this field.
    pub fn carried_by(&self) -> &'static [EventType] {
        use EventType::*;
        match self {
            MatchField::Category => &[Reported, Recategorised],
            MatchField::Risk => &[Reported, RiskGraded],
            MatchField::Outcome | MatchField::Independent => &[ReturnInterview],
            MatchField::Kind => &[StrategyMeeting, Meeting, Assessment, PlanUpdated],
            MatchField::To => &[Notified],
            MatchField::By => &[SafeAndWellCheck, Returned],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Position in the scenario's `events` array, for error messages.
    pub index: usize,
    pub at: Timestamp,
    /// Index into [`Scenario::children`].
    pub child: usize,
    /// Index into [`Scenario::episodes`], when the event names an episode.
    pub episode: Option<usize>,
    pub data: EventData,
}

/// One period of a child being missing, absent or away, built from its events.
#[derive(Debug, Clone)]
pub struct Episode {
    pub id: String,
    pub child: usize,
    pub start: Timestamp,
    pub reported_at: Timestamp,
    /// (from, category), in time order; the first is the reported category.
    pub categories: Vec<(Timestamp, Category)>,
    /// (from, risk), in time order; empty until graded.
    pub risks: Vec<(Timestamp, Risk)>,
    pub returned_at: Option<Timestamp>,
    pub found_by: Option<String>,
    /// Where the child was found, when the return says so (an authority id).
    pub found_in: Option<String>,
    pub with_others: Vec<String>,
    /// Who was made responsible for the episode, in time order (from
    /// `episode_assigned` events); empty until one is recorded.
    pub assignments: Vec<Assignment>,
}

/// One `episode_assigned` event, as it applies to its episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub at: Timestamp,
    pub worker: Option<String>,
    pub team: String,
    pub reason: Option<String>,
}

impl Episode {
    /// Who is responsible for the episode at `t`: the latest assignment at or
    /// before it, if any.
    pub fn owner_at(&self, t: Timestamp) -> Option<&Assignment> {
        self.assignments.iter().rev().find(|a| a.at <= t)
    }

    pub fn category_at(&self, t: Timestamp) -> Category {
        self.categories.iter().rev().find(|(from, _)| *from <= t).map(|(_, c)| *c).unwrap_or(self.categories[0].1)
    }

    pub fn risk_at(&self, t: Timestamp) -> Risk {
        self.risks.iter().rev().find(|(from, _)| *from <= t).map(|(_, r)| *r).unwrap_or(Risk::Ungraded)
    }

    pub fn ever_category(&self, wanted: &[Category]) -> bool {
        self.categories.iter().any(|(_, c)| wanted.contains(c))
    }

    /// Moments at which the category or risk changed, in time order.
    pub fn change_times(&self) -> impl Iterator<Item = Timestamp> + '_ {
        let mut times: Vec<Timestamp> = self.categories.iter().map(|(t, _)| *t).chain(self.risks.iter().map(|(t, _)| *t)).collect();
        times.sort();
        times.dedup();
        times.into_iter()
    }
}

/// A validated scenario. Children, episodes and events refer to each other by index.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub now: Timestamp,
    pub children: Vec<Child>,
    /// Sorted by child, then start.
    pub episodes: Vec<Episode>,
    /// Sorted by time (see [`canonical_order`]).
    pub events: Vec<Event>,
    /// For each child, its episodes (indices into `episodes`) in start order.
    pub child_episodes: Vec<Vec<usize>>,
    /// For each child, its events (indices into `events`) in time order.
    pub child_events: Vec<Vec<usize>>,
}

impl Scenario {
    pub fn child_index(&self, id: &str) -> Option<usize> {
        self.children.iter().position(|c| c.id == id)
    }
}

// ---------------------------------------------------------------- parsing

/// Parses and validates a scenario from JSON text.
pub fn parse(json: &str) -> Result<Scenario, ScenarioError> {
    // Fast path: plain deserialisation. Only when it fails is the text read
    // again with path tracking, to name the offending field.
    if let Ok(raw) = serde_json::from_str::<RawScenario>(json) {
        return build(raw);
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let raw: RawScenario = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let path = if path == "." { "scenario".to_string() } else { path };
        ScenarioError::new(path, json_message(&inner))
    })?;
    de.end().map_err(|e| ScenarioError::new("scenario", json_message(&e)))?;
    build(raw)
}

fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // serde_json appends " at line L column C"; keep it, it helps find the spot.
    text
}

/// An RFC 3339 time (with an offset); `path` is only built on error.
fn time(text: &str, path: impl FnOnce() -> String) -> Result<Timestamp, ScenarioError> {
    match text.parse::<Timestamp>() {
        Ok(t) if text.contains(['T', 't', ' ']) && offset_in_range(text) => Ok(t),
        _ => Err(ScenarioError::new(path(), "not an RFC 3339 time")),
    }
}

/// An RFC 3339 time (with an offset), or `None`.
pub(crate) fn rfc3339(text: &str) -> Option<Timestamp> {
    time(text, String::new).ok()
}

/// RFC 3339 offsets run from -23:59 to +23:59 (the parser would take more).
fn offset_in_range(text: &str) -> bool {
    let Some(at) = text.rfind(['+', '-']).filter(|i| *i > 10) else {
        return true; // "Z" (or no offset, which the parser refuses)
    };
    text.get(at + 1..at + 3).and_then(|h| h.parse::<u8>().ok()).is_some_and(|h| h <= 23)
}

/// The value of a required text field; `path` is only built on error.
fn required<'a>(value: &'a Text<'_>, path: impl FnOnce() -> String) -> Result<&'a str, ScenarioError> {
    match value.as_deref() {
        Some(v) if !v.trim().is_empty() => Ok(v),
        Some(_) => Err(ScenarioError::new(path(), "must not be empty")),
        None => Err(ScenarioError::new(path(), "is required")),
    }
}

fn plain_id(text: &str, path: &str) -> Result<(), ScenarioError> {
    if text.chars().any(|c| c == '/' || c == '#' || c.is_whitespace()) {
        Err(ScenarioError::new(path, format!("'{text}' must not contain '/', '#' or spaces")))
    } else {
        Ok(())
    }
}

fn build(raw: RawScenario<'_>) -> Result<Scenario, ScenarioError> {
    let now = time(required(&raw.now, || "now".into())?, || "now".into())?;
    let children = build_children(&raw.children, now)?;
    let index: HashMap<&str, usize> = children.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();

    // First pass: decode every event on its own.
    let mut decoded = Vec::with_capacity(raw.events.len());
    for (i, ev) in raw.events.iter().enumerate() {
        decoded.push(decode_event(i, ev, now, &index)?);
    }
    lifecycle(now, children, decoded)
}

fn build_children(raw: &[RawChild<'_>], now: Timestamp) -> Result<Vec<Child>, ScenarioError> {
    let today = crate::calendar::local_date(now);
    let mut seen = HashMap::new();
    let mut children = Vec::with_capacity(raw.len());
    for (i, c) in raw.iter().enumerate() {
        let p = |f: &str| format!("children[{i}].{f}");
        let id = required(&c.id, || p("id"))?.to_string();
        plain_id(&id, &p("id"))?;
        if let Some(first) = seen.insert(id.clone(), i) {
            return Err(ScenarioError::new(p("id"), format!("'{id}' is already the id of children[{first}]")));
        }
        let dob_text = required(&c.date_of_birth, || p("date_of_birth"))?;
        let date_of_birth: Date = dob_text.parse().map_err(|_| ScenarioError::new(p("date_of_birth"), "not a date (YYYY-MM-DD)"))?;
        if date_of_birth > today {
            return Err(ScenarioError::new(p("date_of_birth"), "is after `now`"));
        }
        let status = Status::parse(required(&c.status, || p("status"))?).map_err(|m| ScenarioError::new(p("status"), m))?;
        let responsible = c.responsible_authority.as_deref().filter(|s| !s.is_empty());
        let living_in = c.living_in.as_deref().filter(|s| !s.is_empty());
        let (responsible, living_in) = match (responsible, living_in) {
            (Some(r), Some(l)) => (r, l),
            (Some(r), None) => (r, r),
            (None, Some(l)) => (l, l),
            (None, None) => {
                return Err(ScenarioError::new(p("responsible_authority"), "is required (or give living_in)"));
            }
        };
        vocab::check_id(responsible, "authority id").map_err(|m| ScenarioError::new(p("responsible_authority"), m))?;
        vocab::check_id(living_in, "authority id").map_err(|m| ScenarioError::new(p("living_in"), m))?;
        let mut flags = Vec::with_capacity(c.flags.len());
        for (j, f) in c.flags.iter().enumerate() {
            vocab::check_flag(f).map_err(|m| ScenarioError::new(p(&format!("flags[{j}]")), m))?;
            if !flags.iter().any(|x: &String| x == f) {
                flags.push(f.to_string());
            }
        }
        children.push(Child { id, date_of_birth, status, responsible_authority: responsible.to_string(), living_in: living_in.to_string(), flags });
    }
    Ok(children)
}

/// An event decoded on its own, before the episode lifecycle is checked.
struct Decoded {
    index: usize,
    at: Timestamp,
    child: usize,
    episode: Option<String>,
    data: EventData,
}

fn decode_event(i: usize, ev: &RawEvent<'_>, now: Timestamp, children: &HashMap<&str, usize>) -> Result<Decoded, ScenarioError> {
    let p = |f: &str| format!("events[{i}].{f}");
    let at = time(required(&ev.at, || p("at"))?, || p("at"))?;
    if at > now {
        return Err(ScenarioError::new(p("at"), "is after `now`"));
    }
    let child_id = required(&ev.child, || p("child"))?;
    let child = *children.get(child_id).ok_or_else(|| ScenarioError::new(p("child"), format!("no child has the id '{child_id}'")))?;
    let kind = EventType::parse(required(&ev.kind, || p("type"))?).map_err(|m| ScenarioError::new(p("type"), m))?;
    let episode = match &ev.episode {
        Some(e) if e.is_empty() => return Err(ScenarioError::new(p("episode"), "must not be empty")),
        Some(e) => {
            plain_id(e, &p("episode"))?;
            Some(e.to_string())
        }
        None => None,
    };
    let needs_episode = matches!(
        kind,
        EventType::Reported
            | EventType::Recategorised
            | EventType::RiskGraded
            | EventType::Returned
            | EventType::SignificantHarm
            | EventType::SafeAndWellCheck
            | EventType::EpisodeAssigned
    );
    if needs_episode && episode.is_none() {
        return Err(ScenarioError::new(p("episode"), format!("is required for a '{kind}' event")));
    }

    // Fields that do not belong to this type are an error: they would be ignored.
    let allowed: &[&str] = match kind {
        EventType::Reported => &["category", "risk", "with_others", "started_at"],
        EventType::Recategorised => &["category"],
        EventType::RiskGraded => &["risk"],
        EventType::Returned => &["found_by", "location", "found_in"],
        EventType::SafeAndWellCheck => &["by"],
        EventType::ReturnInterview => &["outcome", "independent"],
        EventType::StrategyMeeting | EventType::Meeting => &["kind"],
        EventType::Notified => &["to"],
        EventType::Assessment | EventType::PlanUpdated => &["kind"],
        EventType::SignificantHarm => &[],
        EventType::DutyDone => &["duty"],
        EventType::Exception => &["duty", "reason", "authorised_by"],
        EventType::EpisodeAssigned => &["worker", "team", "reason"],
        EventType::PromptConsidered => &["duty", "decision", "by"],
    };
    let present: [(&str, bool); 20] = [
        ("category", ev.category.is_some()),
        ("risk", ev.risk.is_some()),
        ("with_others", ev.with_others.is_some()),
        ("started_at", ev.started_at.is_some()),
        ("found_by", ev.found_by.is_some()),
        ("location", ev.location.is_some()),
        ("found_in", ev.found_in.is_some()),
        ("by", ev.by.is_some()),
        ("outcome", ev.outcome.is_some()),
        ("independent", ev.independent.is_some()),
        ("to", ev.to.is_some()),
        ("duty", ev.duty.is_some()),
        ("reason", ev.reason.is_some()),
        ("authorised_by", ev.authorised_by.is_some()),
        ("decision", ev.decision.is_some()),
        ("kind", ev.sub_kind.is_some()),
        ("worker", ev.worker.is_some()),
        ("team", ev.team.is_some()),
        ("recorded_by", false),
        ("details", ev.details.is_some() && crate::details::fields_of(kind).is_none()),
    ];
    if let Some((field, _)) = present.iter().find(|(f, there)| *there && !allowed.contains(f)) {
        return Err(ScenarioError::new(p(field), format!("is not a field of a '{kind}' event")));
    }

    if let Some(details) = &ev.details {
        crate::details::parse(kind, details, &p("details"))?;
    }

    let category =
        |field: &str| -> Result<Category, ScenarioError> { Category::parse(required(&ev.category, || p(field))?).map_err(|m| ScenarioError::new(p(field), m)) };
    let risk = |value: &str| -> Result<Risk, ScenarioError> {
        match Risk::parse(value) {
            Ok(Risk::Ungraded) | Err(_) => {
                Err(ScenarioError::new(p("risk"), format!("'{value}' is not a risk grade (expected one of: high, medium, low, no_apparent_risk)")))
            }
            Ok(r) => Ok(r),
        }
    };
    let text = |value: &Text<'_>, field: &str| -> Result<String, ScenarioError> { Ok(required(value, || p(field))?.to_string()) };
    let one_of = |value: &Text<'_>, field: &str, allowed: &[&str]| match value.as_deref() {
        None => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
        Some(v) => Err(ScenarioError::new(p(field), format!("'{v}' is not one of: {}", allowed.join(", ")))),
    };

    let data = match kind {
        EventType::Reported => {
            let started_at = match &ev.started_at {
                Some(s) => {
                    let t = time(s, || p("started_at"))?;
                    if t > at {
                        return Err(ScenarioError::new(p("started_at"), "is after the report (`at`)"));
                    }
                    Some(t)
                }
                None => None,
            };
            let with_others = ev.with_others.clone().unwrap_or_default();
            for (j, other) in with_others.iter().enumerate() {
                if other.is_empty() {
                    return Err(ScenarioError::new(p(&format!("with_others[{j}]")), "must not be empty"));
                }
            }
            EventData::Reported { category: category("category")?, risk: ev.risk.as_deref().map(risk).transpose()?, with_others, started_at }
        }
        EventType::Recategorised => EventData::Recategorised { category: category("category")? },
        EventType::RiskGraded => EventData::RiskGraded { risk: risk(required(&ev.risk, || p("risk"))?)? },
        EventType::Returned => EventData::Returned {
            found_by: one_of(&ev.found_by, "found_by", vocab::FOUND_BY)?,
            location: ev.location.as_ref().map(|l| l.to_string()),
            found_in: match ev.found_in.as_deref() {
                Some(a) => {
                    vocab::check_id(a, "authority id").map_err(|m| ScenarioError::new(p("found_in"), m))?;
                    Some(a.to_string())
                }
                None => None,
            },
        },
        EventType::SafeAndWellCheck => EventData::SafeAndWellCheck { by: one_of(&ev.by, "by", vocab::CHECK_BY)? },
        EventType::ReturnInterview => EventData::ReturnInterview {
            outcome: Outcome::parse(required(&ev.outcome, || p("outcome"))?).map_err(|m| ScenarioError::new(p("outcome"), m))?,
            independent: ev.independent,
        },
        EventType::StrategyMeeting => EventData::StrategyMeeting {
            kind: match &ev.sub_kind {
                Some(k) => Some(text(&Some(k.clone()), "kind")?),
                None => None,
            },
        },
        EventType::Meeting => EventData::Meeting { kind: text(&ev.sub_kind, "kind")? },
        EventType::Notified => EventData::Notified { to: text(&ev.to, "to")? },
        EventType::Assessment => EventData::Assessment { kind: text(&ev.sub_kind, "kind")? },
        EventType::PlanUpdated => EventData::PlanUpdated { kind: text(&ev.sub_kind, "kind")? },
        EventType::SignificantHarm => EventData::SignificantHarm,
        EventType::DutyDone => EventData::DutyDone { duty: text(&ev.duty, "duty")? },
        EventType::Exception => EventData::Exception {
            duty: text(&ev.duty, "duty")?,
            reason: text(&ev.reason, "reason")?,
            authorised_by: text(&ev.authorised_by, "authorised_by")?,
        },
        EventType::PromptConsidered => EventData::PromptConsidered {
            duty: text(&ev.duty, "duty")?,
            decision: one_of(&ev.decision, "decision", vocab::PROMPT_DECISIONS)?.ok_or_else(|| ScenarioError::new(p("decision"), "is required"))?,
            by: text(&ev.by, "by")?,
        },
        EventType::EpisodeAssigned => EventData::EpisodeAssigned {
            worker: match &ev.worker {
                Some(_) => Some(text(&ev.worker, "worker")?.trim().to_string()),
                None => None,
            },
            team: text(&ev.team, "team")?.trim().to_string(),
            reason: match &ev.reason {
                Some(_) => Some(text(&ev.reason, "reason")?),
                None => None,
            },
        },
    };
    Ok(Decoded { index: i, at, child, episode, data })
}

/// Lifecycle rank: at the same instant an episode is reported before it is
/// graded, and everything else happens before it ends.
fn rank(data: &EventData) -> u8 {
    match data {
        EventData::Reported { .. } => 0,
        EventData::Recategorised { .. } => 1,
        EventData::RiskGraded { .. } => 2,
        EventData::Returned { .. } => 4,
        _ => 3,
    }
}

/// The canonical order of events: by time, then lifecycle rank, then content.
/// It depends only on what the events say, never on their position in the file,
/// so a scenario gives the same result however its events are ordered.
fn canonical_order(a: &Decoded, b: &Decoded) -> std::cmp::Ordering {
    a.at.cmp(&b.at)
        .then_with(|| a.child.cmp(&b.child))
        .then_with(|| rank(&a.data).cmp(&rank(&b.data)))
        .then_with(|| a.episode.cmp(&b.episode))
        .then_with(|| a.data.event_type().cmp(&b.data.event_type()))
        .then_with(|| a.data.tie_key().cmp(b.data.tie_key()))
        // Same time, child, episode, type and main field: compare everything.
        .then_with(|| format!("{:?}", a.data).cmp(&format!("{:?}", b.data)))
}

fn lifecycle(now: Timestamp, children: Vec<Child>, mut decoded: Vec<Decoded>) -> Result<Scenario, ScenarioError> {
    decoded.sort_by(canonical_order);

    let mut episodes: Vec<Episode> = Vec::new();
    // (child, episode id) → index into episodes.
    // For each child, (episode id, index into episodes).
    let mut by_key: Vec<Vec<(String, usize)>> = vec![Vec::new(); children.len()];
    let find = |keys: &[(String, usize)], id: &str| keys.iter().find(|(k, _)| k == id).map(|(_, i)| *i);
    // Reported episodes first, so that events may name an episode reported at the same instant.
    let mut open: Vec<Option<usize>> = vec![None; children.len()];
    let mut last_end: Vec<Option<Timestamp>> = vec![None; children.len()];
    let mut events = Vec::with_capacity(decoded.len());

    for d in decoded {
        let p = |f: &str| format!("events[{}].{f}", d.index);
        let child_id = &children[d.child].id;
        let episode = match (&d.data, &d.episode) {
            (EventData::Reported { category, risk, with_others, started_at }, Some(ep)) => {
                if find(&by_key[d.child], ep).is_some() {
                    return Err(ScenarioError::new(p("episode"), format!("episode '{ep}' of child '{child_id}' is already reported")));
                }
                if let Some(o) = open[d.child] {
                    return Err(ScenarioError::new(
                        p("type"),
                        format!(
                            "child '{child_id}' already has an open episode '{}' (reported {}); record 'returned' for it first, or 'recategorised' to change its category",
                            episodes[o].id, episodes[o].reported_at
                        ),
                    ));
                }
                let start = started_at.unwrap_or(d.at);
                if let Some(end) = last_end[d.child] {
                    if start < end {
                        return Err(ScenarioError::new(
                            if started_at.is_some() { p("started_at") } else { p("at") },
                            format!("child '{child_id}' was still on an earlier episode until {end}"),
                        ));
                    }
                }
                let idx = episodes.len();
                episodes.push(Episode {
                    id: ep.clone(),
                    child: d.child,
                    start,
                    reported_at: d.at,
                    categories: vec![(start, *category)],
                    risks: risk.map(|r| vec![(start, r)]).unwrap_or_default(),
                    returned_at: None,
                    found_by: None,
                    found_in: None,
                    with_others: with_others.clone(),
                    assignments: Vec::new(),
                });
                by_key[d.child].push((ep.clone(), idx));
                open[d.child] = Some(idx);
                Some(idx)
            }
            (_, Some(ep)) => {
                let idx = find(&by_key[d.child], ep)
                    .ok_or_else(|| ScenarioError::new(p("episode"), format!("child '{child_id}' has no episode '{ep}' reported at or before this time")))?;
                let ended = episodes[idx].returned_at;
                match &d.data {
                    EventData::Recategorised { category } => {
                        if ended.is_some() {
                            return Err(ended_error(&p("type"), ep));
                        }
                        episodes[idx].categories.push((d.at, *category));
                    }
                    EventData::RiskGraded { risk } => {
                        if ended.is_some() {
                            return Err(ended_error(&p("type"), ep));
                        }
                        episodes[idx].risks.push((d.at, *risk));
                    }
                    EventData::Returned { found_by, found_in, .. } => {
                        if ended.is_some() {
                            return Err(ScenarioError::new(p("type"), format!("episode '{ep}' has already been recorded as returned")));
                        }
                        episodes[idx].returned_at = Some(d.at);
                        episodes[idx].found_by = found_by.clone();
                        episodes[idx].found_in = found_in.clone();
                        open[d.child] = None;
                        last_end[d.child] = Some(d.at);
                    }
                    EventData::EpisodeAssigned { worker, team, reason } => {
                        // Two different assignments at one instant would leave
                        // the owner to the order of the file: refuse them.
                        if let Some(same) = episodes[idx].assignments.iter().find(|a| a.at == d.at) {
                            if same.worker.as_ref() != worker.as_ref() || &same.team != team {
                                return Err(ScenarioError::new(
                                    p("at"),
                                    format!(
                                        "episode '{ep}' is already assigned to {} at this time; record the re-assignment at a later time",
                                        describe_owner(same.worker.as_deref(), &same.team)
                                    ),
                                ));
                            }
                        }
                        episodes[idx].assignments.push(Assignment { at: d.at, worker: worker.clone(), team: team.clone(), reason: reason.clone() });
                    }
                    _ => {}
                }
                Some(idx)
            }
            (_, None) => None,
        };
        events.push(Event { index: d.index, at: d.at, child: d.child, episode, data: d.data });
    }

    // Episodes in child, then start order; remap event references.
    let mut order: Vec<usize> = (0..episodes.len()).collect();
    order.sort_by(|&a, &b| (episodes[a].child, episodes[a].start, &episodes[a].id).cmp(&(episodes[b].child, episodes[b].start, &episodes[b].id)));
    let mut remap = vec![0; episodes.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old] = new;
    }
    let episodes: Vec<Episode> = order.iter().map(|&i| episodes[i].clone()).collect();
    for e in &mut events {
        e.episode = e.episode.map(|i| remap[i]);
    }
    let mut child_episodes = vec![Vec::new(); children.len()];
    for (i, ep) in episodes.iter().enumerate() {
        child_episodes[ep.child].push(i);
    }
    let mut child_events = vec![Vec::new(); children.len()];
    for (i, ev) in events.iter().enumerate() {
        child_events[ev.child].push(i);
    }
    Ok(Scenario { now, children, episodes, events, child_episodes, child_events })
}

fn describe_owner(worker: Option<&str>, team: &str) -> String {
    match worker {
        Some(w) => format!("worker '{w}' of team '{team}'"),
        None => format!("team '{team}'"),
    }
}

fn ended_error(path: &str, episode: &str) -> ScenarioError {
    ScenarioError::new(path, format!("episode '{episode}' has already ended; a change after the return is not allowed"))
}

impl fmt::Display for EventData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.event_type().as_str())
    }
}

#[cfg(test)]
mod time_tests {
    use super::time;

    #[test]
    fn offsets_beyond_a_day_are_not_rfc_3339() {
        let path = || "at".to_string();
        assert!(time("2026-03-01T20:00:00Z", path).is_ok());
        assert!(time("2026-03-01T20:00:00+01:00", path).is_ok());
        assert!(time("2026-03-01T20:00:00-23:59", path).is_ok());
        assert!(time("2026-03-01T20:00:00-25:00", path).is_err());
        assert!(time("2026-03-01T20:00:00+24:00", path).is_err());
    }
}
