//! A validated protocol version: what the engine evaluates.

use crate::duration::Duration;
use crate::scenario::MatchField;
use crate::vocab::{Agency, Category, DutyKind, EventType, RetainedRecord, Risk, Status};
use jiff::civil::{Date, Time, Weekday};

#[derive(Debug, Clone)]
pub struct Protocol {
    pub id: String,
    pub title: String,
    pub version: String,
    pub effective_from: Date,
    /// Authority ids; the national baseline has `["*"]`.
    pub authorities: Vec<String>,
    pub document: String,
    /// Where it was loaded from, for messages (`protocols/newham/2024-01-01.toml`).
    pub source: String,
    pub roles: Vec<Role>,
    pub readings: Vec<Reading>,
    pub rules: Vec<Rule>,
    pub flags: Vec<FlagRule>,
    pub warnings: Vec<WarningRule>,
    /// How long kinds of record are kept before they are deleted. A kind
    /// with no entry is never deleted.
    pub retention: Vec<Retention>,
    /// The checks the document expects a parent or carer to make before
    /// reporting a child missing, in its order. They are asked on the report
    /// form and kept with the report; none of them creates a duty.
    pub checks: Vec<CarerCheck>,
}

impl Protocol {
    /// The retention rule for a kind of record, if this version has one.
    pub fn retention_for(&self, record: RetainedRecord) -> Option<&Retention> {
        self.retention.iter().find(|r| r.record == record)
    }

    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    pub fn is_baseline(&self) -> bool {
        self.authorities.iter().any(|a| a == "*")
    }

    /// `newham §9.2`, `bolton Return interviews`.
    pub fn cite(&self, cite: &str) -> String {
        // Built for every duty: plain concatenation, not the formatting machinery.
        let mut text = String::with_capacity(self.id.len() + 1 + cite.len());
        text.push_str(&self.id);
        text.push(' ');
        text.push_str(cite);
        text
    }
}

#[derive(Debug, Clone)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub agency: Agency,
    pub office_hours: Vec<OfficeHours>,
    pub out_of_hours: Option<String>,
    pub manager: Option<String>,
}

impl Role {
    /// Is the role's service open at this local weekday and time (bank holidays are closed)?
    pub fn is_open(&self, weekday: Weekday, time: Time, bank_holiday: bool) -> bool {
        if self.office_hours.is_empty() {
            return true;
        }
        !bank_holiday && self.office_hours.iter().any(|h| h.days.contains(&weekday) && time >= h.opens && time < h.closes)
    }
}

#[derive(Debug, Clone)]
pub struct OfficeHours {
    pub days: Vec<Weekday>,
    pub opens: Time,
    pub closes: Time,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Reading {
    pub id: String,
    pub cite: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    Host,
    Responsible,
    Both,
    /// The protocol of the authority where the child was found (the
    /// return's `found_in`), when it covers neither the child's host nor
    /// responsible authority: a child of another authority found here.
    FoundIn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Return,
    Event,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueFrom {
    Trigger,
    Start,
    Return,
}

/// Where a rule's deadline comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DueSource {
    /// The document's own timescale.
    Document,
    /// `due = "none"`: the document sets no timescale; the engine-wide
    /// default for untimed duties applies (see [`untimed_due`]).
    Untimed,
    /// The document's words are read as this deadline (`due_reading`, a
    /// `[[reading]]` id of the file).
    Reading(String),
}

/// The engine-wide deadline for a duty the document gives no timescale: a
/// notification or alert (an escalation is one) is due one hour after its
/// threshold is reached; any other step within 24 hours. Clock hours, never
/// working days: a missed Friday-evening escalation is late on Friday evening.
pub fn untimed_due(kind: DutyKind) -> Duration {
    match kind {
        DutyKind::Notify | DutyKind::Alert => Duration::Hours(1),
        _ => Duration::Hours(24),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatUntil {
    Return,
    Superseded,
}

/// Matches a recorded event: its type and, optionally, field values.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub event: EventType,
    pub fields: Vec<(MatchField, Vec<String>)>,
}

/// "At least `count` episodes in the `days` ending at this one's start."
#[derive(Debug, Clone)]
pub struct Window {
    pub count: usize,
    /// None: every earlier episode counts.
    pub days: Option<u32>,
    /// Empty: every category counts.
    pub categories: Vec<Category>,
}

/// The conditions of a rule, flag or warning. Empty lists mean "any".
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub categories: Vec<Category>,
    pub risks: Vec<Risk>,
    pub statuses: Vec<Status>,
    pub age_min: i16,
    pub age_max: i16,
    pub flags_any: Vec<String>,
    pub flags_all: Vec<String>,
    pub flags_none: Vec<String>,
    pub out_of_area: Option<bool>,
    pub with_others: Option<bool>,
    pub still_missing: bool,
    pub episodes_in_window: Option<Window>,
    pub earlier_episodes: usize,
    pub previous_return_interview: Vec<crate::vocab::Outcome>,
    pub found_by_none: Vec<String>,
    /// Flags only: the child is missing at `now`.
    pub currently_missing: bool,
    /// The moment the rule applies falls inside (`open`) or outside a
    /// role's office hours.
    pub hours: Option<Hours>,
    /// The child's responsible authority is (true) or is not (false)
    /// covered by this protocol.
    pub responsible_in_partnership: Option<bool>,
    /// The child's responsible authority is one of these (empty: any).
    pub responsible_authorities: Vec<String>,
    /// The child's host authority (`living_in`) is one of these (empty: any).
    pub host_authorities: Vec<String>,
    /// The authority the duty is for (its `authority`: the host for a host
    /// rule, the responsible authority for a responsible rule, the host if
    /// this protocol covers it else the responsible authority for `both`) is
    /// one of these (empty: any).
    pub duty_authorities: Vec<String>,
    /// The return names where the child was found (`found_in`), and that
    /// authority is (true) or is not (false) covered by this protocol; with
    /// false, a return that names no `found_in` also holds.
    pub found_in_partnership: Option<bool>,
}

/// `in_hours_of` / `out_of_hours_of`: judged at the moment a rule applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hours {
    /// A role of the same file with office hours.
    pub role: String,
    /// true: the role's service is open then; false: it is closed.
    pub open: bool,
}

/// When a duty or warning triggers.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub anchor: Anchor,
    pub after: Duration,
    pub strictly_after: bool,
    pub event: Option<Matcher>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub cite: String,
    pub quote: String,
    pub kind: DutyKind,
    pub what: String,
    pub by: String,
    pub to: Option<String>,
    pub prompt: bool,
    pub applies: Applies,
    pub trigger: Trigger,
    pub due: Duration,
    /// Where `due` comes from: the document, or a reading.
    pub due_source: DueSource,
    pub due_from: DueFrom,
    pub repeat: Option<Duration>,
    pub repeat_until: RepeatUntil,
    /// Events that discharge the duty. Empty with `satisfied_by_default`
    /// false: only `duty_done` can.
    pub satisfied_by: Vec<Matcher>,
    /// A notify rule that gave no `satisfied_by`: a notification to its `to`
    /// role (or that role's out-of-hours route) discharges it.
    pub satisfied_by_default: bool,
    pub satisfied_in_child: bool,
    /// The reading (a `[[reading]]` id of the file) under which an event
    /// recorded before the duty triggered may discharge it. None (the
    /// default): only an event at or after the trigger counts.
    pub satisfied_before: Option<String>,
    pub reading: Option<String>,
    pub when: Conditions,
}

#[derive(Debug, Clone)]
pub struct FlagRule {
    pub id: String,
    pub cite: String,
    pub quote: String,
    pub what: String,
    pub when: Conditions,
}

/// "Keep the record for 3 months": a kind of record is kept for `keep` from
/// when it was made; once that has passed it is due for review by
/// `review_by`, who deletes it or keeps it (for another `keep`, with a reason).
#[derive(Debug, Clone)]
pub struct Retention {
    pub id: String,
    pub record: RetainedRecord,
    pub keep: Duration,
    /// The protocol role that reviews a record once its period is over.
    pub review_by: String,
    pub cite: String,
    pub quote: String,
    pub reading: Option<String>,
}

/// A check the document expects of whoever cares for the child before they
/// report them missing (`pan-lancashire §5.1.1`, `derby-derbyshire §4.1.1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarerCheck {
    pub id: String,
    /// The question as the report form asks it.
    pub ask: String,
    /// When the document says it applies ("if appropriate"); None: always.
    pub only_if: Option<String>,
    pub cite: String,
    pub quote: String,
}

#[derive(Debug, Clone)]
pub struct WarningRule {
    pub id: String,
    pub cite: String,
    pub quote: String,
    pub what: String,
    pub applies: Applies,
    pub trigger: Trigger,
    pub when: Conditions,
}
