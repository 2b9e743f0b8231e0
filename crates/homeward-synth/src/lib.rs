//! Deterministic synthetic replay scenarios, calibrated to published figures.
//!
//! Same configuration and seed, same file, byte for byte: the generator uses
//! its own small PRNG (SplitMix64) and never reads the clock.
//!
//! Calibration (see README "Synthetic data"):
//! - a minority of children account for most episodes: each child's rate is
//!   log-normal (σ = 1.2), so about 6% of children make about a third of episodes;
//! - looked-after children are about 22% of missing children and go missing
//!   about 6.8 times a year on average (DfE), others about twice;
//! - ages peak at 14–16; most episodes end within 24 hours, about 90% within
//!   48 hours, with a long tail of multi-day episodes;
//! - looked-after episodes: 45% children's homes, 11% semi-independent, 25% foster care;
//! - follow-up (checks, return interviews, meetings, notifications) comes from
//!   the protocols' own duties: done on time, late, or not at all; return
//!   interviews are on time for about 63%.

mod rng;

use homeward_core::engine::DutyState;
use homeward_core::protocol::Registry;
use homeward_core::scenario::MatchField;
use homeward_core::vocab::EventType;
use jiff::{SignedDuration, Timestamp, ToSpan};
use rng::Rng;
use serde::Serialize;
use std::io::Write;

/// The eight authorities of the five partnerships.
pub const AUTHORITIES: &[&str] =
    &["bath-and-north-east-somerset", "blackburn-with-darwen", "blackpool", "lancashire", "newham", "derby", "derbyshire", "bolton"];

/// Relative numbers of missing children (population and rate combined).
const AUTHORITY_WEIGHTS: &[(&str, f64)] = &[
    ("bath-and-north-east-somerset", 5.0),
    ("blackburn-with-darwen", 7.0),
    ("blackpool", 8.0),
    ("lancashire", 25.0),
    ("newham", 16.0),
    ("derby", 7.0),
    ("derbyshire", 15.0),
    ("bolton", 12.0),
];

/// Authorities outside the five partnerships, where children are sometimes placed.
const OUTSIDE: &[&str] = &["manchester", "kent", "birmingham", "cornwall", "leeds"];

#[derive(Debug, Clone)]
pub struct Config {
    pub children: u32,
    pub days: u32,
    pub seed: u64,
    pub authorities: Vec<String>,
    /// The end of the generated period; default 2026-01-01T00:00:00Z.
    pub now: Option<Timestamp>,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("--children must be at least 1")]
    NoChildren,
    #[error("--days must be between 1 and 3660")]
    Days,
    #[error("--authority: '{0}' is not a valid authority id")]
    Authority(String),
    #[error("the built-in protocols are not valid: {0}")]
    Protocols(String),
    #[error("internal error: the generated scenario is not valid: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub now: Timestamp,
    pub children: Vec<Child>,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Child {
    pub id: String,
    pub date_of_birth: String,
    pub status: &'static str,
    pub responsible_authority: String,
    pub living_in: String,
    pub flags: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Event {
    pub at: Timestamp,
    pub child: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub episode: Option<String>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with_others: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_by: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub independent: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The event's `kind` (meeting, assessment or plan kind).
    #[serde(rename = "kind", skip_serializing_if = "Option::is_none")]
    pub kind_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duty: Option<String>,
}

/// Writes the scenario as JSON.
pub fn write_json(s: &Scenario, w: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer(w, s).map_err(std::io::Error::other)
}

/// Generates a scenario.
pub fn generate(config: &Config) -> Result<Scenario, GenerateError> {
    if config.children == 0 {
        return Err(GenerateError::NoChildren);
    }
    if config.days == 0 || config.days > 3660 {
        return Err(GenerateError::Days);
    }
    for a in &config.authorities {
        if homeward_core::vocab::check_id(a, "authority id").is_err() {
            return Err(GenerateError::Authority(a.clone()));
        }
    }
    let now = config.now.unwrap_or_else(|| Timestamp::from_second(1_767_225_600).expect("2026-01-01"));
    let begin = now.checked_sub(SignedDuration::from_hours(i64::from(config.days) * 24)).map_err(|_| GenerateError::Days)?;
    let mut rng = Rng::new(config.seed);
    let weights: Vec<(String, f64)> = config
        .authorities
        .iter()
        .map(|a| {
            let w = AUTHORITY_WEIGHTS.iter().find(|(id, _)| id == a).map(|(_, w)| *w).unwrap_or(10.0);
            (a.clone(), w)
        })
        .collect();

    let mut children = Vec::with_capacity(config.children as usize);
    let mut events = Vec::new();
    for n in 0..config.children {
        let (child, mut evs) = child_history(&mut rng, n, &weights, &config.authorities, begin, now, config.days);
        children.push(child);
        events.append(&mut evs);
    }
    add_companions(&mut rng, &children, &mut events);
    events.sort_by(|a, b| (a.at, &a.child).cmp(&(b.at, &b.child)));
    let mut scenario = Scenario { now, children, events };
    follow_up(&mut rng, &mut scenario)?;
    scenario.events.sort_by(|a, b| (a.at, &a.child).cmp(&(b.at, &b.child)));
    Ok(scenario)
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [(T, f64)]) -> &'a T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.f64() * total;
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1].0
}

fn hours(h: f64) -> SignedDuration {
    SignedDuration::from_secs((h * 3600.0).round() as i64)
}

#[allow(clippy::too_many_arguments)]
fn child_history(rng: &mut Rng, n: u32, weights: &[(String, f64)], authorities: &[String], begin: Timestamp, now: Timestamp, days: u32) -> (Child, Vec<Event>) {
    let id = format!("c{:06}", n + 1);
    let status = *pick(rng, &[("looked_after", 22.0), ("child_protection", 8.0), ("child_in_need", 12.0), ("early_help", 10.0), ("not_known", 48.0)]);
    let lac = status == "looked_after";
    let age: i32 = *pick(rng, &[(8, 1.0), (9, 1.0), (10, 2.0), (11, 3.0), (12, 5.0), (13, 9.0), (14, 15.0), (15, 20.0), (16, 22.0), (17, 14.0)]);
    let start_day = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let dob = start_day.checked_sub(age.years()).and_then(|d| d.checked_sub((rng.below(365) as i32).days())).unwrap_or(start_day);
    let responsible = pick(rng, weights).clone();
    let living_in = if lac && rng.chance(0.30) {
        if rng.chance(0.6) && authorities.len() > 1 {
            let others: Vec<&String> = authorities.iter().filter(|a| **a != responsible).collect();
            others[rng.below(others.len() as u64) as usize].clone()
        } else {
            OUTSIDE[rng.below(OUTSIDE.len() as u64) as usize].to_string()
        }
    } else {
        responsible.clone()
    };
    let mut flags = Vec::new();
    for (flag, p) in [("cse_risk", 0.10), ("cce_risk", 0.12), ("additional_needs", 0.08), ("mental_health_patient", 0.03)] {
        if rng.chance(p) {
            flags.push(flag);
        }
    }
    if lac {
        if rng.chance(0.02) {
            flags.push("trafficking_risk");
        }
        match *pick(rng, &[("in_residential_home", 45.0), ("in_semi_independent", 11.0), ("in_foster_care", 25.0), ("", 19.0)]) {
            "" => {}
            f => flags.push(f),
        }
    }

    // Episodes: a heavy-tailed personal rate; at least one episode each.
    let mean_per_year = if lac { 6.8 } else { 2.0 };
    let personal = rng.lognormal(-0.72, 1.2); // mean 1
    let lambda = mean_per_year * personal * f64::from(days) / 365.0;
    let count = rng.poisson(lambda).clamp(1, 400);
    let span = now.duration_since(begin).as_secs_f64();
    let mut starts: Vec<Timestamp> = (0..count).map(|_| begin.checked_add(SignedDuration::from_secs_f64(rng.f64() * span)).unwrap_or(begin)).collect();
    starts.sort();

    let mut events = Vec::new();
    let mut free_from = begin;
    for (k, start) in starts.into_iter().enumerate() {
        let start = start.max(free_from);
        if start >= now {
            break;
        }
        let start = Timestamp::from_second(start.as_second()).unwrap_or(start);
        let episode = format!("e{}", k + 1);
        let category = if lac {
            *pick(rng, &[("missing", 80.0), ("away_from_placement", 12.0), ("absent", 8.0)])
        } else {
            *pick(rng, &[("missing", 92.0), ("absent", 8.0)])
        };
        let risk = if category == "absent" {
            *pick(rng, &[("no_apparent_risk", 60.0), ("low", 40.0)])
        } else {
            *pick(rng, &[("high", 12.0), ("medium", 70.0), ("low", 18.0)])
        };
        let duration_h = match *pick(rng, &[(0, 60.0), (1, 30.0), (2, 10.0)]) {
            0 => rng.lognormal(6.0f64.ln(), 0.8),
            1 => rng.lognormal(20.0f64.ln(), 0.8),
            _ => rng.lognormal(60.0f64.ln(), 1.0),
        }
        .clamp(0.25, 24.0 * 60.0);
        let end = start.checked_add(hours(duration_h)).unwrap_or(now);
        let ev = |at: Timestamp, kind: &'static str| Event { at, child: id.clone(), episode: Some(episode.clone()), kind, ..Event::default() };
        events.push(Event { category: Some(category), risk: Some(risk), ..ev(start, "reported") });
        if category == "absent" && duration_h > 24.0 && rng.chance(0.6) {
            let at = start.checked_add(hours(24.0)).unwrap_or(start);
            if at < now {
                events.push(Event { category: Some("missing"), ..ev(at, "recategorised") });
            }
        }
        if rng.chance(0.10) {
            let at = start.checked_add(hours(duration_h * rng.f64() * 0.5)).unwrap_or(start);
            if at < now && at < end {
                let regraded = if rng.chance(0.6) { "high" } else { "medium" };
                events.push(Event { risk: Some(regraded), ..ev(at, "risk_graded") });
            }
        }
        if rng.chance(0.02) {
            let at = start.checked_add(hours(duration_h * 0.5)).unwrap_or(start);
            if at < now {
                events.push(ev(at, "significant_harm"));
            }
        }
        if end <= now {
            let found_by = *pick(rng, &[("police", 35.0), ("carer", 25.0), ("self", 30.0), ("parent", 10.0)]);
            events.push(Event { found_by: Some(found_by), ..ev(end, "returned") });
            free_from = end.checked_add(hours(1.0 + rng.f64() * 24.0)).unwrap_or(end);
        } else {
            break; // still missing at `now`
        }
    }
    let child = Child { id, date_of_birth: dob.to_string(), status, responsible_authority: responsible, living_in, flags };
    (child, events)
}

/// About 8% of reports name other children missing at the same time.
fn add_companions(rng: &mut Rng, children: &[Child], events: &mut [Event]) {
    if children.len() < 2 {
        return;
    }
    for e in events.iter_mut().filter(|e| e.kind == "reported") {
        if rng.chance(0.08) {
            let other = &children[rng.below(children.len() as u64) as usize].id;
            if *other != e.child {
                e.with_others = Some(vec![other.clone()]);
            }
        }
    }
}

/// Records the follow-up the protocols ask for: each duty done on time, late,
/// or not at all, with rates by kind of duty.
fn follow_up(rng: &mut Rng, scenario: &mut Scenario) -> Result<(), GenerateError> {
    let registry = Registry::builtin().map_err(|e| GenerateError::Protocols(e.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("; ")))?;
    let mut json = Vec::new();
    write_json(scenario, &mut json).map_err(|e| GenerateError::Invalid(e.to_string()))?;
    let text = String::from_utf8(json).map_err(|e| GenerateError::Invalid(e.to_string()))?;
    let result = homeward_core::replay(&registry, &text, homeward_core::Options::default()).map_err(|e| GenerateError::Invalid(e.to_string()))?;
    let now = scenario.now;
    let mut extra = Vec::new();
    for duty in &result.duties {
        if duty.state != DutyState::Overdue && duty.state != DutyState::Due {
            continue;
        }
        if duty.occurrence > 1 {
            continue;
        }
        let rule = registry.versions(&duty.protocol).flat_map(|p| p.rules.iter()).find(|r| r.id == duty.rule);
        let Some(rule) = rule else { continue };
        let (on_time, late) = match duty.kind.as_str() {
            "interview" => (0.63, 0.25),
            "check" => (0.80, 0.12),
            "notify" | "alert" => (0.75, 0.15),
            "meeting" => (0.60, 0.25),
            _ => (0.55, 0.20),
        };
        let roll = rng.f64();
        let at = if roll < on_time {
            let window = duty.due.duration_since(duty.triggered_at).as_secs_f64().max(0.0);
            duty.triggered_at.checked_add(SignedDuration::from_secs_f64(rng.f64() * window)).unwrap_or(duty.due)
        } else if roll < on_time + late {
            duty.due.checked_add(hours(1.0 + rng.f64() * 120.0)).unwrap_or(duty.due)
        } else {
            continue;
        };
        let at = Timestamp::from_second(at.as_second()).unwrap_or(at);
        if at > now {
            continue;
        }
        let base = Event { at, child: duty.child.clone(), episode: Some(duty.episode.clone()), ..Event::default() };
        let matcher = rule.satisfied_by.first();
        let event = match matcher {
            None if rule.satisfied_by_default => Event { kind: "notified", to: duty.to.clone(), ..base },
            Some(m)
                if !matches!(
                    m.event,
                    EventType::Reported | EventType::Recategorised | EventType::RiskGraded | EventType::Returned | EventType::DutyDone | EventType::Exception
                ) =>
            {
                let value = |f: MatchField| m.fields.iter().find(|(n, _)| *n == f).and_then(|(_, v)| v.first().cloned());
                let mut e = Event { kind: m.event.as_str(), ..base };
                match m.event {
                    EventType::Notified => e.to = value(MatchField::To).or(duty.to.clone()),
                    EventType::SafeAndWellCheck => e.by = Some(value(MatchField::By).unwrap_or_else(|| "police".into())),
                    EventType::ReturnInterview => {
                        e.outcome = Some(*pick(rng, &[("completed", 78.0), ("declined", 14.0), ("no_contact", 8.0)]));
                        if let Some(o) = value(MatchField::Outcome) {
                            e.outcome = ["completed", "declined", "no_contact"].into_iter().find(|x| *x == o);
                        }
                        e.independent = Some(rng.chance(0.8));
                    }
                    EventType::StrategyMeeting => e.kind_of = value(MatchField::Kind),
                    EventType::Meeting | EventType::Assessment | EventType::PlanUpdated => {
                        e.kind_of = Some(value(MatchField::Kind).unwrap_or_else(|| "review".into()));
                    }
                    _ => {}
                }
                e
            }
            _ => Event { kind: "duty_done", duty: Some(duty.id.clone()), ..base },
        };
        extra.push(event);
    }
    scenario.events.extend(extra);
    Ok(())
}
