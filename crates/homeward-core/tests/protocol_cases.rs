//! Runs every case in `protocols/<id>/cases.toml` as a named test, and checks
//! that every rule, flag and warning of every protocol has a case where it
//! fires and one where it must not.
//!
//! Filter like any test: `cargo test -p homeward-core --test protocol_cases -- newham`.

use homeward_core::engine::{DueSetBy, DutyState, Replay};
use homeward_core::protocol::{DueFrom, DueSource, untimed_due};
use homeward_core::{Options, Registry};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const DEFAULT_START: &str = "2026-03-02T21:00:00Z";

fn protocols_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../protocols")
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();

    // Load every protocol file; an invalid file is a failing trial of its own,
    // and the others are still tested.
    let mut sources = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(protocols_dir()).expect("protocols folder").flatten().map(|d| d.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    for dir in &dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir).expect("protocol folder").flatten().map(|f| f.path()).collect();
        files.sort();
        for f in files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            if f.extension().is_some_and(|e| e == "toml") && name != "cases.toml" {
                let label = format!("protocols/{}/{}", dir.file_name().unwrap().to_string_lossy(), name);
                let text = std::fs::read_to_string(&f).expect("read protocol file");
                match homeward_core::protocol::load(&label, &text) {
                    Ok(_) => sources.push((label, text)),
                    Err(e) => {
                        let msg = e.to_string();
                        trials.push(Trial::test(format!("{label} is valid"), move || Err(msg.into())));
                    }
                }
            }
        }
    }
    let registry = match Registry::from_sources(sources) {
        Ok(r) => Arc::new(r),
        Err(errors) => {
            let msg = errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n");
            trials.push(Trial::test("protocol set is valid", move || Err(msg.into())));
            libtest_mimic::run(&args, trials).exit();
        }
    };

    for dir in &dirs {
        let id = dir.file_name().unwrap().to_string_lossy().to_string();
        let cases_path = dir.join("cases.toml");
        let cases: Vec<Case> = match std::fs::read_to_string(&cases_path) {
            Ok(text) => match parse_cases(&text) {
                Ok(c) => c,
                Err(e) => {
                    trials.push(Trial::test(format!("{id} cases.toml is valid"), move || Err(e.into())));
                    continue;
                }
            },
            Err(_) => Vec::new(),
        };
        // Coverage: every rule, flag and warning of every version has a fires and a silent case.
        {
            let registry = registry.clone();
            let covered: BTreeSet<(String, String, &'static str)> =
                cases.iter().map(|c| (c.target_kind().to_string(), c.target().to_string(), c.expect_word())).collect();
            let id2 = id.clone();
            trials.push(Trial::test(format!("{id} coverage: every rule, flag and warning has a firing and a silent case"), move || {
                let mut missing = Vec::new();
                for p in registry.versions(&id2) {
                    let items = p
                        .rules
                        .iter()
                        .map(|r| ("rule", r.id.clone()))
                        .chain(p.flags.iter().map(|f| ("flag", f.id.clone())))
                        .chain(p.warnings.iter().map(|w| ("warning", w.id.clone())));
                    for (kind, item) in items {
                        for expect in ["fires", "silent"] {
                            if !covered.contains(&(kind.to_string(), item.clone(), expect)) {
                                missing.push(format!("{kind} {item} has no '{expect}' case ({} {})", p.id, p.version));
                            }
                        }
                    }
                }
                missing.sort();
                missing.dedup();
                if missing.is_empty() { Ok(()) } else { Err(missing.join("\n").into()) }
            }));
        }
        for case in cases {
            let registry = registry.clone();
            let protocol = id.clone();
            trials.push(Trial::test(format!("{id} {}", case.name), move || run_case(&registry, &protocol, &case)));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

#[derive(Debug, Clone)]
struct Case {
    name: String,
    rule: Option<String>,
    flag: Option<String>,
    warning: Option<String>,
    expect: bool,
    start: Timestamp,
    child: Map<String, Value>,
    events: Vec<Map<String, Value>>,
    now: String,
    state: Option<String>,
    due: Option<String>,
    /// Who the duty is addressed to (its `to`, after office hours).
    to: Option<String>,
    episode: Option<String>,
    occurrence: u32,
}

impl Case {
    fn target_kind(&self) -> &str {
        if self.rule.is_some() {
            "rule"
        } else if self.flag.is_some() {
            "flag"
        } else {
            "warning"
        }
    }
    fn target(&self) -> &str {
        self.rule.as_deref().or(self.flag.as_deref()).or(self.warning.as_deref()).unwrap_or("")
    }
    fn expect_word(&self) -> &'static str {
        if self.expect { "fires" } else { "silent" }
    }
}

fn toml_to_json(v: &toml::Value) -> Value {
    serde_json::to_value(v).expect("TOML values are JSON values")
}

fn parse_cases(text: &str) -> Result<Vec<Case>, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let list = table.get("case").and_then(|c| c.as_array()).cloned().unwrap_or_default();
    let mut cases = Vec::new();
    let mut names = BTreeSet::new();
    for (i, item) in list.iter().enumerate() {
        let t = item.as_table().ok_or(format!("case #{}: not a table", i + 1))?;
        let s = |k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let name = s("name").ok_or(format!("case #{}: no name", i + 1))?;
        let ctx = |m: &str| format!("case '{name}': {m}");
        if !names.insert(name.clone()) {
            return Err(ctx("the name is used twice"));
        }
        let allowed = ["name", "rule", "flag", "warning", "expect", "start", "child", "events", "now", "state", "due", "to", "episode", "occurrence"];
        if let Some(k) = t.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ctx(&format!("unknown field '{k}'")));
        }
        let targets = ["rule", "flag", "warning"].iter().filter(|k| t.contains_key(**k)).count();
        if targets != 1 {
            return Err(ctx("give exactly one of rule, flag, warning"));
        }
        let expect = match s("expect").as_deref() {
            Some("fires") => true,
            Some("silent") => false,
            _ => return Err(ctx("expect must be \"fires\" or \"silent\"")),
        };
        let start: Timestamp = s("start").as_deref().unwrap_or(DEFAULT_START).parse().map_err(|_| ctx("start is not an RFC 3339 time"))?;
        let child = match t.get("child").map(toml_to_json) {
            Some(Value::Object(m)) => m,
            None => Map::new(),
            _ => return Err(ctx("child must be a table")),
        };
        let events = match t.get("events").map(toml_to_json) {
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::Object(m) => Ok(m),
                    _ => Err(ctx("each event must be a table")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
            _ => return Err(ctx("events must be an array")),
        };
        let now = s("now").ok_or(ctx("now is required"))?;
        cases.push(Case {
            rule: s("rule"),
            flag: s("flag"),
            warning: s("warning"),
            expect,
            start,
            child,
            events,
            now,
            state: s("state"),
            due: s("due"),
            to: s("to"),
            episode: s("episode"),
            occurrence: t.get("occurrence").and_then(|v| v.as_integer()).unwrap_or(1) as u32,
            name,
        });
    }
    Ok(cases)
}

/// `"24h1s"`, `"-3d"`, `"0"`, or an RFC 3339 time.
fn instant(text: &str, start: Timestamp) -> Result<Timestamp, String> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let mut seconds: i64 = 0;
    let mut number = String::new();
    for ch in body.chars() {
        if ch.is_ascii_digit() {
            number.push(ch);
            continue;
        }
        let n: i64 = number.parse().map_err(|_| format!("'{text}' is not an offset like 24h1s"))?;
        number.clear();
        seconds += n * match ch {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return Err(format!("'{text}': unknown unit '{ch}' (d, h, m, s)")),
        };
    }
    if !number.is_empty() {
        if number == "0" && seconds == 0 {
            return Ok(start);
        }
        return Err(format!("'{text}': a number without a unit"));
    }
    let d = SignedDuration::from_secs(if negative { -seconds } else { seconds });
    start.checked_add(d).map_err(|e| e.to_string())
}

fn build_scenario(case: &Case) -> Result<String, String> {
    let start = case.start;
    let mut child = case.child.clone();
    let start_day = start.to_zoned(homeward_core::calendar::london().clone()).date();
    if let Some(age) = child.remove("age") {
        let age = age.as_i64().ok_or("child.age must be a number")?;
        let dob: Date = start_day.checked_sub((age as i32).years()).and_then(|d| d.checked_sub(1.months())).map_err(|e| e.to_string())?;
        child.insert("date_of_birth".into(), json!(dob.to_string()));
    }
    if let Some(dob) = child.remove("dob") {
        child.insert("date_of_birth".into(), dob);
    }
    if let Some(r) = child.remove("responsible") {
        child.insert("responsible_authority".into(), r);
    }
    child.entry("id").or_insert(json!("c1"));
    child.entry("date_of_birth").or_insert_with(|| json!(start_day.checked_sub(14.years()).expect("date").to_string()));
    child.entry("status").or_insert(json!("not_known"));
    let mut events = Vec::new();
    for (i, e) in case.events.iter().enumerate() {
        let mut e = e.clone();
        let at = e.get("at").and_then(|v| v.as_str()).ok_or(format!("events[{i}].at is required"))?;
        let at = instant(at, start).map_err(|m| format!("events[{i}].at: {m}"))?;
        e.insert("at".into(), json!(at.to_string()));
        if let Some(s) = e.get("started_at").and_then(|v| v.as_str()).map(str::to_string) {
            e.insert("started_at".into(), json!(instant(&s, start).map_err(|m| format!("events[{i}].started_at: {m}"))?.to_string()));
        }
        e.entry("child").or_insert(json!("c1"));
        e.entry("episode").or_insert(json!("e1"));
        events.push(Value::Object(e));
    }
    let now = instant(&case.now, start).map_err(|m| format!("now: {m}"))?;
    Ok(json!({"now": now.to_string(), "children": [Value::Object(child)], "events": events}).to_string())
}

fn run_case(registry: &Registry, protocol: &str, case: &Case) -> Result<(), Failed> {
    let json = build_scenario(case)?;
    let result: Replay =
        homeward_core::replay(registry, &json, Options { include_lapsed: true }).map_err(|e| format!("the scenario is not valid: {e}\n{json}"))?;
    let episode = case.episode.clone().unwrap_or_else(|| {
        case.events
            .iter()
            .rfind(|e| e.get("type").and_then(|t| t.as_str()) == Some("reported"))
            .and_then(|e| e.get("episode").and_then(|v| v.as_str()))
            .unwrap_or("e1")
            .to_string()
    });
    let explain = |what: &str| -> Failed {
        let listed: BTreeMap<&str, String> =
            result.duties.iter().map(|d| (d.id.as_str(), format!("{} triggered {} due {}", d.state.as_str(), d.triggered_at, d.due))).collect();
        let mut text = format!("{what}\nduties:\n");
        for (id, s) in listed {
            text.push_str(&format!("  {id}: {s}\n"));
        }
        text.push_str(&format!(
            "flags: {:?}\nwarnings: {:?}\n",
            result.flags.iter().map(|f| &f.flag).collect::<Vec<_>>(),
            result.warnings.iter().map(|w| &w.id).collect::<Vec<_>>()
        ));
        text.into()
    };
    if let Some(rule) = &case.rule {
        let mut id = format!("{protocol}.{rule}/c1/{episode}");
        if case.occurrence > 1 {
            id = format!("{id}#{}", case.occurrence);
        }
        // The rule must exist in the version that judges this case.
        let day = homeward_core::calendar::local_date(case.start);
        let versions: Vec<_> = registry.versions(protocol).collect();
        let in_force = versions.iter().rev().find(|p| p.effective_from <= day).or(versions.first());
        if !in_force.is_some_and(|p| p.rules.iter().any(|r| &r.id == rule)) {
            return Err(format!("rule '{rule}' is not in the {protocol} version in force on {day}").into());
        }
        let duty = result.duties.iter().find(|d| d.id == id);
        let fired = duty.is_some_and(|d| d.state.has_triggered());
        if fired != case.expect {
            return Err(explain(&format!("expected {id} to {}", if case.expect { "fire" } else { "stay silent" })));
        }
        if let Some(d) = duty.filter(|_| case.expect) {
            if let Some(state) = &case.state {
                if d.state.as_str() != state {
                    return Err(explain(&format!("{id}: state {} (expected {state})", d.state.as_str())));
                }
            }
            if let Some(to) = &case.to {
                if d.to.as_deref() != Some(to.as_str()) {
                    return Err(explain(&format!("{id}: addressed to {:?} (expected {to})", d.to)));
                }
            }
            if let Some(due) = &case.due {
                let want = instant(due, case.start)?;
                if d.due != want {
                    return Err(explain(&format!("{id}: due {} (expected {want})", d.due)));
                }
            }
            if d.state == DutyState::Lapsed {
                return Err(explain("lapsed"));
            }
            // Every case that fires checks the deadline's source: a rule the
            // document gives no timescale follows the engine-wide policy and
            // says so; a prompt is never due or overdue.
            if let Some(r) = in_force.and_then(|p| p.rules.iter().find(|r| &r.id == rule)) {
                let reading = r.due_source != DueSource::Document;
                if (d.due_set_by == DueSetBy::Reading) != reading {
                    return Err(explain(&format!(
                        "{id}: due_set_by {} but the rule's deadline is {}",
                        d.due_set_by.as_str(),
                        if reading { "a reading" } else { "the document's" }
                    )));
                }
                if r.due_source == DueSource::Untimed
                    && r.due_from == DueFrom::Trigger
                    && d.occurrence == 1
                    && d.due != untimed_due(r.kind).after(d.triggered_at)
                {
                    return Err(explain(&format!("{id}: an untimed {} is due {} after it applies", r.kind.as_str(), untimed_due(r.kind).describe())));
                }
                if r.prompt && matches!(d.state, DutyState::Due | DutyState::Overdue) {
                    return Err(explain(&format!("{id}: a prompt is {}", d.state.as_str())));
                }
            }
        }
    } else if let Some(flag) = &case.flag {
        let on = result.flags.iter().any(|f| &f.flag == flag && f.cite.starts_with(protocol));
        if on != case.expect {
            return Err(explain(&format!("expected flag {flag} {}", if case.expect { "to hold" } else { "not to hold" })));
        }
    } else if let Some(warning) = &case.warning {
        let id = format!("{protocol}.{warning}/c1/{episode}");
        let raised = result.warnings.iter().any(|w| w.id == id);
        if raised != case.expect {
            return Err(explain(&format!("expected warning {id} {}", if case.expect { "to be raised" } else { "not to be raised" })));
        }
    }
    Ok(())
}
