//! Reading a `cite`: which paragraphs, appendices or headings it names.

use std::cmp::Ordering;

/// One place a cite names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// `§9.2`, `§8`, `§7.3e` (a lettered item is checked as its paragraph).
    Paragraph(Vec<u32>),
    /// `§9.2–§9.5`, `§16.9-16.12`: every paragraph from the first to the last.
    Range(Vec<u32>, Vec<u32>),
    /// `Appendix D`, `Appendices 2-8`: the identifiers, upper case.
    Appendix(Vec<String>),
    /// `Return interviews`: a section heading, as written in the cite.
    Heading(String),
    /// `throughout`: anywhere in the document.
    Anywhere,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Paragraph(n) => write!(f, "§{}", dotted(n)),
            Place::Range(a, b) => write!(f, "§{}-§{}", dotted(a), dotted(b)),
            Place::Appendix(ids) => write!(f, "Appendix {}", ids.join(", ")),
            Place::Heading(h) => write!(f, "'{h}'"),
            Place::Anywhere => write!(f, "throughout"),
        }
    }
}

pub fn dotted(n: &[u32]) -> String {
    n.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(".")
}

/// Splits a cite into places. A cite is a list separated by commas (or a
/// final "and"); a heading may itself contain a comma, so consecutive parts
/// are joined again when `is_heading` recognises the joined text.
pub fn parse(cite: &str, is_heading: impl Fn(&str) -> bool) -> Vec<Place> {
    let mut parts: Vec<&str> = Vec::new();
    for piece in cite.split(", ") {
        match piece.split_once(" and ") {
            Some((a, b)) if a.trim_start().starts_with('§') => {
                parts.push(a);
                parts.push(b);
            }
            _ => parts.push(piece),
        }
    }
    let mut places = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let mut taken = None;
        for j in (i + 1..=parts.len()).rev() {
            let joined = parts[i..j].join(", ");
            if j > i + 1 && !is_heading(&joined) {
                continue;
            }
            taken = Some((j, place(&joined)));
            break;
        }
        let (next, p) = taken.unwrap_or((i + 1, place(parts[i])));
        places.push(p);
        i = next;
    }
    places
}

fn place(part: &str) -> Place {
    let part = part.trim();
    // A parenthetical gloss names the paragraph's subject: `§4.5 (Information sharing)`.
    let bare = match part.find(" (") {
        Some(at) if part.starts_with('§') => &part[..at],
        _ => part,
    };
    if bare.eq_ignore_ascii_case("throughout") || bare.eq_ignore_ascii_case("whole document") {
        return Place::Anywhere;
    }
    if let Some(rest) = bare.strip_prefix('§') {
        let rest = rest.replace(['\u{2013}', '\u{2014}'], "-");
        if let Some((a, b)) = rest.split_once('-') {
            if let (Some(a), Some(b)) = (number(a), number(b.trim_start_matches('§'))) {
                return Place::Range(a, b);
            }
        } else if let Some(n) = number(&rest) {
            return Place::Paragraph(n);
        }
    }
    for word in ["Appendix ", "Appendices ", "APPENDIX "] {
        if let Some(rest) = bare.strip_prefix(word) {
            let ids = appendix_ids(rest);
            if !ids.is_empty() {
                return Place::Appendix(ids);
            }
        }
    }
    Place::Heading(part.to_string())
}

/// `9.2`, `7.3e` (the letter is dropped), `8`.
fn number(text: &str) -> Option<Vec<u32>> {
    let text = text.trim().trim_end_matches(|c: char| c.is_ascii_lowercase());
    let parts: Option<Vec<u32>> = text.split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| !p.is_empty())
}

/// `D`, `2-8`, `A and B`.
fn appendix_ids(text: &str) -> Vec<String> {
    let text = text.trim();
    if let Some((a, b)) = text.split_once('-') {
        if let (Ok(a), Ok(b)) = (a.trim().parse::<u32>(), b.trim().parse::<u32>()) {
            return (a..=b).map(|n| n.to_string()).collect();
        }
    }
    text.split([' ', ','])
        .filter(|w| !w.is_empty() && *w != "and")
        .map(|w| w.to_ascii_uppercase())
        .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect()
}

/// Paragraph order: `9.2 < 9.10 < 10`; a sub-paragraph sorts after its parent.
pub fn order(a: &[u32], b: &[u32]) -> Ordering {
    a.cmp(b)
}

/// `inner` is `outer` or one of its sub-paragraphs (`9.2.1` of `9.2`, `9.2` of `9`).
pub fn within(inner: &[u32], outer: &[u32]) -> bool {
    inner.len() >= outer.len() && inner[..outer.len()] == *outer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_headings(_: &str) -> bool {
        false
    }

    #[test]
    fn reads_paragraphs_ranges_and_appendices() {
        assert_eq!(
            parse("§9.2-§9.5, §10.3–§10.6, Appendix D", no_headings),
            vec![Place::Range(vec![9, 2], vec![9, 5]), Place::Range(vec![10, 3], vec![10, 6]), Place::Appendix(vec!["D".into()])]
        );
        assert_eq!(parse("§16.9-16.12", no_headings), vec![Place::Range(vec![16, 9], vec![16, 12])]);
        assert_eq!(parse("§7.3e", no_headings), vec![Place::Paragraph(vec![7, 3])]);
        assert_eq!(
            parse("§6.19, §4.5 (Information sharing), §6.4 and throughout", no_headings),
            vec![Place::Paragraph(vec![6, 19]), Place::Paragraph(vec![4, 5]), Place::Paragraph(vec![6, 4]), Place::Anywhere]
        );
        assert_eq!(
            parse("Appendices 2-8", no_headings),
            vec![Place::Appendix(vec!["2", "3", "4", "5", "6", "7", "8"].into_iter().map(String::from).collect())]
        );
    }

    #[test]
    fn joins_headings_that_contain_commas() {
        let known = |h: &str| h == "Children Looked After, Missing from Care Protocol";
        assert_eq!(
            parse("Return interviews, Children Looked After, Missing from Care Protocol", known),
            vec![Place::Heading("Return interviews".into()), Place::Heading("Children Looked After, Missing from Care Protocol".into())]
        );
    }
}
