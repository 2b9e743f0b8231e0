//! Children: the list, creating one (with the duplicate check), matches,
//! one child, and everything about a child the caller may see.

use crate::AppState;
use crate::access::{authorize, may_read, policy_at, require, visibility};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::shapes::{AccessOut, ChildOut, DutyOut, EpisodeOut, EventOut, TimelineOut};
use homeward_access::{Action, classify};
use homeward_store::{ChildFilter, DutyFilter, NewChild};
use serde_json::Value;

/// Children the caller may see, optionally in one authority (as responsible
/// or host), `limit` from `offset`.
pub async fn list(state: &AppState, caller: &Caller, authority: Option<String>, limit: i64, offset: i64) -> Result<Vec<ChildOut>, ApiError> {
    let filter = ChildFilter {
        authority,
        ids: Vec::new(),
        limit,
        offset,
        visible: Some(visibility(state, caller, Action::Read, classify::IDENTITY)),
        placed_with: None,
    };
    let rows = state.store.children(&filter).await?;
    Ok(rows.into_iter().map(ChildOut::from).collect())
}

/// Creates a child, when the policy lets the caller write identities in its
/// authority. A record with the same family name and date of birth in the
/// same authority, among those the caller may see, is refused as a likely
/// duplicate unless `allow_duplicate`.
pub async fn create(state: &AppState, caller: &Caller, new: NewChild, allow_duplicate: bool) -> Result<ChildOut, ApiError> {
    let now = state.clock.now();
    let prospective = homeward_access::RecordFacts {
        responsible_authority: new.responsible_authority.clone(),
        living_in: new.living_in.clone().unwrap_or_else(|| new.responsible_authority.clone()),
        flags: new.flags.clone(),
        ..Default::default()
    };
    require(state, caller, Action::Write, classify::IDENTITY, &prospective)?;
    let visible = visibility(state, caller, Action::Read, classify::IDENTITY);
    let child = state.store.create_child(&new, &caller.actor(), now, allow_duplicate, Some(&visible)).await?;
    caller.audit.set_record("child", &child.id);
    Ok(child.into())
}

/// Children matching a family name and date of birth, among those the
/// caller may see.
pub async fn matches(state: &AppState, caller: &Caller, family_name: &str, date_of_birth: &str, authority: Option<&str>) -> Result<Vec<ChildOut>, ApiError> {
    let visible = visibility(state, caller, Action::Read, classify::IDENTITY);
    let rows = state.store.find_matches(family_name, date_of_birth, authority, Some(&visible)).await?;
    Ok(rows.into_iter().map(ChildOut::from).collect())
}

/// Children with this family name (and date of birth, authority when
/// given) among those the caller may see: a search before reporting a
/// child, so that the record found is used rather than a second one made.
pub async fn search(
    state: &AppState,
    caller: &Caller,
    family_name: &str,
    date_of_birth: Option<&str>,
    authority: Option<&str>,
) -> Result<Vec<ChildOut>, ApiError> {
    let visible = visibility(state, caller, Action::Read, classify::IDENTITY);
    let rows = state.store.search_children(family_name, date_of_birth, authority, Some(&visible)).await?;
    Ok(rows.into_iter().map(ChildOut::from).collect())
}

/// One child, with the current placement's address when the caller may read it.
pub async fn get(state: &AppState, caller: &Caller, id: &str) -> Result<ChildOut, ApiError> {
    let granted = authorize(state, caller, id, Action::Read, classify::IDENTITY).await?;
    let child = state.store.child(id).await?.ok_or_else(|| ApiError::not_found("child"))?;
    let mut out = ChildOut::from(child);
    out.placement_address = placement_address(state, caller, id, &granted.facts).await?;
    Ok(out)
}

/// Everything about a child the caller may see: episodes, recorded events
/// with who recorded them, and every duty. `access` lists what the caller
/// may read and the rule that allows each; everything else is left out
/// (for example a return interview's content, for a placement).
pub async fn timeline(state: &AppState, caller: &Caller, id: &str) -> Result<TimelineOut, ApiError> {
    let now = state.clock.now();
    let granted = authorize(state, caller, id, Action::Read, classify::IDENTITY).await?;
    let facts = &granted.facts;
    let allowed = policy_at(state, now).classes_allowed(&caller.principal, Action::Read, facts);
    let readable = |class: &str| allowed.iter().any(|(c, _)| c == class);
    let child = state.store.child(id).await?.ok_or_else(|| ApiError::not_found("child"))?;
    let mut child = ChildOut::from(child);
    child.placement_address = placement_address(state, caller, id, facts).await?;
    let episodes = if may_read(state, caller, facts, classify::MISSING_STATUS) {
        let details = may_read(state, caller, facts, classify::EPISODE);
        state.store.episodes(id).await?.into_iter().map(|e| EpisodeOut::from_row(e, &child.responsible_authority, details)).collect()
    } else {
        Vec::new()
    };
    let mut events = Vec::new();
    for e in state.store.events(id).await? {
        let mut out = EventOut::from(e);
        let kind = out.body.get("kind").and_then(Value::as_str).map(str::to_string);
        if !readable(classify::event_seen_as(&out.event_type, kind.as_deref())) {
            continue;
        }
        let note_class = classify::note_class(&out.event_type, kind.as_deref());
        // Case notes the reader's own agency wrote, read back where the policy allows it.
        let own = note_class == classify::CASE_NOTES && out.agency == caller.identity.agency.id && readable(classify::OWN_NOTES);
        if let Some(obj) = out.body.as_object_mut() {
            // A record's details are its content, as its note is (a
            // return interview's: return interview content).
            if !readable(note_class) && !own {
                obj.remove("note");
                obj.remove("details");
            }
        }
        events.push(out);
    }
    for (class, decision) in &allowed {
        caller.audit.add_class(class, &decision.rule);
    }
    let duties = if readable(classify::DUTIES) {
        state.store.duties(&DutyFilter { child: Some(id.to_string()), include_closed: true, ..DutyFilter::default() }, now).await?
    } else {
        Vec::new()
    };
    Ok(TimelineOut {
        access: allowed.iter().map(|(class, d)| AccessOut { class: class.clone(), rule: d.rule.clone() }).collect(),
        child,
        episodes,
        events,
        duties: duties.into_iter().map(|d| DutyOut::from_record(d, now)).collect(),
    })
}

/// One recorded event with its child and episode, for a page that shows
/// its content whole (a printable record).
pub struct Record {
    pub child: ChildOut,
    pub episode: Option<EpisodeOut>,
    pub event: EventOut,
}

/// One event's whole record, for those who may read its content (its
/// note's class: a return interview's is return interview content). An
/// event the caller may not know of is not found; one they may know took
/// place but not read is forbidden, naming the class.
pub async fn record_of(state: &AppState, caller: &Caller, child_id: &str, event_id: &str) -> Result<Record, ApiError> {
    let timeline = timeline(state, caller, child_id).await?;
    let event = timeline.events.into_iter().find(|e| e.id == event_id).ok_or_else(|| ApiError::not_found("event"))?;
    let kind = event.body.get("kind").and_then(Value::as_str);
    let class = classify::note_class(&event.event_type, kind);
    if !timeline.access.iter().any(|a| a.class == class) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "forbidden",
            format!("you may know this {} took place, but not read its record ({class})", event.event_type.replace('_', " ")),
            None,
        ));
    }
    let episode = timeline.episodes.into_iter().find(|e| Some(&e.episode) == event.episode.as_ref());
    Ok(Record { child: timeline.child, episode, event })
}

/// The current placement's address, when the caller may read it.
async fn placement_address(state: &AppState, caller: &Caller, child_id: &str, facts: &homeward_access::RecordFacts) -> Result<Option<String>, ApiError> {
    if !may_read(state, caller, facts, classify::PLACEMENT_ADDRESS) {
        return Ok(None);
    }
    let now = state.clock.now().as_second();
    let involvements = state.store.involvements(child_id).await?;
    Ok(involvements.into_iter().rev().find(|i| i.relation == "placement" && i.ended_at.is_none_or(|e| e > now) && i.address.is_some()).and_then(|i| i.address))
}
