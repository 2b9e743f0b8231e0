//! `protocols show`: a protocol version in plain English, for a safeguarding
//! lead to check against the document.

use super::model::*;
use crate::vocab::DutyKind;
use std::fmt::Write as _;

fn list<T: std::fmt::Display>(items: &[T], joiner: &str) -> String {
    let words: Vec<String> = items.iter().map(|i| i.to_string().replace('_', " ")).collect();
    match words.len() {
        0 => String::new(),
        1 => words[0].clone(),
        n => format!("{} {joiner} {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

/// A role's name as the document gives it (its id if the file has no such role).
pub fn role_name(p: &Protocol, id: &str) -> String {
    p.role(id).map(|r| r.name.clone()).unwrap_or_else(|| id.to_string())
}

/// A rule's, flag's or warning's conditions, one phrase each ("the child is
/// looked after"); empty when it applies to every child.
pub fn conditions_words(p: &Protocol, c: &Conditions) -> Vec<String> {
    let mut parts = Vec::new();
    if !c.statuses.is_empty() {
        parts.push(format!("the child is {}", list(&c.statuses, "or")));
    }
    if c.age_min > 0 || c.age_max != 17 {
        parts.push(match (c.age_min, c.age_max) {
            (0, max) => format!("aged {max} or under when the episode started"),
            (min, 17) => format!("aged {min} or over when the episode started"),
            (min, max) => format!("aged {min} to {max} when the episode started"),
        });
    }
    if !c.categories.is_empty() {
        parts.push(format!("the episode is recorded as {}", list(&c.categories, "or")));
    }
    if !c.risks.is_empty() {
        parts.push(format!("the police risk grade is {}", list(&c.risks, "or")));
    }
    if !c.flags_any.is_empty() {
        parts.push(format!("the child is flagged {}", list(&c.flags_any, "or")));
    }
    if !c.flags_all.is_empty() {
        parts.push(format!("the child is flagged {}", list(&c.flags_all, "and")));
    }
    if !c.flags_none.is_empty() {
        parts.push(format!("the child is not flagged {}", list(&c.flags_none, "or")));
    }
    match c.out_of_area {
        Some(true) => parts.push("the child is placed outside the responsible authority".into()),
        Some(false) => parts.push("the child lives in the responsible authority".into()),
        None => {}
    }
    match c.with_others {
        Some(true) => parts.push("the child is missing with other children".into()),
        Some(false) => parts.push("the child is missing alone".into()),
        None => {}
    }
    if let Some(w) = &c.episodes_in_window {
        let cats = if w.categories.is_empty() { "episodes".to_string() } else { format!("{} episodes", list(&w.categories, "or")) };
        parts.push(match w.days {
            Some(d) => format!("this is at least the {}th of the child's {cats} in {d} days", w.count)
                .replace("1th", "1st")
                .replace("2th", "2nd")
                .replace("3th", "3rd"),
            None => format!("the child has had at least {} {cats}", w.count),
        });
    }
    if c.earlier_episodes > 0 {
        parts.push(format!("the child has gone missing at least {} time(s) before", c.earlier_episodes));
    }
    if !c.previous_return_interview.is_empty() {
        parts.push(format!("the previous return interview was {}", list(&c.previous_return_interview, "or")));
    }
    if !c.found_by_none.is_empty() {
        parts.push(format!("the child was not found by {}", list(&c.found_by_none, "or")));
    }
    if c.currently_missing {
        parts.push("the child is missing now".into());
    }
    if let Some(h) = &c.hours {
        let side = if h.open { "inside" } else { "outside" };
        let hours: Vec<&str> = p.role(&h.role).map(|r| r.office_hours.iter().map(|o| o.text.as_str()).collect()).unwrap_or_default();
        parts.push(format!("it applies {side} the office hours of {} ({}, Europe/London; bank holidays closed)", role_name(p, &h.role), hours.join(", ")));
    }
    match c.responsible_in_partnership {
        Some(true) => parts.push("the child's responsible authority is one of this partnership's".into()),
        Some(false) => parts.push("the child's responsible authority is outside this partnership".into()),
        None => {}
    }
    if !c.responsible_authorities.is_empty() {
        parts.push(format!("the child's responsible authority is {}", list(&c.responsible_authorities, "or")));
    }
    if !c.host_authorities.is_empty() {
        parts.push(format!("the child lives in {}", list(&c.host_authorities, "or")));
    }
    if !c.duty_authorities.is_empty() {
        parts.push(format!("the duty is {}'s", list(&c.duty_authorities, "or")));
    }
    match c.found_in_partnership {
        Some(true) => parts.push("the child was found in this partnership's area".into()),
        Some(false) => parts.push("the child was not found in this partnership's area (or where is not recorded)".into()),
        None => {}
    }
    parts
}

/// When a duty or warning applies ("when the child has been missing 48 hours").
pub fn trigger_words(t: &Trigger, still_missing: bool) -> String {
    let more = if t.strictly_after { "more than " } else { "" };
    match t.anchor {
        Anchor::Start if t.after.is_zero() => "when the episode starts".to_string(),
        Anchor::Start if still_missing => format!("when the child has been missing {more}{}", t.after.describe()),
        Anchor::Start => format!("{more}{} after the episode starts", t.after.describe()),
        Anchor::Return if t.after.is_zero() => "when the child returns".to_string(),
        Anchor::Return => format!("{more}{} after the child returns", t.after.describe()),
        Anchor::Event => {
            let what = t.event.as_ref().map(describe_matcher).unwrap_or_default();
            if t.after.is_zero() { format!("when {what} is recorded") } else { format!("{more}{} after {what} is recorded", t.after.describe()) }
        }
    }
}

fn describe_matcher(m: &Matcher) -> String {
    let mut text = m.event.as_str().replace('_', " ");
    for (field, values) in &m.fields {
        let _ = write!(text, " ({:?}: {})", field, values.join(" or "));
    }
    text.to_lowercase()
}

/// From when a satisfying act counts.
fn satisfied_from(r: &Rule) -> String {
    match &r.satisfied_before {
        None => "at or after the duty applies".to_string(),
        Some(reading) => {
            let from = match r.trigger.anchor {
                Anchor::Start => "the child went missing",
                Anchor::Return => "the child returned",
                Anchor::Event => "the triggering event",
            };
            format!("at any time from when {from}, even before the duty applies (reading {reading})")
        }
    }
}

/// A duty in words: the parts `protocols show` and the protocol pages print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleWords {
    /// Who does it, and to or with whom ("Missing Coordinator tells Police").
    pub who: String,
    /// When it applies: the trigger, then each condition.
    pub when: Vec<String>,
    /// "within 48 hours of that", "immediately".
    pub due: String,
    /// Where the deadline comes from when the document sets none; None when
    /// the document sets it.
    pub due_source: Option<String>,
    /// "then every 5 working days until the child is found".
    pub repeat: Option<String>,
    /// What discharges it, and from when an act counts.
    pub done: String,
    /// Whose duty it is (which authority).
    pub whose: String,
}

/// A duty of `p` in words.
pub fn rule_words(p: &Protocol, r: &Rule) -> RuleWords {
    let mut who = role_name(p, &r.by);
    if let Some(to) = &r.to {
        let verb = if r.kind == DutyKind::Notify { "tells" } else { "with" };
        let _ = write!(who, " {verb} {}", role_name(p, to));
    }
    let mut when = vec![trigger_words(&r.trigger, r.when.still_missing)];
    when.extend(conditions_words(p, &r.when));
    if r.when.still_missing && r.trigger.anchor != Anchor::Start {
        when.push("the child is still missing".into());
    }
    let due = if r.due.is_zero() {
        "immediately".to_string()
    } else {
        let from = match r.due_from {
            DueFrom::Trigger => "of that",
            DueFrom::Start => "of the child going missing",
            DueFrom::Return => "of the return",
        };
        format!("within {} {from}", r.due.describe())
    };
    let due_source = match &r.due_source {
        DueSource::Document => None,
        DueSource::Untimed => Some("the protocol sets no timescale: the engine-wide reading for untimed duties".to_string()),
        DueSource::Reading(id) => Some(format!("the protocol sets no timescale: reading {id}")),
    };
    let repeat = r.repeat.map(|rep| {
        let until = match r.repeat_until {
            RepeatUntil::Return => "until the child is found",
            RepeatUntil::Superseded => "until a later episode starts a new cycle",
        };
        format!("then every {} {until}", rep.describe())
    });
    let act = if r.satisfied_by_default {
        format!("a notification to {}", role_name(p, r.to.as_deref().unwrap_or("")))
    } else if r.satisfied_by.is_empty() {
        "marked done by a person".to_string()
    } else {
        r.satisfied_by.iter().map(describe_matcher).collect::<Vec<_>>().join(", or ")
    };
    let done = if !r.satisfied_by_default && r.satisfied_by.is_empty() {
        act
    } else if r.prompt {
        format!("{act}, recorded {}; or confirmed or dismissed by a person (to consider, never overdue)", satisfied_from(r))
    } else {
        format!("{act}, recorded {}", satisfied_from(r))
    };
    let whose = match r.applies {
        Applies::Host => "the authority where the child lives",
        Applies::Responsible => "the child's responsible authority",
        Applies::Both => "the host or the responsible authority",
        Applies::FoundIn => "the authority where the child was found, for a child who neither lives in nor belongs to this partnership",
    };
    RuleWords { who, when, due, due_source, repeat, done, whose: whose.to_string() }
}

/// A retention entry in words: how long, who reviews, what they may do.
pub fn retention_words(p: &Protocol, r: &Retention) -> String {
    let reviewer = role_name(p, &r.review_by);
    format!(
        "Kept for {} from when the record is made; then due for review by the {reviewer}, who deletes it or keeps it for another {} with a reason (each decision recorded). Nothing is deleted unreviewed.",
        r.keep.describe(),
        r.keep.describe()
    )
}

/// A plain-English account of a protocol version.
pub fn describe(p: &Protocol) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", p.id, p.title);
    let _ = writeln!(out, "Version {}, in force from {}. Document: {}.", p.version, p.effective_from, p.document);
    let covers = if p.is_baseline() { "every authority without a local protocol".to_string() } else { p.authorities.join(", ") };
    let _ = writeln!(out, "Covers: {covers}.");
    let _ = writeln!(out, "File: {}", p.source);

    let _ = writeln!(out, "\nRoles");
    for r in &p.roles {
        let _ = write!(out, "  {} ({}, {})", r.name, r.id, r.agency.as_str().replace('_', " "));
        if !r.office_hours.is_empty() {
            let hours: Vec<&str> = r.office_hours.iter().map(|h| h.text.as_str()).collect();
            let _ = write!(out, "; open {}, otherwise {}", hours.join(", "), r.out_of_hours.as_deref().map(|o| role_name(p, o)).unwrap_or_default());
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "\nDuties ({})", p.rules.len());
    for r in &p.rules {
        let w = rule_words(p, r);
        let _ = writeln!(out, "\n  [{}] {}  ({})", p.cite(&r.cite), r.what, r.id);
        let _ = writeln!(out, "    {}{}: {}", if r.prompt { "To consider — " } else { "" }, r.kind.as_str(), w.who);
        let _ = writeln!(out, "    When: {}.", w.when.join("; "));
        let source = match &w.due_source {
            Some(s) => format!(" ({s})"),
            None => String::new(),
        };
        let _ = write!(out, "    Due: {}{source}", w.due);
        if let Some(repeat) = &w.repeat {
            let _ = write!(out, "; {repeat}");
        }
        let _ = writeln!(out, ".");
        let _ = writeln!(out, "    Done when: {}.", w.done);
        let _ = writeln!(out, "    Whose duty: {}.", w.whose);
        let _ = writeln!(out, "    Text: \"{}\"", r.quote);
        if let Some(reading) = r.reading.as_ref().and_then(|id| p.readings.iter().find(|x| &x.id == id)) {
            let _ = writeln!(out, "    Reading chosen: {}", reading.text);
        }
    }

    let by_document = p.rules.iter().filter(|r| r.due_source == DueSource::Document).count();
    let untimed = p.rules.iter().filter(|r| r.due_source == DueSource::Untimed).count();
    let _ = writeln!(
        out,
        "\nDeadlines: {by_document} from the document; {untimed} untimed (the protocol sets no timescale: a notification or alert is due 1 hour after it applies, anything else 24 hours); {} read from the document's words (see each duty).",
        p.rules.len() - by_document - untimed
    );
    let early: Vec<&Rule> = p.rules.iter().filter(|r| r.satisfied_before.is_some()).collect();
    if !early.is_empty() {
        let _ = writeln!(
            out,
            "\nDuties an act recorded before they apply can discharge ({}); every other duty is done only by an act recorded at or after it applies",
            early.len()
        );
        for r in early {
            let reading = r.satisfied_before.as_deref().unwrap_or_default();
            let _ = writeln!(out, "  [{}] {}  (reading {reading})", p.cite(&r.cite), r.id);
        }
    }

    if !p.flags.is_empty() {
        let _ = writeln!(out, "\nFlags ({})", p.flags.len());
        for f in &p.flags {
            let _ = writeln!(out, "\n  [{}] {}  ({})", p.cite(&f.cite), f.what, f.id);
            let when = conditions_words(p, &f.when);
            if !when.is_empty() {
                let _ = writeln!(out, "    When: {}.", when.join("; "));
            }
            let _ = writeln!(out, "    Text: \"{}\"", f.quote);
        }
    }
    if !p.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings ({})", p.warnings.len());
        for w in &p.warnings {
            let _ = writeln!(out, "\n  [{}] {}  ({})", p.cite(&w.cite), w.what, w.id);
            let mut when = vec![trigger_words(&w.trigger, w.when.still_missing)];
            when.extend(conditions_words(p, &w.when));
            let _ = writeln!(out, "    When: {}.", when.join("; "));
            let _ = writeln!(out, "    Text: \"{}\"", w.quote);
        }
    }
    if !p.retention.is_empty() {
        let _ = writeln!(out, "\nRecords kept for a limited time ({})", p.retention.len());
        for r in &p.retention {
            let _ = writeln!(out, "\n  [{}] {} records  ({})", p.cite(&r.cite), r.record.as_str().replace('_', " "), r.id);
            let _ = writeln!(out, "    {}", retention_words(p, r));
            let _ = writeln!(out, "    Text: \"{}\"", r.quote);
            if let Some(reading) = r.reading.as_ref().and_then(|id| p.readings.iter().find(|x| &x.id == id)) {
                let _ = writeln!(out, "    Reading chosen: {}", reading.text);
            }
        }
    }
    if !p.readings.is_empty() {
        let _ = writeln!(out, "\nReadings chosen where the document is ambiguous ({})", p.readings.len());
        for r in &p.readings {
            let _ = writeln!(out, "\n  [{}] ({})\n    {}", p.cite(&r.cite), r.id, r.text);
        }
    }
    out
}
