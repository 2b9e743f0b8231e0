//! The fidelity mechanisms of protocol files: `satisfied_before` (an act
//! recorded before a duty applies counts only with a cited reading) and the
//! source of a deadline (`due = "none"`, `due_reading`), validated at load and
//! shown by `protocols show`.

use homeward_core::Options;
use homeward_core::engine::{DueSetBy, DutyState};
use homeward_core::protocol::{DueSource, Registry, describe, load, untimed_due};
use homeward_core::vocab::DutyKind;

const FILE: &str = "protocols/testshire/2024-01-01.toml";

const HEADER: &str = r#"
[protocol]
id = "testshire"
title = "Test"
version = "1"
effective_from = "2024-01-01"
authorities = ["testshire"]
document = "test"

[[role]]
id = "social_worker"
name = "Social worker"
agency = "childrens_services"

[[role]]
id = "head_of_service"
name = "Head of Service"
agency = "childrens_services"

[[reading]]
id = "early"
cite = "§2"
text = "a meeting within 24 hours of going missing may be held before 24 hours"
"#;

const NOTICE: &str = r#"
[[rule]]
id = "notice-24h"
cite = "§1"
quote = "After 24 hours the Head of Service must be informed."
kind = "notify"
what = "Head of Service told: missing 24 hours"
by = "social_worker"
to = "head_of_service"
after = "24h"
due = "none"
"#;

const MEETING: &str = r#"
[[rule]]
id = "meeting-24h"
cite = "§2"
quote = "A strategy meeting within 24 hours of the child going missing."
kind = "meeting"
what = "Strategy meeting by 24 hours"
by = "social_worker"
after = "24h"
satisfied_by = [{ type = "strategy_meeting" }]
satisfied_before = "early"
"#;

fn load_error(rules: &str) -> String {
    match load(FILE, &format!("{HEADER}\n{rules}")) {
        Ok(_) => panic!("should be refused:\n{rules}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_new_fields_are_validated_at_load_and_errors_name_the_field() {
    let p = load(FILE, &format!("{HEADER}\n{NOTICE}\n{MEETING}")).expect("valid");
    assert_eq!(p.rules[0].due_source, DueSource::Untimed);
    assert_eq!(p.rules[0].due, untimed_due(DutyKind::Notify));
    assert_eq!(p.rules[1].due_source, DueSource::Document);
    assert_eq!(p.rules[1].satisfied_before.as_deref(), Some("early"));

    let cases = [
        (MEETING.replace("satisfied_before = \"early\"", "satisfied_before = \"later\""), "rule meeting-24h: `satisfied_before`: unknown reading 'later'"),
        (
            MEETING.replace("[{ type = \"strategy_meeting\" }]", "[]"),
            "rule meeting-24h: `satisfied_before`: has no effect when only duty_done can discharge the duty",
        ),
        (NOTICE.replace("due = \"none\"", "due = \"none\"\ndue_reading = \"early\""), "rule notice-24h: `due_reading`: names the reading of a deadline"),
        (NOTICE.replace("due = \"none\"", "due_reading = \"early\""), "rule notice-24h: `due_reading`: needs the `due` that reading 'early' gives"),
        (NOTICE.replace("due = \"none\"", "due = \"2h\"\ndue_reading = \"later\""), "rule notice-24h: `due_reading`: unknown reading 'later'"),
        (NOTICE.replace("due = \"none\"", "due = \"never\""), "rule notice-24h: `due`:"),
    ];
    for (text, expected) in cases {
        let message = load_error(&text);
        assert!(message.contains(expected), "got '{message}', expected '…{expected}…'");
        assert!(message.starts_with(&format!("{FILE}: ")), "{message}");
    }
}

#[test]
fn the_engine_wide_deadline_for_untimed_duties_is_in_clock_hours() {
    for kind in DutyKind::ALL {
        let hours = match kind {
            DutyKind::Notify | DutyKind::Alert => 1,
            _ => 24,
        };
        assert_eq!(untimed_due(*kind), homeward_core::duration::Duration::Hours(hours), "{kind:?}");
    }
}

#[test]
fn protocols_show_says_which_deadlines_are_readings_and_which_rules_count_earlier_acts() {
    let p = load(FILE, &format!("{HEADER}\n{NOTICE}\n{MEETING}")).expect("valid");
    let text = describe(&p);
    assert!(text.contains("Due: within 1 hour of that (the protocol sets no timescale"), "{text}");
    assert!(text.contains("Deadlines: 1 from the document; 1 untimed"), "{text}");
    assert!(text.contains("Duties an act recorded before they apply can discharge (1)"), "{text}");
    assert!(text.contains("[testshire §2] meeting-24h  (reading early)"), "{text}");
    assert!(text.contains("recorded at or after the duty applies"), "{text}");
}

#[test]
fn an_early_act_counts_only_for_the_rule_that_opts_in() {
    // Our test file and the national baseline every set must have.
    let baseline = Registry::builtin_files().iter().find(|(name, _)| name.contains("national")).expect("the baseline");
    let files = vec![(FILE.to_string(), format!("{HEADER}\n{NOTICE}\n{MEETING}")), (baseline.0.to_string(), baseline.1.to_string())];
    let registry = Registry::from_sources(files).expect("registry");
    let scenario = r#"{
      "now": "2026-03-04T00:00:00Z",
      "children": [{"id": "c1", "date_of_birth": "2012-01-01", "status": "looked_after", "responsible_authority": "testshire", "living_in": "testshire", "flags": []}],
      "events": [
        {"at": "2026-03-02T00:00:00Z", "child": "c1", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"},
        {"at": "2026-03-02T02:00:00Z", "child": "c1", "episode": "e1", "type": "notified", "to": "head_of_service"},
        {"at": "2026-03-02T02:00:00Z", "child": "c1", "episode": "e1", "type": "strategy_meeting"}
      ]
    }"#;
    let result = homeward_core::replay(&registry, scenario, Options::default()).expect("valid scenario");
    let duty = |rule: &str| result.duties.iter().find(|d| d.rule == rule).expect("duty");
    let notice = duty("notice-24h");
    assert_eq!(notice.state, DutyState::Overdue, "a notice at hour 2 is not the 24-hour notice");
    assert_eq!(notice.due_set_by, DueSetBy::Reading);
    assert_eq!(notice.due.to_string(), "2026-03-03T01:00:00Z");
    let meeting = duty("meeting-24h");
    assert_eq!(meeting.state, DutyState::Done, "the reading lets a meeting held at hour 2 count");
    assert_eq!(meeting.due_set_by, DueSetBy::Protocol);
}
