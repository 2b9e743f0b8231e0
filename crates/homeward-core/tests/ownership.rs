//! `episode_assigned`, an extension of the replay contract: who owns
//! (is responsible for) an episode. The engine validates it and keeps it on
//! the episode; no duty, flag or warning depends on it.

use homeward_core::{Options, Registry, replay, scenario};
use jiff::Timestamp;
use serde_json::{Value, json};

fn registry() -> Registry {
    Registry::builtin().expect("built-in protocols")
}

fn base() -> Value {
    json!({
      "now": "2026-03-06T12:00:00Z",
      "children": [
        {"id": "c1", "date_of_birth": "2012-04-01", "status": "looked_after",
         "responsible_authority": "newham", "living_in": "bolton", "flags": ["cse_risk"]},
        {"id": "c2", "date_of_birth": "2010-01-20", "status": "child_protection",
         "responsible_authority": "lancashire", "flags": []}
      ],
      "events": [
        {"at": "2026-03-02T21:00:00Z", "child": "c1", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"},
        {"at": "2026-03-03T08:00:00Z", "child": "c1", "episode": "e1", "type": "risk_graded", "risk": "high"},
        {"at": "2026-03-04T10:00:00Z", "child": "c1", "episode": "e1", "type": "strategy_meeting"},
        {"at": "2026-03-04T18:30:00Z", "child": "c1", "episode": "e1", "type": "returned"},
        {"at": "2026-03-05T02:00:00Z", "child": "c2", "episode": "x1", "type": "reported", "category": "missing", "risk": "high"}
      ]
    })
}

fn with_events(mut scenario: Value, extra: &[Value]) -> Value {
    let events = scenario["events"].as_array_mut().unwrap();
    events.extend(extra.iter().cloned());
    scenario
}

fn assigned(at: &str, child: &str, episode: &str, worker: Option<&str>, team: &str) -> Value {
    let mut e = json!({"at": at, "child": child, "episode": episode, "type": "episode_assigned", "team": team});
    if let Some(w) = worker {
        e["worker"] = json!(w);
    }
    e
}

fn result_json(scenario: &Value) -> String {
    let r = replay(&registry(), &scenario.to_string(), Options { include_lapsed: true }).expect("valid scenario");
    serde_json::to_string(&r).unwrap()
}

fn error(scenario: &Value) -> String {
    match replay(&registry(), &scenario.to_string(), Options::default()) {
        Ok(_) => panic!("the scenario should be refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn assignments_change_no_duty_flag_or_warning() {
    let plain = result_json(&base());
    let assigned_too = with_events(
        base(),
        &[
            assigned("2026-03-02T21:00:00Z", "c1", "e1", Some("sw-amara"), "newham-lac-1"),
            json!({"at": "2026-03-03T09:00:00Z", "child": "c1", "episode": "e1", "type": "episode_assigned",
                   "worker": "sw-bola", "team": "newham-lac-2", "reason": "sw-amara on leave"}),
            assigned("2026-03-05T18:00:00Z", "c1", "e1", None, "newham-lac-2"),
            assigned("2026-03-05T03:00:00Z", "c2", "x1", Some("sw-cole"), "lancs-east"),
        ],
    );
    assert!(!plain.contains("episode_assigned"));
    assert_eq!(plain, result_json(&assigned_too), "the same result, byte for byte");
}

#[test]
fn the_owner_is_the_latest_assignment_whatever_the_order_of_the_file() {
    let mut events = vec![
        assigned("2026-03-03T09:00:00Z", "c1", "e1", Some("sw-bola"), "newham-lac-2"),
        assigned("2026-03-02T21:00:00Z", "c1", "e1", Some("sw-amara"), "newham-lac-1"),
    ];
    for _ in 0..2 {
        let s = scenario::parse(&with_events(base(), &events).to_string()).expect("valid");
        let ep = s.episodes.iter().find(|e| e.id == "e1").unwrap();
        assert_eq!(ep.assignments.len(), 2);
        let at = |t: &str| t.parse::<Timestamp>().unwrap();
        assert_eq!(ep.owner_at(at("2026-03-02T20:59:59Z")), None, "nobody before the first assignment");
        assert_eq!(ep.owner_at(at("2026-03-03T08:59:59Z")).unwrap().worker.as_deref(), Some("sw-amara"));
        let now = ep.owner_at(at("2026-03-03T09:00:00Z")).unwrap();
        assert_eq!((now.worker.as_deref(), now.team.as_str()), (Some("sw-bola"), "newham-lac-2"));
        events.reverse();
    }
}

#[test]
fn an_assignment_after_the_return_is_allowed_and_a_team_alone_is_an_owner() {
    let s = scenario::parse(&with_events(base(), &[assigned("2026-03-05T10:00:00Z", "c1", "e1", None, "newham-runaways")]).to_string()).expect("valid");
    let ep = s.episodes.iter().find(|e| e.id == "e1").unwrap();
    let owner = ep.owner_at(s.now).unwrap();
    assert_eq!((owner.worker.as_deref(), owner.team.as_str()), (None, "newham-runaways"));
}

#[test]
fn a_bad_assignment_names_its_field() {
    let cases: Vec<(Value, &str)> = vec![
        (json!({"at": "2026-03-03T09:00:00Z", "child": "c1", "episode": "e1", "type": "episode_assigned", "worker": "sw-bola"}), "events[5].team: is required"),
        (json!({"at": "2026-03-03T09:00:00Z", "child": "c1", "episode": "e1", "type": "episode_assigned", "team": "  "}), "events[5].team: must not be empty"),
        (
            json!({"at": "2026-03-03T09:00:00Z", "child": "c1", "episode": "e1", "type": "episode_assigned", "team": "t", "worker": ""}),
            "events[5].worker: must not be empty",
        ),
        (
            json!({"at": "2026-03-03T09:00:00Z", "child": "c1", "episode": "e1", "type": "episode_assigned", "team": "t", "reason": ""}),
            "events[5].reason: must not be empty",
        ),
        (
            json!({"at": "2026-03-03T09:00:00Z", "child": "c1", "type": "episode_assigned", "team": "t"}),
            "events[5].episode: is required for a 'episode_assigned' event",
        ),
        (
            json!({"at": "2026-03-03T09:00:00Z", "child": "c1", "episode": "e1", "type": "episode_assigned", "team": "t", "to": "head_of_service"}),
            "events[5].to: is not a field of a 'episode_assigned' event",
        ),
        (
            json!({"at": "2026-03-02T20:00:00Z", "child": "c1", "episode": "e1", "type": "episode_assigned", "team": "t"}),
            "events[5].episode: child 'c1' has no episode 'e1' reported at or before this time",
        ),
        (
            json!({"at": "2026-03-03T09:00:00Z", "child": "c1", "episode": "e9", "type": "episode_assigned", "team": "t"}),
            "events[5].episode: child 'c1' has no episode 'e9'",
        ),
        (
            json!({"at": "2026-03-03T09:00:00Z", "child": "c1", "episode": "e1", "type": "reported", "category": "missing", "team": "t"}),
            "events[5].team: is not a field of a 'reported' event",
        ),
    ];
    for (event, expected) in cases {
        let message = error(&with_events(base(), std::slice::from_ref(&event)));
        assert!(message.starts_with(expected), "{event}: got '{message}', expected '{expected}…'");
    }
}

#[test]
fn two_different_owners_at_one_instant_are_refused() {
    let s = with_events(
        base(),
        &[
            assigned("2026-03-03T09:00:00Z", "c1", "e1", Some("sw-amara"), "newham-lac-1"),
            assigned("2026-03-03T09:00:00Z", "c1", "e1", Some("sw-bola"), "newham-lac-1"),
        ],
    );
    let message = error(&s);
    assert!(message.contains(".at: episode 'e1' is already assigned to worker "), "{message}");
    // The same assignment twice is harmless.
    let same = with_events(
        base(),
        &[
            assigned("2026-03-03T09:00:00Z", "c1", "e1", Some("sw-amara"), "newham-lac-1"),
            assigned("2026-03-03T09:00:00Z", "c1", "e1", Some("sw-amara"), "newham-lac-1"),
        ],
    );
    assert_eq!(result_json(&same), result_json(&base()));
}
