//! Which field class each part of a record belongs to. The policy file says
//! who may see a class; this says what a class holds, in one place, so the
//! API and its tests agree.

/// A child's names, date of birth, photo, legal status, flags and allocation.
pub const IDENTITY: &str = "identity";
/// The address of the child's placement.
pub const PLACEMENT_ADDRESS: &str = "placement_address";
/// That the child is or was missing: when each episode started and ended.
pub const MISSING_STATUS: &str = "missing_status";
/// What was recorded about episodes: every event and its fields but notes.
pub const EPISODE: &str = "episode";
/// Free-text notes on events other than return interviews and safety plans.
pub const CASE_NOTES: &str = "case_notes";
/// Case notes and record details on events the reader's own agency recorded:
/// what it wrote, read back (a policy without the class gives nobody this).
pub const OWN_NOTES: &str = "own_notes";
/// A return interview: recording one, and its content.
pub const RETURN_INTERVIEW: &str = "return_interview";
/// Safety plans and police trigger plans.
pub const SAFETY_PLAN: &str = "safety_plan";
/// The duties, flags and warnings the protocols give for the child.
pub const DUTIES: &str = "duties";
/// Messages about the child's duties, and acknowledging them.
pub const NOTIFICATIONS: &str = "notifications";
/// Which agencies are involved with the child.
pub const INVOLVEMENT: &str = "involvement";
/// Who has read or written the record.
pub const ACCESS_LOG: &str = "access_log";
/// Rows without names, date of birth or address, for analysis.
pub const PSEUDONYMISED: &str = "pseudonymised";
/// An authority's register of national alerts received from other
/// authorities (decided as a record of that authority), and what the
/// retention job deleted from it.
pub const NATIONAL_ALERTS: &str = "national_alerts";

/// Every class the code relies on; a policy must define each of them.
pub const REQUIRED: &[&str] = &[
    IDENTITY,
    PLACEMENT_ADDRESS,
    MISSING_STATUS,
    EPISODE,
    CASE_NOTES,
    RETURN_INTERVIEW,
    SAFETY_PLAN,
    DUTIES,
    NOTIFICATIONS,
    INVOLVEMENT,
    ACCESS_LOG,
    PSEUDONYMISED,
    NATIONAL_ALERTS,
];

/// The stage of a notification telling managers that someone used
/// break-glass access to a record.
pub const BREAK_GLASS_STAGE: &str = "break_glass";

/// The class of a notification's content. A break-glass notice says who
/// read the record under emergency access, from which agency and why: that
/// is the record's access log, not a message about a duty.
pub fn notification_class(stage: &str) -> &'static str {
    if stage == BREAK_GLASS_STAGE { ACCESS_LOG } else { NOTIFICATIONS }
}

/// Plans shared with schools and placements as safety plans (`bnes` §6.17).
const SAFETY_PLAN_KINDS: &[&str] = &["safety_plan", "trigger_plan"];

/// The class of an event as a whole (`kind` is the event's `kind` field, if any).
pub fn event_class(event_type: &str, kind: Option<&str>) -> &'static str {
    match event_type {
        "return_interview" => RETURN_INTERVIEW,
        "plan_updated" if kind.is_some_and(|k| SAFETY_PLAN_KINDS.contains(&k)) => SAFETY_PLAN,
        _ => EPISODE,
    }
}

/// The class of an event's free-text `note`.
pub fn note_class(event_type: &str, kind: Option<&str>) -> &'static str {
    match event_class(event_type, kind) {
        EPISODE => CASE_NOTES,
        other => other,
    }
}

/// The class a reader needs to see that an event happened at all. A
/// return interview having taken place is episode information (placements
/// are told it happened, `pan-lancashire` §5.7.4); its content is not.
pub fn event_seen_as(event_type: &str, kind: Option<&str>) -> &'static str {
    match event_class(event_type, kind) {
        RETURN_INTERVIEW => EPISODE,
        other => other,
    }
}
