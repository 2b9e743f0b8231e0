//! The shapes of what the API answers and the pages show: children, duties,
//! events, episodes, a child's timeline, who is missing, the access log.

use super::time;
use homeward_store::{Child, Deletion, DutyRecord, EpisodeRow, EventRecord, MissingChild, NationalAlert};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ChildOut {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub status: String,
    pub responsible_authority: String,
    pub living_in: String,
    pub flags: Vec<String>,
    pub allocated_worker: Option<String>,
    pub team: Option<String>,
    pub photo_ref: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub created_agency: String,
    /// The current placement's address, to those allowed to see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement_address: Option<String>,
}

impl From<Child> for ChildOut {
    fn from(c: Child) -> Self {
        ChildOut {
            flags: c.flag_list(),
            created_at: time(c.created_at),
            id: c.id,
            given_name: c.given_name,
            family_name: c.family_name,
            date_of_birth: c.date_of_birth,
            status: c.status,
            responsible_authority: c.responsible_authority,
            living_in: c.living_in,
            allocated_worker: c.allocated_worker,
            team: c.team,
            photo_ref: c.photo_ref,
            created_by: c.created_by,
            created_agency: c.created_agency,
            placement_address: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DutyOut {
    pub id: String,
    pub child: String,
    pub episode: String,
    pub authority: String,
    pub protocol: String,
    pub rule: String,
    pub kind: String,
    pub what: String,
    pub by: String,
    pub to: Option<String>,
    pub triggered_at: String,
    pub due: String,
    /// done, excepted, overdue, due, upcoming; a prompt: to_consider, then
    /// done (confirmed) or dismissed (lapsed with include_closed)
    pub state: String,
    /// `protocol`: the document sets the deadline; `reading`: it does not
    /// (the protocol sets no timescale) and the deadline is Homeward's
    /// documented reading; null for a duty not evaluated since this was recorded.
    pub due_set_by: Option<String>,
    pub done_at: Option<String>,
    pub late: bool,
    pub prompt: bool,
    pub occurrence: i64,
    pub cite: String,
}

impl DutyOut {
    pub(crate) fn from_record(d: DutyRecord, now: Timestamp) -> Self {
        DutyOut {
            state: d.state_at(now).to_string(),
            due_set_by: d.due_set_by.clone(),
            triggered_at: time(d.triggered_at),
            due: time(d.due),
            done_at: d.done_at.map(time),
            late: d.late != 0,
            prompt: d.prompt != 0,
            id: d.id,
            child: d.child_id,
            episode: d.episode,
            authority: d.authority,
            protocol: d.protocol,
            rule: d.rule,
            kind: d.kind,
            what: d.what,
            by: d.by_role,
            to: d.to_role,
            occurrence: d.occurrence,
            cite: d.cite,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventOut {
    pub id: String,
    pub seq: i64,
    pub child: String,
    pub episode: Option<String>,
    #[serde(rename = "type")]
    pub event_type: String,
    pub at: String,
    /// The event as recorded, in the replay contract's shape.
    #[schema(value_type = Object)]
    pub body: Value,
    pub recorded_by: String,
    pub agency: String,
    pub recorded_at: String,
    pub supersedes: Option<String>,
}

impl From<EventRecord> for EventOut {
    fn from(e: EventRecord) -> Self {
        EventOut {
            body: serde_json::from_str(&e.body).unwrap_or(Value::Null),
            at: time(e.at),
            recorded_at: time(e.recorded_at),
            id: e.id,
            seq: e.seq,
            child: e.child_id,
            episode: e.episode,
            event_type: e.event_type,
            recorded_by: e.recorded_by,
            agency: e.agency,
            supersedes: e.supersedes,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EpisodeOut {
    pub episode: String,
    pub started_at: String,
    pub returned_at: Option<String>,
    /// Absent for readers who may only know that the child was missing.
    pub category: Option<String>,
    pub risk: Option<String>,
    /// Who is responsible for the episode now; null when neither an
    /// `episode_assigned` event nor the child's allocation names anyone, or
    /// when the reader may only know that the child was missing.
    pub owner: Option<OwnerOut>,
}

/// Who owns (is responsible for) an episode.
#[derive(Serialize, ToSchema)]
pub struct OwnerOut {
    /// The allocated worker (a user id); null when only a team is allocated.
    pub worker: Option<String>,
    pub team: Option<String>,
    /// The child's responsible authority.
    pub authority: String,
    /// When the latest `episode_assigned` took effect; null when the owner is
    /// the child's allocated worker and team (no assignment recorded).
    pub since: Option<String>,
    pub reason: Option<String>,
}

impl EpisodeOut {
    /// `details`: the reader may see the episode's category, risk and owner.
    pub(crate) fn from_row(e: EpisodeRow, responsible_authority: &str, details: bool) -> Self {
        let owner = (details && (e.owner_worker.is_some() || e.owner_team.is_some())).then(|| OwnerOut {
            worker: e.owner_worker,
            team: e.owner_team,
            authority: responsible_authority.to_string(),
            since: e.owner_since.map(time),
            reason: e.owner_reason,
        });
        EpisodeOut {
            episode: e.episode,
            started_at: time(e.started_at),
            returned_at: e.returned_at.map(time),
            category: details.then_some(e.category),
            risk: details.then_some(e.risk),
            owner,
        }
    }
}

/// A field class the caller may read on this record, and the rule that allows it.
#[derive(Serialize, ToSchema)]
pub struct AccessOut {
    pub class: String,
    pub rule: String,
}

#[derive(Serialize, ToSchema)]
pub struct TimelineOut {
    /// What the caller may read on this record, and why: every other part is left out.
    pub access: Vec<AccessOut>,
    pub child: ChildOut,
    pub episodes: Vec<EpisodeOut>,
    pub events: Vec<EventOut>,
    /// Every duty, including done, excepted and lapsed ones.
    pub duties: Vec<DutyOut>,
}

#[derive(Serialize, ToSchema)]
pub struct MissingOut {
    pub child: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub status: String,
    pub responsible_authority: String,
    pub living_in: String,
    pub episode: String,
    pub missing_since: String,
    pub category: String,
    pub risk: String,
    /// Hours missing at the time of the request.
    pub hours_missing: i64,
    /// The worker and team responsible for the episode.
    pub owner_worker: Option<String>,
    pub owner_team: Option<String>,
}

impl MissingOut {
    pub(crate) fn from_row(m: MissingChild, now: Timestamp) -> Self {
        MissingOut {
            hours_missing: (now.as_second() - m.started_at).max(0) / 3600,
            missing_since: time(m.started_at),
            child: m.child_id,
            given_name: m.given_name,
            family_name: m.family_name,
            date_of_birth: m.date_of_birth,
            status: m.status,
            responsible_authority: m.responsible_authority,
            living_in: m.living_in,
            episode: m.episode,
            category: m.category,
            risk: m.risk,
            owner_worker: m.owner_worker,
            owner_team: m.owner_team,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AccessLogOut {
    pub seq: i64,
    pub at: String,
    pub user: Option<String>,
    pub agency: Option<String>,
    pub role: Option<String>,
    pub action: String,
    pub operation: String,
    pub fields: Vec<String>,
    pub outcome: String,
    pub rule: Option<String>,
    pub break_glass: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RecordedOut {
    pub event: EventOut,
    /// The child's open duties after this event.
    pub duties: Vec<DutyOut>,
    /// False when the idempotency key matched an earlier recording (nothing new was written).
    pub created: bool,
}

#[derive(Serialize, ToSchema)]
pub struct BreakGlassOut {
    pub id: String,
    pub child: String,
    pub reason: String,
    pub granted_at: String,
    pub expires_at: String,
    /// Notifications sent to the child's team managers about this access.
    pub notified: usize,
}

#[derive(Serialize, ToSchema)]
pub struct InvolvementOut {
    pub id: String,
    pub child: String,
    pub agency: String,
    /// placement, return_interview, school, health, cross_border
    pub relation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub reason: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub recorded_by: String,
    pub ended_by: Option<String>,
}

impl InvolvementOut {
    pub(crate) fn from_row(i: homeward_store::Involvement, show_address: bool) -> Self {
        InvolvementOut {
            address: if show_address { i.address } else { None },
            started_at: time(i.started_at),
            ended_at: i.ended_at.map(time),
            id: i.id,
            child: i.child_id,
            agency: i.agency_id,
            relation: i.relation,
            reason: i.reason,
            recorded_by: i.recorded_by,
            ended_by: i.ended_by,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: String,
    /// 0 for the first sending, then 1, 2, … for each re-send.
    pub round: i64,
    /// `email` or `webhook`.
    pub channel: String,
    pub target: String,
    /// `pending`, `sent` or `failed` (given up after every retry).
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
}

impl From<homeward_store::DeliveryRecord> for DeliveryOut {
    fn from(d: homeward_store::DeliveryRecord) -> Self {
        DeliveryOut {
            id: d.id,
            round: d.round,
            channel: d.channel,
            target: d.target,
            state: d.state,
            attempts: d.attempts,
            next_attempt_at: time(d.next_attempt_at),
            last_error: d.last_error,
            sent_at: d.sent_at.map(time),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NotificationOut {
    pub id: String,
    pub duty: String,
    /// `triggered` or `overdue`.
    pub stage: String,
    pub child: String,
    pub authority: String,
    pub protocol: String,
    /// The protocol role told.
    pub role: String,
    /// 0 for the first message; 1 for its escalation to the role's manager, …
    pub level: i64,
    pub escalation_of: Option<String>,
    pub subject: String,
    pub body: String,
    pub has_calendar: bool,
    pub created_at: String,
    pub acknowledge_by: String,
    /// `acknowledged`, `duty_closed` (the duty was done or ended first), or null while waiting.
    pub settled: Option<String>,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_agency: Option<String>,
    pub escalated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<Vec<DeliveryOut>>,
}

impl NotificationOut {
    pub(crate) fn from_record(n: homeward_store::NotificationRecord, deliveries: Option<Vec<homeward_store::DeliveryRecord>>) -> Self {
        NotificationOut {
            id: n.id,
            duty: n.duty_id,
            stage: n.stage,
            child: n.child_id,
            authority: n.authority,
            protocol: n.protocol,
            role: n.role,
            level: n.level,
            escalation_of: n.escalation_of,
            subject: n.subject,
            body: n.body,
            has_calendar: n.calendar.is_some(),
            created_at: time(n.created_at),
            acknowledge_by: time(n.ack_due_at),
            settled: n.settled,
            acknowledged_at: n.acknowledged_at.map(time),
            acknowledged_by: n.acknowledged_by,
            acknowledged_agency: n.acknowledged_agency,
            escalated_at: n.escalated_at.map(time),
            deliveries: deliveries.map(|d| d.into_iter().map(DeliveryOut::from).collect()),
        }
    }
}

/// One episode without names, date of birth or address.
#[derive(Serialize, ToSchema)]
pub struct PseudonymousEpisodeOut {
    /// Stable for one child within this service, meaningless outside it.
    pub child: String,
    pub age_at_start: Option<i64>,
    pub status: String,
    pub responsible_authority: String,
    pub living_in: String,
    pub flags: Vec<String>,
    pub episode: String,
    pub started_at: String,
    pub returned_at: Option<String>,
    pub category: String,
    pub risk: String,
}

#[derive(Serialize, ToSchema)]
pub struct NationalAlertOut {
    pub id: String,
    pub authority: String,
    pub from_authority: String,
    pub received_at: String,
    pub subject: String,
    pub date_of_birth: Option<String>,
    pub details: Option<String>,
    pub child: Option<String>,
    pub recorded_by: String,
    pub agency: String,
    pub recorded_at: String,
    /// When it falls due for review under the receiving authority's protocol
    /// (deleted only if the reviewer decides so); null when no protocol
    /// allows it to be deleted.
    pub kept_until: Option<String>,
    /// The protocol paragraph that says so (`bolton National alerts`).
    pub retention_cite: Option<String>,
}

impl NationalAlertOut {
    pub(crate) fn from_record(a: NationalAlert, state: &crate::AppState) -> Self {
        let made_at = jiff::Timestamp::from_second(a.recorded_at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let retained = state.store.registry().retention(&a.authority, homeward_core::vocab::RetainedRecord::NationalAlert, made_at);
        NationalAlertOut {
            kept_until: retained.map(|r| r.keep_until.to_string()),
            retention_cite: retained.map(|r| r.protocol.cite(&r.rule.cite)),
            received_at: time(a.received_at),
            recorded_at: time(a.recorded_at),
            id: a.id,
            authority: a.authority,
            from_authority: a.from_authority,
            subject: a.subject,
            date_of_birth: a.date_of_birth,
            details: a.details,
            child: a.child_id,
            recorded_by: a.recorded_by,
            agency: a.agency,
        }
    }
}

/// The record of one deletion after a retention review (no personal details).
#[derive(Serialize, ToSchema)]
pub struct DeletionOut {
    /// `national_alert`.
    pub record_kind: String,
    pub record_id: String,
    pub authority: String,
    pub child: Option<String>,
    /// When the record was made, and the end of its retention period.
    pub made_at: String,
    pub kept_until: String,
    pub protocol: String,
    pub protocol_version: String,
    /// The `[[retention]]` entry and the paragraph that allows the deletion.
    pub rule: String,
    pub cite: String,
    pub deleted_at: String,
    pub deleted_by: String,
}

impl From<Deletion> for DeletionOut {
    fn from(d: Deletion) -> Self {
        DeletionOut {
            made_at: time(d.made_at),
            kept_until: time(d.kept_until),
            deleted_at: time(d.deleted_at),
            record_kind: d.record_kind,
            record_id: d.record_id,
            authority: d.authority,
            child: d.child_id,
            protocol: d.protocol,
            protocol_version: d.protocol_version,
            rule: d.rule,
            cite: d.cite,
            deleted_by: d.deleted_by,
        }
    }
}

/// One rule of the policy as it applies to the caller.
#[derive(Serialize, ToSchema)]
pub struct RuleOut {
    pub id: String,
    pub actions: Vec<String>,
    pub classes: Vec<String>,
    pub relations: Vec<String>,
    pub unless_flags: Vec<String>,
    pub reason: String,
    pub cite: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    pub user: String,
    pub display_name: String,
    pub role: String,
    pub agency: String,
    pub agency_name: String,
    pub agency_kind: String,
    pub authorities: Vec<String>,
    /// Send this in `X-CSRF-Token` with every change made with the session cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The policy version in force, and every rule that gives this user access: why they see what they see.
    pub policy_version: String,
    pub rules: Vec<RuleOut>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
    /// Only when created: the token itself. It is not stored and cannot be shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl TokenOut {
    pub(crate) fn from_row(t: homeward_store::TokenRow, token: Option<String>) -> Self {
        TokenOut {
            scopes: t.scope_list(),
            id: t.id,
            name: t.name,
            created_at: time(t.created_at),
            expires_at: t.expires_at.map(time),
            revoked_at: t.revoked_at.map(time),
            last_used_at: t.last_used_at.map(time),
            token,
        }
    }
}

/// A review of a record past its retention period.
#[derive(Serialize, ToSchema)]
pub struct RetentionReviewOut {
    /// `national_alert`.
    pub record_kind: String,
    pub record_id: String,
    pub authority: String,
    /// When the record's retention period (or the last `keep`) ended.
    pub due_at: String,
    /// The protocol role that decides (those who answer for it, or for a role above it).
    pub review_by: String,
    pub protocol: String,
    pub protocol_version: String,
    pub rule: String,
    /// The paragraph that sets the period (`bolton National alerts`).
    pub cite: String,
    pub opened_at: String,
    /// `delete` or `keep`; null while the review is open.
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
}

impl From<homeward_store::RetentionReview> for RetentionReviewOut {
    fn from(r: homeward_store::RetentionReview) -> Self {
        RetentionReviewOut {
            due_at: time(r.due_at),
            opened_at: time(r.opened_at),
            decided_at: r.decided_at.map(time),
            record_kind: r.record_kind,
            record_id: r.record_id,
            authority: r.authority,
            review_by: r.review_by,
            protocol: r.protocol,
            protocol_version: r.protocol_version,
            rule: r.rule,
            cite: r.cite,
            decision: r.decision,
            reason: r.reason,
            decided_by: r.decided_by,
        }
    }
}
