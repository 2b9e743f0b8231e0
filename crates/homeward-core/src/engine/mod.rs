//! The engine: (protocols, scenario) → duties, flags and warnings.
//!
//! Pure and deterministic. Time is `scenario.now`; nothing is read from the
//! machine. The same scenario always gives the same result, whatever order its
//! events were given in.

mod conditions;
mod output;

pub use output::*;

use crate::calendar;
use crate::protocol::{Anchor, Applies, DueFrom, DueSource, Matcher, Protocol, Registry, RepeatUntil, Rule, Trigger};
use crate::scenario::{Episode, Event, EventData, Scenario};
use crate::vocab::EventType;
use conditions::{Context, Place, dynamic_holds, place_holds, static_holds};
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
    let mut used: Vec<&Protocol> = Vec::new();
    let mut index = EventIndex::new();
    let mut scratch = Scratch::default();
    for child in 0..scenario.children.len() {
        evaluate_child(registry, scenario, child, options, &mut index, &mut scratch, &mut duties, &mut flags, &mut warnings, &mut used);
    }
    sort_duties(&mut duties);
    flags.sort_by(|a: &Flag, b: &Flag| (&a.child, &a.flag, &a.authority).cmp(&(&b.child, &b.flag, &b.authority)));
    warnings.sort_by(|a: &Warning, b: &Warning| (a.at, &a.child, &a.id).cmp(&(b.at, &b.child, &b.id)));
    let used: BTreeSet<ProtocolRef> =
        used.into_iter().map(|p| ProtocolRef { id: p.id.clone(), version: p.version.clone(), effective_from: p.effective_from }).collect();
    Replay { now: scenario.now, protocols: used.into_iter().collect(), duties, flags, warnings }
}

/// Sorts duties by due time, then id (ids are unique; equal ones would keep
/// their order). Duties are large: small keys are sorted, then each duty is
/// moved into place, without a second copy of the list.
fn sort_duties(duties: &mut [Duty]) {
    /// The due time, and the id's first bytes (zero-padded, so that their
    /// order agrees with the ids'), side by side: nearly every comparison is
    /// settled without looking at the duties.
    const INLINE: usize = 48;
    struct Key {
        second: i64,
        nanosecond: i32,
        index: u32,
        id: [u8; INLINE],
    }
    let mut keys: Vec<Key> = duties
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut id = [0u8; INLINE];
            let n = d.id.len().min(INLINE);
            id[..n].copy_from_slice(&d.id.as_bytes()[..n]);
            Key { second: d.due.as_second(), nanosecond: d.due.subsec_nanosecond(), index: i as u32, id }
        })
        .collect();
    {
        let duties = &*duties;
        keys.sort_unstable_by(|a, b| {
            (a.second, a.nanosecond, &a.id)
                .cmp(&(b.second, b.nanosecond, &b.id))
                .then_with(|| duties[a.index as usize].id.cmp(&duties[b.index as usize].id))
                .then(a.index.cmp(&b.index))
        });
    }
    // order[new position] = old position; follow each cycle once.
    let mut order: Vec<u32> = keys.into_iter().map(|k| k.index).collect();
    const DONE: u32 = u32::MAX;
    for start in 0..order.len() {
        if order[start] == DONE {
            continue;
        }
        let mut at = start;
        loop {
            let from = order[at] as usize;
            order[at] = DONE;
            if from == start {
                break;
            }
            duties.swap(at, from);
            at = from;
        }
    }
}

/// One protocol applied to one episode, and whose duties it creates.
struct Applied<'a> {
    protocol: &'a Protocol,
    /// Authority for host-side rules, and for responsible-side rules.
    host: Option<&'a str>,
    responsible: Option<&'a str>,
    /// Where the child was found, when this protocol is applied only
    /// because of it (it covers neither the host nor the responsible
    /// authority): its `applies = "found_in"` rules, under that authority.
    found_in: Option<&'a str>,
}

impl<'a> Applied<'a> {
    fn authority(&self, applies: Applies) -> Option<&'a str> {
        match applies {
            Applies::Host => self.host,
            Applies::Responsible => self.responsible,
            Applies::Both => self.host.or(self.responsible),
            Applies::FoundIn => self.found_in,
        }
    }
}

/// The protocols that apply to a child for an episode starting on `day`:
/// the host's local duties and the responsible authority's own duties; and,
/// when the return says the child was found in an authority whose protocol
/// is neither of those, that protocol's duties to a child of another
/// authority found in its area.
fn applied<'a>(registry: &'a Registry, host: &'a str, responsible: &'a str, found_in: Option<&'a str>, day: jiff::civil::Date) -> Vec<Applied<'a>> {
    let ph = registry.in_force(host, day);
    let pr = registry.in_force(responsible, day);
    let mut out: Vec<Applied<'a>> = match (ph, pr) {
        (Some(h), Some(r)) if h.id == r.id => vec![Applied { protocol: h, host: Some(host), responsible: Some(responsible), found_in: None }],
        (h, r) => h
            .map(|p| Applied { protocol: p, host: Some(host), responsible: None, found_in: None })
            .into_iter()
            .chain(r.map(|p| Applied { protocol: p, host: None, responsible: Some(responsible), found_in: None }))
            .collect(),
    };
    if let Some(f) = found_in {
        if let Some(pf) = registry.in_force(f, day) {
            if !out.iter().any(|a| a.protocol.id == pf.id) {
                out.push(Applied { protocol: pf, host: None, responsible: None, found_in: Some(f) });
            }
        }
    }
    out
}

/// Whose child this is, and where it was found, as the protocol `a` sees it.
fn place(registry: &Registry, a: &Applied, responsible: &str, found_in: Option<&str>) -> Place {
    let id = a.protocol.id.as_str();
    Place { responsible_here: registry.protocol_id_for(responsible) == id, found_here: found_in.map(|f| registry.protocol_id_for(f) == id) }
}

/// Is the duty for one of the authorities the rule names (`duty_authorities`)?
fn for_authority(when: &crate::protocol::Conditions, authority: &str) -> bool {
    when.duty_authorities.is_empty() || when.duty_authorities.iter().any(|a| a == authority)
}

/// Does a rule's `in_hours_of` / `out_of_hours_of` hold at `at`? (Load
/// checks that the role exists and keeps office hours.)
fn hours_hold(protocol: &Protocol, when: &crate::protocol::Conditions, at: Timestamp) -> bool {
    let Some(h) = &when.hours else { return true };
    protocol.role(&h.role).is_none_or(|role| role_open(role, at) == h.open)
}

/// Is a role's service open at `at` (Europe/London; bank holidays closed)?
fn role_open(role: &crate::protocol::Role, at: Timestamp) -> bool {
    let local = calendar::london().to_datetime(at);
    role.is_open(local.weekday(), local.time(), calendar::is_bank_holiday(local.date()))
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

/// A fast, deterministic hasher for the engine's short-lived lookups (duty
/// ids, rule addresses). Nothing is iterated in hash order.
#[derive(Default, Clone, Copy)]
struct QuickHasher(u64);

impl std::hash::Hasher for QuickHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes(c.try_into().expect("eight bytes"));
            h = (h ^ word).wrapping_mul(K).rotate_left(26);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut tail = [0u8; 8];
            tail[..rest.len()].copy_from_slice(rest);
            h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K).rotate_left(26);
        }
        self.0 = h;
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0xf135_7aea_2e62_a9c5).rotate_left(26);
    }

    fn finish(&self) -> u64 {
        // Mix the high bits down: the table takes its bucket from the low ones.
        let h = self.0;
        (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }
}

type QuickMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<QuickHasher>>;

/// Buffers reused from one child to the next, so that each child does not
/// allocate (and free) its own.
#[derive(Default)]
struct Scratch<'r> {
    events: Vec<&'r Event>,
    event_episode: Vec<Option<usize>>,
    interviews: Vec<usize>,
    applieds: Vec<Applied<'r>>,
    firsts: Vec<First<'r>>,
    superseded: Vec<Option<Timestamp>>,
    later: QuickMap<*const Rule, Timestamp>,
    done_by_id: QuickMap<&'r str, Timestamp>,
    exception_by_id: QuickMap<&'r str, ExceptionNote>,
    considered_by_id: QuickMap<&'r str, ConsideredNote>,
    change_times: Vec<Timestamp>,
    consumed: Vec<usize>,
}

/// How many event types there are.
const EVENT_TYPES: usize = EventType::ALL.len();

/// Where to look among "no episode" keys: events the child recorded before
/// any episode.
const NO_EPISODE: u32 = u32::MAX;

/// A child's events, indexed once so that a rule looks only at the events it
/// could match instead of the child's whole history.
struct EventIndex {
    /// Per event type: the child's events of that type (positions in the
    /// child's time-ordered events).
    by_type: Vec<Vec<u32>>,
    /// Per event type: (episode the event belongs to, position), sorted, so
    /// one episode's events of one type are a contiguous, time-ordered run.
    by_episode: Vec<Vec<(u32, u32)>>,
}

impl EventIndex {
    fn new() -> Self {
        EventIndex { by_type: (0..EVENT_TYPES).map(|_| Vec::new()).collect(), by_episode: (0..EVENT_TYPES).map(|_| Vec::new()).collect() }
    }

    fn rebuild(&mut self, events: &[&Event], event_episode: &[Option<usize>]) {
        for list in &mut self.by_type {
            list.clear();
        }
        for list in &mut self.by_episode {
            list.clear();
        }
        for (i, e) in events.iter().enumerate() {
            let t = e.data.event_type() as usize;
            let ep = event_episode[i].map_or(NO_EPISODE, |x| x as u32);
            self.by_type[t].push(i as u32);
            self.by_episode[t].push((ep, i as u32));
        }
        for list in &mut self.by_episode {
            // Positions are already in order; a stable sort by episode keeps them so.
            list.sort_by_key(|&(ep, _)| ep);
        }
    }

    /// The child's events of type `t`, in time order.
    fn of_type(&self, t: EventType) -> impl DoubleEndedIterator<Item = usize> + '_ {
        self.by_type[t as usize].iter().map(|&i| i as usize)
    }

    /// The child's events of type `t` that belong to episode `ep`, in time order.
    fn of_type_in(&self, t: EventType, ep: usize) -> &[(u32, u32)] {
        let list = &self.by_episode[t as usize];
        let ep = ep as u32;
        let lo = list.partition_point(|&(e, _)| e < ep);
        let hi = lo + list[lo..].partition_point(|&(e, _)| e == ep);
        &list[lo..hi]
    }
}

/// What discharges an occurrence of a rule.
enum Satisfiers<'a> {
    Matchers(&'a [Matcher]),
    /// A notify rule with no `satisfied_by`: a notification to the role, its
    /// out-of-hours route, or whoever it was addressed to.
    Notified([Option<&'a str>; 3]),
}

impl Satisfiers<'_> {
    fn types(&self) -> impl Iterator<Item = EventType> + '_ {
        let (matchers, notified): (&[Matcher], bool) = match self {
            Satisfiers::Matchers(m) => (m, false),
            Satisfiers::Notified(_) => (&[], true),
        };
        matchers.iter().map(|m| m.event).chain(notified.then_some(EventType::Notified))
    }

    /// Does an event of type `t` satisfy?
    fn accepts(&self, t: EventType, data: &EventData) -> bool {
        match self {
            Satisfiers::Matchers(ms) => ms.iter().any(|m| m.event == t && matches(m, data)),
            Satisfiers::Notified(to) => match data {
                EventData::Notified { to: got } => to.iter().flatten().any(|w| *w == got.as_str()),
                _ => false,
            },
        }
    }
}

/// Joins text without the formatting machinery (ids and cites are built for
/// every duty).
fn join(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

#[allow(clippy::too_many_arguments)]
fn evaluate_child<'r>(
    registry: &'r Registry,
    scenario: &'r Scenario,
    child: usize,
    options: Options,
    index: &mut EventIndex,
    scratch: &mut Scratch<'r>,
    duties: &mut Vec<Duty>,
    flags: &mut Vec<Flag>,
    warnings: &mut Vec<Warning>,
    used: &mut Vec<&'r Protocol>,
) {
    let c = &scenario.children[child];
    let episodes = &scenario.child_episodes[child];
    let Scratch {
        events,
        event_episode,
        interviews,
        applieds,
        firsts,
        superseded,
        later,
        done_by_id,
        exception_by_id,
        considered_by_id,
        change_times,
        consumed,
    } = scratch;
    events.clear();
    events.extend(scenario.child_events[child].iter().map(|&i| &scenario.events[i]));
    let now = scenario.now;

    // Episode each event belongs to: its own, or for an event recorded
    // without one, the episode the child was on (or had last been on) then:
    // the last to start at or before it (episodes are in start order).
    event_episode.clear();
    event_episode.extend(events.iter().map(|e| {
        e.episode.or_else(|| {
            let n = episodes.partition_point(|&ep| scenario.episodes[ep].start <= e.at);
            n.checked_sub(1).map(|k| episodes[k])
        })
    }));
    index.rebuild(events, event_episode);

    done_by_id.clear();
    exception_by_id.clear();
    considered_by_id.clear();
    for i in index.of_type(EventType::DutyDone).chain(index.of_type(EventType::Exception)).chain(index.of_type(EventType::PromptConsidered)) {
        let e = events[i];
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
            EventData::PromptConsidered { duty, decision, by } => {
                considered_by_id.entry(duty.as_str()).or_insert_with(|| ConsideredNote { at: e.at, decision: decision.clone(), by: by.clone() });
            }
            _ => {}
        }
    }

    interviews.clear();
    interviews.extend(index.of_type(EventType::ReturnInterview));
    applieds.clear();
    firsts.clear();
    for (position, &ep_index) in episodes.iter().enumerate() {
        let ep = &scenario.episodes[ep_index];
        let day = calendar::local_date(ep.start);
        // The last return interview before this episode started.
        let before = interviews.partition_point(|&i| events[i].at < ep.start);
        let previous = before.checked_sub(1).and_then(|k| match &events[interviews[k]].data {
            EventData::ReturnInterview { outcome, .. } => Some(*outcome),
            _ => None,
        });
        let ctx = Context::new(scenario, c, episodes, position, day, previous);
        change_times.clear();
        change_times.extend(ep.change_times());
        let episode = EpisodeFacts { ep, index: ep_index, change_times };
        for a in applied(registry, &c.living_in, &c.responsible_authority, ep.found_in.as_deref(), day) {
            if !used.iter().any(|p| std::ptr::eq(*p, a.protocol)) {
                used.push(a.protocol);
            }
            let applied_index = applieds.len();
            let place = place(registry, &a, &c.responsible_authority, ep.found_in.as_deref());
            for rule in &a.protocol.rules {
                let Some(authority) = a.authority(rule.applies) else { continue };
                if !for_authority(&rule.when, authority) {
                    continue;
                }
                if !static_holds(&rule.when, &ctx) || !place_holds(&rule.when, place) {
                    continue;
                }
                let Some(moment) = trigger_moment(&rule.trigger, &rule.when, &episode, events, index) else {
                    continue;
                };
                // Office hours are judged at the moment the rule applies, once
                // its other conditions hold: not searched for later.
                if !hours_hold(a.protocol, &rule.when, moment.at) {
                    continue;
                }
                firsts.push(First {
                    applied: applied_index,
                    rule,
                    episode: ep_index,
                    authority,
                    triggered_at: moment.at,
                    lapsed: moment.lapsed,
                    // Done after it applied: an event counts from the
                    // trigger, unless the rule opts in (with a reading) to
                    // acts recorded earlier in the episode.
                    window_start: if rule.satisfied_before.is_some() { moment.anchor } else { moment.at },
                });
            }
            for w in &a.protocol.warnings {
                let Some(authority) = a.authority(w.applies) else { continue };
                if !for_authority(&w.when, authority) {
                    continue;
                }
                if !static_holds(&w.when, &ctx) || !place_holds(&w.when, place) {
                    continue;
                }
                if let Some(m) = trigger_moment(&w.trigger, &w.when, &episode, events, index) {
                    if !m.lapsed && m.at <= now && hours_hold(a.protocol, &w.when, m.at) {
                        warnings.push(Warning {
                            id: join(&[&a.protocol.id, ".", &w.id, "/", &c.id, "/", &ep.id]),
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

    // The next time each rule starts afresh for a later episode (for
    // `superseded`): one pass from the end instead of a scan per rule.
    superseded.clear();
    superseded.resize(firsts.len(), None);
    {
        later.clear();
        for (fi, f) in firsts.iter().enumerate().rev() {
            let key: *const Rule = f.rule;
            superseded[fi] = later.get(&key).copied();
            if !f.lapsed {
                later.entry(key).and_modify(|t| *t = (*t).min(f.triggered_at)).or_insert(f.triggered_at);
            }
        }
    }

    // Expand each first occurrence into its chain and judge satisfaction.
    for (fi, first) in firsts.iter().enumerate() {
        let a = &applieds[first.applied];
        let protocol = a.protocol;
        let rule = first.rule;
        let ep = &scenario.episodes[first.episode];
        let mut base_id = join(&[&protocol.id, ".", &rule.id, "/", &c.id, "/", &ep.id]);
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
                    base_id,
                    1,
                    c.id.as_str(),
                    ep,
                    first.authority,
                    protocol,
                    rule,
                    rule.to.clone(),
                    first.triggered_at,
                    due_at(first.triggered_at),
                    DutyState::Lapsed,
                    None,
                    None,
                    None,
                ));
            }
            continue;
        }

        let superseded_at = superseded[fi];
        let ooh = rule.to.as_deref().and_then(|t| protocol.role(t)).and_then(|r| r.out_of_hours.as_deref());

        consumed.clear();
        let mut occurrence = 1u32;
        let mut triggered_at = first.triggered_at;
        let mut due = due_at(triggered_at);
        let mut window_start = first.window_start;
        loop {
            let id = if occurrence > 1 {
                format!("{base_id}#{occurrence}")
            } else if rule.repeat.is_some() {
                base_id.clone()
            } else {
                // The only occurrence: the id itself, not a copy.
                std::mem::take(&mut base_id)
            };
            let to = addressee(protocol, rule, triggered_at);
            let satisfiers = if rule.satisfied_by_default {
                Satisfiers::Notified([rule.to.as_deref(), ooh, to.as_deref()])
            } else {
                Satisfiers::Matchers(&rule.satisfied_by)
            };
            let by_event = first_satisfying(&satisfiers, events, index, window_start, consumed, (!rule.satisfied_in_child).then_some(first.episode));
            let mut done_at = by_event.map(|i| events[i].at);
            if let Some(i) = by_event {
                consumed.push(i);
            }
            if !done_by_id.is_empty() {
                if let Some(&t) = done_by_id.get(id.as_str()) {
                    done_at = Some(done_at.map_or(t, |d| d.min(t)));
                }
            }
            let exception = if exception_by_id.is_empty() { None } else { exception_by_id.get(id.as_str()).cloned() };
            // Only a prompt is considered; on a firm duty the event is kept
            // out of the result (duty_done or exception close those).
            let considered = if !rule.prompt || considered_by_id.is_empty() { None } else { considered_by_id.get(id.as_str()).cloned() };
            let dismissed_at = considered.as_ref().filter(|c| c.decision == "dismissed").map(|c| c.at);
            if let Some(c) = considered.as_ref().filter(|c| c.decision == "confirmed") {
                done_at = Some(done_at.map_or(c.at, |d| d.min(c.at)));
            }
            // A later occurrence that was not yet due when the condition ended
            // (the child was found, or a new cycle began) is no longer owed.
            let ended_at = match rule.repeat_until {
                RepeatUntil::Return => ep.returned_at,
                RepeatUntil::Superseded => superseded_at,
            };
            let lapsed = occurrence > 1 && done_at.is_none() && dismissed_at.is_none() && ended_at.is_some_and(|end| end < due);
            if lapsed {
                if options.include_lapsed {
                    duties.push(make_duty(
                        id,
                        occurrence,
                        c.id.as_str(),
                        ep,
                        first.authority,
                        protocol,
                        rule,
                        to,
                        triggered_at,
                        due,
                        DutyState::Lapsed,
                        None,
                        None,
                        None,
                    ));
                }
                break;
            }
            let state = if done_at.is_some() {
                DutyState::Done
            } else if dismissed_at.is_some() {
                DutyState::Dismissed
            } else if exception.is_some() {
                DutyState::Excepted
            } else if triggered_at > now {
                DutyState::Upcoming
            } else if rule.prompt {
                // A prompt asks for judgement: it waits to be considered and is
                // never overdue (nor notified or escalated as overdue).
                DutyState::ToConsider
            } else if due < now {
                DutyState::Overdue
            } else {
                DutyState::Due
            };
            duties.push(make_duty(
                id,
                occurrence,
                c.id.as_str(),
                ep,
                first.authority,
                protocol,
                rule,
                to,
                triggered_at,
                due,
                state,
                done_at,
                exception,
                considered,
            ));

            let Some(repeat) = rule.repeat else { break };
            let base = done_at.or(dismissed_at).unwrap_or(due);
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

/// The first event (position in the child's events) at or after
/// `window_start`, not already consumed by an earlier occurrence, that
/// satisfies: within `episode`, or anywhere in the child's history if `None`.
fn first_satisfying(
    satisfiers: &Satisfiers,
    events: &[&Event],
    index: &EventIndex,
    window_start: Timestamp,
    consumed: &[usize],
    episode: Option<usize>,
) -> Option<usize> {
    let mut best: Option<usize> = None;
    let mut seen: [bool; EVENT_TYPES] = [false; EVENT_TYPES];
    for t in satisfiers.types() {
        if std::mem::replace(&mut seen[t as usize], true) {
            continue;
        }
        let ok = |i: usize| !consumed.contains(&i) && satisfiers.accepts(t, &events[i].data);
        let found = match episode {
            None => {
                let list = &index.by_type[t as usize];
                let from = list.partition_point(|&i| events[i as usize].at < window_start);
                list[from..].iter().map(|&i| i as usize).take_while(|&i| best.is_none_or(|b| i < b)).find(|&i| ok(i))
            }
            Some(ep) => {
                let list = index.of_type_in(t, ep);
                let from = list.partition_point(|&(_, i)| events[i as usize].at < window_start);
                list[from..].iter().map(|&(_, i)| i as usize).take_while(|&i| best.is_none_or(|b| i < b)).find(|&i| ok(i))
            }
        };
        if let Some(i) = found {
            best = Some(best.map_or(i, |b| b.min(i)));
        }
    }
    best
}

#[allow(clippy::too_many_arguments)]
fn make_duty(
    id: String,
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
    considered: Option<ConsideredNote>,
) -> Duty {
    Duty {
        id,
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
        due_set_by: match rule.due_source {
            DueSource::Document => DueSetBy::Protocol,
            DueSource::Untimed | DueSource::Reading(_) => DueSetBy::Reading,
        },
        state,
        // A prompt has no deadline to miss: it is considered, never late.
        late: !rule.prompt && done_at.is_some_and(|d| d > due),
        done_at,
        prompt: rule.prompt,
        occurrence,
        cite: protocol.cite(&rule.cite),
        exception: exception.map(Box::new),
        considered: considered.map(Box::new),
    }
}

/// Who is told: the `to` role, or its out-of-hours route when the role's
/// service is closed at the moment the duty triggers.
fn addressee(protocol: &Protocol, rule: &Rule, at: Timestamp) -> Option<String> {
    let to = rule.to.as_deref()?;
    let Some(role) = protocol.role(to) else { return Some(to.to_string()) };
    let Some(ooh) = &role.out_of_hours else { return Some(to.to_string()) };
    Some(if role_open(role, at) { to.to_string() } else { ooh.clone() })
}

pub(crate) fn matches(m: &Matcher, data: &EventData) -> bool {
    data.event_type() == m.event && m.fields.iter().all(|(field, values)| data.field(*field).is_some_and(|v| values.iter().any(|w| w == v)))
}

/// When a rule or warning triggers for an episode.
struct Moment {
    at: Timestamp,
    lapsed: bool,
    /// Where the rule counts from (satisfying events are taken from here).
    anchor: Timestamp,
}

/// What trigger moments need to know about one episode, worked out once.
struct EpisodeFacts<'a> {
    ep: &'a Episode,
    index: usize,
    /// Moments at which the category or risk changed, in time order.
    change_times: &'a [Timestamp],
}

fn trigger_moment(trigger: &Trigger, when: &crate::protocol::Conditions, facts: &EpisodeFacts, events: &[&Event], index: &EventIndex) -> Option<Moment> {
    let ep = facts.ep;
    let ep_index = facts.index;
    let anchor = match trigger.anchor {
        Anchor::Start => ep.start,
        Anchor::Return => ep.returned_at?,
        Anchor::Event => {
            let m = trigger.event.as_ref()?;
            // The first event recorded against the episode itself that matches.
            index.of_type_in(m.event, ep_index).iter().map(|&(_, i)| events[i as usize]).find(|e| e.episode == Some(ep_index) && matches(m, &e.data))?.at
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
    let candidates = std::iter::once(t0).chain(facts.change_times.iter().copied().filter(|&t| t > t0));
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

fn child_flags<'r>(registry: &'r Registry, scenario: &'r Scenario, child: usize, flags: &mut Vec<Flag>, used: &mut Vec<&'r Protocol>) {
    let c = &scenario.children[child];
    let episodes = &scenario.child_episodes[child];
    let Some(&last) = episodes.last() else { return };
    let day = calendar::local_date(scenario.episodes[last].start);
    for a in applied(registry, &c.living_in, &c.responsible_authority, None, day) {
        if !used.iter().any(|p| std::ptr::eq(*p, a.protocol)) {
            used.push(a.protocol);
        }
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
