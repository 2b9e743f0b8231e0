//! The replay contract, tested through the real binary: exit codes, one-line
//! errors naming the field, nothing on stdout on error, stable duty ids, and
//! the generator's determinism.

use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn homeward(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_homeward"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run homeward");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn replay(scenario: &Value) -> Output {
    homeward(&["replay", "-"], Some(&scenario.to_string()))
}

fn example() -> Value {
    json!({
      "now": "2026-03-05T12:00:00Z",
      "children": [
        {"id": "c1", "date_of_birth": "2012-04-01", "status": "looked_after",
         "responsible_authority": "newham", "living_in": "bolton", "flags": ["cse_risk"]}
      ],
      "events": [
        {"at": "2026-03-02T21:00:00Z", "child": "c1", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"},
        {"at": "2026-03-03T08:00:00Z", "child": "c1", "episode": "e1", "type": "risk_graded", "risk": "high"},
        {"at": "2026-03-04T10:00:00Z", "child": "c1", "episode": "e1", "type": "strategy_meeting"},
        {"at": "2026-03-04T18:30:00Z", "child": "c1", "episode": "e1", "type": "returned"}
      ]
    })
}

/// Runs an invalid scenario and returns its single stderr line.
fn rejected(scenario: &Value) -> String {
    let out = replay(scenario);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "nothing on stdout on error");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err.trim_end().to_string()
}

#[test]
fn the_contract_example_replays_with_both_partnerships() {
    let out = replay(&example());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["now"], "2026-03-05T12:00:00Z");
    let duties = result["duties"].as_array().unwrap();
    assert!(!duties.is_empty());
    let authorities: std::collections::BTreeSet<&str> = duties.iter().map(|d| d["authority"].as_str().unwrap()).collect();
    // A Newham child placed in Bolton: Bolton's local duties and Newham's own.
    assert!(authorities.contains("bolton") && authorities.contains("newham"), "{authorities:?}");
    for d in duties {
        let cite = d["cite"].as_str().unwrap();
        let protocol = d["protocol"].as_str().unwrap();
        assert!(cite.starts_with(protocol), "{cite}");
        // `to_consider` and `dismissed` are the extension's states for prompts.
        assert!(["done", "excepted", "overdue", "due", "upcoming", "to_consider", "dismissed"].contains(&d["state"].as_str().unwrap()));
        if d["prompt"] == true {
            assert!(!["overdue", "due"].contains(&d["state"].as_str().unwrap()), "a prompt is never due or overdue: {d}");
        }
        assert!(["protocol", "reading"].contains(&d["due_set_by"].as_str().unwrap()));
        assert!(d["due"].as_str().unwrap() >= d["triggered_at"].as_str().unwrap());
    }
    // Sorted by due, then id.
    let keys: Vec<(String, String)> = duties.iter().map(|d| (d["due"].as_str().unwrap().to_string(), d["id"].as_str().unwrap().to_string())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn a_file_argument_and_standard_input_give_the_same_result() {
    let dir = std::env::temp_dir().join(format!("homeward-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("scenario.json");
    std::fs::write(&path, example().to_string()).unwrap();
    let from_file = homeward(&["replay", path.to_str().unwrap()], None);
    let from_stdin = replay(&example());
    assert_eq!(from_file.status.code(), Some(0));
    assert_eq!(from_file.stdout, from_stdin.stdout);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn duty_ids_are_stable_and_duty_done_marks_one_done() {
    let first: Value = serde_json::from_slice(&replay(&example()).stdout).unwrap();
    let second: Value = serde_json::from_slice(&replay(&example()).stdout).unwrap();
    assert_eq!(first, second);
    let open = first["duties"].as_array().unwrap().iter().find(|d| d["state"] == "overdue").expect("the example has an overdue duty");
    let id = open["id"].as_str().unwrap();
    let mut later = example();
    later["events"].as_array_mut().unwrap().push(json!({"at": "2026-03-05T11:00:00Z", "child": "c1", "type": "duty_done", "duty": id}));
    let after: Value = serde_json::from_slice(&replay(&later).stdout).unwrap();
    let same = after["duties"].as_array().unwrap().iter().find(|d| d["id"] == id).unwrap();
    assert_eq!(same["state"], "done");
    assert_eq!(same["done_at"], "2026-03-05T11:00:00Z");
}

#[test]
fn a_prompt_is_to_consider_until_someone_confirms_or_dismisses_it() {
    let first: Value = serde_json::from_slice(&replay(&example()).stdout).unwrap();
    let prompt =
        first["duties"].as_array().unwrap().iter().find(|d| d["prompt"] == true && d["state"] == "to_consider").expect("the example has a prompt to consider");
    let id = prompt["id"].as_str().unwrap().to_string();
    for (decision, state) in [("dismissed", "dismissed"), ("confirmed", "done")] {
        let mut later = example();
        later["events"].as_array_mut().unwrap().push(
            json!({"at": "2026-03-05T11:00:00Z", "child": "c1", "type": "prompt_considered", "duty": id, "decision": decision, "by": "Team manager J. Smith"}),
        );
        let after: Value = serde_json::from_slice(&replay(&later).stdout).unwrap();
        let same = after["duties"].as_array().unwrap().iter().find(|d| d["id"] == id).unwrap();
        assert_eq!(same["state"], state);
        assert_eq!(same["considered"]["by"], "Team manager J. Smith");
        assert_eq!(same["considered"]["decision"], decision);
    }
    // Who decided, and a known decision, are required.
    for (event, field) in [
        (json!({"at": "2026-03-05T11:00:00Z", "child": "c1", "type": "prompt_considered", "duty": id, "decision": "dismissed"}), "by"),
        (json!({"at": "2026-03-05T11:00:00Z", "child": "c1", "type": "prompt_considered", "duty": id, "decision": "maybe", "by": "J. Smith"}), "decision"),
    ] {
        let mut bad = example();
        bad["events"].as_array_mut().unwrap().push(event);
        let out = replay(&bad);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!(".{field}:")), "{err}");
    }
}

#[test]
fn an_exception_excepts_the_duty_and_keeps_the_reason() {
    let first: Value = serde_json::from_slice(&replay(&example()).stdout).unwrap();
    let id = first["duties"].as_array().unwrap().iter().find(|d| d["state"] == "overdue").unwrap()["id"].as_str().unwrap().to_string();
    let mut later = example();
    later["events"].as_array_mut().unwrap().push(json!({"at": "2026-03-05T11:00:00Z", "child": "c1", "type": "exception", "duty": id, "reason": "child in hospital", "authorised_by": "Team manager J. Smith"}));
    let after: Value = serde_json::from_slice(&replay(&later).stdout).unwrap();
    let same = after["duties"].as_array().unwrap().iter().find(|d| d["id"] == id).unwrap();
    assert_eq!(same["state"], "excepted");
    assert_eq!(same["exception"]["reason"], "child in hospital");
}

#[test]
fn lapsed_duties_only_with_all() {
    // Returned after 2 hours: the 24-hour escalations can no longer apply.
    let mut s = example();
    s["events"] = json!([
        {"at": "2026-03-02T21:00:00Z", "child": "c1", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"},
        {"at": "2026-03-02T23:00:00Z", "child": "c1", "episode": "e1", "type": "returned"}
    ]);
    let plain: Value = serde_json::from_slice(&replay(&s).stdout).unwrap();
    assert!(plain["duties"].as_array().unwrap().iter().all(|d| d["state"] != "lapsed"));
    let out = homeward(&["replay", "--all", "-"], Some(&s.to_string()));
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(all["duties"].as_array().unwrap().iter().any(|d| d["state"] == "lapsed"));
}

#[test]
fn an_invalid_time_names_the_field() {
    let mut s = example();
    s["events"][3]["at"] = json!("yesterday");
    assert_eq!(rejected(&s), "events[3].at: not an RFC 3339 time");
}

#[test]
fn a_time_without_an_offset_is_rejected() {
    let mut s = example();
    s["events"][0]["at"] = json!("2026-03-02T21:00:00");
    assert_eq!(rejected(&s), "events[0].at: not an RFC 3339 time");
}

#[test]
fn an_event_after_now_is_rejected() {
    let mut s = example();
    s["events"][2]["at"] = json!("2026-03-06T10:00:00Z");
    assert_eq!(rejected(&s), "events[2].at: is after `now`");
}

#[test]
fn a_missing_now_is_rejected() {
    let mut s = example();
    s.as_object_mut().unwrap().remove("now");
    assert_eq!(rejected(&s), "now: is required");
}

#[test]
fn an_unknown_child_is_rejected() {
    let mut s = example();
    s["events"][1]["child"] = json!("c9");
    assert_eq!(rejected(&s), "events[1].child: no child has the id 'c9'");
}

#[test]
fn an_unknown_event_type_is_rejected() {
    let mut s = example();
    s["events"][2]["type"] = json!("strategy meeting");
    assert!(rejected(&s).starts_with("events[2].type: 'strategy meeting' is not a event type"));
}

#[test]
fn a_bad_enum_value_names_the_field() {
    let mut s = example();
    s["children"][0]["status"] = json!("in_care");
    assert!(rejected(&s).starts_with("children[0].status: 'in_care' is not a status"));
    let mut s = example();
    s["events"][0]["category"] = json!("runaway");
    assert!(rejected(&s).starts_with("events[0].category: 'runaway' is not a category"));
    let mut s = example();
    s["events"][1]["risk"] = json!("ungraded");
    assert!(rejected(&s).starts_with("events[1].risk: 'ungraded' is not a risk grade"));
}

#[test]
fn a_field_that_belongs_to_another_type_is_rejected() {
    let mut s = example();
    s["events"][3]["outcome"] = json!("completed");
    assert_eq!(rejected(&s), "events[3].outcome: is not a field of a 'returned' event");
}

#[test]
fn an_unknown_field_is_rejected() {
    let mut s = example();
    s["events"][0]["catgory"] = json!("missing");
    let line = rejected(&s);
    assert!(line.starts_with("events[0]") && line.contains("catgory"), "{line}");
}

#[test]
fn a_second_report_while_an_episode_is_open_is_rejected() {
    let mut s = example();
    s["events"]
        .as_array_mut()
        .unwrap()
        .insert(1, json!({"at": "2026-03-03T01:00:00Z", "child": "c1", "episode": "e2", "type": "reported", "category": "missing"}));
    let line = rejected(&s);
    assert!(line.starts_with("events[1].type: child 'c1' already has an open episode 'e1'"), "{line}");
}

#[test]
fn a_change_after_the_return_is_rejected() {
    let mut s = example();
    s["events"].as_array_mut().unwrap().push(json!({"at": "2026-03-05T01:00:00Z", "child": "c1", "episode": "e1", "type": "risk_graded", "risk": "low"}));
    assert!(rejected(&s).starts_with("events[4].type: episode 'e1' has already ended"));
}

#[test]
fn an_event_for_an_unreported_episode_is_rejected() {
    let mut s = example();
    s["events"][2]["episode"] = json!("e7");
    assert!(rejected(&s).starts_with("events[2].episode: child 'c1' has no episode 'e7'"));
}

#[test]
fn a_notification_to_an_unknown_role_is_rejected() {
    let mut s = example();
    s["events"].as_array_mut().unwrap().push(json!({"at": "2026-03-04T19:00:00Z", "child": "c1", "episode": "e1", "type": "notified", "to": "head_of_servce"}));
    let line = rejected(&s);
    assert!(line.starts_with("events[4].to: 'head_of_servce' is not a role of the"), "{line}");
}

/// Extension: `returned.found_in`. A child of another authority found in a
/// partnership's area gets that partnership's duties for such children,
/// under the authority where it was found; without `found_in`, nothing
/// changes.
#[test]
fn a_child_of_another_authority_found_in_newham_gets_newhams_section_18_duties() {
    let mut s = example();
    s["children"][0]["responsible_authority"] = json!("hackney");
    s["children"][0]["living_in"] = json!("hackney");
    let before = replay(&s);
    assert_eq!(before.status.code(), Some(0), "{}", String::from_utf8_lossy(&before.stderr));
    let before: Value = serde_json::from_slice(&before.stdout).unwrap();
    assert!(!before["duties"].as_array().unwrap().iter().any(|d| d["protocol"] == "newham"));

    s["events"][3]["found_in"] = json!("newham");
    s["events"].as_array_mut().unwrap().push(json!({"at": "2026-03-04T19:00:00Z", "child": "c1", "episode": "e1", "type": "notified", "to": "home_authority"}));
    let out = replay(&s);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    let newham: Vec<&Value> = result["duties"].as_array().unwrap().iter().filter(|d| d["protocol"] == "newham").collect();
    let rules: Vec<&str> = newham.iter().map(|d| d["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"18-2.police-liaise") && rules.contains(&"18-1.safety"), "{rules:?}");
    assert!(newham.iter().all(|d| d["authority"] == "newham"));
    let liaise = newham.iter().find(|d| d["rule"] == "18-2.police-liaise").unwrap();
    assert_eq!(liaise["id"], "newham.18-2.police-liaise/c1/e1");
    assert_eq!(liaise["state"], "done");
    assert!(result["protocols"].as_array().unwrap().iter().any(|p| p["id"] == "newham"));
}

#[test]
fn a_found_in_that_is_not_an_authority_is_rejected() {
    let mut s = example();
    s["events"][3]["found_in"] = json!("narnia");
    let line = rejected(&s);
    assert!(line.starts_with("events[3].found_in: 'narnia' is not an authority"), "{line}");
    s["events"][3]["found_in"] = json!("New Ham");
    assert!(rejected(&s).starts_with("events[3].found_in:"));
}

#[test]
fn a_duplicate_child_id_is_rejected() {
    let mut s = example();
    let copy = s["children"][0].clone();
    s["children"].as_array_mut().unwrap().push(copy);
    assert_eq!(rejected(&s), "children[1].id: 'c1' is already the id of children[0]");
}

#[test]
fn malformed_json_is_one_line() {
    let out = homeward(&["replay", "-"], Some("{\"now\": \"2026-03-05T12:00:00Z\", \"children\": [}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(String::from_utf8(out.stderr).unwrap().trim_end().lines().count(), 1);
}

#[test]
fn a_missing_file_exits_2() {
    let out = homeward(&["replay", "/nonexistent/scenario.json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn protocols_check_passes_and_show_cites_paragraphs() {
    let out = homeward(&["protocols", "check"], None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = homeward(&["protocols", "show", "national"], None);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("[national Independent return interviews]"), "{text}");
}

#[test]
fn protocols_check_names_file_rule_and_field() {
    let dir = std::env::temp_dir().join(format!("homeward-bad-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("national")).unwrap();
    let good = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../protocols/national/2014-01-01.toml")).unwrap();
    let bad = good.replacen("by = \"police\"", "by = \"constable\"", 1);
    std::fs::write(dir.join("national/2014-01-01.toml"), bad).unwrap();
    let out = homeward(&["--protocols", dir.to_str().unwrap(), "protocols", "check"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("national/2014-01-01.toml: rule safe-and-well: `by`: unknown role 'constable'"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn generate_is_deterministic_and_replays() {
    let args = ["generate", "--children", "40", "--days", "120", "--seed", "11"];
    let a = homeward(&args, None);
    let b = homeward(&args, None);
    assert_eq!(a.status.code(), Some(0), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, b.stdout, "same seed, same file");
    let c = homeward(&["generate", "--children", "40", "--days", "120", "--seed", "12"], None);
    assert_ne!(a.stdout, c.stdout, "another seed, another file");
    let out = homeward(&["replay", "-"], Some(std::str::from_utf8(&a.stdout).unwrap()));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `examples/placed-out-of-area.json` as `replay --all` printed it before the
/// contract's extensions for episode ownership and retention: an extension
/// must leave every existing scenario's output unchanged, byte for byte.
/// (If a protocol or engine change is meant to change this output, review the
/// difference and write the new output to the golden file.)
#[test]
fn an_existing_scenario_replays_byte_for_byte_as_before_and_assignments_change_nothing() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = std::fs::read_to_string(root.join("../../examples/placed-out-of-area.json")).unwrap();
    let golden = std::fs::read(root.join("tests/golden/placed-out-of-area.all.json")).unwrap();
    let out = homeward(&["replay", "--all", "-"], Some(&example));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == golden, "the output of examples/placed-out-of-area.json changed");

    // The same scenario with every episode assigned, then re-assigned.
    let mut scenario: Value = serde_json::from_str(&example).unwrap();
    let reported: Vec<(Value, Value, Value)> = scenario["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "reported")
        .map(|e| (e["at"].clone(), e["child"].clone(), e["episode"].clone()))
        .collect();
    assert!(!reported.is_empty());
    let events = scenario["events"].as_array_mut().unwrap();
    for (at, child, episode) in reported {
        events.push(json!({"at": at, "child": child, "episode": episode, "type": "episode_assigned", "worker": "sw-1", "team": "team-a"}));
        events.push(
            json!({"at": "2026-03-05T11:00:00Z", "child": child, "episode": episode, "type": "episode_assigned", "team": "team-b", "reason": "re-allocated"}),
        );
    }
    let out = homeward(&["replay", "--all", "-"], Some(&scenario.to_string()));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == golden, "episode_assigned events changed the result");
}

#[test]
fn a_bad_assignment_exits_2_naming_the_field() {
    let mut scenario = example();
    scenario["events"]
        .as_array_mut()
        .unwrap()
        .push(json!({"at": "2026-03-03T09:00:00Z", "child": "c1", "episode": "e1", "type": "episode_assigned", "worker": "sw-1"}));
    assert_eq!(rejected(&scenario), "events[4].team: is required");
}
