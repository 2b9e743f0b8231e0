//! Demo data: a realistic partnership from the synthetic generator, loaded
//! through the same path as real records (every event checked and evaluated).

use crate::AppState;
use homeward_store::{Actor, NewChild, StoreError};
use std::collections::HashMap;

const GIVEN: &[&str] = &[
    "Amelia", "Oliver", "Isla", "Noah", "Ava", "Leo", "Mia", "Jack", "Freya", "Harry", "Lily", "Charlie", "Grace", "Jacob", "Evie", "Alfie", "Ruby", "Oscar",
    "Sophie", "Kai", "Zara", "Ethan", "Maya", "Tyler", "Chloe", "Mason", "Aisha", "Reuben", "Jade", "Kian",
];
const FAMILY: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White",
    "Roberts", "Green", "Hall", "Khan", "Clarke", "Hughes", "Ahmed", "Lewis", "Edwards", "Begum", "Harris", "Martin", "Jackson", "Wood", "Turner",
];

/// Loads a synthetic partnership into an empty database (names made up,
/// every child's history checked and evaluated as one recording). Returns
/// how many children were loaded: none if the database already has some.
/// What the demo's return interviews and meetings record beyond the
/// engine's fields (the replay contract's `details`), so their pages and
/// printable records show something: made up, and chosen by the event's
/// place in its child's history, so a load is the same every time.
fn demo_details(e: &homeward_synth::Event, n: usize) -> Option<serde_json::Value> {
    use serde_json::json;
    const WORKERS: &[&str] = &["Ade Bello", "Chris Moran", "Dee Patel", "Sam Oduya"];
    const PUSH: &[&str] = &["Arguments at home about rules", "Unhappy with the move of placement", "Falling out with other young people in the home"];
    const PULL: &[&str] = &["Older friends in the town centre", "Wanting to see their family", "A new boyfriend or girlfriend"];
    const CHAIRS: &[&str] = &["Team manager", "Service manager", "Head of service"];
    let pick = |list: &[&'static str]| list[n % list.len()];
    match (e.kind, e.outcome) {
        ("return_interview", Some("completed")) => Some(json!({
            "interviewer": pick(WORKERS),
            "interviewer_agency": "Return interview service (demo)",
            "mode": if n % 3 == 0 { "video" } else { "in_person" },
            "venue": "A neutral place the child chose",
            "childs_account": "Stayed with a friend; says they were safe and will call next time.",
            "push_factors": [pick(PUSH)],
            "pull_factors": [pick(PULL)],
            "concerns": "Time spent with older young people not known to the service.",
            "strengths": "Talked openly and agreed a safety plan.",
            "actions": [{"action": "Share the interview with the social worker", "owner": "Interviewer"}],
            "safety_plan": "Call the carer if running late; keep the phone charged.",
        })),
        ("strategy_meeting" | "meeting", _) => Some(json!({
            "chair": pick(CHAIRS),
            "attendees": [{"name": pick(WORKERS), "role_or_agency": "Social worker"}, {"name": "PC Jordan Lee", "role_or_agency": "Police"}],
            "section_47": if e.kind == "strategy_meeting" { "no" } else { "not_considered" },
            "decisions": "Keep the trigger plan under review; share what the return interview finds.",
            "actions": [{"action": "Update the trigger plan", "owner": "Social worker"}, {"action": "Tell the school", "owner": "Social worker"}],
        })),
        _ => None,
    }
}

pub async fn load_synthetic(state: &AppState, config: &homeward_synth::Config) -> Result<usize, StoreError> {
    if !state.store.children(&homeward_store::ChildFilter { limit: 1, ..Default::default() }).await?.is_empty() {
        return Ok(0);
    }
    let now = state.clock.now();
    let scenario = homeward_synth::generate(config).map_err(|e| StoreError::Internal(e.to_string()))?;
    let actor = Actor { user: "demo-loader".into(), agency: "homeward".into() };
    // History is loaded without telling anyone: only what falls due from now on is notified.
    let store = state.store.with_notifier(std::sync::Arc::new(homeward_store::Silent));
    let mut ids: HashMap<String, String> = HashMap::new();
    for (n, c) in scenario.children.iter().enumerate() {
        let new = NewChild {
            given_name: GIVEN[n % GIVEN.len()].to_string(),
            family_name: FAMILY[(n / GIVEN.len() + n * 7) % FAMILY.len()].to_string(),
            date_of_birth: c.date_of_birth.clone(),
            status: c.status.to_string(),
            responsible_authority: c.responsible_authority.clone(),
            living_in: Some(c.living_in.clone()),
            flags: c.flags.iter().map(|f| f.to_string()).collect(),
            allocated_worker: None,
            team: None,
            photo_ref: None,
        };
        let child = store.create_child(&new, &actor, now, true, None).await?;
        ids.insert(c.id.clone(), child.id);
    }
    let mut histories: HashMap<&str, Vec<serde_json::Value>> = HashMap::new();
    for e in &scenario.events {
        let Some(child) = ids.get(&e.child) else { continue };
        let mut body = serde_json::to_value(e).map_err(|x| StoreError::Internal(x.to_string()))?;
        if let Some(others) = body.get_mut("with_others").and_then(|v| v.as_array_mut()) {
            for o in others.iter_mut() {
                if let Some(mapped) = o.as_str().and_then(|s| ids.get(s)) {
                    *o = serde_json::Value::String(mapped.clone());
                }
            }
        }
        if let Some(duty) = body.get("duty").and_then(|d| d.as_str()).map(|d| d.replace(&format!("/{}/", e.child), &format!("/{child}/"))) {
            body["duty"] = serde_json::Value::String(duty);
        }
        body.as_object_mut().map(|o| o.remove("child"));
        let history = histories.entry(child.as_str()).or_default();
        if let Some(details) = demo_details(e, history.len()) {
            body["details"] = details;
        }
        history.push(body);
    }
    let mut order: Vec<&str> = histories.keys().copied().collect();
    order.sort_unstable();
    for child in order {
        let events = histories.remove(child).unwrap_or_default();
        store.record_history(child, events, &actor, now).await?;
    }
    Ok(ids.len())
}

/// The password of every demo account (only ever created with `--demo`).
pub const DEMO_PASSWORD: &str = "homeward-demo";

/// (agency id, name, kind): each serves the demo's home authority, except
/// the police force, which serves every demo authority (so that one login
/// shows the whole demo), and the placement, which serves none (it sees only
/// the children placed with it).
const DEMO_AGENCIES: &[(&str, &str, &str)] = &[
    ("childrens-services", "Children's Services (demo, home authority)", "childrens_services"),
    ("neighbouring-childrens-services", "Children's Services of a neighbouring partnership (demo)", "childrens_services"),
    ("police", "Police force (demo, every demo authority)", "police"),
    ("oak-house", "Oak House children's home (demo)", "placement"),
    ("return-interviews", "Return interview service (demo)", "return_interview_service"),
    ("health", "0-19 health service (demo)", "health"),
    ("high-school", "High School (demo)", "education"),
    ("partnership", "Safeguarding Children Partnership (demo)", "partnership"),
];

/// (username, display name, agency, role)
const DEMO_USERS: &[(&str, &str, &str, &str)] = &[
    ("social.worker", "Sam Social Worker", "childrens-services", "social_worker"),
    ("team.manager", "Tina Team Manager", "childrens-services", "team_manager"),
    ("head.of.service", "Hal Head of Service", "childrens-services", "head_of_service"),
    ("missing.coordinator", "Mo Missing Coordinator", "childrens-services", "missing_coordinator"),
    ("iro", "Ira Independent Reviewing Officer", "childrens-services", "iro"),
    ("edt.worker", "Eddie Emergency Duty Worker (neighbouring partnership)", "neighbouring-childrens-services", "emergency_duty_worker"),
    ("police.mpc", "Pat Missing Person Co-ordinator", "police", "police_mpc"),
    ("police.officer", "Pip Police Officer", "police", "police_officer"),
    ("placement.manager", "Pam Placement Manager", "oak-house", "placement_manager"),
    ("rhi.worker", "Rhi Return Interview Worker", "return-interviews", "return_interview_worker"),
    ("health.practitioner", "Hana Health Practitioner", "health", "health_practitioner"),
    ("school.dsl", "Sol School Safeguarding Lead", "high-school", "school_dsl"),
    ("analyst", "Ana Partnership Analyst", "partnership", "partnership_analyst"),
    ("admin", "Ada System Administrator", "partnership", "system_administrator"),
];

/// The demo's home authority: Bolton if the demo has it, else the first.
pub fn demo_home(authorities: &[String]) -> String {
    authorities.iter().find(|a| a.as_str() == "bolton").or(authorities.first()).cloned().unwrap_or_else(|| "bolton".to_string())
}

/// Creates the demo agencies and one account per role of the access policy
/// (password [`DEMO_PASSWORD`]), and involves the demo placement, school,
/// health and return-interview services with a few children of the home
/// authority ([`demo_home`]). Does nothing if any agency exists. Returns the
/// usernames created.
pub async fn demo_accounts(state: &AppState, authorities: &[String]) -> Result<Vec<String>, StoreError> {
    use homeward_store::{NewAgency, NewInvolvement, NewUser};
    if !state.store.agencies().await?.is_empty() {
        return Ok(Vec::new());
    }
    let now = state.clock.now().as_second();
    let home = demo_home(authorities);
    // A neighbouring partnership: an authority of the demo other than home, or one outside it.
    let neighbour = authorities.iter().find(|a| **a != home).cloned().unwrap_or_else(|| "york".to_string());
    for (id, name, kind) in DEMO_AGENCIES {
        let serves: Vec<String> = match *id {
            "police" => authorities.to_vec(),
            "oak-house" => Vec::new(),
            "neighbouring-childrens-services" => vec![neighbour.clone()],
            _ => vec![home.clone()],
        };
        let new = NewAgency { id: id.to_string(), name: name.to_string(), kind: kind.to_string(), authorities: serves };
        state.store.create_agency(&new, now).await?;
    }
    let hash = crate::auth::password::hash(DEMO_PASSWORD.to_string()).await.map_err(|e| StoreError::Internal(e.to_string()))?;
    let mut created = Vec::new();
    for (username, name, agency, role) in DEMO_USERS {
        let new = NewUser {
            username: username.to_string(),
            display_name: name.to_string(),
            email: None,
            agency_id: agency.to_string(),
            role: role.to_string(),
            team: None,
            password_hash: Some(hash.clone()),
        };
        state.store.create_user(&new, now).await?;
        created.push(username.to_string());
    }
    // A few children of the home authority, so that each involved agency has someone to see.
    let some = state.store.children(&homeward_store::ChildFilter { authority: Some(home.clone()), limit: 12, ..Default::default() }).await?;
    for (n, child) in some.iter().enumerate() {
        let involve = |agency: &str, relation: &str, address: Option<&str>| NewInvolvement {
            agency_id: agency.to_string(),
            relation: relation.to_string(),
            address: address.map(str::to_string),
            reason: Some("demo".to_string()),
        };
        let mut list = Vec::new();
        if n < 4 {
            list.push(involve("oak-house", "placement", Some("Oak House, 1 Example Road (demo address)")));
        }
        if n % 2 == 0 {
            list.push(involve("return-interviews", "return_interview", None));
        }
        if n % 3 == 0 {
            list.push(involve("high-school", "school", None));
        }
        if n < 6 {
            list.push(involve("health", "health", None));
        }
        for new in list {
            state.store.add_involvement(&child.id, &new, "demo-loader", now).await?;
        }
    }
    live_episodes(state, &some).await?;
    Ok(created)
}

/// Episodes happening now, for the children the demo's agencies serve, so
/// that every account has a child missing now and duties due today, not only
/// history: (hours ago reported, hours ago returned, category, risk). Each is
/// recorded like any report, through the engine, and told to whom the
/// protocol says. A child already missing is left as it is.
const LIVE: &[(i64, Option<i64>, &str, &str)] = &[
    (3, None, "missing", "high"),
    (27, None, "missing", "medium"),
    (20, Some(2), "missing", "medium"),
    (1, None, "away_from_placement", "low"),
    (50, None, "missing", "medium"),
    (9, Some(1), "absent", "no_apparent_risk"),
];

async fn live_episodes(state: &AppState, children: &[homeward_store::Child]) -> Result<(), StoreError> {
    let actor = Actor { user: "demo-loader".into(), agency: "homeward".into() };
    let now = state.clock.now();
    for (child, (reported, returned, category, risk)) in children.iter().zip(LIVE) {
        let start = now.checked_sub(jiff::SignedDuration::from_hours(*reported)).unwrap_or(now).as_second();
        // Not while missing, nor overlapping an episode that ended later.
        if state.store.episodes(&child.id).await?.iter().any(|e| e.returned_at.is_none_or(|r| r >= start)) {
            continue;
        }
        let at = |hours: i64| now.checked_sub(jiff::SignedDuration::from_hours(hours)).unwrap_or(now).to_string();
        let episode = "demo-now";
        let report = serde_json::json!({"at": at(*reported), "episode": episode, "type": "reported", "category": category, "risk": risk});
        state.store.record_event(&child.id, report, &actor, now, homeward_store::RecordOptions::default()).await?;
        if let Some(back) = returned {
            let found = serde_json::json!({"at": at(*back), "episode": episode, "type": "returned", "found_by": "police"});
            state.store.record_event(&child.id, found, &actor, now, homeward_store::RecordOptions::default()).await?;
        }
    }
    Ok(())
}
