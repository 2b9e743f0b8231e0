//! Free text people type: names, reasons, notes. What is refused is what no
//! person means to type and what can mislead a reader or a log: control
//! characters (NUL, line breaks in a one-line field), bidirectional
//! overrides that reorder what is shown, invisible characters, and text far
//! longer than the field is for. Errors say what is wrong; the caller names
//! the field.

/// Bidirectional formatting characters: they change the order in which the
/// rest of the text is displayed (the "Trojan Source" trick).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that show nothing: zero-width spaces, word joiners, the byte
/// order mark, the soft hyphen, and the bidirectional controls.
pub fn is_invisible(c: char) -> bool {
    is_bidi_control(c) || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

fn refused_char(c: char, multi_line: bool) -> Option<&'static str> {
    if multi_line && matches!(c, '\n' | '\t') {
        return None;
    }
    if c == '\0' {
        return Some("must not contain a NUL character");
    }
    if matches!(c, '\r' | '\n' | '\u{2028}' | '\u{2029}') {
        return Some("must be on one line");
    }
    if c.is_control() {
        return Some("must not contain control characters");
    }
    if is_bidi_control(c) {
        return Some("must not contain characters that reorder the text (bidirectional controls)");
    }
    if is_invisible(c) {
        return Some("must not contain invisible characters");
    }
    None
}

fn check(value: &str, max_chars: usize, multi_line: bool) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("must not be blank".to_string());
    }
    let count = value.chars().count();
    if count > max_chars {
        return Err(format!("must be at most {max_chars} characters (this is {count})"));
    }
    if let Some(why) = value.chars().find_map(|c| refused_char(c, multi_line)) {
        return Err(why.to_string());
    }
    Ok(())
}

/// A one-line value such as a name: not blank, at most `max_chars`, no
/// control, invisible or reordering characters.
pub fn one_line(value: &str, max_chars: usize) -> Result<(), String> {
    check(value, max_chars, false)
}

/// Free text that may run over several lines (line breaks and tabs allowed).
pub fn multi_line(value: &str, max_chars: usize) -> Result<(), String> {
    check(value, max_chars, true)
}

/// The words of `value` once whitespace, punctuation and invisible
/// characters are set aside: runs of letters.
fn words(value: &str) -> Vec<String> {
    value.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Whether `value` reads as a stated reason rather than filler: at least
/// `min_words` words of two or more letters, `min_letters` letters in all,
/// and at least five different letters ("aaaaaaaaaa" and a string of
/// zero-width spaces are not reasons).
pub fn has_real_words(value: &str, min_words: usize, min_letters: usize) -> bool {
    let words: Vec<String> = words(&value.chars().filter(|c| !is_invisible(*c)).collect::<String>());
    let real: Vec<&String> = words.iter().filter(|w| w.chars().count() >= 2).collect();
    let letters: usize = real.iter().map(|w| w.chars().count()).sum();
    let mut distinct: Vec<char> = real.iter().flat_map(|w| w.chars()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    real.len() >= min_words && letters >= min_letters && distinct.len() >= 5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refuse_what_nobody_types() {
        assert!(one_line("Amelia", 100).is_ok());
        assert!(one_line("Zoë O'Brien-Ní Bhriain", 100).is_ok());
        assert!(one_line("مريم", 100).is_ok());
        assert!(one_line("", 100).is_err());
        assert!(one_line("   ", 100).is_err());
        assert!(one_line("Amy\0", 100).unwrap_err().contains("NUL"));
        assert!(one_line("Amy\r\nSet-Cookie: x", 100).unwrap_err().contains("one line"));
        assert!(one_line("Amy\u{202E}htims", 100).unwrap_err().contains("reorder"));
        assert!(one_line("Amy\u{200B}", 100).unwrap_err().contains("invisible"));
        assert!(one_line(&"a".repeat(101), 100).unwrap_err().contains("at most 100"));
    }

    #[test]
    fn free_text_may_have_line_breaks() {
        assert!(multi_line("seen at the station\nwith two older males", 10_000).is_ok());
        assert!(multi_line("a\u{2066}b", 10_000).is_err());
    }

    #[test]
    fn a_reason_needs_real_words() {
        assert!(has_real_words("found at 3am, carer unreachable", 3, 15));
        assert!(has_real_words("Police called at 3am: child found, need placement details", 3, 15));
        assert!(!has_real_words("aaaaaaaaaa", 3, 15));
        assert!(!has_real_words("aaa aaa aaa aaa aaa", 3, 15));
        assert!(!has_real_words("\u{200B}\u{200B}\u{200B}\u{200B}", 3, 15));
        assert!(!has_real_words("a b c d e f g h i j", 3, 15));
        assert!(!has_real_words("curious", 3, 15));
    }
}
