//! A protocol document as plain text: normalised for comparison, and split
//! into the places a cite can name (numbered paragraphs, appendices and
//! headings).

/// Normalises text for comparison: curly quotes become straight, every kind
/// of dash becomes `-`, and each run of whitespace (including non-breaking
/// spaces) becomes one space. Nothing else changes: case, punctuation and
/// spelling must match.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => '"',
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' => '-',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// Removes the markers a Word-to-text conversion leaves in a line
/// (`[bookmark: _Toc784392]`, `[footnoteRef:3]`): they are not words of the
/// document. The footnote's own text, where the conversion kept it, stays.
fn strip_markers(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find('[') {
        let tail = &rest[at..];
        let marker = ["[bookmark:", "[footnoteRef:"].iter().any(|m| tail.starts_with(m));
        match (marker, tail.find(']')) {
            (true, Some(end)) => {
                out.push_str(&rest[..at]);
                rest = &tail[end + 1..];
            }
            _ => {
                out.push_str(&rest[..at + 1]);
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A line that opens a place a cite can name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    /// `9.2 After 24 hours…`, `4. Definitions`: a paragraph or section number.
    Number(Vec<u32>),
    /// `Appendix D`, `APPENDIX 1: Glossary`: its letter or number, upper case.
    Appendix(String),
    /// A line that is, in full, one of the headings the protocol cites.
    Heading(String),
}

/// One line of the document: where it starts in the normalised text, and
/// what it opens, if anything.
#[derive(Debug, Clone)]
pub struct Line {
    pub start: usize,
    pub mark: Option<Mark>,
}

/// The document: its normalised text (lines joined by one space) and its lines.
#[derive(Debug, Clone)]
pub struct Document {
    pub text: String,
    pub lines: Vec<Line>,
    /// Cited headings that are not a line of their own, and the short line
    /// taken for each (the first that contains it).
    pub loose: Vec<(String, String)>,
}

impl Document {
    /// Reads a document. `headings` are the headings cited by the protocol
    /// being checked: a line that consists of one of them (case aside, and
    /// a trailing colon) opens that heading's section.
    pub fn parse(raw: &str, headings: &[String]) -> Document {
        let headings: Vec<(String, String)> = headings.iter().map(|h| (heading_key(h), h.clone())).collect();
        let keys: std::collections::BTreeSet<String> = raw.lines().map(heading_key).collect();
        let mut unplaced: Vec<&(String, String)> = headings.iter().filter(|(k, _)| !keys.contains(k)).collect();
        let mut loose = Vec::new();
        let mut text = String::with_capacity(raw.len());
        let mut lines = Vec::new();
        let mut structure = Structure::default();
        for raw_line in raw.lines() {
            let contents = raw_line.trim_end();
            let line = normalise(&strip_markers(raw_line));
            if line.is_empty() {
                continue;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            let start = text.len();
            text.push_str(&line);
            let key = heading_key(&line);
            let exact = headings.iter().find(|(k, _)| *k == key);
            let contained = match exact {
                None if line.len() <= 80 => unplaced.iter().position(|(k, _)| key.contains(k.as_str())),
                _ => None,
            };
            let mark = match (exact, contained) {
                (Some((_, h)), _) => Some(Mark::Heading(h.clone())),
                (None, Some(i)) => {
                    let (_, h) = unplaced.remove(i);
                    loose.push((h.clone(), line.clone()));
                    Some(Mark::Heading(h.clone()))
                }
                _ => structure.mark(&line, is_contents_line(contents)),
            };
            lines.push(Line { start, mark });
        }
        Document { text, lines, loose }
    }

    /// The index of the line a position of the normalised text is on.
    pub fn line_at(&self, pos: usize) -> usize {
        self.lines.partition_point(|l| l.start <= pos).saturating_sub(1)
    }

    /// Every position where `needle` (already normalised) occurs.
    pub fn find_all(&self, needle: &str) -> Vec<usize> {
        if needle.is_empty() {
            return Vec::new();
        }
        self.text.match_indices(needle).map(|(i, _)| i).collect()
    }

    /// The nearest line above `line` (or it) that opens a place, for messages.
    pub fn enclosing(&self, line: usize) -> Option<&Mark> {
        self.lines[..=line.min(self.lines.len().saturating_sub(1))].iter().rev().find_map(|l| l.mark.as_ref())
    }
}

/// How headings are compared: normalised, lower case, without a trailing colon.
pub fn heading_key(text: &str) -> String {
    normalise(text).trim_end_matches(':').trim().to_lowercase()
}

/// Tells paragraph numbers from list items and appendix numbering, line by line.
#[derive(Default)]
struct Structure {
    /// The last paragraph number accepted.
    current: Option<Vec<u32>>,
    /// Inside a paragraph, a list numbered 1., 2., …: its last item.
    list: Option<u32>,
    /// Past the first appendix heading (not a contents line): numbers there
    /// are the appendix's own.
    in_appendices: bool,
}

impl Structure {
    fn mark(&mut self, line: &str, contents: bool) -> Option<Mark> {
        if let Some(mark) = appendix_mark(line) {
            if !contents {
                self.in_appendices = true;
            }
            return Some(mark);
        }
        let number = number_mark(line)?;
        if self.in_appendices {
            return None;
        }
        if number.len() == 1 {
            let n = number[0];
            // 1. after paragraph 3.1 starts a list; 2., 3. … continue it.
            let in_paragraph = self.current.as_ref().is_some_and(|c| c.len() >= 2);
            if (in_paragraph && n == 1 && self.list.is_none()) || self.list.is_some_and(|last| n == last + 1) {
                self.list = Some(n);
                return None;
            }
        }
        self.list = None;
        self.current = Some(number.clone());
        Some(Mark::Number(number))
    }
}

/// A line of a table of contents: ends in a page number after a tab, or has
/// dot leaders.
fn is_contents_line(line: &str) -> bool {
    let ends_in_page = line.rsplit_once('\t').is_some_and(|(_, page)| !page.trim().is_empty() && page.trim().chars().all(|c| c.is_ascii_digit()));
    ends_in_page || line.contains(".....")
}

/// `Appendix D`, `APPENDIX 1 – Glossary`, `Appendix A: definitions`,
/// `8. Appendix A – Definitions`: a short line that starts with the word (or
/// a section number and the word) and an identifier.
fn appendix_mark(line: &str) -> Option<Mark> {
    if line.len() > 120 {
        return None;
    }
    let mut words = line.split(' ').peekable();
    if words.peek().is_some_and(|w| w.len() > 1 && w.ends_with('.') && w[..w.len() - 1].chars().all(|c| c.is_ascii_digit())) {
        words.next();
    }
    let first = words.next()?;
    if !first.eq_ignore_ascii_case("appendix") {
        return None;
    }
    let id: String = words.next()?.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    let well_formed = !id.is_empty() && (id.chars().all(|c| c.is_ascii_digit()) || id.len() == 1);
    well_formed.then(|| Mark::Appendix(id.to_ascii_uppercase()))
}

/// `9.2 After…`, `4. Definitions`, `6.1 When…`: numbers of at most three
/// digits each, then a full stop or a space, then text that does not start
/// with a lower-case letter or a digit ("24 hours" is not paragraph 24).
pub fn number_mark(line: &str) -> Option<Vec<u32>> {
    let end = line.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(line.len());
    let (number, rest) = line.split_at(end);
    let number = number.trim_end_matches('.');
    if number.is_empty() || number.contains("..") {
        return None;
    }
    let parts: Option<Vec<u32>> = number.split('.').map(|p| if p.is_empty() || p.len() > 3 { None } else { p.parse().ok() }).collect();
    let parts = parts?;
    if parts.len() > 4 || parts[0] == 0 || parts[0] > 99 {
        return None;
    }
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    match rest.trim_start().chars().next() {
        Some(c) if c.is_lowercase() || c.is_ascii_digit() => None,
        _ => Some(parts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_quotes_dashes_and_whitespace() {
        assert_eq!(normalise("the child\u{2019}s  \u{201C}missing\u{201D}\u{a0}\u{2013} now\n"), "the child's \"missing\" - now");
        assert_eq!(normalise("  a\t\tb  "), "a b");
    }

    #[test]
    fn strips_conversion_markers() {
        assert_eq!(strip_markers("4. [bookmark: _Toc784392]Definitions"), "4. Definitions");
        assert_eq!(strip_markers("vulnerable.[footnoteRef:2] Looked"), "vulnerable. Looked");
        assert_eq!(strip_markers("[1: Statutory guidance] [a]"), "[1: Statutory guidance] [a]");
    }

    #[test]
    fn reads_paragraph_numbers() {
        assert_eq!(number_mark("9.2  After 24 hours"), Some(vec![9, 2]));
        assert_eq!(number_mark("4. Definitions"), Some(vec![4]));
        assert_eq!(number_mark("4.1.3 Concerns"), Some(vec![4, 1, 3]));
        assert_eq!(number_mark("24 hours later"), None);
        assert_eq!(number_mark("2016 was"), None);
        assert_eq!(number_mark("Police"), None);
        assert_eq!(number_mark("1.5m people"), None);
    }

    #[test]
    fn reads_appendix_headings() {
        assert_eq!(appendix_mark("Appendix D – Missing notification form"), Some(Mark::Appendix("D".into())));
        assert_eq!(appendix_mark("APPENDIX 1: Glossary"), Some(Mark::Appendix("1".into())));
        assert_eq!(appendix_mark("Appendix about things"), None);
        assert_eq!(appendix_mark("8. Appendix A – Definitions"), Some(Mark::Appendix("A".into())));
    }

    #[test]
    fn a_numbered_list_inside_a_paragraph_is_not_a_section() {
        let doc = Document::parse("3.1 Definitions\n1. What?\n2. Why?\n3. When?\n3.2 Risk\n4. Reporting\n", &[]);
        let marks: Vec<_> = doc.lines.iter().filter_map(|l| l.mark.clone()).collect();
        assert_eq!(marks, vec![Mark::Number(vec![3, 1]), Mark::Number(vec![3, 2]), Mark::Number(vec![4])]);
    }

    #[test]
    fn numbers_inside_appendices_are_theirs() {
        let doc = Document::parse("1.\tAppendix A\t20\n2. Intro\nAppendix A: Law\n2. Powers\n", &[]);
        let marks: Vec<_> = doc.lines.iter().filter_map(|l| l.mark.clone()).collect();
        assert_eq!(marks, vec![Mark::Appendix("A".into()), Mark::Number(vec![2]), Mark::Appendix("A".into())]);
    }
}
