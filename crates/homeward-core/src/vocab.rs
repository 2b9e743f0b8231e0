//! The shared vocabulary of the replay contract: categories, risk grades,
//! legal statuses, outcomes, child flags and event types.

use std::fmt;

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the contract's spelling; the error lists what is accepted.
            pub fn parse(text: &str) -> Result<Self, String> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "'{}' is not a {} (expected one of: {})",
                        other,
                        $what,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// What kind of episode this is.
    Category, "category" {
        Missing = "missing",
        Absent = "absent",
        AwayFromPlacement = "away_from_placement",
    }
);

vocabulary!(
    /// The police risk grade. `Ungraded` is never recorded; rules use it to
    /// mean "no grade recorded yet".
    Risk, "risk grade" {
        High = "high",
        Medium = "medium",
        Low = "low",
        NoApparentRisk = "no_apparent_risk",
        Ungraded = "ungraded",
    }
);

vocabulary!(
    /// The child's legal or care status.
    Status, "status" {
        LookedAfter = "looked_after",
        ChildProtection = "child_protection",
        ChildInNeed = "child_in_need",
        EarlyHelp = "early_help",
        NotKnown = "not_known",
        CareLeaver = "care_leaver",
    }
);

vocabulary!(
    /// How a return interview ended.
    Outcome, "return interview outcome" {
        Completed = "completed",
        Declined = "declined",
        NoContact = "no_contact",
    }
);

vocabulary!(
    /// Every event type a scenario may record.
    EventType, "event type" {
        Reported = "reported",
        Recategorised = "recategorised",
        RiskGraded = "risk_graded",
        Returned = "returned",
        SafeAndWellCheck = "safe_and_well_check",
        ReturnInterview = "return_interview",
        StrategyMeeting = "strategy_meeting",
        Meeting = "meeting",
        Notified = "notified",
        Assessment = "assessment",
        PlanUpdated = "plan_updated",
        SignificantHarm = "significant_harm",
        DutyDone = "duty_done",
        Exception = "exception",
        EpisodeAssigned = "episode_assigned",
        PromptConsidered = "prompt_considered",
    }
);

vocabulary!(
    /// What a duty asks for.
    DutyKind, "duty kind" {
        Notify = "notify",
        Meeting = "meeting",
        Interview = "interview",
        Check = "check",
        Assessment = "assessment",
        Plan = "plan",
        Referral = "referral",
        Alert = "alert",
        Record = "record",
        Review = "review",
    }
);

vocabulary!(
    /// The agency a protocol role belongs to.
    Agency, "agency" {
        Police = "police",
        ChildrensServices = "childrens_services",
        Health = "health",
        Education = "education",
        Placement = "placement",
        ReturnInterviewService = "return_interview_service",
        YouthJustice = "youth_justice",
        Partnership = "partnership",
        National = "national",
        Family = "family",
        Other = "other",
    }
);

vocabulary!(
    /// Kinds of record a protocol may limit the keeping of (`[[retention]]`).
    /// Only records that are not engine input are listed: deleting one never
    /// changes a duty.
    RetainedRecord, "retained record kind" {
        NationalAlert = "national_alert",
    }
);

/// Flags a child may carry. The contract names the first seven; the rest
/// are conditions the protocols route on.
pub const CHILD_FLAGS: &[&str] = &[
    "cse_risk",
    "cce_risk",
    "trafficking_risk",
    "additional_needs",
    "immigration_restriction",
    "mental_health_patient",
    "criminal_order",
    "pregnant",
    "missing_education",
    "unaccompanied_asylum_seeking",
    "in_residential_home",
    "in_foster_care",
    "in_semi_independent",
    "prior_agreed_strategy",
    "family_missing",
    "radicalisation_risk",
    "forced_marriage_risk",
];

pub fn check_flag(flag: &str) -> Result<(), String> {
    if CHILD_FLAGS.contains(&flag) { Ok(()) } else { Err(format!("'{flag}' is not a known flag (expected one of: {})", CHILD_FLAGS.join(", "))) }
}

/// Who may be recorded as having found or returned the child.
pub const FOUND_BY: &[&str] = &["police", "carer", "parent", "self", "professional", "other"];

/// The recorded values of `safe_and_well_check.by`.
pub const CHECK_BY: &[&str] = &["police", "other"];
/// What a `prompt_considered` event decided.
pub const PROMPT_DECISIONS: &[&str] = &["confirmed", "dismissed"];

/// An id as the contract writes them: lower case letters, digits, `-`, `_` and `.`.
pub fn check_id(text: &str, what: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err(format!("{what} must not be empty"));
    }
    if text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')) {
        Ok(())
    } else {
        Err(format!("'{text}' is not a valid {what} (use lower-case letters, digits, '-', '_' and '.')"))
    }
}

/// The kinds of strategy meeting the service records (`strategy_meeting.kind`).
pub const STRATEGY_MEETING_KINDS: &[&str] = &["complex", "follow_up"];
/// The kinds of meeting (`meeting.kind`): every kind a protocol names.
pub const MEETING_KINDS: &[&str] = &[
    "care_planning",
    "child_action",
    "core_group",
    "cse",
    "e_tac",
    "lac_review",
    "mapping",
    "missing_from_care",
    "placement_planning",
    "review_conference",
    "risk_management",
    "safeguarding",
];
/// The kinds of assessment (`assessment.kind`).
pub const ASSESSMENT_KINDS: &[&str] = &[
    "brag_screening",
    "cse_risk_assessment",
    "early_help_assessment",
    "exploitation_screening",
    "mental_capacity",
    "missing_risk_assessment",
    "pre_incident_risk_assessment",
    "risk_assessment",
    "single_assessment",
];
/// The kinds of plan (`plan_updated.kind`).
pub const PLAN_KINDS: &[&str] = &[
    "care_plan",
    "child_protection_plan",
    "disruption_plan",
    "media_strategy",
    "missing_plan",
    "placement_plan",
    "return_plan",
    "risk_management_plan",
    "safety_plan",
    "trigger_plan",
];

/// The `kind`s an event type accepts when recorded through the service,
/// or `None` for a type that has no `kind`. Protocol files may only name
/// these (checked by the test suite), so a kind outside the list could
/// never satisfy a duty, and a mis-spelt one ("Safety_Plan") must not be
/// filed under some other class by accident.
pub fn event_kinds(event_type: EventType) -> Option<&'static [&'static str]> {
    match event_type {
        EventType::StrategyMeeting => Some(STRATEGY_MEETING_KINDS),
        EventType::Meeting => Some(MEETING_KINDS),
        EventType::Assessment => Some(ASSESSMENT_KINDS),
        EventType::PlanUpdated => Some(PLAN_KINDS),
        _ => None,
    }
}
