//! A protocol with no document of its own (the national baseline) quotes the
//! local protocols that restate its guidance: each quote names the protocol
//! and cite it restates, and is checked against that document.

use super::{Failure, Problem, Protocol, Report, check_quote, entries, fragments};

/// A quote that restates another protocol's document:
/// `<words> (as restated in <protocol> <cite>)` gives the words, the protocol
/// id and the cite.
pub fn restated(quote: &str) -> Option<(&str, &str, &str)> {
    let (words, source) = quote.strip_suffix(')')?.rsplit_once(" (as restated in ")?;
    let (id, cite) = source.split_once(' ')?;
    Some((words, id, cite))
}

/// Checks a protocol with no document of its own (the national baseline,
/// whose guidance is not among the documents) against one local protocol's
/// document, `document_id`: each quote that restates that protocol is checked
/// there, under the cite it names; a quote restating another protocol is
/// noted as checked against that one instead; a quote that names none is a
/// failure. Readings, which cite the guidance's own headings, are noted as
/// not checked.
pub fn check_restatements(protocol: &Protocol, document_id: &str, document: &str) -> Report {
    let entries = entries(protocol);
    let mut report = Report {
        protocol: protocol.id.clone(),
        version: protocol.version.clone(),
        source_file: protocol.source.clone(),
        entries: entries.len(),
        fragments: 0,
        failures: Vec::new(),
        notes: Vec::new(),
        skipped: Vec::new(),
    };
    for entry in &entries {
        let Some(quote) = entry.quote else {
            report.skipped.push(format!("{}: cites '{}' in a document that is not among these", entry.item, entry.cite));
            continue;
        };
        let mut fail = |field: &'static str, problem: Problem| {
            report.failures.push(Failure {
                protocol: protocol.id.clone(),
                version: protocol.version.clone(),
                source_file: protocol.source.clone(),
                item: entry.item.clone(),
                field,
                problem,
            })
        };
        match restated(quote) {
            None => fail("quote", Problem::NotRestated),
            Some((words, id, cite)) if id == document_id => {
                let (problems, notes) = check_quote(document, cite, words);
                for (field, problem) in problems {
                    fail(field, problem);
                }
                report.fragments += fragments(words).len();
                for note in notes {
                    if !report.notes.contains(&note) {
                        report.notes.push(note);
                    }
                }
            }
            Some((_, id, cite)) => report.skipped.push(format!("{}: restates {id} {cite}: checked against that protocol's document", entry.item)),
        }
    }
    report
}
