//! Invariants of the engine and the calendar.
//!
//! - the result does not depend on the order events are given in;
//! - replay is deterministic;
//! - a duty's `due` is never before its `triggered_at`, and ids are unique;
//! - an event recorded before a duty applies never discharges it, unless the
//!   rule opts in with `satisfied_before`;
//! - a duty the document gives no timescale is due 1 hour (a notification or
//!   alert) or 24 hours (anything else) after it applies, and says its
//!   deadline is a reading; a prompt is never due or overdue;
//! - the working-day calendar agrees with an independent oracle, 1990–2035.

use chrono::Datelike;
use homeward_core::calendar;
use homeward_core::{Options, Registry};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::OnceLock;

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| Registry::builtin().expect("built-in protocols are valid"))
}

const AUTHORITIES: &[&str] =
    &["bath-and-north-east-somerset", "blackburn-with-darwen", "blackpool", "lancashire", "newham", "derby", "derbyshire", "bolton", "kent"];
const STATUSES: &[&str] = &["looked_after", "child_protection", "child_in_need", "early_help", "not_known"];
const CATEGORIES: &[&str] = &["missing", "absent", "away_from_placement"];
const RISKS: &[&str] = &["high", "medium", "low", "no_apparent_risk"];
const FLAGS: &[&str] = &["cse_risk", "cce_risk", "trafficking_risk", "additional_needs", "mental_health_patient"];

/// One child's history as a list of steps; turned into valid events by [`build`].
#[derive(Debug, Clone)]
struct ChildPlan {
    age: i32,
    status: usize,
    responsible: usize,
    living_in: usize,
    flags: Vec<usize>,
    steps: Vec<(u32, u8, u8)>,
}

fn child_plan() -> impl Strategy<Value = ChildPlan> {
    (
        6i32..18,
        0..STATUSES.len(),
        0..AUTHORITIES.len(),
        0..AUTHORITIES.len(),
        proptest::collection::vec(0..FLAGS.len(), 0..3),
        // (minutes since previous step, what, variant)
        proptest::collection::vec((0u32..4000, 0u8..12, 0u8..8), 1..25),
    )
        .prop_map(|(age, status, responsible, living_in, flags, steps)| ChildPlan { age, status, responsible, living_in, flags, steps })
}

/// Builds a valid scenario: episodes never overlap, nothing after `now`.
fn build(plans: &[ChildPlan]) -> Value {
    let start: Timestamp = "2025-12-20T08:00:00Z".parse().unwrap();
    let mut children = Vec::new();
    let mut events = Vec::new();
    let mut latest = start;
    for (ci, plan) in plans.iter().enumerate() {
        let id = format!("c{ci}");
        let dob: Date = Date::new(2025, 12, 20).unwrap().checked_sub(plan.age.years()).unwrap();
        let responsible = AUTHORITIES[plan.responsible];
        let living_in = AUTHORITIES[plan.living_in];
        let mut flags: Vec<&str> = plan.flags.iter().map(|&f| FLAGS[f]).collect();
        flags.dedup();
        children.push(json!({
            "id": id, "date_of_birth": dob.to_string(), "status": STATUSES[plan.status],
            "responsible_authority": responsible, "living_in": living_in, "flags": flags,
        }));
        let roles: Vec<String> = [living_in, responsible]
            .iter()
            .filter_map(|a| registry().in_force(a, Date::new(2026, 1, 1).unwrap()))
            .flat_map(|p| p.roles.iter().map(|r| r.id.clone()))
            .collect();
        let mut t = start;
        let mut open: Option<String> = None;
        let mut episodes = 0;
        let mut last_episode: Option<String> = None;
        let mut returned_at: Option<Timestamp> = None;
        for &(minutes, what, variant) in &plan.steps {
            t = t.checked_add(SignedDuration::from_mins(i64::from(minutes))).unwrap();
            // A new report at the instant of the last return would sort before
            // it (same-instant order), overlapping the episode: a minute later.
            if open.is_none() && what <= 5 && returned_at == Some(t) {
                t = t.checked_add(SignedDuration::from_mins(1)).unwrap();
            }
            let at = t.to_string();
            let v = usize::from(variant);
            let ev = match (&open, what) {
                (None, 0..=5) => {
                    episodes += 1;
                    let ep = format!("e{episodes}");
                    open = Some(ep.clone());
                    last_episode = Some(ep.clone());
                    let mut e = json!({"at": at, "child": id, "episode": ep, "type": "reported", "category": CATEGORIES[v % 3]});
                    if v % 4 != 3 {
                        e["risk"] = json!(RISKS[v % 4]);
                    }
                    if v == 7 && plans.len() > 1 {
                        e["with_others"] = json!(["c0"]);
                    }
                    e
                }
                (Some(ep), 0..=2) => {
                    let mut e = json!({"at": at, "child": id, "episode": ep, "type": "returned", "found_by": (["police", "carer", "self"][v % 3])});
                    // Where the child was found: sometimes another partnership's area.
                    if v % 2 == 0 {
                        e["found_in"] = json!(AUTHORITIES[(v / 2 + ci * 4 + episodes) % AUTHORITIES.len()]);
                    }
                    open = None;
                    returned_at = Some(t);
                    e
                }
                (Some(ep), 3) => json!({"at": at, "child": id, "episode": ep, "type": "risk_graded", "risk": RISKS[v % 4]}),
                (Some(ep), 4) => json!({"at": at, "child": id, "episode": ep, "type": "recategorised", "category": CATEGORIES[v % 3]}),
                (Some(ep), 5) => json!({"at": at, "child": id, "episode": ep, "type": "significant_harm"}),
                (_, 6) if last_episode.is_some() => json!({"at": at, "child": id, "episode": last_episode, "type": "strategy_meeting"}),
                (_, 7) if last_episode.is_some() && !roles.is_empty() => {
                    json!({"at": at, "child": id, "episode": last_episode, "type": "notified", "to": roles[v * 7 % roles.len()]})
                }
                (None, 8) if last_episode.is_some() => {
                    json!({"at": at, "child": id, "episode": last_episode, "type": "return_interview", "outcome": (["completed", "declined", "no_contact"][v % 3])})
                }
                (None, 9) if last_episode.is_some() => json!({"at": at, "child": id, "episode": last_episode, "type": "safe_and_well_check", "by": "police"}),
                (_, 10) if last_episode.is_some() => {
                    json!({"at": at, "child": id, "episode": last_episode, "type": "meeting", "kind": (["risk_management", "e_tac", "safeguarding", "missing_from_care"][v % 4])})
                }
                (_, 11) => {
                    json!({"at": at, "child": id, "type": "plan_updated", "kind": (["trigger_plan", "safety_plan", "care_plan", "missing_plan"][v % 4])})
                }
                _ => continue,
            };
            events.push(ev);
        }
        latest = latest.max(t);
    }
    let now = latest.checked_add(SignedDuration::from_hours(30)).unwrap();
    json!({"now": now.to_string(), "children": children, "events": events})
}

fn run(scenario: &Value) -> Value {
    let result = homeward_core::replay(registry(), &scenario.to_string(), Options { include_lapsed: true })
        .unwrap_or_else(|e| panic!("generated scenario invalid: {e}\n{scenario}"));
    serde_json::to_value(result).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn result_does_not_depend_on_event_order(plans in proptest::collection::vec(child_plan(), 1..3), seed in any::<u64>()) {
        let scenario = build(&plans);
        let expected = run(&scenario);
        let mut shuffled = scenario.clone();
        let events = shuffled["events"].as_array_mut().unwrap();
        // Fisher–Yates with a seeded LCG: a different order, same content.
        let mut state = seed | 1;
        for i in (1..events.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = (state >> 33) as usize % (i + 1);
            events.swap(i, j);
        }
        prop_assert_eq!(run(&shuffled), expected);
    }

    #[test]
    fn replay_is_deterministic(plans in proptest::collection::vec(child_plan(), 1..3)) {
        let scenario = build(&plans);
        prop_assert_eq!(run(&scenario), run(&scenario));
    }

    #[test]
    fn due_is_never_before_triggered_and_ids_are_unique(plans in proptest::collection::vec(child_plan(), 1..3)) {
        let scenario = build(&plans);
        let result = homeward_core::replay(registry(), &scenario.to_string(), Options { include_lapsed: true }).unwrap();
        let mut ids = std::collections::HashSet::new();
        for d in &result.duties {
            prop_assert!(d.due >= d.triggered_at, "{} due {} before triggered {}", d.id, d.due, d.triggered_at);
            prop_assert!(ids.insert(d.id.clone()), "duplicate id {}", d.id);
            prop_assert!(d.cite.starts_with(&d.protocol), "{} cites {}", d.id, d.cite);
            if let Some(done) = d.done_at {
                prop_assert!(done <= result.now);
            }
        }
        // Sorted by due, then id.
        for pair in result.duties.windows(2) {
            prop_assert!((pair[0].due, &pair[0].id) <= (pair[1].due, &pair[1].id));
        }
    }

    #[test]
    fn an_act_before_the_duty_applies_counts_only_with_the_opt_in(plans in proptest::collection::vec(child_plan(), 1..3)) {
        let scenario = build(&plans);
        let result = homeward_core::replay(registry(), &scenario.to_string(), Options::default()).unwrap();
        for d in &result.duties {
            let Some(done) = d.done_at else { continue };
            let opted_in = registry()
                .versions(&d.protocol)
                .flat_map(|p| p.rules.iter())
                .any(|r| r.id == d.rule && r.satisfied_before.is_some());
            // The generated scenarios have no duty_done: every done_at is an event's.
            prop_assert!(opted_in || done >= d.triggered_at, "{} done at {} before it applied at {}", d.id, done, d.triggered_at);
        }
    }

    #[test]
    fn untimed_deadlines_follow_the_engine_wide_policy(plans in proptest::collection::vec(child_plan(), 1..3)) {
        use homeward_core::engine::{DueSetBy, DutyState};
        use homeward_core::protocol::{DueFrom, DueSource, untimed_due};
        let scenario = build(&plans);
        let result = homeward_core::replay(registry(), &scenario.to_string(), Options { include_lapsed: true }).unwrap();
        for d in &result.duties {
            let rule = registry()
                .versions(&d.protocol)
                .flat_map(|p| p.rules.iter())
                .find(|r| r.id == d.rule)
                .expect("a duty's rule exists");
            let by_reading = rule.due_source != DueSource::Document;
            prop_assert_eq!(d.due_set_by == DueSetBy::Reading, by_reading, "{}", d.id);
            if rule.due_source == DueSource::Untimed && rule.due_from == DueFrom::Trigger && d.occurrence == 1 {
                prop_assert_eq!(d.due, untimed_due(rule.kind).after(d.triggered_at), "{}", d.id);
            }
            if d.prompt {
                prop_assert!(!matches!(d.state, DutyState::Due | DutyState::Overdue), "{} is a prompt in state {}", d.id, d.state.as_str());
            }
        }
    }

    #[test]
    fn marking_a_duty_done_by_id_makes_it_done(plans in proptest::collection::vec(child_plan(), 1..2)) {
        let mut scenario = build(&plans);
        let first = homeward_core::replay(registry(), &scenario.to_string(), Options::default()).unwrap();
        if let Some(d) = first.duties.iter().find(|d| d.state.has_triggered() && d.done_at.is_none() && d.exception.is_none()) {
            let now = scenario["now"].clone();
            scenario["events"].as_array_mut().unwrap().push(json!({"at": now, "child": d.child, "type": "duty_done", "duty": d.id}));
            let again = homeward_core::replay(registry(), &scenario.to_string(), Options::default()).unwrap();
            let same = again.duties.iter().find(|x| x.id == d.id).expect("same id after duty_done");
            prop_assert_eq!(same.state.as_str(), "done");
        }
    }
}

/// Every day from 1990 to 2035: our calendar and the oracle agree.
#[test]
fn bank_holidays_agree_with_an_independent_oracle_1990_to_2035() {
    let mut day = Date::new(1990, 1, 1).unwrap();
    let end = Date::new(2035, 12, 31).unwrap();
    let mut disagreements = Vec::new();
    let mut holidays = 0;
    while day <= end {
        let ours = calendar::is_bank_holiday(day);
        let naive = chrono::NaiveDate::from_ymd_opt(i32::from(day.year()), day.month() as u32, day.day() as u32).unwrap();
        let oracle = bankholidays::uk::is_bankholiday(&naive);
        if ours != oracle {
            disagreements.push(format!("{day} ({:?}): ours {ours}, oracle {oracle}", naive.weekday()));
        }
        holidays += usize::from(ours);
        day = day.tomorrow().unwrap();
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    // 46 years × 8 regular days, plus the one-offs: a sanity check that the test compared something.
    assert!(holidays > 46 * 8, "{holidays}");
}

/// The N-th working day after a date is a working day, with exactly N working
/// days in between, according to the oracle.
#[test]
fn working_day_arithmetic_agrees_with_the_oracle() {
    let oracle_working = |d: Date| {
        let naive = chrono::NaiveDate::from_ymd_opt(i32::from(d.year()), d.month() as u32, d.day() as u32).unwrap();
        !matches!(naive.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) && !bankholidays::uk::is_bankholiday(&naive)
    };
    let mut day = Date::new(1990, 1, 1).unwrap();
    while day.year() <= 2035 {
        for n in [1u32, 2, 3, 5, 7, 20] {
            let target = calendar::nth_working_day_after(day, n);
            assert!(oracle_working(target), "{day} + {n}wd = {target}, not a working day");
            let mut count = 0;
            let mut d = day;
            while d < target {
                d = d.tomorrow().unwrap();
                count += u32::from(oracle_working(d));
            }
            assert_eq!(count, n, "{day} + {n}wd = {target}");
        }
        day = day.checked_add(3.days()).unwrap();
    }
}
