//! What the engine returns: the replay contract's result document.

use crate::vocab::DutyKind;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    pub now: Timestamp,
    pub protocols: Vec<ProtocolRef>,
    pub duties: Vec<Duty>,
    pub flags: Vec<Flag>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ProtocolRef {
    pub id: String,
    pub version: String,
    pub effective_from: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyState {
    Done,
    Excepted,
    Overdue,
    Due,
    Upcoming,
    Lapsed,
    /// Extension: a prompt ("consider…") that has triggered and that nobody
    /// has confirmed or dismissed yet. A prompt is never `due` or `overdue`.
    ToConsider,
    /// Extension: a prompt someone considered and dismissed (`prompt_considered`).
    Dismissed,
}

impl DutyState {
    pub fn as_str(&self) -> &'static str {
        match self {
            DutyState::Done => "done",
            DutyState::Excepted => "excepted",
            DutyState::Overdue => "overdue",
            DutyState::Due => "due",
            DutyState::Upcoming => "upcoming",
            DutyState::Lapsed => "lapsed",
            DutyState::ToConsider => "to_consider",
            DutyState::Dismissed => "dismissed",
        }
    }

    /// Has the duty triggered (whatever became of it since)?
    pub fn has_triggered(&self) -> bool {
        matches!(self, DutyState::Done | DutyState::Excepted | DutyState::Overdue | DutyState::Due | DutyState::ToConsider | DutyState::Dismissed)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duty {
    pub id: String,
    pub child: String,
    pub episode: String,
    pub authority: String,
    /// Extension: the protocol id and rule id that created the duty.
    pub protocol: String,
    pub rule: String,
    pub kind: DutyKind,
    pub what: String,
    pub by: String,
    pub to: Option<String>,
    pub triggered_at: Timestamp,
    pub due: Timestamp,
    /// Extension: `protocol` when the document sets the timescale, `reading`
    /// when it does not and the due time is a reading (the engine-wide one
    /// for untimed duties, or one of the protocol file's readings).
    pub due_set_by: DueSetBy,
    pub state: DutyState,
    pub done_at: Option<Timestamp>,
    /// Extension: done after it was due.
    pub late: bool,
    /// Extension: the protocol asks for judgement ("consider…"); confirm with
    /// `duty_done`, or dismiss with an `exception` giving the reason.
    pub prompt: bool,
    /// Extension: 1 for the first occurrence of a recurring duty, then 2, 3, …
    pub occurrence: u32,
    pub cite: String,
    /// Extension: the authorised departure recorded against this duty, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Box<ExceptionNote>>,
    /// Extension: for a prompt, who confirmed or dismissed it, and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub considered: Option<Box<ConsideredNote>>,
}

/// Who set a duty's due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueSetBy {
    /// The document gives the timescale ("within 72 hours", "immediately").
    Protocol,
    /// The document gives none; the due time is a reading.
    Reading,
}

impl DueSetBy {
    pub fn as_str(&self) -> &'static str {
        match self {
            DueSetBy::Protocol => "protocol",
            DueSetBy::Reading => "reading",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsideredNote {
    pub at: Timestamp,
    /// `confirmed` or `dismissed`.
    pub decision: String,
    pub by: String,
}

impl serde::Serialize for DutyKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionNote {
    pub at: Timestamp,
    pub reason: String,
    pub authorised_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub child: String,
    pub flag: String,
    pub since: Timestamp,
    pub cite: String,
    /// Extension.
    pub authority: String,
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub id: String,
    pub child: String,
    pub episode: String,
    pub authority: String,
    pub at: Timestamp,
    pub what: String,
    pub cite: String,
}
