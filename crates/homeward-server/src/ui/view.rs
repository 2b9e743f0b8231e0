//! What the pages show, made from the API's answers: times in UK local
//! time, names instead of codes where people read them.

use crate::http::shapes::{DutyOut, EpisodeOut, EventOut, MissingOut};
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
    pub name: String,
    pub since: String,
    pub hours: i64,
    pub risk: String,
    pub category: String,
    pub authority: String,
}

impl From<MissingOut> for MissingRow {
    fn from(m: MissingOut) -> Self {
        MissingRow {
            name: format!("{} {}", m.given_name, m.family_name),
            since: local(&m.missing_since),
            hours: m.hours_missing,
            risk: m.risk,
            category: words(&m.category),
            authority: m.responsible_authority,
            child: m.child,
        }
    }
}

pub struct DutyRow {
    pub child: String,
    pub child_name: String,
    pub what: String,
    pub by: String,
    pub due: String,
    pub state: String,
    pub cite: String,
}

impl DutyRow {
    /// `child_name`: the child's name, when the reader may know it.
    pub fn new(d: DutyOut, child_name: Option<String>) -> DutyRow {
        DutyRow {
            child_name: child_name.unwrap_or_else(|| "Child's record".to_string()),
            what: d.what,
            by: words(&d.by),
            due: local(&d.due),
            state: d.state,
            cite: d.cite,
            child: d.child,
        }
    }
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
            risk: e.risk.unwrap_or_else(|| hidden.to_string()),
            owner,
        }
    }
}

pub struct EventRow {
    pub at: String,
    pub what: String,
    /// The event's other plain fields, "kind: x · risk: high".
    pub details: String,
    pub note: Option<String>,
    pub recorded_by: String,
    pub agency: String,
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
                    ("duty", Value::String(id)) => details.push(format!("Duty: {}", duties.get(id).cloned().unwrap_or_else(|| "a duty no longer shown".to_string()))),
                    (_, Value::String(s)) => details.push(format!("{}: {}", words(k), words(s))),
                    (_, Value::Number(n)) => details.push(format!("{}: {n}", words(k))),
                    (_, Value::Bool(b)) => details.push(format!("{}: {}", words(k), if *b { "yes" } else { "no" })),
                    _ => {}
                }
            }
        }
        EventRow {
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
    fn codes_read_as_words() {
        assert_eq!(words("reported_missing"), "Reported missing");
        assert_eq!(words("return-interview"), "Return interview");
        assert_eq!(words(""), "");
    }
}
