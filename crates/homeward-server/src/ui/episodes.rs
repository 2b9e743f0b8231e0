//! A missing episode's own page: what is known about it, its duties
//! grouped by state (with their actions where something is still to do),
//! and what was recorded in it, in words.

use super::view::{DutyRow, EpisodeRow, EventRow, late_by, segment};
use super::{Viewer, Who, error_page, page};
use crate::AppState;
use crate::error::ApiError;
use crate::http::shapes::DutyOut;
use crate::service;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use homeward_access::classify;
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::HashMap;

/// The episode page's parameters: what the viewer has just recorded.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EpisodeQuery {
    done: Option<String>,
}

/// Duties of one state, as a section of the page.
pub struct StateGroup {
    pub id: &'static str,
    pub title: &'static str,
    pub hint: &'static str,
    pub duties: Vec<DutyRow>,
}

#[derive(Template)]
#[template(path = "episode.html")]
struct EpisodePage {
    who: Option<Who>,
    csrf_token: String,
    child_id: String,
    child_name: String,
    episode: EpisodeRow,
    missing_for: String,
    still_missing: bool,
    banner: Option<&'static str>,
    /// The page itself, to come back to after a duty's action.
    back: String,
    back_query: String,
    show_duties: bool,
    /// Overdue, due and upcoming duties: each with its actions.
    open: Vec<StateGroup>,
    to_consider: Vec<DutyRow>,
    /// Done, excepted, dismissed and lapsed: what happened to them.
    settled: Vec<StateGroup>,
    events: Vec<EventRow>,
    /// The child's protocol has a notification form to print for an episode (`newham` Appendix D).
    notification_form: bool,
}

impl EpisodePage {
    fn open_count(&self) -> usize {
        self.open.iter().map(|g| g.duties.len()).sum()
    }
}

pub async fn episode(State(state): State<AppState>, viewer: Viewer, Path((id, episode)): Path<(String, String)>, RawQuery(query): RawQuery) -> Response {
    let who = viewer.who();
    let query = match crate::http::Query::<EpisodeQuery>::parse(query.as_deref().unwrap_or_default()) {
        Ok(q) => q,
        Err(e) => return error_page(e, who),
    };
    match episode_page(&state, &viewer, &id, &episode, query.params.done.as_deref()).await {
        Ok(p) => page(&EpisodePage { who, ..p }, StatusCode::OK),
        Err(e) if e.status == StatusCode::NOT_FOUND => super::pages::not_found(&state, &viewer, &id),
        Err(e) => error_page(e, who),
    }
}

/// How long a child has been (or was) missing, in days and hours.
fn duration_between(from: &str, to: Timestamp) -> String {
    let Ok(from) = from.parse::<Timestamp>() else { return String::new() };
    super::pages::missing_for((to.as_second() - from.as_second()).max(0) / 3600)
}

async fn episode_page(state: &AppState, viewer: &Viewer, id: &str, episode: &str, done: Option<&str>) -> Result<EpisodePage, ApiError> {
    let timeline = service::children::timeline(state, &viewer.0, id).await?;
    let readable = |class: &str| timeline.access.iter().any(|a| a.class == class);
    // An episode the viewer may not know of is the same as one that does not exist.
    let Some(found) = timeline.episodes.into_iter().find(|e| e.episode == episode).filter(|_| readable(classify::MISSING_STATUS)) else {
        return Err(ApiError::not_found("episode"));
    };
    let now = state.clock.now();
    let still_missing = found.returned_at.is_none();
    let until = found.returned_at.as_deref().and_then(|r| r.parse::<Timestamp>().ok()).unwrap_or(now);
    let missing_for = duration_between(&found.started_at, until);
    let c = timeline.child;
    let notification_form = super::notification_form::applies(state, &c.responsible_authority);
    let child_name = format!("{} {}", c.given_name, c.family_name);
    let duty_names: HashMap<String, String> = timeline.duties.iter().map(|d| (d.id.clone(), d.what.clone())).collect();
    let show_duties = readable(classify::DUTIES);
    let mut by_state: HashMap<String, Vec<DutyRow>> = HashMap::new();
    let registry = state.store.registry();
    let mut mine: Vec<DutyOut> = timeline.duties.into_iter().filter(|d| d.episode == episode).collect();
    mine.sort_by(|a, b| a.due.cmp(&b.due));
    let of_episode: std::collections::HashSet<String> = mine.iter().map(|d| d.id.clone()).collect();
    for d in mine {
        let late = (d.state == "overdue").then(|| d.due.parse::<Timestamp>().ok()).flatten().map(|due| late_by(now.as_second() - due.as_second()));
        let mut row = DutyRow::new(d, Some(child_name.clone()), registry);
        row.late_by = late;
        by_state.entry(row.state.clone()).or_default().push(row);
    }
    let mut take = |state: &str| by_state.remove(state).unwrap_or_default();
    let group = |id, title, hint, duties: Vec<DutyRow>| StateGroup { id, title, hint, duties };
    let open = vec![
        group("overdue", "Overdue", "The protocol's deadline has passed and nobody has recorded it done.", take("overdue")),
        group("due", "Due now", "Triggered and not yet done; the deadline has not passed.", take("due")),
        group("upcoming", "Coming up", "Will be due if the episode goes on (for example, a later review).", take("upcoming")),
    ];
    let to_consider = take("to_consider");
    let settled = vec![
        group("done", "Done", "Recorded as done.", take("done")),
        group("excepted", "Exceptions", "Not done as the protocol says, with the reason and who authorised it.", take("excepted")),
        group("dismissed", "Considered and dismissed", "Prompts someone considered and decided against.", take("dismissed")),
        group("lapsed", "No longer needed", "Ended by what happened next (for example, the child returned first).", take("lapsed")),
    ];
    // The episode's events, and those that settle one of its duties (a duty
    // marked done or excepted names the duty, not the episode).
    let mut events: Vec<_> = timeline
        .events
        .into_iter()
        .filter(|e| e.episode.as_deref() == Some(episode) || e.body.get("duty").and_then(|d| d.as_str()).is_some_and(|d| of_episode.contains(d)))
        .collect();
    events.sort_by_key(|e| e.seq);
    let back = format!("/children/{}/episodes/{}", segment(id), segment(episode));
    Ok(EpisodePage {
        who: None,
        csrf_token: viewer.who().map(|w| w.csrf_token).unwrap_or_default(),
        child_id: c.id,
        child_name,
        episode: EpisodeRow::from(found),
        missing_for,
        still_missing,
        banner: super::pages::banner(done),
        back_query: segment(&back),
        back,
        show_duties,
        open,
        to_consider,
        settled,
        events: events.into_iter().map(|e| super::pages::event_row(e, &duty_names, &timeline.access)).collect(),
        notification_form,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_missing_runs_to_now_or_the_return() {
        let to = "2026-12-04T12:00:00Z".parse::<Timestamp>().unwrap();
        assert_eq!(duration_between("2026-12-03T09:30:00Z", to), "1 day 2 hours");
        assert_eq!(duration_between("2026-12-04T11:30:00Z", to), "less than an hour");
        assert_eq!(duration_between("later", to), "");
    }
}
