//! `[[retention]]` in protocol files: how long a kind of record is kept
//! before the retention job may delete it, validated at load, and which
//! protocol version decides.

use homeward_core::Registry;
use homeward_core::protocol::load;
use homeward_core::vocab::RetainedRecord;
use jiff::Timestamp;

fn registry() -> Registry {
    Registry::builtin().expect("built-in protocols")
}

fn at(t: &str) -> Timestamp {
    t.parse().unwrap()
}

#[test]
fn bolton_keeps_a_received_national_alert_for_three_calendar_months() {
    let r = registry();
    // Made 15 January 2026 10:00 GMT; 15 April is in British Summer Time, so
    // the same local time is 09:00 UTC.
    let kept = r.retention("bolton", RetainedRecord::NationalAlert, at("2026-01-15T10:00:00Z")).expect("bolton has a rule");
    assert_eq!(kept.keep_until, at("2026-04-15T09:00:00Z"));
    assert_eq!(kept.protocol.id, "bolton");
    assert_eq!(kept.protocol.effective_from.to_string(), "2025-01-01");
    assert_eq!(kept.protocol.cite(&kept.rule.cite), "bolton National alerts");
    assert!(kept.rule.quote.contains("Keep the record for 3 months."));
    // The end of a longer month: kept until the last day of the shorter one.
    let kept = r.retention("bolton", RetainedRecord::NationalAlert, at("2025-11-30T12:00:00Z")).unwrap();
    assert_eq!(kept.keep_until, at("2026-02-28T12:00:00Z"));
}

#[test]
fn the_version_in_force_on_the_day_the_record_was_made_decides() {
    let r = registry();
    let before = r.retention("bolton", RetainedRecord::NationalAlert, at("2024-12-31T23:59:59Z")).unwrap();
    assert_eq!(before.protocol.effective_from.to_string(), "2019-01-01");
    let after = r.retention("bolton", RetainedRecord::NationalAlert, at("2025-01-01T00:00:00Z")).unwrap();
    assert_eq!(after.protocol.effective_from.to_string(), "2025-01-01");
}

#[test]
fn no_other_protocol_allows_a_national_alert_to_be_deleted() {
    let r = registry();
    for authority in ["newham", "lancashire", "derby", "bath-and-north-east-somerset", "kent"] {
        assert!(r.retention(authority, RetainedRecord::NationalAlert, at("2026-01-15T10:00:00Z")).is_none(), "{authority}");
    }
    let who = r.retaining_authorities(RetainedRecord::NationalAlert);
    assert_eq!(who.listed, vec!["bolton".to_string()]);
    assert!(!who.baseline);
}

const HEADER: &str = r#"
[protocol]
id = "testshire"
title = "Test"
version = "1"
effective_from = "2024-01-01"
authorities = ["testshire"]
document = "test"

[[role]]
id = "coordinator"
name = "Missing coordinator"
agency = "childrens_services"

[[reading]]
id = "r1"
cite = "§1"
text = "a reading"
"#;

fn load_error(retention: &str) -> String {
    match load("protocols/testshire/2024-01-01.toml", &format!("{HEADER}\n{retention}")) {
        Ok(_) => panic!("should be refused:\n{retention}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_retention_entry_is_validated_at_load_and_errors_name_the_field() {
    let good = "[[retention]]\nid = \"alerts\"\nrecord = \"national_alert\"\nkeep = \"3mo\"\nreview_by = \"coordinator\"\ncite = \"§1\"\nquote = \"Keep the record for 3 months.\"\nreading = \"r1\"\n";
    let p = load("protocols/testshire/2024-01-01.toml", &format!("{HEADER}\n{good}")).expect("valid");
    assert_eq!(p.retention.len(), 1);
    assert_eq!(p.retention_for(RetainedRecord::NationalAlert).unwrap().id, "alerts");

    let cases = [
        (good.replace("national_alert", "case_file"), "retention alerts: `record`: 'case_file' is not a retained record kind"),
        (good.replace("\"3mo\"", "\"0\""), "retention alerts: `keep`: must be longer than zero"),
        (good.replace("\"3mo\"", "\"3 months\""), "retention alerts: `keep`: bad duration"),
        (good.replace("cite = \"§1\"\n", ""), "retention alerts: `cite`: every entry must cite"),
        (good.replace("quote = \"Keep the record for 3 months.\"\n", ""), "retention alerts: `quote`: every entry must quote"),
        (good.replace("\"r1\"", "\"r2\""), "retention alerts: `reading`: unknown reading 'r2'"),
        (good.replace("keep =", "kept ="), "retention alerts: `kept`: unknown field"),
        (good.replace("review_by = \"coordinator\"\n", ""), "retention alerts: `review_by`: name the role that reviews"),
        (good.replace("\"coordinator\"", "\"nobody\""), "retention alerts: `review_by`: unknown role 'nobody'"),
        (
            format!("{good}\n{}", good.replace("\"alerts\"", "\"alerts-2\"")),
            "retention alerts-2: `record`: retention alerts already limits 'national_alert' records",
        ),
    ];
    for (text, expected) in cases {
        let message = load_error(&text);
        assert!(message.contains(expected), "got '{message}', expected '…{expected}…'");
        assert!(message.starts_with("protocols/testshire/2024-01-01.toml: "), "{message}");
    }
}
