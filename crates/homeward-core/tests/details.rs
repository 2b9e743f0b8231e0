//! `details`, an extension of the replay contract: what a return interview,
//! meeting or safe and well check record's form asks beyond the engine's
//! fields. The engine checks it and never reads it.

use homeward_core::{Options, Registry, replay};
use serde_json::{Value, json};

fn registry() -> Registry {
    Registry::builtin().expect("built-in protocols")
}

fn scenario(details: bool) -> Value {
    let mut events = vec![
        json!({"at": "2026-03-02T21:00:00Z", "child": "c1", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"}),
        json!({"at": "2026-03-03T09:00:00Z", "child": "c1", "episode": "e1", "type": "strategy_meeting"}),
        json!({"at": "2026-03-03T11:00:00Z", "child": "c1", "episode": "e1", "type": "meeting", "kind": "risk_management"}),
        json!({"at": "2026-03-04T18:30:00Z", "child": "c1", "episode": "e1", "type": "returned"}),
        json!({"at": "2026-03-04T20:00:00Z", "child": "c1", "episode": "e1", "type": "safe_and_well_check", "by": "other"}),
        json!({"at": "2026-03-06T10:00:00Z", "child": "c1", "episode": "e1", "type": "return_interview", "outcome": "completed", "independent": true}),
    ];
    if details {
        events[1]["details"] = json!({"chair": "Team manager", "attendees": [{"name": "PC Lee", "role_or_agency": "Police"}], "section_47": "no",
            "actions": [{"action": "Daily contact attempts", "owner": "Social worker", "due": "2026-03-04"}], "next_review": "2026-03-08"});
        events[2]["details"] = json!({"decisions": "Update the trigger plan", "record_shared_with": ["school"]});
        events[4]["details"] =
            json!({"by_name": "Jo Carer", "by_agency": "Foster carer", "rationale": "Low risk, agreed with the police", "psr_submitted": false});
        events[5]["details"] = json!({"interviewer": "Sam Oduya", "interviewer_agency": "Missing from Home service", "mode": "in_person",
            "push_factors": ["arguments at home"], "actions": [{"action": "Refer to exploitation team"}], "safety_plan": "Call the carer",
            "contact_attempts": [{"at": "2026-03-05T09:00:00Z", "method": "phone", "outcome": "no answer"}]});
    }
    json!({
        "now": "2026-03-09T12:00:00Z",
        "children": [{"id": "c1", "date_of_birth": "2011-05-01", "status": "looked_after", "responsible_authority": "lancashire", "living_in": "bolton", "flags": ["cse_risk"]}],
        "events": events,
    })
}

fn result(scenario: &Value) -> Result<String, String> {
    replay(&registry(), &scenario.to_string(), Options { include_lapsed: true }).map(|r| serde_json::to_string(&r).unwrap()).map_err(|e| e.to_string())
}

#[test]
fn details_change_nothing_in_the_result() {
    let without = result(&scenario(false)).expect("valid without details");
    let with = result(&scenario(true)).expect("valid with details");
    assert_eq!(without, with, "the engine never reads details");
    assert!(!with.contains("Sam Oduya") && !with.contains("details"), "details are not part of the result");
}

#[test]
fn a_bad_detail_is_named_with_its_event() {
    let mut s = scenario(true);
    s["events"][1]["details"]["next_review"] = json!("8 March");
    assert_eq!(result(&s).unwrap_err(), "events[1].details.next_review: not a date (YYYY-MM-DD)");
    let mut s = scenario(true);
    s["events"][5]["details"]["interviewr"] = json!("Sam");
    assert!(result(&s).unwrap_err().starts_with("events[5].details.interviewr: is not a field of these details"));
}

#[test]
fn details_on_another_type_of_event_are_refused() {
    let mut s = scenario(false);
    s["events"][3]["details"] = json!({"chair": "x"});
    assert!(result(&s).unwrap_err().starts_with("events[3].details.chair: is not a field of these details"), "a meeting's field on a return");
    let mut s = scenario(false);
    let graded = json!({"at": "2026-03-03T08:00:00Z", "child": "c1", "episode": "e1", "type": "risk_graded", "risk": "high", "details": {"chair": "x"}});
    s["events"].as_array_mut().unwrap().push(graded);
    assert_eq!(result(&s).unwrap_err(), "events[6].details: is not a field of a 'risk_graded' event");
}
