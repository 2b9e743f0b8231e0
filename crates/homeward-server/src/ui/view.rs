//! What the pages show, made from the API's answers: times in UK local
//! time, names instead of codes where people read them.

use crate::http::shapes::{DutyOut, EpisodeOut, EventOut, MissingOut};
use homeward_core::protocol::{Protocol, Registry, Rule};
use jiff::Timestamp;
use serde_json::Value;

/// `2026-11-23T14:05:00Z` as "Mon 23 Nov 2026, 14:05" in UK time (the
/// partnerships are English); anything unreadable as it came.
pub fn local(instant: &str) -> String {
    let Ok(t) = instant.parse::<Timestamp>() else { return instant.to_string() };
    t.to_zoned(homeward_core::calendar::london().clone()).strftime("%a %-d %b %Y, %H:%M").to_string()
}

/// `reported_missing` as "Reported missing".
pub fn words(code: &str) -> String {
    sentence(&code.replace(['_', '-'], " "))
}

/// A message as a sentence on a page: with a capital first letter.
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub struct MissingRow {
    pub child: String,
    pub episode: String,
    pub name: String,
    pub since: String,
    pub risk: String,
    pub category: String,
    pub authority: String,
}

impl From<MissingOut> for MissingRow {
    fn from(m: MissingOut) -> Self {
        MissingRow {
            name: format!("{} {}", m.given_name, m.family_name),
            since: local(&m.missing_since),
            risk: m.risk,
            category: words(&m.category),
            authority: m.responsible_authority,
            episode: m.episode,
            child: m.child,
        }
    }
}

pub struct DutyRow {
    /// The id as one segment of a path (duty ids hold slashes).
    pub id_path: String,
    pub child: String,
    pub child_name: String,
    pub episode: String,
    pub what: String,
    /// The role that must act, by its name in the protocol ("Emergency duty team").
    pub by: String,
    pub due: String,
    /// Beside a deadline the document does not set: Homeward's reading.
    pub due_note: Option<&'static str>,
    pub state: String,
    pub cite: String,
    /// The words of the paragraph that creates the duty.
    pub quote: Option<String>,
    /// The due time, seconds since the epoch (for ordering).
    pub due_at: i64,
    /// How late an overdue duty is, in words ("3 days late"), where a page says it.
    pub late_by: Option<String>,
}

/// What a page says beside a deadline that is a reading, not the document's.
pub const NO_TIMESCALE: &str = "the protocol sets no timescale";

impl DutyRow {
    /// `child_name`: the child's name, when the reader may know it; role
    /// names and the paragraph's words come from the protocol files.
    pub fn new(d: DutyOut, child_name: Option<String>, protocols: &Registry) -> DutyRow {
        let due_at = d.due.parse::<Timestamp>().map(|t| t.as_second()).unwrap_or(0);
        DutyRow {
            child_name: child_name.unwrap_or_else(|| "Child's record".to_string()),
            by: role_name(protocols, &d.protocol, &d.by),
            due: local(&d.due),
            due_note: (d.due_set_by.as_deref() == Some("reading")).then_some(NO_TIMESCALE),
            quote: rule_of(protocols, &d.protocol, &d.rule, &d.triggered_at).map(|r| r.quote.trim().to_string()),
            what: d.what,
            state: d.state,
            cite: d.cite,
            id_path: segment(&d.id),
            child: d.child,
            episode: d.episode,
            due_at,
            late_by: None,
        }
    }
}

/// Text as one percent-encoded segment of a path or a query's value.
pub fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// How late, from seconds past the due time: "40 minutes late", "5 hours
/// late", "3 days late" (whole units, rounded down).
pub fn late_by(seconds: i64) -> String {
    let (n, unit) = match seconds.max(0) {
        s if s < 3600 => ((s / 60).max(1), "minute"),
        s if s < 48 * 3600 => (s / 3600, "hour"),
        s => (s / 86_400, "day"),
    };
    format!("{n} {unit}{} late", if n == 1 { "" } else { "s" })
}

/// A protocol role by the name its file gives it (the newest version that
/// has the role); the id in words when no file names it.
pub fn role_name(protocols: &Registry, protocol: &str, role: &str) -> String {
    protocols.versions(protocol).collect::<Vec<_>>().into_iter().rev().find_map(|p| p.role(role)).map(|r| r.name.clone()).unwrap_or_else(|| words(role))
}

/// The rule that created a duty: in the version of its protocol in force
/// when the duty was triggered, else in any version that has it.
pub fn rule_of<'a>(protocols: &'a Registry, protocol: &str, rule: &str, triggered_at: &str) -> Option<&'a Rule> {
    let day = triggered_at.parse::<Timestamp>().ok().map(homeward_core::calendar::local_date);
    let versions: Vec<&Protocol> = protocols.versions(protocol).collect();
    let in_force = versions.iter().rev().find(|p| day.is_none_or(|d| p.effective_from <= d)).and_then(|p| p.rules.iter().find(|r| r.id == rule));
    in_force.or_else(|| versions.iter().rev().find_map(|p| p.rules.iter().find(|r| r.id == rule)))
}

pub struct EpisodeRow {
    pub episode: String,
    pub started_at: String,
    pub returned_at: String,
    pub category: String,
    pub risk: String,
    pub owner: String,
}

impl From<EpisodeOut> for EpisodeRow {
    fn from(e: EpisodeOut) -> Self {
        let hidden = "Not shown to you";
        let owner = match e.owner {
            Some(o) => [o.worker, o.team].into_iter().flatten().collect::<Vec<_>>().join(", "),
            None => String::new(),
        };
        EpisodeRow {
            episode: e.episode,
            started_at: local(&e.started_at),
            returned_at: e.returned_at.map(|r| local(&r)).unwrap_or_else(|| "Still missing".to_string()),
            category: e.category.map(|c| words(&c)).unwrap_or_else(|| hidden.to_string()),
            risk: e.risk.map(|r| words(&r)).unwrap_or_else(|| hidden.to_string()),
            owner,
        }
    }
}

pub struct EventRow {
    pub id: String,
    pub at: String,
    pub what: String,
    /// The event's other plain fields, "kind: x · risk: high".
    pub details: String,
    pub note: Option<String>,
    pub recorded_by: String,
    pub agency: String,
    /// The record's details, in words (fields recorded only).
    pub record: Vec<super::records::Shown>,
    /// Whether the page links to a printable record of it.
    pub print: bool,
}

impl EventRow {
    /// An event in words. `duties` names the child's duties by id, so that a
    /// duty marked done or excepted reads as what it asks, never as its id.
    pub fn new(e: EventOut, duties: &std::collections::HashMap<String, String>) -> Self {
        let mut details = Vec::new();
        let mut note = None;
        if let Value::Object(fields) = &e.body {
            for (k, v) in fields {
                match (k.as_str(), v) {
                    ("type" | "at" | "child" | "episode", _) => {}
                    ("note", Value::String(s)) => note = Some(s.clone()),
                    ("duty", Value::String(id)) => {
                        details.push(format!("Duty: {}", duties.get(id).cloned().unwrap_or_else(|| "a duty no longer shown".to_string())))
                    }
                    // Codes of the contract's vocabulary read as words; what a person typed stays as typed.
                    ("category" | "risk" | "found_by" | "by" | "outcome" | "kind" | "to" | "decision" | "found_in", Value::String(s)) => {
                        details.push(format!("{}: {}", words(k), words(s)))
                    }
                    (_, Value::String(s)) => details.push(format!("{}: {s}", words(k))),
                    (_, Value::Number(n)) => details.push(format!("{}: {n}", words(k))),
                    (_, Value::Bool(b)) => details.push(format!("{}: {}", words(k), if *b { "yes" } else { "no" })),
                    _ => {}
                }
            }
        }
        EventRow {
            record: super::records::recorded(&e.event_type, e.body.get("details")),
            print: super::records::printable(&e.event_type),
            id: e.id,
            at: local(&e.at),
            what: words(&e.event_type),
            details: details.join(" · "),
            note,
            recorded_by: e.recorded_by,
            agency: e.agency,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_uk_local_time_across_the_clock_change() {
        assert_eq!(local("2026-07-01T13:05:00Z"), "Wed 1 Jul 2026, 14:05");
        assert_eq!(local("2026-11-23T13:05:00Z"), "Mon 23 Nov 2026, 13:05");
        assert_eq!(local("not a time"), "not a time");
    }

    #[test]
    fn lateness_reads_in_whole_units() {
        assert_eq!(late_by(30), "1 minute late");
        assert_eq!(late_by(59 * 60), "59 minutes late");
        assert_eq!(late_by(3600), "1 hour late");
        assert_eq!(late_by(47 * 3600 + 3599), "47 hours late");
        assert_eq!(late_by(48 * 3600), "2 days late");
        assert_eq!(late_by(-5), "1 minute late");
    }

    #[test]
    fn a_duty_id_is_one_segment_of_a_path() {
        assert_eq!(segment("bolton.r1/child-1/e1"), "bolton.r1%2Fchild-1%2Fe1");
        assert_eq!(segment("a b&c"), "a%20b%26c");
    }

    #[test]
    fn an_event_says_codes_in_words_and_keeps_what_was_typed() {
        let body = serde_json::json!({"type": "returned", "found_by": "police", "location": "Ashton-under-Lyne bus station"});
        let e = EventOut {
            id: "ev".into(),
            seq: 1,
            child: "c".into(),
            episode: Some("e1".into()),
            event_type: "returned".into(),
            at: "2026-03-03T10:00:00Z".into(),
            body,
            recorded_by: "sw".into(),
            agency: "cs".into(),
            recorded_at: "2026-03-03T10:00:00Z".into(),
            supersedes: None,
        };
        let row = EventRow::new(e, &std::collections::HashMap::new());
        assert_eq!(row.details, "Found by: Police · Location: Ashton-under-Lyne bus station");
    }

    #[test]
    fn codes_read_as_words() {
        assert_eq!(words("reported_missing"), "Reported missing");
        assert_eq!(words("return-interview"), "Return interview");
        assert_eq!(words(""), "");
    }
}
