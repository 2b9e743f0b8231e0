//! The built-in policy: it loads, and it says what the seeds say.

use homeward_access::{Action, DEFAULT_DENY, Policies, Policy, Principal, RecordFacts, Relation, classify, holds, parse};
use proptest::prelude::*;

fn policy() -> Policy {
    let all = Policies::built_in().expect("the built-in policy loads");
    all.at("2026-11-23".parse().expect("date")).clone()
}

fn who(kind: &str, role: &str, authorities: &[&str]) -> Principal {
    Principal {
        user_id: "u1".into(),
        agency_id: "a1".into(),
        agency_kind: kind.into(),
        authorities: authorities.iter().map(|a| a.to_string()).collect(),
        role: role.into(),
    }
}

fn record(responsible: &str, living_in: &str, flags: &[&str], involvements: &[Relation]) -> RecordFacts {
    RecordFacts {
        responsible_authority: responsible.into(),
        living_in: living_in.into(),
        flags: flags.iter().map(|f| f.to_string()).collect(),
        involvements: involvements.to_vec(),
        break_glass: false,
    }
}

#[test]
fn placements_never_see_return_interview_content() {
    let p = policy();
    let home = who("placement", "placement_manager", &[]);
    let child = record("bolton", "bolton", &[], &[Relation::Placement]);
    assert!(p.decide(&home, Action::Read, classify::EPISODE, &child).allowed);
    assert!(p.decide(&home, Action::Write, classify::EPISODE, &child).allowed);
    let rhi = p.decide(&home, Action::Read, classify::RETURN_INTERVIEW, &child);
    assert!(!rhi.allowed);
    assert_eq!(rhi.rule, DEFAULT_DENY);
    assert!(!p.decide(&home, Action::Write, classify::RETURN_INTERVIEW, &child).allowed);
    assert!(!p.decide(&home, Action::Read, classify::CASE_NOTES, &child).allowed);
    // A child not placed with them is not theirs at all.
    let other = record("bolton", "bolton", &[], &[]);
    assert!(!p.decide(&home, Action::Read, classify::IDENTITY, &other).allowed);
}

#[test]
fn trafficking_risk_restricts_the_placement_address() {
    let p = policy();
    let coordinator = who("childrens_services", "missing_coordinator", &["newham"]);
    let social_worker = who("childrens_services", "social_worker", &["newham"]);
    let plain = record("newham", "newham", &[], &[]);
    let at_risk = record("newham", "newham", &["trafficking_risk"], &[]);
    assert!(p.decide(&coordinator, Action::Read, classify::PLACEMENT_ADDRESS, &plain).allowed);
    let refused = p.decide(&coordinator, Action::Read, classify::PLACEMENT_ADDRESS, &at_risk);
    assert!(!refused.allowed, "{refused:?}");
    let allowed = p.decide(&social_worker, Action::Read, classify::PLACEMENT_ADDRESS, &at_risk);
    assert!(allowed.allowed);
    assert_eq!(allowed.rule, "placement-address-statutory");
}

#[test]
fn schools_see_that_a_child_was_missing_and_the_safety_plan_only() {
    let p = policy();
    let school = who("education", "school_dsl", &["bath-and-north-east-somerset"]);
    let child = record("bath-and-north-east-somerset", "bath-and-north-east-somerset", &[], &[Relation::School]);
    let readable: Vec<String> = p.classes_allowed(&school, Action::Read, &child).into_iter().map(|(c, _)| c).collect();
    assert_eq!(readable, vec!["identity", "missing_status", "safety_plan"]);
    assert!(p.classes_allowed(&school, Action::Write, &child).is_empty());
}

#[test]
fn police_and_childrens_services_see_responsible_and_host_children_only() {
    let p = policy();
    let police = who("police", "police_mpc", &["lancashire", "blackpool", "blackburn-with-darwen"]);
    let placed_in = record("newham", "blackpool", &[], &[]);
    let d = p.decide(&police, Action::Read, classify::EPISODE, &placed_in);
    assert!(d.allowed);
    assert_eq!(d.relation, Some(Relation::Host));
    let elsewhere = record("newham", "newham", &[], &[]);
    assert!(!p.decide(&police, Action::Read, classify::EPISODE, &elsewhere).allowed);
    let involved = record("newham", "newham", &[], &[Relation::CrossBorder]);
    assert_eq!(p.decide(&police, Action::Read, classify::EPISODE, &involved).rule, "cross-border-while-involved");
    assert!(!p.decide(&police, Action::Read, classify::RETURN_INTERVIEW, &involved).allowed);
}

#[test]
fn analysts_see_pseudonymised_rows_never_names() {
    let p = policy();
    let analyst = who("partnership", "partnership_analyst", &["derby", "derbyshire"]);
    let child = record("derby", "derby", &[], &[]);
    assert!(p.decide(&analyst, Action::Read, classify::PSEUDONYMISED, &child).allowed);
    for class in [classify::IDENTITY, classify::EPISODE, classify::CASE_NOTES, classify::PLACEMENT_ADDRESS] {
        assert!(!p.decide(&analyst, Action::Read, class, &child).allowed, "{class}");
    }
}

#[test]
fn break_glass_opens_reading_only() {
    let p = policy();
    let edt = who("childrens_services", "emergency_duty_worker", &["derbyshire"]);
    let mut child = record("bolton", "bolton", &[], &[]);
    assert!(!p.decide(&edt, Action::Read, classify::EPISODE, &child).allowed);
    child.break_glass = true;
    assert_eq!(p.decide(&edt, Action::Read, classify::EPISODE, &child).rule, "break-glass");
    assert!(!p.decide(&edt, Action::Write, classify::EPISODE, &child).allowed);
    // Who may ask for it, and for how long, come from the same rule.
    let granted = p.break_glass("childrens_services", "emergency_duty_worker").expect("an emergency duty worker may break glass");
    assert_eq!((granted.rule.id.as_str(), granted.lasts_hours), ("break-glass", 4));
    assert!(p.is_break_glass_rule("break-glass") && !p.is_break_glass_rule("police-own-area"));
    assert!(p.break_glass("placement", "placement_manager").is_none());
}

#[test]
fn a_policy_with_mistakes_is_refused_naming_the_field() {
    let text = r#"
version = "x"
effective_from = "2020-01-01"
[[class]]
id = "identity"
what = "names"
[[role]]
id = "social_worker"
name = "Social worker"
agencies = ["childrens_services"]
[[rule]]
id = "r1"
agencies = ["childrens_services"]
roles = ["social_worker"]
actions = ["read"]
classes = ["identity", "secrets"]
relations = ["responsible"]
reason = "because"
"#;
    let e = parse(text).expect_err("an unknown class is refused");
    assert_eq!(e.path, "rule[r1].classes");
    let e = parse(&text.replace("\"responsible\"", "\"neighbour\"").replace(", \"secrets\"", "")).expect_err("unknown relation");
    assert_eq!(e.path, "rule[r1].relations");
    let e = parse(&text.replace("reason = \"because\"", "reason = \" \"").replace(", \"secrets\"", "")).expect_err("no reason");
    assert_eq!(e.path, "rule[r1].reason");
    let e = parse(&text.replace("roles = [\"social_worker\"]", "roles = [\"police_mpc\"]").replace(", \"secrets\"", "")).expect_err("unknown role");
    assert_eq!(e.path, "rule[r1].roles");
    assert!(parse(&text.replace(", \"secrets\"", "")).is_ok());
    // A break-glass rule says how long a grant lasts, in hours, and only it does.
    let fixed = text.replace(", \"secrets\"", "");
    let glass = fixed.replace("\"responsible\"", "\"break_glass\"");
    assert_eq!(parse(&glass).expect_err("no duration").path, "rule[r1].lasts");
    for bad in ["0", "25h", "2wd", "1mo", "four"] {
        let e = parse(&glass.replace("reason =", &format!("lasts = \"{bad}\"\nreason ="))).expect_err(bad);
        assert_eq!(e.path, "rule[r1].lasts", "{bad}");
    }
    let four = parse(&glass.replace("reason =", "lasts = \"4h\"\nreason =")).unwrap();
    assert_eq!(four.rules[0].lasts_hours, Some(4));
    assert_eq!(parse(&fixed.replace("reason =", "lasts = \"4h\"\nreason =")).expect_err("not break-glass").path, "rule[r1].lasts");
}

fn relation() -> impl Strategy<Value = Relation> {
    proptest::sample::select(Relation::ALL.to_vec())
}

proptest! {
    /// A record passes the list filter exactly when a decision about it allows.
    #[test]
    fn filter_and_decision_agree(
        role_index in 0usize..32,
        authorities in proptest::sample::subsequence(vec!["bolton", "newham", "derby", "lancashire"], 0..3),
        responsible in proptest::sample::select(vec!["bolton", "newham", "derby", "lancashire", "elsewhere"]),
        living_in in proptest::sample::select(vec!["bolton", "newham", "derby", "lancashire", "elsewhere"]),
        trafficking in any::<bool>(),
        involvements in proptest::collection::vec(relation(), 0..3),
        break_glass in any::<bool>(),
        class_index in 0usize..32,
        write in any::<bool>(),
    ) {
        let p = policy();
        let role = &p.roles[role_index % p.roles.len()];
        let kind = &role.agencies[role_index % role.agencies.len()];
        let principal = who(kind, &role.id, &authorities);
        let mut facts = record(responsible, living_in, if trafficking { &["trafficking_risk"] } else { &[] }, &involvements);
        facts.break_glass = break_glass;
        let class = &p.classes[class_index % p.classes.len()].id;
        let action = if write { Action::Write } else { Action::Read };
        let decided = p.decide(&principal, action, class, &facts).allowed;
        let filter = p.filter(&principal, action, class);
        let passes = filter.clauses.iter().any(|c| {
            !c.unless_flags.iter().any(|f| facts.flags.contains(f)) && holds(c.relation, &principal, &facts)
        });
        prop_assert_eq!(decided, passes);
    }
}

fn version_2() -> Policy {
    Policies::built_in().expect("the built-in policy loads").at("2026-12-04".parse().expect("date")).clone()
}

#[test]
fn only_the_addressee_or_a_manager_above_answers_for_a_message() {
    let p = version_2();
    // A team manager answers for team managers' messages; a social worker and a placement do not.
    assert!(p.answers_for("team_manager", "childrens_services", "team_manager", "childrens_services"));
    assert!(!p.answers_for("social_worker", "childrens_services", "team_manager", "childrens_services"));
    assert!(!p.answers_for("placement_manager", "placement", "team_manager", "childrens_services"));
    // A shared inbox no role lists is answered for by its agency kind only.
    assert!(p.answers_for("police_officer", "police", "police", "police"));
    assert!(p.answers_for("police_mpc", "police", "police", "police"));
    assert!(!p.answers_for("social_worker", "childrens_services", "police", "police"));
    assert!(p.answers_for("placement_manager", "placement", "placement", "placement"));
}

#[test]
fn every_protocol_role_a_policy_role_answers_for_exists_with_that_agency() {
    let registry = homeward_core::Registry::builtin().expect("protocols load");
    let p = version_2();
    for role in &p.roles {
        for id in &role.answers_for {
            let found: Vec<_> = registry.all().iter().flat_map(|proto| proto.roles.iter()).filter(|r| &r.id == id).collect();
            assert!(!found.is_empty(), "role[{}].answers_for names '{id}', which no protocol defines", role.id);
            assert!(
                found.iter().all(|r| role.agencies.iter().any(|a| a == r.agency.as_str())),
                "role[{}].answers_for names '{id}', a role of another kind of agency",
                role.id
            );
        }
    }
}

#[test]
fn health_and_the_return_interview_service_record_what_they_do_from_version_2() {
    let child = record("bolton", "bolton", &[], &[Relation::Health, Relation::ReturnInterview]);
    let health = who("health", "health_practitioner", &[]);
    let rhi = who("return_interview_service", "return_interview_worker", &[]);
    for (p, allowed) in [(policy(), false), (version_2(), true)] {
        for w in [&health, &rhi] {
            assert_eq!(p.decide(w, Action::Write, classify::EPISODE, &child).allowed, allowed, "{} in version {}", w.role, p.version);
            assert!(p.decide(w, Action::Write, classify::CASE_NOTES, &child).allowed);
        }
    }
}

#[test]
fn system_administrators_administer_accounts_from_version_2_only() {
    let v1 = policy();
    assert!(v1.administration.is_empty(), "version 1 lets nobody administer accounts over the web");
    let partnership = Principal { agency_id: "partnership".into(), ..who("partnership", "system_administrator", &[]) };
    assert!(!v1.decide_administration(&partnership).allowed);

    let p = version_2();
    let all = p.decide_administration_of(&partnership, "bolton-cs");
    assert_eq!((all.allowed, all.rule.as_str()), (true, "partnership-administers-accounts"));
    assert!(p.decide_adding_agencies(&partnership).allowed);
    let police = Principal { agency_id: "gmp".into(), ..who("police", "system_administrator", &["bolton"]) };
    let own = p.decide_administration_of(&police, "gmp");
    assert_eq!((own.allowed, own.rule.as_str()), (true, "agency-administers-own-accounts"));
    assert!(!p.decide_administration_of(&police, "bolton-cs").allowed);
    assert!(!p.decide_adding_agencies(&police).allowed);
    for (kind, role) in [("childrens_services", "social_worker"), ("partnership", "partnership_analyst"), ("police", "police_mpc")] {
        let refused = p.decide_administration(&who(kind, role, &[]));
        assert_eq!((refused.allowed, refused.rule.as_str()), (false, DEFAULT_DENY), "{role}");
    }
}
