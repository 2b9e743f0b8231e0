//! Conditions about hours and places: `in_hours_of` / `out_of_hours_of`,
//! `responsible_in_partnership`, `responsible_authorities`,
//! `host_authorities`, `found_in_partnership`, and `applies = "found_in"`
//! with the `found_in` of a return: validated at load (errors name the
//! field), and what the engine does with them.

use homeward_core::Options;
use homeward_core::engine::Replay;
use homeward_core::protocol::{Registry, describe, load};

const FILE: &str = "protocols/testshire/2024-01-01.toml";

const HEADER: &str = r#"
[protocol]
id = "testshire"
title = "Test"
version = "1"
effective_from = "2024-01-01"
authorities = ["testshire", "testford"]
document = "test"

[[role]]
id = "front_door"
name = "Front door"
agency = "childrens_services"
office_hours = ["mon-fri 09:00-17:00"]
out_of_hours = "edt"

[[role]]
id = "edt"
name = "Emergency duty team"
agency = "childrens_services"

[[role]]
id = "police"
name = "Police"
agency = "police"

[[role]]
id = "home_authority"
name = "The child's home authority"
agency = "childrens_services"
"#;

const RULES: &str = r#"
[[rule]]
id = "edt-note"
cite = "§1"
quote = "Record a case note if a child is reported missing out of hours."
kind = "record"
what = "EDT records a case note"
by = "edt"
due = "none"
satisfied_by = []
[rule.when]
out_of_hours_of = "front_door"

[[rule]]
id = "day-call"
cite = "§1"
quote = "During the day the front door is told."
kind = "notify"
what = "Front door told during the day"
by = "police"
to = "front_door"
due = "none"
[rule.when]
in_hours_of = "front_door"

[[rule]]
id = "outside-placer"
cite = "§2"
quote = "Councils outside the partnership placing here are asked to share plans."
kind = "notify"
what = "Placing council outside the partnership asked for its plans"
by = "front_door"
to = "home_authority"
due = "none"
[rule.when]
responsible_in_partnership = false

[[rule]]
id = "testford-only"
cite = "§3"
quote = "In Testford the front door is told."
kind = "notify"
what = "Testford front door told"
by = "police"
to = "front_door"
applies = "both"
due = "none"
[rule.when]
host_authorities = ["testford"]

[[rule]]
id = "testshire-duty"
cite = "§3"
quote = "In Testshire the front door is told."
kind = "notify"
what = "Testshire front door told"
by = "police"
to = "front_door"
applies = "both"
due = "none"
[rule.when]
duty_authorities = ["testshire"]

[[rule]]
id = "found-in-area"
cite = "§5"
quote = "A child placed here who is found within our area is debriefed."
kind = "interview"
what = "Child placed here found within the area: debrief"
by = "front_door"
trigger = "return"
due = "none"
satisfied_by = []
[rule.when]
found_in_partnership = true

[[rule]]
id = "found-outside-area"
cite = "§5"
quote = "A child placed here who is found outside our area is collected."
kind = "check"
what = "Child placed here found outside the area (or where not recorded): collected"
by = "front_door"
trigger = "return"
due = "none"
satisfied_by = []
[rule.when]
found_in_partnership = false

[[rule]]
id = "found-here"
cite = "§4"
quote = "Police lead the return of a child of another authority found here."
kind = "notify"
what = "Police liaise with the home authority of a child found here"
by = "police"
to = "home_authority"
applies = "found_in"
trigger = "return"
due = "none"
"#;

fn load_error(text: &str) -> String {
    match load(FILE, &format!("{HEADER}\n{text}")) {
        Ok(_) => panic!("should be refused:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn registry() -> Registry {
    let baseline = Registry::builtin_files().iter().find(|(name, _)| name.contains("national")).expect("the baseline");
    let files = vec![(FILE.to_string(), format!("{HEADER}\n{RULES}")), (baseline.0.to_string(), baseline.1.to_string())];
    Registry::from_sources(files).expect("registry")
}

fn run(child: &str, events: &[&str], now: &str) -> Replay {
    let scenario = format!(r#"{{"now": "{now}", "children": [{child}], "events": [{}]}}"#, events.join(","));
    homeward_core::replay(&registry(), &scenario, Options::default()).expect("valid scenario")
}

fn rules(r: &Replay) -> Vec<String> {
    let mut v: Vec<String> = r.duties.iter().map(|d| format!("{}.{}@{}", d.protocol, d.rule, d.authority)).collect();
    v.sort();
    v
}

const LOCAL: &str = r#"{"id": "c1", "date_of_birth": "2012-01-01", "status": "looked_after", "responsible_authority": "testshire", "living_in": "testshire"}"#;

#[test]
fn the_new_conditions_are_validated_at_load_and_errors_name_the_field() {
    load(FILE, &format!("{HEADER}\n{RULES}")).expect("valid");
    let cases = [
        (RULES.replace("out_of_hours_of = \"front_door\"", "out_of_hours_of = \"nobody\""), "rule edt-note: `when.out_of_hours_of`: unknown role 'nobody'"),
        (
            RULES.replace("out_of_hours_of = \"front_door\"", "out_of_hours_of = \"edt\""),
            "rule edt-note: `when.out_of_hours_of`: role 'edt' has no office_hours",
        ),
        (RULES.replace("in_hours_of = \"front_door\"", "in_hours_of = \"police\""), "rule day-call: `when.in_hours_of`: role 'police' has no office_hours"),
        (
            RULES.replace("out_of_hours_of = \"front_door\"", "out_of_hours_of = \"front_door\"\nin_hours_of = \"front_door\""),
            "rule edt-note: `when.out_of_hours_of`: cannot be given with in_hours_of",
        ),
        (
            RULES.replace("host_authorities = [\"testford\"]", "host_authorities = [\"narnia\"]"),
            "rule testford-only: `when.host_authorities`: 'narnia' is not an authority",
        ),
        (RULES.replace("host_authorities = [\"testford\"]", "responsible_authorities = [\"Derby\"]"), "rule testford-only: `when.responsible_authorities`:"),
        (
            RULES.replace("applies = \"found_in\"\ntrigger = \"return\"\n", "applies = \"found_in\"\n"),
            "rule found-here: `applies`: 'found_in' needs trigger = \"return\"",
        ),
        (
            RULES.replace("responsible_in_partnership = false", "found_in_partnership = true"),
            "rule outside-placer: `when.found_in_partnership`: needs trigger = \"return\"",
        ),
        (
            RULES.replace("applies = \"found_in\"", "applies = \"where_found\""),
            "rule found-here: `applies`: 'where_found' is not one of: host, responsible, both, found_in",
        ),
        (
            "[[flag]]\nid = \"f\"\ncite = \"§1\"\nquote = \"q\"\nwhat = \"w\"\n[flag.when]\nduty_authorities = [\"testford\"]\n".to_string(),
            "flag f: `when.duty_authorities`: is for rules and warnings",
        ),
        (
            "[[flag]]\nid = \"f\"\ncite = \"§1\"\nquote = \"q\"\nwhat = \"w\"\n[flag.when]\nout_of_hours_of = \"front_door\"\n".to_string(),
            "flag f: `when.out_of_hours_of`: is for rules and warnings",
        ),
        (
            "[[warning]]\nid = \"w\"\ncite = \"§1\"\nquote = \"q\"\nwhat = \"w\"\napplies = \"found_in\"\ntrigger = \"return\"\n".to_string(),
            "warning w: `applies`: 'found_in' is for rules",
        ),
    ];
    for (text, expected) in cases {
        let message = load_error(&text);
        assert!(message.contains(expected), "got '{message}', expected '…{expected}…'");
        assert!(message.starts_with(&format!("{FILE}: ")), "{message}");
    }
}

#[test]
fn hours_are_judged_at_the_moment_a_rule_applies_in_london_time_with_bank_holidays_closed() {
    let at = |t: &str| {
        let ev = format!(r#"{{"at": "{t}", "child": "c1", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"}}"#);
        rules(&run(LOCAL, &[&ev], "2026-12-31T00:00:00Z"))
    };
    let edt = "testshire.edt-note@testshire".to_string();
    let day = "testshire.day-call@testshire".to_string();
    // Monday 2 March 2026 (GMT).
    assert!(at("2026-03-02T16:59:59Z").contains(&day) && !at("2026-03-02T16:59:59Z").contains(&edt));
    assert!(at("2026-03-02T17:00:00Z").contains(&edt) && !at("2026-03-02T17:00:00Z").contains(&day));
    assert!(at("2026-03-02T08:59:59Z").contains(&edt));
    assert!(at("2026-03-02T09:00:00Z").contains(&day));
    // Friday evening, Saturday noon, Good Friday morning (a bank holiday).
    assert!(at("2026-03-06T18:00:00Z").contains(&edt));
    assert!(at("2026-03-07T12:00:00Z").contains(&edt));
    assert!(at("2026-04-03T10:00:00Z").contains(&edt));
    // British Summer Time: 16:30 local is 15:30 UTC.
    assert!(at("2026-04-07T15:30:00Z").contains(&day));
    assert!(at("2026-04-07T16:00:00Z").contains(&edt));
}

#[test]
fn authority_conditions_test_whose_child_it_is_and_where_it_lives() {
    let report = r#"{"at": "2026-03-02T12:00:00Z", "child": "c1", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"}"#;
    let placed = |resp: &str, host: &str| {
        let child =
            format!(r#"{{"id": "c1", "date_of_birth": "2012-01-01", "status": "looked_after", "responsible_authority": "{resp}", "living_in": "{host}"}}"#);
        rules(&run(&child, &[report], "2026-03-02T13:00:00Z"))
    };
    assert!(placed("hackney", "testshire").contains(&"testshire.outside-placer@testshire".to_string()));
    assert!(!placed("testford", "testshire").iter().any(|r| r.contains("outside-placer")), "a council of the partnership");
    assert!(!placed("testshire", "testshire").iter().any(|r| r.contains("outside-placer")));
    assert!(placed("testshire", "testford").contains(&"testshire.testford-only@testford".to_string()));
    assert!(!placed("testford", "testshire").iter().any(|r| r.contains("testford-only")));
    // duty_authorities: the duty's authority (for `both`, the host when this
    // protocol covers it, else the responsible authority).
    assert!(placed("testford", "testshire").contains(&"testshire.testshire-duty@testshire".to_string()));
    assert!(!placed("testshire", "testford").iter().any(|r| r.contains("testshire-duty")));
    assert!(placed("testshire", "hackney").contains(&"testshire.testshire-duty@testshire".to_string()));
    assert!(!placed("hackney", "testford").iter().any(|r| r.contains("testshire-duty")));
}

#[test]
fn a_child_of_another_authority_found_here_is_judged_by_this_protocol_for_its_found_in_rules_only() {
    let elsewhere = r#"{"id": "c1", "date_of_birth": "2012-01-01", "status": "looked_after", "responsible_authority": "hackney", "living_in": "hackney"}"#;
    let report = r#"{"at": "2026-03-02T12:00:00Z", "child": "c1", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"}"#;
    let found = r#"{"at": "2026-03-02T20:00:00Z", "child": "c1", "episode": "e1", "type": "returned", "found_in": "testford"}"#;
    let told = r#"{"at": "2026-03-02T20:30:00Z", "child": "c1", "episode": "e1", "type": "notified", "to": "home_authority"}"#;
    let result = run(elsewhere, &[report, found, told], "2026-03-03T00:00:00Z");
    let ours: Vec<_> = result.duties.iter().filter(|d| d.protocol == "testshire").collect();
    assert_eq!(ours.len(), 1, "only the found_in rule: {:?}", rules(&result));
    assert_eq!(ours[0].rule, "found-here");
    assert_eq!(ours[0].authority, "testford", "the duty is the authority's where the child was found");
    assert_eq!(ours[0].id, "testshire.found-here/c1/e1");
    assert_eq!(ours[0].done_at.map(|t| t.to_string()).as_deref(), Some("2026-03-02T20:30:00Z"));
    assert!(result.protocols.iter().any(|p| p.id == "testshire"));
    // The same events in another order: the same result.
    let again = run(elsewhere, &[told, found, report], "2026-03-03T00:00:00Z");
    assert_eq!(serde_json::to_string(&result).unwrap(), serde_json::to_string(&again).unwrap());

    // Found elsewhere, or where not recorded: nothing of this protocol.
    for ret in [
        r#"{"at": "2026-03-02T20:00:00Z", "child": "c1", "episode": "e1", "type": "returned", "found_in": "hackney"}"#,
        r#"{"at": "2026-03-02T20:00:00Z", "child": "c1", "episode": "e1", "type": "returned"}"#,
    ] {
        let r = run(elsewhere, &[report, ret], "2026-03-03T00:00:00Z");
        assert!(!r.duties.iter().any(|d| d.protocol == "testshire"), "{:?}", rules(&r));
    }
    // A child who lives here is this protocol's already: no found_in duty.
    let local_found = found.replace("testford", "testshire");
    let r = run(LOCAL, &[report, &local_found], "2026-03-03T00:00:00Z");
    assert!(!r.duties.iter().any(|d| d.rule == "found-here"), "{:?}", rules(&r));
}

#[test]
fn found_in_partnership_tests_where_the_return_says_the_child_was_found() {
    let report = r#"{"at": "2026-03-02T12:00:00Z", "child": "c1", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"}"#;
    let found = |place: Option<&str>| {
        let ret = match place {
            Some(p) => format!(r#"{{"at": "2026-03-02T20:00:00Z", "child": "c1", "episode": "e1", "type": "returned", "found_in": "{p}"}}"#),
            None => r#"{"at": "2026-03-02T20:00:00Z", "child": "c1", "episode": "e1", "type": "returned"}"#.to_string(),
        };
        rules(&run(LOCAL, &[report, &ret], "2026-03-03T00:00:00Z"))
    };
    let inside = "testshire.found-in-area@testshire".to_string();
    let outside = "testshire.found-outside-area@testshire".to_string();
    // Either of the protocol's authorities is inside.
    for place in ["testshire", "testford"] {
        let r = found(Some(place));
        assert!(r.contains(&inside) && !r.contains(&outside), "{place}: {r:?}");
    }
    let r = found(Some("hackney"));
    assert!(!r.contains(&inside) && r.contains(&outside), "{r:?}");
    let r = found(None);
    assert!(!r.contains(&inside) && r.contains(&outside), "not recorded: {r:?}");
    // Before the return, neither applies (it is known at the return).
    let r = rules(&run(LOCAL, &[report], "2026-03-03T00:00:00Z"));
    assert!(!r.contains(&inside) && !r.contains(&outside), "{r:?}");
}

#[test]
fn a_found_in_that_is_not_an_authority_is_refused_naming_the_field() {
    let scenario = r#"{"now": "2026-03-03T00:00:00Z",
      "children": [{"id": "c1", "date_of_birth": "2012-01-01", "status": "looked_after", "responsible_authority": "hackney", "living_in": "hackney"}],
      "events": [
        {"at": "2026-03-02T12:00:00Z", "child": "c1", "episode": "e1", "type": "reported", "category": "missing"},
        {"at": "2026-03-02T20:00:00Z", "child": "c1", "episode": "e1", "type": "returned", "found_in": "narnia"}
      ]}"#;
    let err = homeward_core::replay(&registry(), scenario, Options::default()).expect_err("refused");
    assert!(err.to_string().contains("events[1].found_in"), "{err}");
    let bad = scenario.replace("narnia", "Not An Id");
    let err = homeward_core::replay(&registry(), &bad, Options::default()).expect_err("refused");
    assert!(err.to_string().contains("events[1].found_in"), "{err}");
}

#[test]
fn protocols_show_describes_the_new_conditions() {
    let p = load(FILE, &format!("{HEADER}\n{RULES}")).expect("valid");
    let text = describe(&p);
    assert!(text.contains("outside the office hours of Front door (mon-fri 09:00-17:00, Europe/London; bank holidays closed)"), "{text}");
    assert!(text.contains("inside the office hours of Front door"), "{text}");
    assert!(text.contains("responsible authority is outside this partnership"), "{text}");
    assert!(text.contains("the child lives in testford"), "{text}");
    assert!(text.contains("the authority where the child was found"), "{text}");
}
