//! The engine: (protocols, scenario) → duties, flags and warnings.
//!
//! Pure and deterministic. Time is `scenario.now`; nothing is read from the
//! machine. The same scenario always gives the same result, whatever order its
//! events were given in.

mod conditions;
mod output;

pub use output::*;

use crate::calendar;
use crate::protocol::{Anchor, Applies, DueFrom, Matcher, Protocol, Registry, RepeatUntil, Rule, Trigger};
use crate::scenario::{Episode, Event, EventData, MatchField, Scenario};
use conditions::{Context, dynamic_holds, static_holds};
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Also list duties that can no longer apply (`lapsed`).
    pub include_lapsed: bool,
}

/// Upper bound on the occurrences of one recurring duty (a weekly duty over
/// ten years is 520); it stops a runaway recurrence on absurd input.
const MAX_OCCURRENCES: u32 = 1000;

/// Evaluates every child of the scenario against the protocols in force.
pub fn evaluate(registry: &Registry, scenario: &Scenario, options: Options) -> Replay {
    let mut duties = Vec::new();
    let mut flags = Vec::new();
    let mut warnings = Vec::new();
    let mut used: BTreeSet<ProtocolRef> = BTreeSet::new();
    for child in 0..scenario.children.len() {
        evaluate_child(
            registry,
            scenario,
            child,
            options,
            &mut duties,
            &mut flags,
            &mut warnings,
            &mut used,
        );
    }
    duties.sort_by(|a: &Duty, b: &Duty| a.due.cmp(&b.due).then_with(|| a.id.cmp(&b.id)));
    flags.sort_by(|a: &Flag, b: &Flag| (&a.child, &a.flag, &a.authority).cmp(&(&b.child, &b.flag, &b.authority)));
    warnings.sort_by(|a: &Warning, b: &Warning| (a.at, &a.child, &a.id).cmp(&(b.at, &b.child, &b.id)));
    Replay {
        now: scenario.now,
        protocols: used.into_iter().collect(),
        duties,
        flags,
        warnings,
    }
}

/// One protocol applied to one episode, and whose duties it creates.
struct Applied<'a> {
    protocol: &'a Protocol,
    /// Authority for host-side rules, and for responsible-side rules.
    host: Option<&'a str>,
    responsible: Option<&'a str>,
}

impl<'a> Applied<'a> {
    fn authority(&self, applies: Applies) -> Option<&'a str> {
        match applies {
            Applies::Host => self.host,
            Applies::Responsible => self.responsible,
            Applies::Both => self.host.or(self.responsible),
        }
    }
}

/// The protocols that apply to a child for an episode starting on `day`:
/// the host's local duties and the responsible authority's own duties.
fn applied<'a>(registry: &'a Registry, host: &'a str, responsible: &'a str, day: jiff::civil::Date) -> Vec<Applied<'a>> {
    let ph = registry.in_force(host, day);
    let pr = registry.in_force(responsible, day);
    match (ph, pr) {
        (Some(h), Some(r)) if h.id == r.id => vec![Applied {
            protocol: h,
            host: Some(host),
            responsible: Some(responsible),
        }],
        (h, r) => h
            .map(|p| Applied { protocol: p, host: Some(host), responsible: None })
            .into_iter()
            .chain(r.map(|p| Applied { protocol: p, host: None, responsible: Some(responsible) }))
            .collect(),
    }
}

/// The first occurrence of a rule for an episode, before satisfaction.
struct First<'a> {
    applied: usize,
    rule: &'a Rule,
    episode: usize,
    authority: &'a str,
    triggered_at: Timestamp,
    lapsed: bool,
    /// Satisfying events count from here.
    window_start: Timestamp,
}

#[allow(clippy::too_many_arguments)]
fn evaluate_child(
    registry: &Registry,
    scenario: &Scenario,
    child: usize,
    options: Options,
    duties: &mut Vec<Duty>,
    flags: &mut Vec<Flag>,
    warnings: &mut Vec<Warning>,
    used: &mut BTreeSet<ProtocolRef>,
) {
    let c = &scenario.children[child];
    let episodes = &scenario.child_episodes[child];
    let events: Vec<&Event> = scenario.child_events[child].iter().map(|&i| &scenario.events[i]).collect();
    let now = scenario.now;

    // Episode each event belongs to: its own, or for an event recorded
    // without one, the episode the child was on (or had last been on) then.
    let event_episode: Vec<Option<usize>> = events
        .iter()
        .map(|e| {
            e.episode.or_else(|| {
                episodes
                    .iter()
                    .rev()
                    .find(|&&ep| scenario.episodes[ep].start <= e.at)
                    .copied()
            })
        })
        .collect();

    let mut done_by_id: HashMap<&str, Timestamp> = HashMap::new();
    let mut exception_by_id: HashMap<&str, ExceptionNote> = HashMap::new();
    for e in &events {
        match &e.data {
            EventData::DutyDone { duty } => {
                done_by_id.entry(duty.as_str()).or_insert(e.at);
            }
            EventData::Exception { duty, reason, authorised_by } => {
                exception_by_id.entry(duty.as_str()).or_insert_with(|| ExceptionNote {
                    at: e.at,
                    reason: reason.clone(),
                    authorised_by: authorised_by.clone(),
                });
            }
            _ => {}
        }
    }

    let mut applieds: Vec<Applied> = Vec::new();
    let mut firsts: Vec<First> = Vec::new();
    for (position, &ep_index) in episodes.iter().enumerate() {
        let ep = &scenario.episodes[ep_index];
        let day = calendar::local_date(ep.start);
        let ctx = Context::new(scenario, c, episodes, position, &events);
        for a in applied(registry, &c.living_in, &c.responsible_authority, day) {
            used.insert(ProtocolRef {
                id: a.protocol.id.clone(),
                version: a.protocol.version.clone(),
                effective_from: a.protocol.effective_from,
            });
            let applied_index = applieds.len();
            for rule in &a.protocol.rules {
                let Some(authority) = a.authority(rule.applies) else { continue };
                if !static_holds(&rule.when, &ctx) {
                    continue;
                }
                let Some(moment) = trigger_moment(&rule.trigger, &rule.when, ep, &events, ep_index) else {
                    continue;
                };
                firsts.push(First {
                    applied: applied_index,
                    rule,
                    episode: ep_index,
                    authority,
                    triggered_at: moment.at,
                    lapsed: moment.lapsed,
                    window_start: moment.anchor,
                });
            }
            for w in &a.protocol.warnings {
                let Some(authority) = a.authority(w.applies) else { continue };
                if !static_holds(&w.when, &ctx) {
                    continue;
                }
                if let Some(m) = trigger_moment(&w.trigger, &w.when, ep, &events, ep_index) {
                    if !m.lapsed && m.at <= now {
                        warnings.push(Warning {
                            id: format!("{}.{}/{}/{}", a.protocol.id, w.id, c.id, ep.id),
                            child: c.id.clone(),
                            episode: ep.id.clone(),
                            authority: authority.to_string(),
                            at: m.at,
                            what: w.what.clone(),
                            cite: a.protocol.cite(&w.cite),
                        });
                    }
                }
            }
            applieds.push(a);
        }
    }

    // Expand each first occurrence into its chain and judge satisfaction.
    for (fi, first) in firsts.iter().enumerate() {
        let a = &applieds[first.applied];
        let protocol = a.protocol;
        let rule = first.rule;
        let ep = &scenario.episodes[first.episode];
        let base_id = format!("{}.{}/{}/{}", protocol.id, rule.id, c.id, ep.id);
        let due_at = |trigger: Timestamp| -> Timestamp {
            let from = match rule.due_from {
                DueFrom::Trigger => trigger,
                DueFrom::Start => ep.start,
                DueFrom::Return => ep.returned_at.unwrap_or(trigger),
            };
            rule.due.after(from).max(trigger)
        };

        if first.lapsed {
            if options.include_lapsed {
                duties.push(make_duty(
                    &base_id, 1, c.id.as_str(), ep, first.authority, protocol, rule,
                    rule.to.clone(), first.triggered_at, due_at(first.triggered_at),
                    DutyState::Lapsed, None, None,
                ));
            }
            continue;
        }

        // The next time this rule starts afresh for a later episode (for `superseded`).
        let superseded_at = firsts[fi + 1..]
            .iter()
            .filter(|f| std::ptr::eq(f.rule, rule) && !f.lapsed)
            .map(|f| f.triggered_at)
            .min();

        let mut consumed: Vec<usize> = Vec::new();
        let mut occurrence = 1u32;
        let mut triggered_at = first.triggered_at;
        let mut due = due_at(triggered_at);
        let mut window_start = first.window_start;
        loop {
            let id = if occurrence == 1 { base_id.clone() } else { format!("{base_id}#{occurrence}") };
            let to = addressee(protocol, rule, triggered_at);
            let fallback;
            let matchers: &[Matcher] = if rule.satisfied_by_default {
                fallback = notify_matchers(protocol, rule, to.as_deref());
                &fallback
            } else {
                &rule.satisfied_by
            };
            let by_event = events.iter().enumerate().find(|(i, e)| {
                e.at >= window_start
                    && !consumed.contains(i)
                    && (rule.satisfied_in_child || event_episode[*i] == Some(first.episode))
                    && matchers.iter().any(|m| matches(m, &e.data))
            });
            let mut done_at = by_event.map(|(_, e)| e.at);
            if let Some((i, _)) = by_event {
                consumed.push(i);
            }
            if let Some(&t) = done_by_id.get(id.as_str()) {
                done_at = Some(done_at.map_or(t, |d| d.min(t)));
            }
            let exception = exception_by_id.get(id.as_str()).cloned();
            // A later occurrence that was not yet due when the condition ended
            // (the child was found, or a new cycle began) is no longer owed.
            let ended_at = match rule.repeat_until {
                RepeatUntil::Return => ep.returned_at,
                RepeatUntil::Superseded => superseded_at,
            };
            let lapsed = occurrence > 1 && done_at.is_none() && ended_at.is_some_and(|end| end < due);
            if lapsed {
                if options.include_lapsed {
                    duties.push(make_duty(
                        &id, occurrence, c.id.as_str(), ep, first.authority, protocol, rule, to,
                        triggered_at, due, DutyState::Lapsed, None, None,
                    ));
                }
                break;
            }
            let state = if done_at.is_some() {
                DutyState::Done
            } else if exception.is_some() {
                DutyState::Excepted
            } else if triggered_at > now {
                DutyState::Upcoming
            } else if due < now {
                DutyState::Overdue
            } else {
                DutyState::Due
            };
            duties.push(make_duty(
                &id, occurrence, c.id.as_str(), ep, first.authority, protocol, rule, to,
                triggered_at, due, state, done_at, exception,
            ));

            let Some(repeat) = rule.repeat else { break };
            let base = done_at.unwrap_or(due);
            if base > now || occurrence >= MAX_OCCURRENCES {
                break;
            }
            let ended = match rule.repeat_until {
                RepeatUntil::Return => ep.returned_at.is_some_and(|r| r <= base),
                RepeatUntil::Superseded => superseded_at.is_some_and(|s| s <= base),
            };
            if ended {
                break;
            }
            occurrence += 1;
            triggered_at = base;
            window_start = base;
            due = repeat.after(base).max(base);
        }
    }

    child_flags(registry, scenario, child, flags, used);
}

#[allow(clippy::too_many_arguments)]
fn make_duty(
    id: &str,
    occurrence: u32,
    child: &str,
    ep: &Episode,
    authority: &str,
    protocol: &Protocol,
    rule: &Rule,
    to: Option<String>,
    triggered_at: Timestamp,
    due: Timestamp,
    state: DutyState,
    done_at: Option<Timestamp>,
    exception: Option<ExceptionNote>,
) -> Duty {
    Duty {
        id: id.to_string(),
        child: child.to_string(),
        episode: ep.id.clone(),
        authority: authority.to_string(),
        protocol: protocol.id.clone(),
        rule: rule.id.clone(),
        kind: rule.kind,
        what: rule.what.clone(),
        by: rule.by.clone(),
        to,
        triggered_at,
        due,
        state,
        late: done_at.is_some_and(|d| d > due),
        done_at,
        prompt: rule.prompt,
        occurrence,
        cite: protocol.cite(&rule.cite),
        exception,
    }
}

/// Who is told: the `to` role, or its out-of-hours route when the role's
/// service is closed at the moment the duty triggers.
fn addressee(protocol: &Protocol, rule: &Rule, at: Timestamp) -> Option<String> {
    let to = rule.to.as_deref()?;
    let Some(role) = protocol.role(to) else { return Some(to.to_string()) };
    let Some(ooh) = &role.out_of_hours else { return Some(to.to_string()) };
    let local = at.to_zoned(calendar::london().clone());
    let open = role.is_open(local.weekday(), local.time(), calendar::is_bank_holiday(local.date()));
    Some(if open { to.to_string() } else { ooh.clone() })
}

/// A notify rule with no `satisfied_by`: a notification to the role, its
/// out-of-hours route, or whoever it was addressed to.
fn notify_matchers(protocol: &Protocol, rule: &Rule, addressed: Option<&str>) -> Vec<Matcher> {
    let mut to: Vec<String> = rule.to.iter().cloned().collect();
    if let Some(ooh) = rule.to.as_deref().and_then(|t| protocol.role(t)).and_then(|r| r.out_of_hours.clone()) {
        to.push(ooh);
    }
    if let Some(a) = addressed {
        if !to.iter().any(|t| t == a) {
            to.push(a.to_string());
        }
    }
    vec![Matcher {
        event: crate::vocab::EventType::Notified,
        fields: vec![(MatchField::To, to)],
    }]
}

pub(crate) fn matches(m: &Matcher, data: &EventData) -> bool {
    data.event_type() == m.event
        && m.fields.iter().all(|(field, values)| {
            data.field(*field).is_some_and(|v| values.iter().any(|w| w == v))
        })
}

/// When a rule or warning triggers for an episode.
struct Moment {
    at: Timestamp,
    lapsed: bool,
    /// Where the rule counts from (satisfying events are taken from here).
    anchor: Timestamp,
}

fn trigger_moment(
    trigger: &Trigger,
    when: &crate::protocol::Conditions,
    ep: &Episode,
    events: &[&Event],
    ep_index: usize,
) -> Option<Moment> {
    let anchor = match trigger.anchor {
        Anchor::Start => ep.start,
        Anchor::Return => ep.returned_at?,
        Anchor::Event => {
            let m = trigger.event.as_ref()?;
            events
                .iter()
                .find(|e| e.episode == Some(ep_index) && matches(m, &e.data))?
                .at
        }
    };
    let mut t0 = trigger.after.after(anchor);
    if trigger.strictly_after {
        t0 = t0.checked_add(SignedDuration::from_secs(1)).unwrap_or(Timestamp::MAX);
    }
    let ended_before = |t: Timestamp| when.still_missing && ep.returned_at.is_some_and(|r| r < t);
    if ended_before(t0) {
        return Some(Moment { at: t0, lapsed: true, anchor });
    }
    let candidates = std::iter::once(t0).chain(ep.change_times().filter(|&t| t > t0));
    for t in candidates {
        if ended_before(t) {
            break;
        }
        if dynamic_holds(when, ep, t) {
            return Some(Moment { at: t, lapsed: false, anchor });
        }
    }
    // The condition never held while it could: the rule can no longer apply
    // if the episode is over; otherwise it has not (yet) applied.
    if ep.returned_at.is_some() && (when.still_missing || !when.categories.is_empty() || !when.risks.is_empty()) {
        return Some(Moment { at: t0, lapsed: true, anchor });
    }
    None
}

fn child_flags(
    registry: &Registry,
    scenario: &Scenario,
    child: usize,
    flags: &mut Vec<Flag>,
    used: &mut BTreeSet<ProtocolRef>,
) {
    let c = &scenario.children[child];
    let episodes = &scenario.child_episodes[child];
    let Some(&last) = episodes.last() else { return };
    let day = calendar::local_date(scenario.episodes[last].start);
    for a in applied(registry, &c.living_in, &c.responsible_authority, day) {
        used.insert(ProtocolRef {
            id: a.protocol.id.clone(),
            version: a.protocol.version.clone(),
            effective_from: a.protocol.effective_from,
        });
        let authority = a.host.or(a.responsible).unwrap_or_default();
        for f in &a.protocol.flags {
            if let Some(since) = conditions::flag_since(&f.when, scenario, child) {
                flags.push(Flag {
                    child: c.id.clone(),
                    flag: f.id.clone(),
                    since,
                    cite: a.protocol.cite(&f.cite),
                    authority: authority.to_string(),
                    what: f.what.clone(),
                });
            }
        }
    }
}
