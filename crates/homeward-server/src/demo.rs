//! Demo data: a realistic partnership from the synthetic generator, loaded
//! through the same path as real records (every event checked and evaluated).

use crate::AppState;
use homeward_store::{Actor, NewChild, StoreError};
use std::collections::HashMap;

const GIVEN: &[&str] = &["Amelia", "Oliver", "Isla", "Noah", "Ava", "Leo", "Mia", "Jack", "Freya", "Harry", "Lily", "Charlie", "Grace", "Jacob", "Evie", "Alfie", "Ruby", "Oscar", "Sophie", "Kai", "Zara", "Ethan", "Maya", "Tyler", "Chloe", "Mason", "Aisha", "Reuben", "Jade", "Kian"];
const FAMILY: &[&str] = &["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Khan", "Clarke", "Hughes", "Ahmed", "Lewis", "Edwards", "Begum", "Harris", "Martin", "Jackson", "Wood", "Turner"];

/// Loads a synthetic partnership into an empty database (names made up,
/// every child's history checked and evaluated as one recording). Returns
/// how many children were loaded: none if the database already has some.
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
        let child = store.create_child(&new, &actor, now, true).await?;
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
        histories.entry(child.as_str()).or_default().push(body);
    }
    let mut order: Vec<&str> = histories.keys().copied().collect();
    order.sort_unstable();
    for child in order {
        let events = histories.remove(child).unwrap_or_default();
        store.record_history(child, events, &actor, now).await?;
    }
    Ok(ids.len())
}
