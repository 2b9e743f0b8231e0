//! iCalendar (RFC 5545) objects for meeting duties: a one-hour slot ending
//! at the duty's deadline, offered so the meeting can be put in a diary
//! before it is late. Written by hand (escaping and line folding included)
//! to avoid a date library alongside jiff.

use jiff::{SignedDuration, Timestamp};

/// Escapes TEXT values (RFC 5545 §3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets, never inside a UTF-8 character (§3.1).
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A calendar with one event: `summary` in the hour before `due`.
pub fn meeting(uid: &str, stamp: Timestamp, due: Timestamp, summary: &str, description: &str) -> String {
    let start = due.checked_sub(SignedDuration::from_hours(1)).unwrap_or(due);
    let lines = [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//Homeward//Missing children duties//EN".to_string(),
        "METHOD:PUBLISH".to_string(),
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", escape(uid)),
        format!("DTSTAMP:{}", utc(stamp)),
        format!("DTSTART:{}", utc(start)),
        format!("DTEND:{}", utc(due)),
        format!("SUMMARY:{}", escape(summary)),
        format!("DESCRIPTION:{}", escape(description)),
        "STATUS:TENTATIVE".to_string(),
        "TRANSP:OPAQUE".to_string(),
        "END:VEVENT".to_string(),
        "END:VCALENDAR".to_string(),
    ];
    let mut out = String::new();
    for l in &lines {
        fold(l, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unfold(text: &str) -> String {
        text.replace("\r\n ", "")
    }

    #[test]
    fn event_ends_at_the_deadline() {
        let due: Timestamp = "2026-03-05T21:00:00Z".parse().unwrap();
        let stamp: Timestamp = "2026-03-02T21:00:00Z".parse().unwrap();
        let ics = meeting("d1@homeward", stamp, due, "Strategy meeting", "bolton Strategy meetings");
        let text = unfold(&ics);
        assert!(text.contains("DTSTART:20260305T200000Z\r\n"), "{text}");
        assert!(text.contains("DTEND:20260305T210000Z\r\n"));
        assert!(text.contains("DTSTAMP:20260302T210000Z\r\n"));
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n") && text.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn text_is_escaped_and_long_lines_folded() {
        let due: Timestamp = "2026-03-05T21:00:00Z".parse().unwrap();
        let long = "é".repeat(100);
        let ics = meeting("u", due, due, "a; b, c\\d\ne", &long);
        assert!(ics.contains("SUMMARY:a\\; b\\, c\\\\d\\ne\r\n"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        assert!(unfold(&ics).contains(&format!("DESCRIPTION:{long}\r\n")));
    }
}
