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
    demo_profiles(state, &some).await?;
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

/// A 1×1 PNG: the demo's photograph.
const DEMO_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02,
    0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x90, 0x2d, 0xd8, 0x01, 0x00, 0x01, 0xf3, 0x01,
    0x46, 0xf3, 0x2b, 0x19, 0xd3, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Profiles and trigger plans for the first three children the demo's
/// agencies serve, one adult associate and one place linking them (so the
/// associate's page lists two children), and a photograph of the first.
async fn demo_profiles(state: &AppState, children: &[homeward_store::Child]) -> Result<(), StoreError> {
    use crate::service::profiles::{Online, Person, Phone, Profile};
    let actor = Actor { user: "demo-loader".into(), agency: "homeward".into() };
    let now = state.clock.now();
    let profiles = [
        Profile {
            nationality: "British".into(),
            legal_status: "care_order".into(),
            height: "157 cm".into(),
            build: "Slim".into(),
            hair: "Long, dark brown, often tied back".into(),
            eyes: "Brown".into(),
            distinguishing_features: "Small scar above the left eyebrow; pierced ears".into(),
            phones: vec![Phone { number: "07700 900101".into(), make_model: "Samsung Galaxy A14".into() }],
            online: vec![Online { platform: "Snapchat".into(), username: "demo_user_1".into(), passwords_held_by: "Nobody: the child keeps them".into() }],
            family: vec![Person { name: "Demo Parent".into(), relationship: "Mother".into(), contact: "07700 900102".into() }],
            places_frequented: vec!["Town centre bus station".into(), "The retail park".into()],
            triggers: "Cancelled family contact; arguments with other young people at the home".into(),
            plan_when_missing: "Staff search the home and grounds, ring her phone and her mother, then report to the police within one hour. Tell the social worker the same day.".into(),
            prevention_plan: "Return interview within 72 hours; keep contact arrangements predictable; key worker session after each episode.".into(),
            ..Profile::default()
        },
        Profile {
            legal_status: "section_20".into(),
            height: "170 cm".into(),
            build: "Medium".into(),
            hair: "Short, fair".into(),
            eyes: "Blue".into(),
            triggers: "Being asked about school attendance".into(),
            plan_when_missing: "Ring his phone and his friend's family; report to the police after two hours, or at once after dark.".into(),
            ..Profile::default()
        },
        Profile {
            legal_status: "interim_care_order".into(),
            height: "150 cm".into(),
            languages_needs: "Speaks English and Polish".into(),
            plan_when_missing: "Report to the police at once: high risk of exploitation.".into(),
            ..Profile::default()
        },
    ];
    let blank = serde_json::to_value(Profile::default()).map_err(|e| StoreError::Internal(e.to_string()))?;
    for (child, profile) in children.iter().zip(profiles) {
        let body = serde_json::to_value(profile).map_err(|e| StoreError::Internal(e.to_string()))?;
        state.store.save_profile(&child.id, &body, &blank, &actor, now).await?;
    }
    if let Some(first) = children.first() {
        let photo = homeward_store::NewPhoto {
            content_type: "image/png".into(),
            bytes: DEMO_PNG.to_vec(),
            taken_on: homeward_core::calendar::local_date(now).to_string(),
            consent_investigation: true,
            consent_media: false,
            child_agreed: true,
        };
        state.store.add_photo(&first.id, &photo, &actor, now).await?;
    }
    if children.len() >= 3 {
        let associate = homeward_store::NewAssociate {
            name: "Demo Associate".into(),
            description: "Man in his thirties who offers lifts in a silver hatchback".into(),
            markers: vec!["cawn".into()],
        };
        let associate = state.store.create_associate(&associate, &actor, now).await?;
        let place = homeward_store::NewPlace {
            name: "Flat 3, 12 Example Street (demo address)".into(),
            postcode: "BL1 1AA".into(),
            kind: "found_at".into(),
            description: "Address where children have been found".into(),
        };
        let place = state.store.create_place(&place, &actor, now).await?;
        use homeward_store::LinkKind;
        state.store.link(LinkKind::Associate, &children[0].id, &associate.id, "Collected her from the home twice", &actor, now).await?;
        state.store.link(LinkKind::Associate, &children[1].id, &associate.id, "Seen with him in the town centre", &actor, now).await?;
        state.store.link(LinkKind::Place, &children[0].id, &place.id, "Found here after her last episode", &actor, now).await?;
        state.store.link(LinkKind::Place, &children[2].id, &place.id, "Says she stays here with friends", &actor, now).await?;
    }
    Ok(())
}
