//! Evaluating a rule's `when` conditions.
//!
//! Static conditions (status, age, flags, counts, history) are fixed for an
//! episode; dynamic ones (category, risk) change during it and are judged at a
//! moment.

use crate::calendar;
use crate::protocol::{Conditions, Window};
use crate::scenario::{Child, Episode, Scenario};
use crate::vocab::Outcome;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

/// What static conditions need to know about one episode of one child.
/// The facts that do not depend on the rule are worked out once per episode.
pub(super) struct Context<'a> {
    scenario: &'a Scenario,
    child: &'a Child,
    /// The child's episodes in start order, and this one's position among them.
    episodes: &'a [usize],
    position: usize,
    /// The child's age on the local date the episode started.
    age: i16,
    /// The outcome of the child's last return interview before the episode started.
    previous_return_interview: Option<Outcome>,
}

impl<'a> Context<'a> {
    pub(super) fn new(
        scenario: &'a Scenario,
        child: &'a Child,
        episodes: &'a [usize],
        position: usize,
        start_day: Date,
        previous_return_interview: Option<Outcome>,
    ) -> Self {
        Context { scenario, child, episodes, position, age: child.age_on(start_day), previous_return_interview }
    }

    fn episode(&self) -> &'a Episode {
        &self.scenario.episodes[self.episodes[self.position]]
    }
}

/// Where the child belongs and was found, as seen by the protocol judging
/// the episode.
#[derive(Debug, Clone, Copy)]
pub(super) struct Place {
    /// This protocol covers the child's responsible authority.
    pub responsible_here: bool,
    /// The return names where the child was found, and this protocol covers
    /// it (`Some(true)`) or not (`Some(false)`); `None` when it names nowhere.
    pub found_here: Option<bool>,
}

/// The conditions about the protocol's area: whose child, and where found.
pub(super) fn place_holds(c: &Conditions, place: Place) -> bool {
    c.responsible_in_partnership.is_none_or(|want| want == place.responsible_here)
        && c.found_in_partnership.is_none_or(|want| match place.found_here {
            Some(here) => want == here,
            // Nowhere recorded: not found here.
            None => !want,
        })
}

pub(super) fn child_holds(c: &Conditions, child: &Child, age: i16) -> bool {
    (c.statuses.is_empty() || c.statuses.contains(&child.status))
        && age >= c.age_min
        && age <= c.age_max
        && (c.flags_any.is_empty() || c.flags_any.iter().any(|f| child.has_flag(f)))
        && c.flags_all.iter().all(|f| child.has_flag(f))
        && !c.flags_none.iter().any(|f| child.has_flag(f))
        && c.out_of_area.is_none_or(|want| want == (child.responsible_authority != child.living_in))
        && (c.responsible_authorities.is_empty() || c.responsible_authorities.contains(&child.responsible_authority))
        && (c.host_authorities.is_empty() || c.host_authorities.contains(&child.living_in))
}

pub(super) fn static_holds(c: &Conditions, ctx: &Context) -> bool {
    let ep = ctx.episode();
    if !child_holds(c, ctx.child, ctx.age) {
        return false;
    }
    if let Some(want) = c.with_others {
        if want == ep.with_others.is_empty() {
            return false;
        }
    }
    if ctx.position < c.earlier_episodes {
        return false;
    }
    if let Some(w) = &c.episodes_in_window {
        if count_in_window(w, ctx.scenario, &ctx.episodes[..=ctx.position], ep.start) < w.count {
            return false;
        }
    }
    if !c.previous_return_interview.is_empty() {
        let previous = ctx.previous_return_interview;
        if !previous.is_some_and(|o| c.previous_return_interview.contains(&o)) {
            return false;
        }
    }
    if !c.found_by_none.is_empty() {
        if let Some(by) = &ep.found_by {
            if c.found_by_none.contains(by) {
                return false;
            }
        }
    }
    true
}

/// How many of `episodes` (indices, in start order) that match the window's
/// categories started in the window ending at `end`, both ends included.
fn count_in_window(w: &Window, scenario: &Scenario, episodes: &[usize], end: Timestamp) -> usize {
    let from = w.days.map(|d| end.checked_sub(SignedDuration::from_hours(i64::from(d) * 24)).unwrap_or(Timestamp::MIN));
    episodes
        .iter()
        .rev()
        .map(|&i| &scenario.episodes[i])
        .take_while(|e| from.is_none_or(|f| e.start >= f))
        .filter(|e| e.start <= end && (w.categories.is_empty() || e.ever_category(&w.categories)))
        .count()
}

pub(super) fn dynamic_holds(c: &Conditions, ep: &Episode, t: Timestamp) -> bool {
    (c.categories.is_empty() || c.categories.contains(&ep.category_at(t))) && (c.risks.is_empty() || c.risks.contains(&ep.risk_at(t)))
}

/// Since when a flag has held, if it holds at `now`.
pub(super) fn flag_since(c: &Conditions, scenario: &Scenario, child: usize) -> Option<Timestamp> {
    let now = scenario.now;
    let kid = &scenario.children[child];
    let episodes = &scenario.child_episodes[child];
    if !child_holds(c, kid, kid.age_on(calendar::local_date(now))) {
        return None;
    }
    let last = &scenario.episodes[*episodes.last()?];
    let mut since: Option<Timestamp> = None;
    if c.currently_missing {
        if last.returned_at.is_some() {
            return None;
        }
        since = Some(last.start);
    }
    if let Some(w) = &c.episodes_in_window {
        let starts: Vec<Timestamp> =
            episodes.iter().map(|&i| &scenario.episodes[i]).filter(|e| w.categories.is_empty() || e.ever_category(&w.categories)).map(|e| e.start).collect();
        if starts.len() < w.count {
            return None;
        }
        // Each run of `count` consecutive starts makes the flag hold from the
        // last of them until the window slides past the first; merge the runs.
        let mut run_start: Option<Timestamp> = None;
        let mut run_end = Timestamp::MIN;
        let mut current: Option<Timestamp> = None;
        for i in (w.count - 1)..starts.len() {
            let begins = starts[i];
            let ends = match w.days {
                Some(d) => starts[i + 1 - w.count].checked_add(SignedDuration::from_hours(i64::from(d) * 24)).unwrap_or(Timestamp::MAX),
                None => Timestamp::MAX,
            };
            if ends < begins {
                continue;
            }
            if run_start.is_some() && begins <= run_end {
                run_end = run_end.max(ends);
            } else {
                run_start = Some(begins);
                run_end = ends;
            }
            if begins <= now && now <= run_end {
                current = run_start;
            }
        }
        let held_from = current?;
        since = Some(since.map_or(held_from, |s| s.max(held_from)));
    }
    since.or_else(|| {
        // A flag with neither a count nor "currently missing" holds from the first episode.
        episodes.first().map(|&i| scenario.episodes[i].start)
    })
}
