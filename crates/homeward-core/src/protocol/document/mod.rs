//! Checks a protocol file against the plain text of its document: every
//! `quote` must appear in the document, and every `cite` must name the
//! paragraph, appendix or heading the quote sits under.
//!
//! What is compared (see `docs/new-partnership.md`, "Check against the
//! document", which also lists what is tolerated where the text is irregular):
//!
//! - Quotes are compared after normalising whitespace, curly quotes and
//!   dashes only: case, spelling and punctuation must match. A quote made of
//!   fragments joined by `…`, `...` or `[...]` is checked fragment by fragment.
//! - A numbered paragraph `§9.2` runs from the line that starts with `9.2` to
//!   the next line that starts a paragraph after it (not one of its own
//!   sub-paragraphs), an appendix or a cited heading. Numbered list items that
//!   restart at 1 inside a paragraph do not end it; a number repeated within a
//!   section (the document numbered two paragraphs 4.4) starts a new paragraph
//!   with that number. `§8` covers 8.1, 8.2…; `§7.3e` is checked as `§7.3`.
//! - `Appendix D` runs from a short line starting `Appendix D` to the next
//!   appendix or cited heading.
//! - A heading (`Return interviews`) is found as a line that consists of it
//!   (case and a trailing colon aside) and runs to the next cited heading or
//!   appendix: in a document without numbers, the protocol's own cited
//!   headings are the structure.
//! - A cite listing several places is met when a quote is under any of them;
//!   every place it lists must exist in the document. `throughout` is met
//!   anywhere. A reading has no quote: each place its cite lists must exist.

mod cite;
mod restated;
mod spans;
mod text;

pub use cite::Place;
pub use restated::{check_restatements, restated};
pub use text::normalise;

use super::Protocol;
use spans::{describe, implied, spans_of};
use std::collections::BTreeSet;
use text::{Document, heading_key};

/// One thing in a protocol file the document does not bear out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{protocol} {version} ({source_file}) {item}: {field}: {problem}")]
pub struct Failure {
    pub protocol: String,
    pub version: String,
    pub source_file: String,
    /// `rule 9-2.notify-hos`, `flag frequent_missing`, `reading age-12`.
    pub item: String,
    /// `quote` or `cite`.
    pub field: &'static str,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("not in the document: \"{0}\"")]
    QuoteNotFound(String),
    #[error("{0} is not in the document")]
    PlaceNotFound(String),
    #[error("\"{fragment}\" is under {found}, not {cite}")]
    WrongPlace { fragment: String, found: String, cite: String },
    #[error("names no paragraph, appendix or heading")]
    Empty,
    #[error("does not end '(as restated in <protocol> <cite>)': a protocol without a document of its own quotes the documents that restate it")]
    NotRestated,
}

/// The outcome of checking one protocol version against a document.
#[derive(Debug, Clone)]
pub struct Report {
    pub protocol: String,
    pub version: String,
    pub source_file: String,
    /// Entries checked (rules, flags, warnings, retention entries, carers' checks, readings).
    pub entries: usize,
    /// Quote fragments looked for.
    pub fragments: usize,
    pub failures: Vec<Failure>,
    /// Where the document's irregularities were tolerated, one line each.
    pub notes: Vec<String>,
    /// Entries not checked against this document, and why.
    pub skipped: Vec<String>,
}

/// One entry of the file to check.
struct Entry<'a> {
    item: String,
    cite: &'a str,
    quote: Option<&'a str>,
}

fn entries(p: &Protocol) -> Vec<Entry<'_>> {
    let mut out = Vec::new();
    for r in &p.rules {
        out.push(Entry { item: format!("rule {}", r.id), cite: &r.cite, quote: Some(&r.quote) });
    }
    for f in &p.flags {
        out.push(Entry { item: format!("flag {}", f.id), cite: &f.cite, quote: Some(&f.quote) });
    }
    for w in &p.warnings {
        out.push(Entry { item: format!("warning {}", w.id), cite: &w.cite, quote: Some(&w.quote) });
    }
    for r in &p.retention {
        out.push(Entry { item: format!("retention {}", r.id), cite: &r.cite, quote: Some(&r.quote) });
    }
    for c in &p.checks {
        out.push(Entry { item: format!("check {}", c.id), cite: &c.cite, quote: Some(&c.quote) });
    }
    for r in &p.readings {
        out.push(Entry { item: format!("reading {}", r.id), cite: &r.cite, quote: None });
    }
    out
}

/// The verbatim fragments of a quote: split at `…`, `...` and `[...]`.
pub fn fragments(quote: &str) -> Vec<String> {
    let q = normalise(quote).replace("[...]", "\u{2026}").replace("[\u{2026}]", "\u{2026}").replace("...", "\u{2026}");
    q.split('\u{2026}').map(|f| f.trim().to_string()).filter(|f| !f.is_empty()).collect()
}

/// Checks every quote and cite of `protocol` against `document` (its plain text).
pub fn check(protocol: &Protocol, document: &str) -> Report {
    let line_keys: BTreeSet<String> = document.lines().map(heading_key).filter(|k| !k.is_empty()).collect();
    let is_heading = |h: &str| line_keys.contains(&heading_key(h));
    let entries = entries(protocol);
    let cites: Vec<Vec<Place>> = entries.iter().map(|e| cite::parse(e.cite, is_heading)).collect();
    let headings: Vec<String> = cites
        .iter()
        .flatten()
        .filter_map(|p| match p {
            Place::Heading(h) => Some(h.clone()),
            _ => None,
        })
        .collect();
    let doc = Document::parse(document, &headings);

    let mut report = Report {
        protocol: protocol.id.clone(),
        version: protocol.version.clone(),
        source_file: protocol.source.clone(),
        entries: entries.len(),
        fragments: 0,
        failures: Vec::new(),
        notes: doc.loose.iter().map(|(h, line)| format!("'{h}' is not a line of its own in the document: taken as the heading '{line}'")).collect(),
        skipped: Vec::new(),
    };
    for (entry, places) in entries.iter().zip(&cites) {
        let (fragments, problems) = check_entry(&doc, places, entry.cite, entry.quote, &mut report.notes);
        report.fragments += fragments;
        report.failures.extend(problems.into_iter().map(|(field, problem)| Failure {
            protocol: protocol.id.clone(),
            version: protocol.version.clone(),
            source_file: protocol.source.clone(),
            item: entry.item.clone(),
            field,
            problem,
        }));
    }
    report
}
/// Checks one quote and its cite against a document on their own: for a
/// protocol that quotes another partnership's document (the national
/// baseline quotes the guidance as the local protocols restate it). Returns
/// each problem with its field, and the tolerances used.
pub fn check_quote(document: &str, cite: &str, quote: &str) -> (Vec<(&'static str, Problem)>, Vec<String>) {
    let line_keys: BTreeSet<String> = document.lines().map(heading_key).filter(|k| !k.is_empty()).collect();
    let places = cite::parse(cite, |h| line_keys.contains(&heading_key(h)));
    let headings: Vec<String> = places
        .iter()
        .filter_map(|p| match p {
            Place::Heading(h) => Some(h.clone()),
            _ => None,
        })
        .collect();
    let doc = Document::parse(document, &headings);
    let mut notes = Vec::new();
    let (_, problems) = check_entry(&doc, &places, cite, Some(quote), &mut notes);
    (problems, notes)
}

/// One entry: each place its cite names is in the document, and each
/// fragment of its quote is in the document under one of them. Returns the
/// number of fragments looked for and the problems found; adds to `notes`
/// the tolerances used.
fn check_entry(doc: &Document, places: &[Place], cite: &str, quote: Option<&str>, notes: &mut Vec<String>) -> (usize, Vec<(&'static str, Problem)>) {
    let mut problems = Vec::new();
    if places.is_empty() {
        problems.push(("cite", Problem::Empty));
        return (0, problems);
    }
    let mut spans = Vec::new();
    for place in places {
        let mut found = spans_of(doc, place);
        if found.is_empty() {
            match implied(doc, place) {
                Some((gap, note)) => {
                    if !notes.contains(&note) {
                        notes.push(note);
                    }
                    found.push(gap);
                }
                None => problems.push(("cite", Problem::PlaceNotFound(place.to_string()))),
            }
        }
        spans.extend(found);
    }
    let Some(quote) = quote else {
        return (0, problems);
    };
    let fragments = fragments(quote);
    for fragment in &fragments {
        let at = doc.find_all(fragment);
        let Some(&first) = at.first() else {
            problems.push(("quote", Problem::QuoteNotFound(fragment.clone())));
            continue;
        };
        if spans.is_empty() || at.iter().any(|&pos| spans.iter().any(|&(s, e)| pos >= s && pos < e)) {
            continue;
        }
        let found = doc.enclosing(doc.line_at(first)).map(describe).unwrap_or_else(|| "the start of the document".into());
        problems.push(("cite", Problem::WrongPlace { fragment: fragment.clone(), found, cite: cite.to_string() }));
    }
    (fragments.len(), problems)
}

/// What the check compares and what it tolerates, for the command's output.
pub const SCOPE: &str = "\
Checked: each quote is in the document word for word (only whitespace, curly quotes and dashes are
normalised; a quote with ... or [...] is checked fragment by fragment), and lies under the paragraph,
appendix or heading its cite names (any one, when it names several; each must be in the document).
Readings have no quote: each place their cite names must be in the document.
Tolerated, and listed above when used: a paragraph or appendix whose heading line was lost in the
conversion to text is placed between its neighbours; a heading that is not a line of its own is
taken from the first short line containing it; a lettered item (7.3e) is checked as its paragraph;
numbered lists inside a paragraph and numbering inside appendices are not paragraphs.";

/// Which protocol a document is: the one protocol whose latest version has at
/// least half its quote fragments in it.
pub fn identify<'a>(protocols: &'a [Protocol], document: &str) -> Result<&'a str, Vec<(String, usize, usize)>> {
    let mut latest: Vec<&Protocol> = Vec::new();
    for p in protocols {
        match latest.iter_mut().find(|q| q.id == p.id) {
            Some(q) if q.effective_from < p.effective_from => *q = p,
            Some(_) => {}
            None => latest.push(p),
        }
    }
    let scores: Vec<(&str, usize, usize)> = latest
        .iter()
        .map(|p| {
            let (found, total) = resemblance(p, document);
            (p.id.as_str(), found, total)
        })
        .collect();
    let likely: Vec<&str> = scores.iter().filter(|(_, found, total)| *total > 0 && found * 2 >= *total).map(|(id, _, _)| *id).collect();
    match likely.as_slice() {
        [one] => Ok(one),
        _ => Err(scores.iter().map(|(id, f, t)| (id.to_string(), *f, *t)).collect()),
    }
}

/// The share of a protocol's quote fragments found in a document: how
/// `protocols check --document` tells which protocol a document is.
pub fn resemblance(protocol: &Protocol, document: &str) -> (usize, usize) {
    let doc = Document::parse(document, &[]);
    let all: Vec<String> = entries(protocol).iter().filter_map(|e| e.quote).flat_map(fragments).collect();
    let found = all.iter().filter(|f| !doc.find_all(f).is_empty()).count();
    (found, all.len())
}
#[cfg(test)]
mod tests;
