//! Where in a document a place named by a cite lies.

use super::cite::{self, Place};
use super::text::{Document, Mark, heading_key};

pub(super) fn describe(mark: &Mark) -> String {
    match mark {
        Mark::Number(n) => format!("§{}", cite::dotted(n)),
        Mark::Appendix(id) => format!("Appendix {id}"),
        Mark::Heading(h) => format!("'{h}'"),
    }
}

/// The stretches of the normalised text (start, end) a place covers; empty
/// when the document has no such place.
pub(super) fn spans_of(doc: &Document, place: &Place) -> Vec<(usize, usize)> {
    let opens = |mark: &Mark| match (place, mark) {
        (Place::Paragraph(r), Mark::Number(n)) => cite::within(n, r),
        (Place::Range(a, b), Mark::Number(n)) => cite::order(n, a).is_ge() && (cite::order(n, b).is_le() || cite::within(n, b)),
        (Place::Appendix(ids), Mark::Appendix(id)) => ids.contains(id),
        (Place::Heading(h), Mark::Heading(k)) => heading_key(h) == heading_key(k),
        _ => false,
    };
    if *place == Place::Anywhere {
        return vec![(0, doc.text.len())];
    }
    let mut spans = Vec::new();
    for (i, line) in doc.lines.iter().enumerate() {
        let Some(mark) = &line.mark else { continue };
        if !opens(mark) {
            continue;
        }
        let end = doc.lines[i + 1..].iter().find(|l| l.mark.as_ref().is_some_and(|m| ends(mark, m))).map(|l| l.start).unwrap_or(doc.text.len());
        spans.push((line.start, end));
    }
    spans
}

/// A numbered paragraph or appendix with no line of its own (its heading was
/// lost when the document was converted to text) whose neighbours are there:
/// the stretch between the place before it and the place after it, and a note
/// saying so. A place past the document's last paragraph is not implied.
pub(super) fn implied(doc: &Document, place: &Place) -> Option<((usize, usize), String)> {
    let marked: Vec<(usize, &Mark)> = doc.lines.iter().filter_map(|l| l.mark.as_ref().map(|m| (l.start, m))).collect();
    match place {
        Place::Paragraph(r) => {
            let numbers: Vec<(usize, &Vec<u32>)> = marked
                .iter()
                .filter_map(|(at, m)| match m {
                    Mark::Number(n) => Some((*at, n)),
                    _ => None,
                })
                .collect();
            numbers.windows(2).find_map(|w| {
                let ((start, before), (end, after)) = (w[0], w[1]);
                let gap = before < r && after > r && !cite::within(after, r);
                gap.then(|| {
                    let note = format!(
                        "{place} has no line of its own in the document: a quote cited to it must lie between §{} and §{}",
                        cite::dotted(before),
                        cite::dotted(after)
                    );
                    ((start, end), note)
                })
            })
        }
        Place::Appendix(ids) => {
            let appendices: Vec<(usize, &String)> = marked
                .iter()
                .filter_map(|(at, m)| match m {
                    Mark::Appendix(id) => Some((*at, id)),
                    _ => None,
                })
                .collect();
            let id = ids.first()?;
            let before = appendices.iter().rposition(|(_, a)| appendix_order(a, id).is_lt())?;
            let (start, prior) = appendices[before];
            let next = appendices[before + 1..].iter().find(|(_, a)| appendix_order(a, id).is_gt());
            let end = next.map(|(at, _)| *at).unwrap_or(doc.text.len());
            let until = next.map(|(_, a)| format!("Appendix {a}")).unwrap_or_else(|| "the end".into());
            let note = format!("{place} has no heading line in the document: a quote cited to it must lie between Appendix {prior} and {until}");
            Some(((start, end), note))
        }
        _ => None,
    }
}

/// Appendix identifiers in order: numbers by value, letters alphabetically.
fn appendix_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u32>(), b.parse::<u32>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => (a.len(), a).cmp(&(b.len(), b)),
    }
}

/// Does a line marked `next` end the place opened by `open`?
fn ends(open: &Mark, next: &Mark) -> bool {
    match (open, next) {
        (_, Mark::Appendix(_) | Mark::Heading(_)) => true,
        (Mark::Number(n), Mark::Number(m)) => !cite::within(m, n) && (cite::order(m, n).is_gt() || (m.len() >= 2 && m[0] == n[0])),
        (Mark::Appendix(_) | Mark::Heading(_), Mark::Number(_)) => false,
    }
}
