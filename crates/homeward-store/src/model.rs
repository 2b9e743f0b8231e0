//! Rows and the shapes callers pass in.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[macro_export]
#[doc(hidden)]
macro_rules! child_columns {
    () => {
        "id, given_name, family_name, date_of_birth, status, responsible_authority, living_in, flags, allocated_worker, team, photo_ref, created_at, created_by, created_agency"
    };
}
#[macro_export]
#[doc(hidden)]
macro_rules! event_columns {
    () => {
        "seq, id, child_id, episode, type, at, body, recorded_by, agency, recorded_at, supersedes, idempotency_key"
    };
}
#[macro_export]
#[doc(hidden)]
macro_rules! duty_columns {
    () => {
        "id, child_id, episode, authority, protocol, rule, kind, what, by_role, to_role, triggered_at, due, state, done_at, late, prompt, occurrence, cite, due_set_by"
    };
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct Child {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub status: String,
    pub responsible_authority: String,
    pub living_in: String,
    /// JSON array of flag names.
    pub flags: String,
    pub allocated_worker: Option<String>,
    pub team: Option<String>,
    pub photo_ref: Option<String>,
    pub created_at: i64,
    pub created_by: String,
    pub created_agency: String,
}

impl Child {
    pub fn flag_list(&self) -> Vec<String> {
        serde_json::from_str(&self.flags).unwrap_or_default()
    }

    /// The child as the replay contract writes it.
    pub fn scenario_json(&self) -> Value {
        json!({
            "id": self.id,
            "date_of_birth": self.date_of_birth,
            "status": self.status,
            "responsible_authority": self.responsible_authority,
            "living_in": self.living_in,
            "flags": self.flag_list(),
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewChild {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub status: String,
    pub responsible_authority: String,
    pub living_in: Option<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    pub allocated_worker: Option<String>,
    pub team: Option<String>,
    pub photo_ref: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ChildFilter {
    pub authority: Option<String>,
    /// Only these children (none given: any).
    pub ids: Vec<String>,
    pub limit: i64,
    pub offset: i64,
    /// Only children the caller may see.
    pub visible: Option<crate::access::Visibility>,
    /// Only children placed with this agency at this instant (agency id,
    /// seconds): a `placement` involvement begun and not yet ended.
    pub placed_with: Option<(String, i64)>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EventRecord {
    pub seq: i64,
    pub id: String,
    pub child_id: String,
    pub episode: Option<String>,
    #[sqlx(rename = "type")]
    pub event_type: String,
    pub at: i64,
    /// The event as the replay contract writes it (JSON text).
    pub body: String,
    pub recorded_by: String,
    pub agency: String,
    pub recorded_at: i64,
    pub supersedes: Option<String>,
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RecordOptions {
    pub idempotency_key: Option<String>,
    /// The id of an earlier event of the same child this one corrects.
    pub supersedes: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub event: EventRecord,
    pub duties: Vec<DutyRecord>,
    /// False when an idempotency key matched an earlier recording.
    pub created: bool,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DutyRecord {
    pub id: String,
    pub child_id: String,
    pub episode: String,
    pub authority: String,
    pub protocol: String,
    pub rule: String,
    pub kind: String,
    pub what: String,
    pub by_role: String,
    pub to_role: Option<String>,
    pub triggered_at: i64,
    pub due: i64,
    pub state: String,
    pub done_at: Option<i64>,
    pub late: i64,
    pub prompt: i64,
    pub occurrence: i64,
    pub cite: String,
    /// `protocol` when the document sets the deadline, `reading` when it is
    /// a reading (the protocol sets no timescale); None for a row written
    /// before this was recorded, until the child is evaluated again.
    pub due_set_by: Option<String>,
}

impl DutyRecord {
    /// The state at `now`: a stored `due` duty whose time has passed is overdue
    /// even before its timer has re-evaluated it. A prompt is never due or
    /// overdue: once it applies it is to be considered.
    pub fn state_at(&self, now: Timestamp) -> &str {
        let now = now.as_second();
        if self.prompt != 0 {
            return match self.state.as_str() {
                "upcoming" | "due" | "overdue" if self.triggered_at <= now => "to_consider",
                s => s,
            };
        }
        match self.state.as_str() {
            "due" | "overdue" if self.due < now => "overdue",
            "upcoming" if self.triggered_at <= now && self.due < now => "overdue",
            "upcoming" if self.triggered_at <= now => "due",
            s => s,
        }
    }
}

/// Which duties to list. Everything is optional.
#[derive(Debug, Clone, Default)]
pub struct DutyFilter {
    pub authority: Option<String>,
    pub child: Option<String>,
    pub kind: Option<String>,
    pub by_role: Option<String>,
    /// Only duties overdue at `now`.
    pub overdue: bool,
    /// Only open duties due within this many hours of `now`.
    pub due_within_hours: Option<i64>,
    /// Include done, excepted and lapsed duties.
    pub include_closed: bool,
    /// Only prompts waiting to be considered (never listed among firm duties).
    pub to_consider: bool,
    /// Only duties of episodes this worker is responsible for ("my episodes").
    pub owner: Option<String>,
    /// Only duties of episodes this team is responsible for ("my team").
    pub team: Option<String>,
    pub limit: Option<i64>,
    pub offset: i64,
    /// Only duties of children the caller may see.
    pub visible: Option<crate::access::Visibility>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EpisodeRow {
    pub episode: String,
    pub started_at: i64,
    pub returned_at: Option<i64>,
    pub category: String,
    pub risk: String,
    /// Who is responsible for the episode now: the latest `episode_assigned`,
    /// else the child's allocated worker and team (then `owner_since` is None).
    pub owner_worker: Option<String>,
    pub owner_team: Option<String>,
    pub owner_since: Option<i64>,
    pub owner_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MissingChild {
    pub child_id: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub status: String,
    pub responsible_authority: String,
    pub living_in: String,
    pub episode: String,
    pub started_at: i64,
    pub category: String,
    pub risk: String,
    pub owner_worker: Option<String>,
    pub owner_team: Option<String>,
}

/// A duty that reached a stage for the first time: act on it once.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub duty_id: String,
    pub stage: String,
    pub child_id: String,
    pub episode: String,
    /// The authority whose duty it is, and the protocol that creates it.
    pub authority: String,
    pub protocol: String,
    pub rule: String,
    /// The duty's kind (`notify`, `meeting`, …).
    pub kind: String,
    pub to: Option<String>,
    pub by: String,
    pub what: String,
    pub cite: String,
    pub triggered_at: Timestamp,
    pub due: Timestamp,
}
