//! What a record's form asks beyond what the engine reads: the `details`
//! object a `return_interview`, `strategy_meeting`, `meeting` or
//! `safe_and_well_check` event may carry (who held it, who came, what was
//! said and decided, the action plan). The engine never reads it, as it
//! never reads a `note`; parsing checks every field and names the first
//! offending one (`events[3].details.next_review: not a date (YYYY-MM-DD)`).

use crate::scenario::ScenarioError;
use crate::vocab::EventType;
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Map, Value};

/// How a return interview was held.
pub const INTERVIEW_MODES: &[&str] = &["in_person", "video", "telephone"];
/// Whether a meeting decided on a section 47 enquiry.
pub const SECTION_47: &[&str] = &["yes", "no", "not_considered"];

/// The details of one event, by its type.
#[derive(Debug, Clone, PartialEq)]
pub enum Details {
    ReturnInterview(Box<ReturnInterviewDetails>),
    /// A `strategy_meeting` or another `meeting`: the same record.
    Meeting(MeetingDetails),
    SafeAndWellCheck(CheckDetails),
    /// A report of a child gone missing (a placement's notification, `bolton` Figure 1).
    Reported(ReportDetails),
    /// A child back (a placement's notification, `bolton` Figure 3).
    Returned(ReturnDetails),
}

/// What a report of a child gone missing gives beyond the engine's fields
/// (`bolton` "Children Looked After, Missing from Care Protocol", Figure 1;
/// the carers' checks of the child's protocol, `[[check]]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportDetails {
    pub police_reference: Option<String>,
    /// What the child may mean to do, and where they are likely to head.
    pub intent: Option<String>,
    /// Who to contact to discuss the child, and how.
    pub nominated_contact: Option<Contact>,
    /// Each check the reporter was asked, by its id in the protocol file, and whether they had done it.
    pub carers_checks: Vec<CheckAnswer>,
}

/// A person to contact and their phone number.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub name: String,
    pub phone: Option<String>,
}

/// One carers' check asked before reporting, and the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckAnswer {
    pub check: String,
    pub done: bool,
}

/// What a return gives beyond the engine's fields (`bolton` Figure 3).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReturnDetails {
    /// Whether the child came straight back (else `location` says where they were found).
    pub returned_directly: Option<bool>,
    /// What the carers changed to make another episode less likely.
    pub alterations_in_care: Option<String>,
}

/// A return interview record (`bolton Return interview template`, `bnes`
/// §6.10–§6.16): the offer, who held it and how, contacts, the child's
/// account, factors, concerns, strengths, actions and the safety plan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReturnInterviewDetails {
    pub offered_at: Option<Timestamp>,
    pub not_offered_reason: Option<String>,
    pub interviewer: Option<String>,
    pub interviewer_agency: Option<String>,
    /// `in_person`, `video` or `telephone`.
    pub mode: Option<String>,
    pub venue: Option<String>,
    pub contact_attempts: Vec<ContactAttempt>,
    pub parental_consent: Option<bool>,
    pub declined_reason: Option<String>,
    /// Why it was not completed within 72 hours (the bolton template asks
    /// for no authoriser, unlike an `exception`).
    pub reason_not_within_72_hours: Option<String>,
    pub childs_account: Option<String>,
    pub push_factors: Vec<String>,
    pub pull_factors: Vec<String>,
    pub concerns: Option<String>,
    pub strengths: Option<String>,
    pub actions: Vec<ActionItem>,
    pub safety_plan: Option<String>,
    pub sent_to_local_authority_at: Option<Timestamp>,
}

/// One attempt to reach the child for a return interview.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactAttempt {
    pub at: Timestamp,
    /// Phone, visit, text, letter…
    pub method: String,
    pub outcome: Option<String>,
}

/// One row of an action plan.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionItem {
    pub action: String,
    pub owner: Option<String>,
    pub due: Option<Date>,
}

/// A strategy or other meeting's record (`bolton Strategy meetings`,
/// `pan-lancashire` §5.5.3, `newham` §11, `derby-derbyshire` §5.4).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MeetingDetails {
    pub chair: Option<String>,
    pub attendees: Vec<Attendee>,
    pub child_voice: Option<String>,
    /// `yes`, `no` or `not_considered`.
    pub section_47: Option<String>,
    pub decisions: Option<String>,
    pub actions: Vec<ActionItem>,
    pub next_review: Option<Date>,
    pub record_shared_with: Vec<String>,
}

/// Someone at a meeting.
#[derive(Debug, Clone, PartialEq)]
pub struct Attendee {
    pub name: String,
    pub role_or_agency: Option<String>,
}

/// A safe and well check or prevention interview (`pan-lancashire`
/// §5.7.3, `newham` §14, `bnes` §6.4, `derby-derbyshire` §6.6).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckDetails {
    pub by_name: Option<String>,
    pub by_agency: Option<String>,
    /// Why someone other than the police did it.
    pub rationale: Option<String>,
    /// How the child presented: demeanour, physical state, clothing.
    pub presentation: Option<String>,
    pub disclosures_of_harm: Option<String>,
    pub where_and_with_whom: Option<String>,
    /// Whether a Police Safeguarding Referral was submitted.
    pub psr_submitted: Option<bool>,
}

/// The fields `details` may hold for an event type; `None` when the type
/// carries no details.
pub fn fields_of(event_type: EventType) -> Option<&'static [&'static str]> {
    Some(match event_type {
        EventType::ReturnInterview => &[
            "offered_at",
            "not_offered_reason",
            "interviewer",
            "interviewer_agency",
            "mode",
            "venue",
            "contact_attempts",
            "parental_consent",
            "declined_reason",
            "reason_not_within_72_hours",
            "childs_account",
            "push_factors",
            "pull_factors",
            "concerns",
            "strengths",
            "actions",
            "safety_plan",
            "sent_to_local_authority_at",
        ],
        EventType::StrategyMeeting | EventType::Meeting => {
            &["chair", "attendees", "child_voice", "section_47", "decisions", "actions", "next_review", "record_shared_with"]
        }
        EventType::SafeAndWellCheck => &["by_name", "by_agency", "rationale", "presentation", "disclosures_of_harm", "where_and_with_whom", "psr_submitted"],
        EventType::Reported => &["police_reference", "intent", "nominated_contact", "carers_checks"],
        EventType::Returned => &["returned_directly", "alterations_in_care"],
        _ => return None,
    })
}

/// Parses an event's `details`; `path` names it in errors (`events[3].details`).
pub fn parse(event_type: EventType, value: &Value, path: &str) -> Result<Details, ScenarioError> {
    let Some(allowed) = fields_of(event_type) else {
        return Err(ScenarioError::new(path, format!("is not a field of a '{event_type}' event")));
    };
    let r = Reader::new(value, path, allowed)?;
    Ok(match event_type {
        EventType::ReturnInterview => Details::ReturnInterview(Box::new(ReturnInterviewDetails {
            offered_at: r.time("offered_at")?,
            not_offered_reason: r.text("not_offered_reason")?,
            interviewer: r.text("interviewer")?,
            interviewer_agency: r.text("interviewer_agency")?,
            mode: r.one_of("mode", INTERVIEW_MODES)?,
            venue: r.text("venue")?,
            contact_attempts: r.list("contact_attempts", &["at", "method", "outcome"], |e| {
                Ok(ContactAttempt { at: e.time("at")?.ok_or_else(|| e.missing("at"))?, method: e.required("method")?, outcome: e.text("outcome")? })
            })?,
            parental_consent: r.bool("parental_consent")?,
            declined_reason: r.text("declined_reason")?,
            reason_not_within_72_hours: r.text("reason_not_within_72_hours")?,
            childs_account: r.text("childs_account")?,
            push_factors: r.texts("push_factors")?,
            pull_factors: r.texts("pull_factors")?,
            concerns: r.text("concerns")?,
            strengths: r.text("strengths")?,
            actions: r.actions()?,
            safety_plan: r.text("safety_plan")?,
            sent_to_local_authority_at: r.time("sent_to_local_authority_at")?,
        })),
        EventType::StrategyMeeting | EventType::Meeting => Details::Meeting(MeetingDetails {
            chair: r.text("chair")?,
            attendees: r
                .list("attendees", &["name", "role_or_agency"], |e| Ok(Attendee { name: e.required("name")?, role_or_agency: e.text("role_or_agency")? }))?,
            child_voice: r.text("child_voice")?,
            section_47: r.one_of("section_47", SECTION_47)?,
            decisions: r.text("decisions")?,
            actions: r.actions()?,
            next_review: r.date("next_review")?,
            record_shared_with: r.texts("record_shared_with")?,
        }),
        EventType::Reported => Details::Reported(ReportDetails {
            police_reference: r.text("police_reference")?,
            intent: r.text("intent")?,
            nominated_contact: r.object("nominated_contact", &["name", "phone"], |c| Ok(Contact { name: c.required("name")?, phone: c.text("phone")? }))?,
            carers_checks: r.list("carers_checks", &["check", "done"], |c| {
                Ok(CheckAnswer { check: c.required("check")?, done: c.bool("done")?.ok_or_else(|| c.missing("done"))? })
            })?,
        }),
        EventType::Returned => {
            Details::Returned(ReturnDetails { returned_directly: r.bool("returned_directly")?, alterations_in_care: r.text("alterations_in_care")? })
        }
        _ => Details::SafeAndWellCheck(CheckDetails {
            by_name: r.text("by_name")?,
            by_agency: r.text("by_agency")?,
            rationale: r.text("rationale")?,
            presentation: r.text("presentation")?,
            disclosures_of_harm: r.text("disclosures_of_harm")?,
            where_and_with_whom: r.text("where_and_with_whom")?,
            psr_submitted: r.bool("psr_submitted")?,
        }),
    })
}

/// Reads the fields of one JSON object, naming each by its path.
struct Reader<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Reader<'a> {
    fn new(value: &'a Value, path: &str, allowed: &[&str]) -> Result<Self, ScenarioError> {
        let Value::Object(map) = value else {
            return Err(ScenarioError::new(path, "must be an object"));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ScenarioError::new(format!("{path}.{unknown}"), format!("is not a field of these details (expected one of: {})", allowed.join(", "))));
        }
        Ok(Reader { map, path: path.to_string() })
    }

    fn at(&self, field: &str) -> String {
        format!("{}.{field}", self.path)
    }

    fn missing(&self, field: &str) -> ScenarioError {
        ScenarioError::new(self.at(field), "is required")
    }

    fn get(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field)
    }

    fn text(&self, field: &str) -> Result<Option<String>, ScenarioError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Err(ScenarioError::new(self.at(field), "must not be empty")),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ScenarioError::new(self.at(field), "must be text")),
        }
    }

    fn required(&self, field: &str) -> Result<String, ScenarioError> {
        self.text(field)?.ok_or_else(|| self.missing(field))
    }

    fn one_of(&self, field: &str, allowed: &[&str]) -> Result<Option<String>, ScenarioError> {
        match self.text(field)? {
            Some(v) if !allowed.contains(&v.as_str()) => Err(ScenarioError::new(self.at(field), format!("'{v}' is not one of: {}", allowed.join(", ")))),
            other => Ok(other),
        }
    }

    fn bool(&self, field: &str) -> Result<Option<bool>, ScenarioError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ScenarioError::new(self.at(field), "must be true or false")),
        }
    }

    fn time(&self, field: &str) -> Result<Option<Timestamp>, ScenarioError> {
        match self.text(field)? {
            None => Ok(None),
            Some(t) => crate::scenario::rfc3339(&t).map(Some).ok_or_else(|| ScenarioError::new(self.at(field), "not an RFC 3339 time")),
        }
    }

    fn date(&self, field: &str) -> Result<Option<Date>, ScenarioError> {
        match self.text(field)? {
            None => Ok(None),
            Some(d) => d.parse::<Date>().map(Some).map_err(|_| ScenarioError::new(self.at(field), "not a date (YYYY-MM-DD)")),
        }
    }

    fn array(&self, field: &str) -> Result<&'a [Value], ScenarioError> {
        match self.get(field) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(ScenarioError::new(self.at(field), "must be a list")),
        }
    }

    fn texts(&self, field: &str) -> Result<Vec<String>, ScenarioError> {
        let mut out = Vec::new();
        for (i, item) in self.array(field)?.iter().enumerate() {
            match item {
                Value::String(s) if !s.trim().is_empty() => out.push(s.clone()),
                Value::String(_) => return Err(ScenarioError::new(format!("{}[{i}]", self.at(field)), "must not be empty")),
                _ => return Err(ScenarioError::new(format!("{}[{i}]", self.at(field)), "must be text")),
            }
        }
        Ok(out)
    }

    fn list<T>(&self, field: &str, allowed: &[&str], each: impl Fn(&Reader<'a>) -> Result<T, ScenarioError>) -> Result<Vec<T>, ScenarioError> {
        let mut out = Vec::new();
        for (i, item) in self.array(field)?.iter().enumerate() {
            out.push(each(&Reader::new(item, &format!("{}[{i}]", self.at(field)), allowed)?)?);
        }
        Ok(out)
    }

    fn object<T>(&self, field: &str, allowed: &[&str], read: impl Fn(&Reader<'a>) -> Result<T, ScenarioError>) -> Result<Option<T>, ScenarioError> {
        match self.get(field) {
            None => Ok(None),
            Some(value) => read(&Reader::new(value, &self.at(field), allowed)?).map(Some),
        }
    }

    fn actions(&self) -> Result<Vec<ActionItem>, ScenarioError> {
        self.list("actions", &["action", "owner", "due"], |e| Ok(ActionItem { action: e.required("action")?, owner: e.text("owner")?, due: e.date("due")? }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(event_type: EventType, value: Value) -> String {
        parse(event_type, &value, "events[3].details").unwrap_err().to_string()
    }

    #[test]
    fn a_full_return_interview_parses() {
        let value = json!({
            "offered_at": "2026-03-05T10:00:00Z",
            "interviewer": "Sam Oduya",
            "interviewer_agency": "RUNA",
            "mode": "in_person",
            "venue": "School",
            "contact_attempts": [{"at": "2026-03-05T09:00:00+00:00", "method": "phone", "outcome": "no answer"}, {"at": "2026-03-05T11:00:00Z", "method": "visit"}],
            "parental_consent": true,
            "reason_not_within_72_hours": "Child away with family",
            "childs_account": "Stayed with a friend",
            "push_factors": ["arguments at home"],
            "pull_factors": ["older friends"],
            "concerns": "Older associates",
            "strengths": "Engaged well",
            "actions": [{"action": "Refer to exploitation team", "owner": "Social worker", "due": "2026-03-12"}, {"action": "Call school"}],
            "safety_plan": "Call the carer",
            "sent_to_local_authority_at": "2026-03-06T09:00:00Z"
        });
        let Details::ReturnInterview(d) = parse(EventType::ReturnInterview, &value, "details").unwrap() else { panic!("not a return interview") };
        assert_eq!(d.mode.as_deref(), Some("in_person"));
        assert_eq!(d.contact_attempts.len(), 2);
        assert_eq!(d.contact_attempts[1].outcome, None);
        assert_eq!(d.actions[0].due, Some(jiff::civil::date(2026, 3, 12)));
        assert_eq!(d.parental_consent, Some(true));
        assert_eq!(d.pull_factors, vec!["older friends".to_string()]);
    }

    #[test]
    fn meeting_and_check_details_parse() {
        let meeting = json!({"chair": "Team manager", "attendees": [{"name": "A", "role_or_agency": "Police"}], "section_47": "no", "next_review": "2026-03-10", "record_shared_with": ["school"]});
        let Details::Meeting(m) = parse(EventType::StrategyMeeting, &meeting, "details").unwrap() else { panic!("not a meeting") };
        assert_eq!(m.next_review, Some(jiff::civil::date(2026, 3, 10)));
        assert!(matches!(parse(EventType::Meeting, &meeting, "details"), Ok(Details::Meeting(_))));
        let check = json!({"by_name": "PC Lee", "psr_submitted": false});
        let Details::SafeAndWellCheck(c) = parse(EventType::SafeAndWellCheck, &check, "details").unwrap() else { panic!("not a check") };
        assert_eq!(c.psr_submitted, Some(false));
    }

    #[test]
    fn each_kind_of_error_names_its_field() {
        use EventType::*;
        assert_eq!(err(StrategyMeeting, json!({"next_review": "10/03/2026"})), "events[3].details.next_review: not a date (YYYY-MM-DD)");
        assert_eq!(err(ReturnInterview, json!({"offered_at": "2026-03-05"})), "events[3].details.offered_at: not an RFC 3339 time");
        assert_eq!(
            err(ReturnInterview, json!({"mode": "carrier_pigeon"})),
            "events[3].details.mode: 'carrier_pigeon' is not one of: in_person, video, telephone"
        );
        assert_eq!(err(ReturnInterview, json!({"parental_consent": "yes"})), "events[3].details.parental_consent: must be true or false");
        assert_eq!(err(ReturnInterview, json!({"concerns": " "})), "events[3].details.concerns: must not be empty");
        assert_eq!(err(ReturnInterview, json!({"concerns": 3})), "events[3].details.concerns: must be text");
        assert_eq!(err(ReturnInterview, json!({"push_factors": "home"})), "events[3].details.push_factors: must be a list");
        assert_eq!(err(ReturnInterview, json!({"push_factors": ["home", ""]})), "events[3].details.push_factors[1]: must not be empty");
        assert_eq!(err(ReturnInterview, json!({"actions": [{"owner": "SW"}]})), "events[3].details.actions[0].action: is required");
        assert_eq!(err(Meeting, json!({"actions": [{"action": "x", "due": "soon"}]})), "events[3].details.actions[0].due: not a date (YYYY-MM-DD)");
        assert_eq!(err(ReturnInterview, json!({"contact_attempts": [{"method": "phone"}]})), "events[3].details.contact_attempts[0].at: is required");
        assert_eq!(err(Meeting, json!({"attendees": [{"name": "A", "agency": "Police"}]})).split(':').next(), Some("events[3].details.attendees[0].agency"));
        assert_eq!(err(StrategyMeeting, json!({"section_47": "maybe"})), "events[3].details.section_47: 'maybe' is not one of: yes, no, not_considered");
        assert_eq!(err(SafeAndWellCheck, json!({"psr_submitted": 1})), "events[3].details.psr_submitted: must be true or false");
        assert_eq!(err(SafeAndWellCheck, json!("text")), "events[3].details: must be an object");
    }

    #[test]
    fn an_unknown_field_is_refused_by_name() {
        let message = err(EventType::ReturnInterview, json!({"interviewr": "Sam"}));
        assert!(message.starts_with("events[3].details.interviewr: is not a field of these details"), "{message}");
        // A meeting's field is not a return interview's.
        assert!(err(EventType::ReturnInterview, json!({"chair": "Sam"})).starts_with("events[3].details.chair:"));
        assert_eq!(err(EventType::RiskGraded, json!({})), "events[3].details: is not a field of a 'risk_graded' event");
    }

    #[test]
    fn a_placements_report_and_return_parse_and_name_what_is_wrong() {
        let report = json!({
            "police_reference": "LOG 12",
            "intent": "Town centre",
            "nominated_contact": {"name": "Jo", "phone": "01204 333 333"},
            "carers_checks": [{"check": "home-searched", "done": true}, {"check": "hospitals-contacted", "done": false}]
        });
        let Details::Reported(d) = parse(EventType::Reported, &report, "details").unwrap() else { panic!("not a report") };
        assert_eq!(d.nominated_contact, Some(Contact { name: "Jo".into(), phone: Some("01204 333 333".into()) }));
        assert_eq!(d.carers_checks[1], CheckAnswer { check: "hospitals-contacted".into(), done: false });
        assert_eq!(err(EventType::Reported, json!({"nominated_contact": {"phone": "1"}})), "events[3].details.nominated_contact.name: is required");
        assert_eq!(err(EventType::Reported, json!({"carers_checks": [{"check": "x"}]})), "events[3].details.carers_checks[0].done: is required");
        assert!(
            err(EventType::Reported, json!({"nominated_contact": {"name": "Jo", "email": "j@x"}}))
                .starts_with("events[3].details.nominated_contact.email: is not a field")
        );
        let back = json!({"returned_directly": false, "alterations_in_care": "Window locks"});
        assert_eq!(
            parse(EventType::Returned, &back, "details").unwrap(),
            Details::Returned(ReturnDetails { returned_directly: Some(false), alterations_in_care: Some("Window locks".into()) })
        );
        assert_eq!(err(EventType::Returned, json!({"returned_directly": "no"})), "events[3].details.returned_directly: must be true or false");
    }
}
