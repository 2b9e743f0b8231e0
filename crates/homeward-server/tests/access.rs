//! Who may see what, on SQLite and (when `scripts/test` provides one)
//! PostgreSQL:
//!
//! - a matrix generated from the policy file: every role × every API
//!   operation × the field classes it touches, allowed exactly when the
//!   policy's decision allows, with nothing hidden leaking through lists,
//!   counts, reports or errors;
//! - the policy's decision and its SQL filter agree on random users and records;
//! - sessions (login, CSRF, fixation, idle and absolute expiry, logout),
//!   throttling, API token scopes and revocation;
//! - exactly one audit entry per request, and a chain that verifies.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use homeward_access::{Action, Policies, Policy, Principal, RecordFacts, Relation, classify};
use homeward_core::Registry;
use homeward_server::{AppState, Clock, ManualClock};
use homeward_store::{Db, NewInvolvement, Store};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use tower::ServiceExt;

mod support;

/// After version 2 of the policy took effect, so the matrix checks the
/// policy in force.
fn start() -> Timestamp {
    "2026-12-07T06:00:00Z".parse().unwrap()
}

fn policy() -> Policy {
    Policies::built_in().unwrap().at(start().to_zoned(jiff::tz::TimeZone::UTC).date()).clone()
}

async fn databases() -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("homeward-access-{}-{}", std::process::id(), uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    support::databases(&dir.join("test.sqlite3")).await
}

async fn state(url: &str, clock: Arc<ManualClock>) -> AppState {
    let db = Db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    AppState::new(Store::new(db, Arc::new(Registry::builtin().unwrap())), clock, "access-test").unwrap()
}

struct Response {
    status: StatusCode,
    body: Value,
    cookie: Option<String>,
}

async fn send(state: &AppState, method: &str, uri: &str, headers: &[(&str, &str)], body: Option<Value>) -> Response {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())).unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let res = homeward_server::app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let cookie = res.headers().get("set-cookie").and_then(|v| v.to_str().ok()).map(|c| c.split(';').next().unwrap_or_default().to_string());
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 24).await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Response { status, body, cookie }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

// ------------------------------------------------------------------ the matrix

/// The relation each kind of involved agency has with the child it serves.
fn involvement_for(kind: &str) -> Option<&'static str> {
    match kind {
        "placement" => Some("placement"),
        "return_interview_service" => Some("return_interview"),
        "education" => Some("school"),
        "health" => Some("health"),
        _ => None,
    }
}

struct World {
    /// A Bolton child: every involved agency is involved with it.
    ours: String,
    /// A Newham child at risk of trafficking nobody in the matrix serves.
    theirs: String,
}

/// Seeds two children with a rich history, recorded by a Bolton social worker.
async fn seed(state: &AppState) -> World {
    let admin = support::account(&state.store, "seed-cs", "childrens_services", &["bolton", "newham"], "seed.worker", "social_worker").await;
    let h = [("authorization", bearer(&admin))];
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut ids = Vec::new();
    for (family, authority, flags) in [("Ours", "bolton", json!([])), ("Theirs", "newham", json!(["trafficking_risk"]))] {
        let r = send(
            state,
            "POST",
            "/api/v1/children",
            &h,
            Some(json!({"given_name": "Kim", "family_name": family, "date_of_birth": "2011-05-01", "status": "looked_after", "responsible_authority": authority, "flags": flags})),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["id"].as_str().unwrap().to_string();
        for event in [
            json!({"at": "2026-03-01T20:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium", "note": "left after an argument"}),
            json!({"at": "2026-03-02T09:00:00Z", "episode": "e1", "type": "returned", "found_by": "police", "note": "found at a friend's flat"}),
            json!({"at": "2026-03-02T15:00:00Z", "episode": "e1", "type": "return_interview", "outcome": "completed", "note": "said an older man gives them lifts",
                "details": {"interviewer": "Sam Oduya", "push_factors": ["rows at home"]}}),
            json!({"at": "2026-03-02T16:00:00Z", "episode": "e1", "type": "plan_updated", "kind": "safety_plan", "note": "school to call the carer at 09:15 if absent"}),
            json!({"at": "2026-03-02T21:00:00Z", "episode": "e2", "type": "reported", "category": "missing", "risk": "high"}),
        ] {
            let r = send(state, "POST", &format!("/api/v1/children/{id}/events"), &h, Some(event)).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        ids.push(id);
    }
    let theirs = ids.pop().unwrap();
    let ours = ids.pop().unwrap();
    let now = state.clock.now().as_second();
    // The placement has an address on record for both.
    for child in [&ours, &theirs] {
        if state.store.agency("matrix-placement").await.unwrap().is_none() {
            support::account(&state.store, "matrix-placement", "placement", &[], "matrix.placement.seed", "placement_manager").await;
        }
        let new = NewInvolvement { agency_id: "matrix-placement".into(), relation: "placement".into(), address: Some("1 Test Road".into()), reason: None };
        if child == &ours {
            state.store.add_involvement(child, &new, "seed", now).await.unwrap();
        }
    }
    // An agency no account belongs to, for involvement writes that change no one's access.
    support::account(&state.store, "matrix-extra", "health", &[], "matrix.extra", "health_practitioner").await;
    World { ours, theirs }
}

/// One account per role of the policy (and per agency kind the role
/// belongs to), serving Bolton, involved with `ours` where the kind is one
/// that is involved.
async fn accounts(state: &AppState, policy: &Policy, world: &World) -> Vec<(Principal, String)> {
    let now = state.clock.now().as_second();
    let mut out = Vec::new();
    for role in &policy.roles {
        for kind in &role.agencies {
            let agency = if kind == "placement" { "matrix-placement".to_string() } else { format!("matrix-{kind}") };
            let serves: &[&str] = if kind == "placement" { &[] } else { &["bolton"] };
            let username = format!("matrix.{}.{}", role.id, kind);
            let token = support::account(&state.store, &agency, kind, serves, &username, &role.id).await;
            if let Some(relation) = involvement_for(kind) {
                let existing = state.store.involvements(&world.ours).await.unwrap();
                if !existing.iter().any(|i| i.agency_id == agency && i.relation == relation) {
                    let new = NewInvolvement { agency_id: agency.clone(), relation: relation.into(), address: None, reason: None };
                    state.store.add_involvement(&world.ours, &new, "seed", now).await.unwrap();
                }
            }
            let identity = state.store.identity_by_username(&username).await.unwrap().unwrap();
            out.push((homeward_server::auth::principal_of(&identity), token));
        }
    }
    out
}

async fn facts(state: &AppState, child: &str, who: &Principal) -> RecordFacts {
    state.store.record_facts(child, who, state.clock.now().as_second()).await.unwrap().unwrap()
}

fn ids(body: &Value, key: &str) -> BTreeSet<String> {
    body.as_array().unwrap_or(&Vec::new()).iter().filter_map(|r| r[key].as_str().map(str::to_string)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_sees_and_does_exactly_what_the_policy_allows() {
    let policy = policy();
    for url in databases().await {
        let clock = Arc::new(ManualClock::new(start()));
        let state = state(&url, clock.clone()).await;
        let world = seed(&state).await;
        let people = accounts(&state, &policy, &world).await;
        let missing_id = "01234567-89ab-7def-8123-456789abcdef";
        for (who, token) in &people {
            let auth = bearer(token);
            let h = [("authorization", auth.as_str())];
            let label = format!("{} of {} ({url})", who.role, who.agency_kind);
            let mut expect_read: Vec<(String, RecordFacts)> = Vec::new();
            for child in [&world.ours, &world.theirs] {
                expect_read.push((child.clone(), facts(&state, child, who).await));
            }
            let allowed = |child: &RecordFacts, action: Action, class: &str| policy.decide(who, action, class, child).allowed;

            // Lists: exactly the children the decision allows, nothing else.
            let r = send(&state, "GET", "/api/v1/children", &h, None).await;
            assert_eq!(r.status, StatusCode::OK, "{label}");
            let want: BTreeSet<String> = expect_read.iter().filter(|(_, f)| allowed(f, Action::Read, classify::IDENTITY)).map(|(c, _)| c.clone()).collect();
            assert_eq!(ids(&r.body, "id"), want, "children list for {label}");

            let r = send(&state, "GET", "/api/v1/children/matches?family_name=theirs&date_of_birth=2011-05-01", &h, None).await;
            let want: BTreeSet<String> =
                expect_read.iter().filter(|(c, f)| *c == world.theirs && allowed(f, Action::Read, classify::IDENTITY)).map(|(c, _)| c.clone()).collect();
            assert_eq!(ids(&r.body, "id"), want, "matches for {label}");

            let r = send(&state, "GET", "/api/v1/missing", &h, None).await;
            let want: BTreeSet<String> = expect_read.iter().filter(|(_, f)| allowed(f, Action::Read, classify::EPISODE)).map(|(c, _)| c.clone()).collect();
            assert_eq!(ids(&r.body, "child"), want, "missing for {label}");

            let r = send(&state, "GET", "/api/v1/duties?include_closed=true&limit=10000", &h, None).await;
            let want: BTreeSet<String> = expect_read.iter().filter(|(_, f)| allowed(f, Action::Read, classify::DUTIES)).map(|(c, _)| c.clone()).collect();
            assert_eq!(ids(&r.body, "child"), want, "duties for {label}");

            let r = send(&state, "GET", "/api/v1/reports/episodes", &h, None).await;
            let reportable = expect_read.iter().filter(|(_, f)| allowed(f, Action::Read, classify::PSEUDONYMISED)).count();
            assert_eq!(r.body.as_array().map(Vec::len).unwrap_or(0), reportable * 2, "report rows for {label}");
            let text = r.body.to_string();
            assert!(!text.contains("Ours") && !text.contains("Theirs") && !text.contains("2011-05-01"), "a report names no one: {label}");

            // One record: allowed classes shown, others left out; hidden records
            // are indistinguishable from records that do not exist.
            let nothing = send(&state, "GET", &format!("/api/v1/children/{missing_id}"), &h, None).await;
            for (child, f) in &expect_read {
                let readable: Vec<String> = policy.classes_allowed(who, Action::Read, f).into_iter().map(|(c, _)| c).collect();
                let r = send(&state, "GET", &format!("/api/v1/children/{child}"), &h, None).await;
                // Whoever may not know whose record this is (may not read its
                // identity) is answered as if it did not exist.
                let known = allowed(f, Action::Read, classify::IDENTITY);
                if known {
                    assert_eq!(r.status, StatusCode::OK, "{label}");
                    assert_eq!(
                        r.body["placement_address"].is_string(),
                        allowed(f, Action::Read, classify::PLACEMENT_ADDRESS) && child == &world.ours,
                        "address for {label}"
                    );
                } else {
                    assert_eq!((r.status, &r.body), (nothing.status, &nothing.body), "a hidden record looks like none: {label}");
                }

                let r = send(&state, "GET", &format!("/api/v1/children/{child}/timeline"), &h, None).await;
                if allowed(f, Action::Read, classify::IDENTITY) {
                    let shown: Vec<String> = r.body["access"].as_array().unwrap().iter().map(|a| a["class"].as_str().unwrap().to_string()).collect();
                    assert_eq!(shown, readable, "timeline access for {label}");
                    let events = r.body["events"].as_array().unwrap();
                    let rhi = events.iter().find(|e| e["type"] == "return_interview");
                    assert_eq!(rhi.is_some(), allowed(f, Action::Read, classify::EPISODE), "that an RHI happened, for {label}");
                    let rhi_note = rhi.is_some_and(|e| e["body"]["note"].is_string());
                    assert_eq!(rhi_note, allowed(f, Action::Read, classify::RETURN_INTERVIEW), "RHI content for {label}");
                    let rhi_details = rhi.is_some_and(|e| e["body"]["details"].is_object());
                    assert_eq!(rhi_details, allowed(f, Action::Read, classify::RETURN_INTERVIEW), "RHI details for {label}");
                    let plan = events.iter().find(|e| e["type"] == "plan_updated");
                    assert_eq!(plan.is_some_and(|e| e["body"]["note"].is_string()), allowed(f, Action::Read, classify::SAFETY_PLAN), "safety plan for {label}");
                    let case_note = events.iter().any(|e| e["type"] == "returned" && e["body"]["note"].is_string());
                    assert_eq!(
                        case_note,
                        allowed(f, Action::Read, classify::EPISODE) && allowed(f, Action::Read, classify::CASE_NOTES),
                        "case notes for {label}"
                    );
                    assert_eq!(r.body["duties"].as_array().unwrap().is_empty(), !allowed(f, Action::Read, classify::DUTIES), "duties for {label}");
                    let risk_shown = r.body["episodes"].as_array().unwrap().first().is_some_and(|e| e["risk"].is_string());
                    assert_eq!(risk_shown, allowed(f, Action::Read, classify::EPISODE), "episode details for {label}");
                    let text = r.body.to_string();
                    if !allowed(f, Action::Read, classify::RETURN_INTERVIEW) {
                        assert!(!text.contains("older man") && !text.contains("Sam Oduya"), "RHI content leaked to {label}");
                    }
                } else if !known {
                    assert_eq!(r.status, StatusCode::NOT_FOUND, "{label}");
                }

                for (uri, class) in [
                    (format!("/api/v1/children/{child}/involvements"), classify::INVOLVEMENT),
                    (format!("/api/v1/children/{child}/access-log"), classify::ACCESS_LOG),
                ] {
                    let r = send(&state, "GET", &uri, &h, None).await;
                    let want = if allowed(f, Action::Read, class) {
                        StatusCode::OK
                    } else if !known {
                        StatusCode::NOT_FOUND
                    } else {
                        StatusCode::FORBIDDEN
                    };
                    assert_eq!(r.status, want, "{uri} for {label}");
                }

                // Writing: an episode event, a return interview, a note.
                let at = clock.now().to_string();
                for (event, classes) in [
                    (json!({"at": at, "episode": "e2", "type": "meeting", "kind": "safeguarding"}), vec![classify::EPISODE]),
                    (json!({"at": at, "episode": "e1", "type": "return_interview", "outcome": "declined"}), vec![classify::RETURN_INTERVIEW]),
                    (
                        json!({"at": at, "episode": "e2", "type": "meeting", "kind": "mapping", "note": "seen near the station"}),
                        vec![classify::EPISODE, classify::CASE_NOTES],
                    ),
                    (
                        json!({"at": at, "episode": "e2", "type": "meeting", "kind": "mapping", "details": {"chair": "Team manager"}}),
                        vec![classify::EPISODE, classify::CASE_NOTES],
                    ),
                ] {
                    let before = state.store.events(child).await.unwrap().len();
                    let r = send(&state, "POST", &format!("/api/v1/children/{child}/events"), &h, Some(event.clone())).await;
                    let may = classes.iter().all(|c| allowed(f, Action::Write, c));
                    let after = state.store.events(child).await.unwrap().len();
                    if may {
                        assert_eq!(r.status, StatusCode::CREATED, "{event} by {label}: {}", r.body);
                        assert_eq!(after, before + 1);
                    } else {
                        assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{event} by {label}: {}", r.status);
                        assert_eq!(after, before, "nothing written by a refused request");
                        if !known {
                            assert_eq!(r.status, StatusCode::NOT_FOUND, "{label}");
                        }
                    }
                }
                // Recording an involvement (who else may see the record).
                let r =
                    send(&state, "POST", &format!("/api/v1/children/{child}/involvements"), &h, Some(json!({"agency": "matrix-extra", "relation": "health"})))
                        .await;
                let want = if allowed(f, Action::Write, classify::INVOLVEMENT) {
                    StatusCode::CREATED
                } else if !known {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(r.status, want, "involvement by {label}: {}", r.body);
                clock.advance(SignedDuration::from_secs(60));
            }
        }

        // Creating a child (after every list above, which it would change):
        // only in an authority the rules let the caller write identity for.
        let bolton = RecordFacts { responsible_authority: "bolton".into(), living_in: "bolton".into(), ..RecordFacts::default() };
        for (who, token) in &people {
            let auth = bearer(token);
            let h = [("authorization", auth.as_str())];
            let label = format!("{} of {} ({url})", who.role, who.agency_kind);
            let r = send(
                &state,
                "POST",
                "/api/v1/children?allow_duplicate=true",
                &h,
                Some(json!({"given_name": "New", "family_name": format!("By{}", who.role), "date_of_birth": "2012-02-02", "status": "child_in_need", "responsible_authority": "bolton"})),
            )
            .await;
            let want = if policy.decide(who, Action::Write, classify::IDENTITY, &bolton).allowed { StatusCode::CREATED } else { StatusCode::FORBIDDEN };
            assert_eq!(r.status, want, "create child by {label}: {}", r.body);
        }
        // Everything above was audited, and the chain holds.
        let verified = state.store.audit_verify().await.unwrap();
        assert!(verified.broken.is_none(), "{verified:?}");
        assert!(verified.entries > 100, "{verified:?}");
        state.store.db().close().await;
    }
}

// ------------------------------------------------------------------ SQL filter = decision

/// Random children, involvements and grants; then, for random users,
/// actions and classes, the SQL filter returns exactly the children the
/// decision allows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sql_filter_and_the_decision_agree() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let policy = policy();
    let authorities = ["bolton", "newham", "derby", "lancashire", "york"];
    for url in databases().await {
        let clock = Arc::new(ManualClock::new(start()));
        let state = state(&url, clock.clone()).await;
        let store = state.store.clone();
        let now = clock.now().as_second();
        // Agencies of every kind the policy knows, two of each.
        let kinds: BTreeSet<String> = policy.roles.iter().flat_map(|r| r.agencies.clone()).collect();
        let mut agencies = Vec::new();
        for kind in &kinds {
            for n in 0..2 {
                let id = format!("{kind}-{n}");
                let serves: Vec<String> = authorities.iter().skip(n).step_by(2).map(|a| a.to_string()).collect();
                store
                    .create_agency(&homeward_store::NewAgency { id: id.clone(), name: id.clone(), kind: kind.clone(), authorities: serves }, now)
                    .await
                    .unwrap();
                agencies.push((id, kind.clone()));
            }
        }
        let mut users = Vec::new();
        for n in 0..4 {
            let new = homeward_store::NewUser {
                username: format!("u{n}"),
                display_name: "u".into(),
                email: None,
                agency_id: "police-0".into(),
                role: "police_mpc".into(),
                team: None,
                password_hash: None,
            };
            users.push(store.create_user(&new, now).await.unwrap().id);
        }
        let mut children = Vec::new();
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for n in 0..40 {
            let flags = if next() % 3 == 0 { vec!["trafficking_risk".to_string()] } else { Vec::new() };
            let new = homeward_store::NewChild {
                given_name: "C".into(),
                family_name: format!("F{n}"),
                date_of_birth: "2010-01-01".into(),
                status: "looked_after".into(),
                responsible_authority: authorities[next() % authorities.len()].into(),
                living_in: Some(authorities[next() % authorities.len()].into()),
                flags,
                allocated_worker: None,
                team: None,
                photo_ref: None,
            };
            let child = store.create_child(&new, &homeward_store::Actor { user: "t".into(), agency: "t".into() }, clock.now(), true, None).await.unwrap();
            for _ in 0..(next() % 3) {
                let (agency, kind) = &agencies[next() % agencies.len()];
                let fitting: Vec<Relation> = Relation::INVOLVEMENTS.into_iter().filter(|r| r.involvement_agencies().contains(&kind.as_str())).collect();
                if fitting.is_empty() {
                    continue;
                }
                let relation = fitting[next() % fitting.len()];
                let inv = store
                    .add_involvement(
                        &child.id,
                        &NewInvolvement { agency_id: agency.clone(), relation: relation.as_str().into(), address: None, reason: None },
                        "t",
                        now - 100,
                    )
                    .await
                    .unwrap();
                if next() % 4 == 0 {
                    store.end_involvement(&child.id, &inv.id, "t", now - 50).await.unwrap();
                }
            }
            if next() % 5 == 0 {
                let user = &users[next() % users.len()];
                let expires = if next() % 2 == 0 { now + 3600 } else { now - 1 };
                store.grant_access(user, &child.id, "emergency at night, child at risk", now - 7200, expires).await.unwrap();
            }
            children.push(child.id);
        }
        let handle = tokio::runtime::Handle::current();
        let mut runner = TestRunner::new(Config { cases: 64, ..Config::default() });
        let roles = policy.roles.clone();
        let classes: Vec<String> = policy.classes.iter().map(|c| c.id.clone()).collect();
        let strategy = (0..roles.len(), 0usize..2, 0..users.len(), 0..classes.len(), any::<bool>());
        let result = runner.run(&strategy, |(r, n, u, c, write)| {
            let role = &roles[r];
            let kind = &role.agencies[n % role.agencies.len()];
            let agency_id = format!("{kind}-{n}");
            let serves: Vec<String> = authorities.iter().skip(n).step_by(2).map(|a| a.to_string()).collect();
            let who = Principal { user_id: users[u].clone(), agency_id, agency_kind: kind.clone(), authorities: serves, role: role.id.clone() };
            let action = if write { Action::Write } else { Action::Read };
            let class = &classes[c];
            let (by_sql, by_decision) = tokio::task::block_in_place(|| {
                handle.block_on(async {
                    let visibility = homeward_store::Visibility { filter: policy.filter(&who, action, class), principal: who.clone(), now };
                    let by_sql: BTreeSet<String> = store.visible_ids(&visibility, &children).await.unwrap().into_iter().collect();
                    let mut by_decision = BTreeSet::new();
                    for child in &children {
                        let f = store.record_facts(child, &who, now).await.unwrap().unwrap();
                        if policy.decide(&who, action, class, &f).allowed {
                            by_decision.insert(child.clone());
                        }
                    }
                    (by_sql, by_decision)
                })
            });
            prop_assert_eq!(by_sql, by_decision, "{} of {} {} {}", who.role, who.agency_id, action, class);
            Ok(())
        });
        result.unwrap_or_else(|e| panic!("{url}: {e}"));
        state.store.db().close().await;
    }
}

// ------------------------------------------------------------------ sessions, tokens, audit

async fn person(state: &AppState, username: &str, password: &str) {
    support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], username, "social_worker").await;
    let identity = state.store.identity_by_username(username).await.unwrap().unwrap();
    let hash = homeward_server::auth::password::hash(password.to_string()).await.unwrap();
    state.store.set_password(&identity.user.id, &hash).await.unwrap();
}

async fn login(state: &AppState, username: &str, password: &str) -> Response {
    send(state, "POST", "/api/v1/session", &[], Some(json!({"username": username, "password": password}))).await
}

#[tokio::test]
async fn sessions_need_a_csrf_token_to_change_anything_and_expire() {
    for url in databases().await {
        let clock = Arc::new(ManualClock::new(start()));
        let state = state(&url, clock.clone()).await;
        person(&state, "sam", "correct horse battery").await;

        assert_eq!(login(&state, "sam", "wrong password here").await.status, StatusCode::UNAUTHORIZED);
        // Fixation: a cookie the client already had is not adopted; login issues a new one.
        let planted = "homeward_session=planted-by-someone-else";
        let r = send(&state, "POST", "/api/v1/session", &[("cookie", planted)], Some(json!({"username": "SAM", "password": "correct horse battery"}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let cookie = r.cookie.clone().unwrap();
        assert_ne!(cookie, planted);
        let csrf = r.body["csrf_token"].as_str().unwrap().to_string();
        assert_eq!(send(&state, "GET", "/api/v1/session", &[("cookie", planted)], None).await.status, StatusCode::UNAUTHORIZED);

        let h = [("cookie", cookie.as_str())];
        let r = send(&state, "GET", "/api/v1/session", &h, None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["role"], "social_worker");
        assert!(r.body["rules"].as_array().unwrap().iter().any(|x| x["id"] == "childrens-services-own-children"), "the user can see why");

        // No state change without the session's CSRF token.
        let child = json!({"given_name": "A", "family_name": "B", "date_of_birth": "2012-01-01", "status": "child_in_need", "responsible_authority": "bolton"});
        let r = send(&state, "POST", "/api/v1/children", &h, Some(child.clone())).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("csrf")));
        let r = send(&state, "POST", "/api/v1/children", &[("cookie", cookie.as_str()), ("x-csrf-token", "0000")], Some(child.clone())).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(state.store.children(&homeward_store::ChildFilter { limit: 10, ..Default::default() }).await.unwrap().is_empty(), "nothing written");
        let r = send(&state, "POST", "/api/v1/children", &[("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())], Some(child.clone())).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

        // Idle expiry: 31 minutes without a request ends the session.
        clock.advance(SignedDuration::from_mins(31));
        assert_eq!(send(&state, "GET", "/api/v1/session", &h, None).await.status, StatusCode::UNAUTHORIZED);

        // Absolute expiry: busy all day, the session still ends after 12 hours.
        let r = login(&state, "sam", "correct horse battery").await;
        let cookie = r.cookie.unwrap();
        let h = [("cookie", cookie.as_str())];
        for _ in 0..(12 * 4) {
            clock.advance(SignedDuration::from_mins(15));
            let status = send(&state, "GET", "/api/v1/session", &h, None).await.status;
            if clock.now() < start() + SignedDuration::from_mins(31) + SignedDuration::from_hours(12) {
                assert_eq!(status, StatusCode::OK);
            }
        }
        assert_eq!(send(&state, "GET", "/api/v1/session", &h, None).await.status, StatusCode::UNAUTHORIZED);

        // Logout ends it at once.
        let r = login(&state, "sam", "correct horse battery").await;
        let cookie = r.cookie.unwrap();
        let csrf = r.body["csrf_token"].as_str().unwrap().to_string();
        let h = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
        assert_eq!(send(&state, "DELETE", "/api/v1/session", &h, None).await.status, StatusCode::NO_CONTENT);
        assert_eq!(send(&state, "GET", "/api/v1/session", &h, None).await.status, StatusCode::UNAUTHORIZED);
        state.store.db().close().await;
    }
}

#[tokio::test]
async fn repeated_failures_lock_the_username_for_a_while() {
    for url in databases().await {
        let clock = Arc::new(ManualClock::new(start()));
        let state = state(&url, clock.clone()).await;
        person(&state, "kim", "a long enough passphrase").await;
        for _ in 0..5 {
            assert_eq!(login(&state, "kim", "guess guess guess").await.status, StatusCode::UNAUTHORIZED);
        }
        // Locked: even the right password is refused, and so is an unknown
        // username after as many failures (a lock reveals nothing).
        assert_eq!(login(&state, "kim", "a long enough passphrase").await.status, StatusCode::TOO_MANY_REQUESTS);
        for _ in 0..5 {
            login(&state, "nobody", "guess guess guess").await;
        }
        assert_eq!(login(&state, "nobody", "guess guess guess").await.status, StatusCode::TOO_MANY_REQUESTS);
        clock.advance(SignedDuration::from_mins(16));
        assert_eq!(login(&state, "kim", "a long enough passphrase").await.status, StatusCode::CREATED);
        state.store.db().close().await;
    }
}

#[tokio::test]
async fn api_tokens_are_scoped_and_stop_working_when_revoked() {
    for url in databases().await {
        let clock = Arc::new(ManualClock::new(start()));
        let state = state(&url, clock.clone()).await;
        person(&state, "lee", "another long passphrase").await;
        let r = login(&state, "lee", "another long passphrase").await;
        let cookie = r.cookie.unwrap();
        let csrf = r.body["csrf_token"].as_str().unwrap().to_string();
        let h = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
        let r = send(&state, "POST", "/api/v1/tokens", &h, Some(json!({"name": "nightly report", "scopes": ["read"]}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let token = r.body["token"].as_str().unwrap().to_string();
        let id = r.body["id"].as_str().unwrap().to_string();
        let auth = bearer(&token);
        let t = [("authorization", auth.as_str())];
        assert_eq!(send(&state, "GET", "/api/v1/children", &t, None).await.status, StatusCode::OK);
        let child = json!({"given_name": "A", "family_name": "B", "date_of_birth": "2012-01-01", "status": "child_in_need", "responsible_authority": "bolton"});
        assert_eq!(send(&state, "POST", "/api/v1/children", &t, Some(child)).await.status, StatusCode::FORBIDDEN, "a read token cannot write");
        assert_eq!(
            send(&state, "POST", "/api/v1/tokens", &t, Some(json!({"name": "x", "scopes": ["write"]}))).await.status,
            StatusCode::FORBIDDEN,
            "a token cannot mint tokens"
        );
        let listed = send(&state, "GET", "/api/v1/tokens", &h, None).await;
        assert!(!listed.body.to_string().contains(&token), "the token itself is never shown again");
        assert_eq!(send(&state, "DELETE", &format!("/api/v1/tokens/{id}"), &h, None).await.status, StatusCode::NO_CONTENT);
        assert_eq!(send(&state, "GET", "/api/v1/children", &t, None).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(send(&state, "GET", "/api/v1/children", &[], None).await.status, StatusCode::UNAUTHORIZED);
        state.store.db().close().await;
    }
}

#[tokio::test]
async fn every_request_writes_one_audit_entry_and_the_chain_verifies() {
    for url in databases().await {
        let clock = Arc::new(ManualClock::new(start()));
        let state = state(&url, clock.clone()).await;
        // Managers have inboxes, so the break-glass notice has somewhere to go.
        let registry = Arc::new(Registry::builtin().unwrap());
        let directory = Arc::new(homeward_server::notify::Directory::demo(&registry));
        let planner = Arc::new(homeward_server::notify::Planner::new(registry, directory, "http://homeward.test"));
        let mut state = state;
        state.store = state.store.with_notifier(planner);
        let worker = support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], "ash", "social_worker").await;
        let edt = support::account(&state.store, "newham-cs", "childrens_services", &["newham"], "edt", "emergency_duty_worker").await;
        let manager = support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], "tm", "team_manager").await;
        let (w, e, m) = (bearer(&worker), bearer(&edt), bearer(&manager));
        let before = state.store.audit_entries(0, 100_000).await.unwrap().len();
        let child = json!({"given_name": "A", "family_name": "B", "date_of_birth": "2012-01-01", "status": "looked_after", "responsible_authority": "bolton"});
        let created = send(&state, "POST", "/api/v1/children", &[("authorization", w.as_str())], Some(child)).await;
        let id = created.body["id"].as_str().unwrap().to_string();
        let requests: Vec<(&str, String, &str, Option<Value>)> = vec![
            ("GET", format!("/api/v1/children/{id}"), w.as_str(), None),
            ("GET", format!("/api/v1/children/{id}"), e.as_str(), None),
            ("GET", "/api/v1/children".into(), e.as_str(), None),
            ("GET", format!("/api/v1/children/{id}"), "Bearer hwt_not-a-token", None),
            ("POST", format!("/api/v1/children/{id}/break-glass"), e.as_str(), Some(json!({"reason": "found at 3am, carer unreachable"}))),
            ("GET", format!("/api/v1/children/{id}/timeline"), e.as_str(), None),
            ("GET", format!("/api/v1/children/{id}/access-log"), m.as_str(), None),
        ];
        let mut statuses = Vec::new();
        for (method, uri, auth, body) in &requests {
            statuses.push(send(&state, method, uri, &[("authorization", auth)], body.clone()).await.status);
        }
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::NOT_FOUND, StatusCode::OK, StatusCode::UNAUTHORIZED, StatusCode::CREATED, StatusCode::OK, StatusCode::OK]
        );
        let entries = state.store.audit_entries(0, 100_000).await.unwrap();
        assert_eq!(entries.len() - before, requests.len() + 1, "one entry per request, failed ones included");
        let last: Vec<_> = entries.iter().rev().take(requests.len()).rev().collect();
        assert_eq!(last[1].entry.outcome, "denied");
        assert_eq!(last[1].entry.rule.as_deref(), Some("default-deny"));
        assert_eq!(last[3].entry.user_id, None);
        assert!(last[4].entry.break_glass && last[5].entry.break_glass, "break-glass access is flagged");
        assert_eq!(last[5].entry.rule.as_deref(), Some("break-glass"));
        // The team manager sees who has seen the record, including the emergency access.
        let log = send(&state, "GET", &format!("/api/v1/children/{id}/access-log"), &[("authorization", m.as_str())], None).await;
        let seen: Vec<&str> = log.body.as_array().unwrap().iter().filter(|x| x["break_glass"] == true).filter_map(|x| x["operation"].as_str()).collect();
        assert!(seen.iter().any(|o| o.contains("timeline")), "{}", log.body);
        // The break-glass notice to the team manager was written.
        let notices = state.store.notifications(&homeward_store::NotificationFilter { child: Some(id.clone()), ..Default::default() }).await.unwrap();
        assert!(notices.iter().any(|n| n.stage == "break_glass" && n.body.contains("found at 3am")), "{notices:?}");
        let report = state.store.audit_verify().await.unwrap();
        assert!(report.broken.is_none(), "{report:?}");
        state.store.db().close().await;
    }
}
