//! Reading a protocol file: TOML in, a validated [`Protocol`] out, or an
//! error naming the file, the entry and the field.

use super::model::*;
use crate::duration::Duration;
use crate::scenario::MatchField;
use crate::vocab::{self, Agency, Category, DutyKind, EventType, Outcome, RetainedRecord, Risk, Status};
use jiff::civil::{Date, Time, Weekday};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;

/// A protocol file that is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ProtocolError {
    pub file: String,
    /// `rule 9-2.notify-hos`, `role social_worker`, `protocol`.
    pub item: String,
    pub field: String,
    pub message: String,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.item)?;
        if !self.field.is_empty() {
            write!(f, ": `{}`", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

struct Ctx<'a> {
    file: &'a str,
    item: String,
}

impl Ctx<'_> {
    fn err(&self, field: &str, message: impl Into<String>) -> ProtocolError {
        ProtocolError { file: self.file.to_string(), item: self.item.clone(), field: field.to_string(), message: message.into() }
    }
}

// ------------------------------------------------------------- file shapes

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderDef {
    id: String,
    title: String,
    version: String,
    effective_from: String,
    authorities: Vec<String>,
    document: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleDef {
    id: String,
    name: String,
    agency: String,
    #[serde(default)]
    office_hours: Vec<String>,
    out_of_hours: Option<String>,
    manager: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadingDef {
    id: String,
    cite: String,
    text: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WindowDef {
    count: usize,
    days: Option<u32>,
    #[serde(default)]
    categories: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WhenDef {
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    risks: Vec<String>,
    #[serde(default)]
    statuses: Vec<String>,
    age_min: Option<i16>,
    age_max: Option<i16>,
    #[serde(default)]
    flags_any: Vec<String>,
    #[serde(default)]
    flags_all: Vec<String>,
    #[serde(default)]
    flags_none: Vec<String>,
    out_of_area: Option<bool>,
    with_others: Option<bool>,
    #[serde(default)]
    still_missing: bool,
    episodes_in_window: Option<WindowDef>,
    #[serde(default)]
    earlier_episodes: usize,
    #[serde(default)]
    previous_return_interview: Vec<String>,
    #[serde(default)]
    found_by_none: Vec<String>,
    #[serde(default)]
    currently_missing: bool,
    in_hours_of: Option<String>,
    out_of_hours_of: Option<String>,
    responsible_in_partnership: Option<bool>,
    #[serde(default)]
    responsible_authorities: Vec<String>,
    #[serde(default)]
    host_authorities: Vec<String>,
    #[serde(default)]
    duty_authorities: Vec<String>,
    found_in_partnership: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    id: String,
    cite: Option<String>,
    quote: Option<String>,
    kind: String,
    what: String,
    by: String,
    to: Option<String>,
    #[serde(default)]
    prompt: bool,
    applies: Option<String>,
    trigger: Option<String>,
    after: Option<String>,
    #[serde(default)]
    strictly_after: bool,
    trigger_event: Option<toml::Table>,
    due: Option<String>,
    due_reading: Option<String>,
    due_from: Option<String>,
    repeat: Option<String>,
    repeat_until: Option<String>,
    satisfied_by: Option<Vec<toml::Table>>,
    satisfied_in: Option<String>,
    satisfied_before: Option<String>,
    reading: Option<String>,
    #[serde(default)]
    when: WhenDef,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlagDef {
    id: String,
    cite: Option<String>,
    quote: Option<String>,
    what: String,
    #[serde(default)]
    when: WhenDef,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WarningDef {
    id: String,
    cite: Option<String>,
    quote: Option<String>,
    what: String,
    applies: Option<String>,
    trigger: Option<String>,
    after: Option<String>,
    #[serde(default)]
    strictly_after: bool,
    trigger_event: Option<toml::Table>,
    #[serde(default)]
    when: WhenDef,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionDef {
    id: String,
    record: String,
    keep: String,
    review_by: Option<String>,
    cite: Option<String>,
    quote: Option<String>,
    reading: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckDef {
    id: String,
    ask: String,
    only_if: Option<String>,
    cite: Option<String>,
    quote: Option<String>,
}

const TOP_LEVEL: &[&str] = &["protocol", "role", "reading", "rule", "flag", "warning", "retention", "check"];

// ------------------------------------------------------------- loading

/// Parses and validates one protocol file. `file` names it in errors.
pub fn load(file: &str, text: &str) -> Result<Protocol, ProtocolError> {
    let top = Ctx { file, item: "file".into() };
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| top.err("", format!("not valid TOML: {}", e.message())))?;
    if let Some(key) = table.keys().find(|k| !TOP_LEVEL.contains(&k.as_str())) {
        return Err(top.err(key, format!("unknown section (expected one of: {})", TOP_LEVEL.join(", "))));
    }

    let header_ctx = Ctx { file, item: "protocol".into() };
    let header_value = table.get("protocol").ok_or_else(|| header_ctx.err("", "the [protocol] section is missing"))?;
    let header: HeaderDef = de(header_value, &header_ctx)?;
    vocab::check_id(&header.id, "protocol id").map_err(|m| header_ctx.err("id", m))?;
    let effective_from: Date = header.effective_from.parse().map_err(|_| header_ctx.err("effective_from", "not a date (YYYY-MM-DD)"))?;
    if header.authorities.is_empty() {
        return Err(header_ctx.err("authorities", "must name at least one authority"));
    }
    for a in &header.authorities {
        if a != "*" {
            vocab::check_id(a, "authority id").map_err(|m| header_ctx.err("authorities", m))?;
        }
    }
    nonempty(&header.title, "title", &header_ctx)?;
    nonempty(&header.version, "version", &header_ctx)?;

    let roles = array::<RoleDef>(&table, "role", file)?.into_iter().map(|(ctx, def)| role(def, &ctx)).collect::<Result<Vec<_>, _>>()?;
    unique(roles.iter().map(|r| r.id.as_str()), "role", file)?;
    for r in &roles {
        let ctx = Ctx { file, item: format!("role {}", r.id) };
        for (field, target) in [("out_of_hours", &r.out_of_hours), ("manager", &r.manager)] {
            if let Some(t) = target {
                if !roles.iter().any(|x| &x.id == t) {
                    return Err(ctx.err(field, format!("unknown role '{t}'")));
                }
            }
        }
    }

    let readings = array::<ReadingDef>(&table, "reading", file)?
        .into_iter()
        .map(|(ctx, def)| {
            vocab::check_id(&def.id, "reading id").map_err(|m| ctx.err("id", m))?;
            nonempty(&def.text, "text", &ctx)?;
            Ok(Reading { id: def.id, cite: def.cite, text: def.text })
        })
        .collect::<Result<Vec<_>, ProtocolError>>()?;
    unique(readings.iter().map(|r| r.id.as_str()), "reading", file)?;

    let known_role = |ctx: &Ctx, field: &str, id: &str| -> Result<(), ProtocolError> {
        if roles.iter().any(|r| r.id == id) { Ok(()) } else { Err(ctx.err(field, format!("unknown role '{id}' (declare it in a [[role]])"))) }
    };

    let mut rules = Vec::new();
    for (ctx, def) in array::<RuleDef>(&table, "rule", file)? {
        let rule = rule(def, &ctx)?;
        place(&rule.when, Some((&rule.trigger, rule.applies)), &roles, &header.authorities, &ctx)?;
        known_role(&ctx, "by", &rule.by)?;
        if let Some(to) = &rule.to {
            known_role(&ctx, "to", to)?;
        }
        let due_reading = match &rule.due_source {
            DueSource::Reading(r) => Some(r.clone()),
            _ => None,
        };
        for (field, id) in [("reading", &rule.reading), ("satisfied_before", &rule.satisfied_before), ("due_reading", &due_reading)] {
            if let Some(r) = id {
                if !readings.iter().any(|x| &x.id == r) {
                    return Err(ctx.err(field, format!("unknown reading '{r}'")));
                }
            }
        }
        for m in rule.satisfied_by.iter().chain(rule.trigger.event.iter()) {
            for (field, values) in &m.fields {
                if *field == MatchField::To {
                    for v in values {
                        known_role(&ctx, "satisfied_by.to", v)?;
                    }
                }
            }
        }
        rules.push(rule);
    }
    unique(rules.iter().map(|r| r.id.as_str()), "rule", file)?;

    let flags = array::<FlagDef>(&table, "flag", file)?
        .into_iter()
        .map(|(ctx, def)| {
            vocab::check_id(&def.id, "flag id").map_err(|m| ctx.err("id", m))?;
            let when = conditions(def.when, &ctx)?;
            place(&when, None, &roles, &header.authorities, &ctx)?;
            Ok(FlagRule { cite: cite(def.cite, &ctx)?, quote: quote(def.quote, &ctx)?, what: def.what, when, id: def.id })
        })
        .collect::<Result<Vec<_>, ProtocolError>>()?;
    unique(flags.iter().map(|r| r.id.as_str()), "flag", file)?;

    let warnings = array::<WarningDef>(&table, "warning", file)?
        .into_iter()
        .map(|(ctx, def)| {
            vocab::check_id(&def.id, "warning id").map_err(|m| ctx.err("id", m))?;
            let applies = applies(def.applies.as_deref(), &ctx)?;
            if applies == Applies::FoundIn {
                return Err(ctx.err("applies", "'found_in' is for rules (a warning is about the record of the host or responsible authority)"));
            }
            let trigger = trigger(def.trigger.as_deref(), def.after.as_deref(), def.strictly_after, def.trigger_event, &ctx)?;
            let when = conditions(def.when, &ctx)?;
            place(&when, Some((&trigger, applies)), &roles, &header.authorities, &ctx)?;
            Ok(WarningRule { cite: cite(def.cite, &ctx)?, quote: quote(def.quote, &ctx)?, what: def.what, applies, trigger, when, id: def.id })
        })
        .collect::<Result<Vec<_>, ProtocolError>>()?;
    unique(warnings.iter().map(|r| r.id.as_str()), "warning", file)?;

    let mut retention: Vec<Retention> = Vec::new();
    for (ctx, def) in array::<RetentionDef>(&table, "retention", file)? {
        vocab::check_id(&def.id, "retention id").map_err(|m| ctx.err("id", m))?;
        let record = RetainedRecord::parse(&def.record).map_err(|m| ctx.err("record", m))?;
        if let Some(other) = retention.iter().find(|r| r.record == record) {
            return Err(ctx.err("record", format!("retention {} already limits '{record}' records", other.id)));
        }
        let keep = duration(&def.keep, "keep", &ctx)?;
        if keep.is_zero() {
            return Err(ctx.err("keep", "must be longer than zero (a record is kept for a while before it may be deleted)"));
        }
        if let Some(r) = &def.reading {
            if !readings.iter().any(|x| &x.id == r) {
                return Err(ctx.err("reading", format!("unknown reading '{r}'")));
            }
        }
        // Nothing is deleted by the clock alone: a person in this role decides.
        let review_by = def
            .review_by
            .ok_or_else(|| ctx.err("review_by", "name the role that reviews a record once its period is over (records are never deleted unreviewed)"))?;
        if !roles.iter().any(|r| r.id == review_by) {
            return Err(ctx.err("review_by", format!("unknown role '{review_by}'")));
        }
        retention.push(Retention { review_by, cite: cite(def.cite, &ctx)?, quote: quote(def.quote, &ctx)?, id: def.id, record, keep, reading: def.reading });
    }
    unique(retention.iter().map(|r| r.id.as_str()), "retention", file)?;

    let checks = array::<CheckDef>(&table, "check", file)?
        .into_iter()
        .map(|(ctx, def)| {
            vocab::check_id(&def.id, "check id").map_err(|m| ctx.err("id", m))?;
            nonempty(&def.ask, "ask", &ctx)?;
            if let Some(condition) = &def.only_if {
                nonempty(condition, "only_if", &ctx)?;
            }
            Ok(CarerCheck { cite: cite(def.cite, &ctx)?, quote: quote(def.quote, &ctx)?, id: def.id, ask: def.ask, only_if: def.only_if })
        })
        .collect::<Result<Vec<_>, ProtocolError>>()?;
    unique(checks.iter().map(|c| c.id.as_str()), "check", file)?;

    Ok(Protocol {
        id: header.id,
        title: header.title,
        version: header.version,
        effective_from,
        authorities: header.authorities,
        document: header.document,
        source: file.to_string(),
        roles,
        readings,
        rules,
        flags,
        warnings,
        retention,
        checks,
    })
}

fn de<T: for<'de> Deserialize<'de>>(value: &toml::Value, ctx: &Ctx) -> Result<T, ProtocolError> {
    T::deserialize(value.clone()).map_err(|e| {
        let text = e.message().to_string();
        // serde names the field in its message ("missing field `cite`"); lift it out.
        let field = text.split('`').nth(1).filter(|_| text.contains("field")).unwrap_or("").to_string();
        ctx.err(&field, text)
    })
}

/// Each element of an array of tables, with a context naming it by its id.
fn array<'a, T: for<'de> Deserialize<'de>>(table: &'a toml::Table, key: &str, file: &'a str) -> Result<Vec<(Ctx<'a>, T)>, ProtocolError> {
    let Some(value) = table.get(key) else {
        return Ok(Vec::new());
    };
    let items = value.as_array().ok_or_else(|| Ctx { file, item: key.into() }.err("", format!("must be an array of tables: write [[{key}]]")))?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let id = item.get("id").and_then(|v| v.as_str()).map(str::to_string).unwrap_or_else(|| format!("#{}", i + 1));
        let ctx = Ctx { file, item: format!("{key} {id}") };
        if item.get("id").is_none() {
            return Err(ctx.err("id", "is required"));
        }
        let def = de(item, &ctx)?;
        out.push((ctx, def));
    }
    Ok(out)
}

fn unique<'a>(ids: impl Iterator<Item = &'a str>, what: &str, file: &str) -> Result<(), ProtocolError> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(Ctx { file, item: format!("{what} {id}") }.err("id", "is used twice in this file"));
        }
    }
    Ok(())
}

fn nonempty(text: &str, field: &str, ctx: &Ctx) -> Result<(), ProtocolError> {
    if text.trim().is_empty() { Err(ctx.err(field, "must not be empty")) } else { Ok(()) }
}

fn cite(cite: Option<String>, ctx: &Ctx) -> Result<String, ProtocolError> {
    match cite {
        Some(c) if !c.trim().is_empty() => Ok(c),
        _ => Err(ctx.err("cite", "every entry must cite the paragraph (or heading) that creates it")),
    }
}

fn quote(quote: Option<String>, ctx: &Ctx) -> Result<String, ProtocolError> {
    match quote {
        Some(q) if !q.trim().is_empty() => Ok(q),
        _ => Err(ctx.err("quote", "every entry must quote the text it encodes")),
    }
}

fn duration(text: &str, field: &str, ctx: &Ctx) -> Result<Duration, ProtocolError> {
    Duration::parse(text).map_err(|m| ctx.err(field, format!("bad duration: {m}")))
}

fn parse_list<T>(items: &[String], field: &str, ctx: &Ctx, parse: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, ProtocolError> {
    items.iter().map(|s| parse(s).map_err(|m| ctx.err(field, m))).collect()
}

fn role(def: RoleDef, ctx: &Ctx) -> Result<Role, ProtocolError> {
    let ctx = Ctx { file: ctx.file, item: format!("role {}", def.id) };
    vocab::check_id(&def.id, "role id").map_err(|m| ctx.err("id", m))?;
    nonempty(&def.name, "name", &ctx)?;
    let agency = Agency::parse(&def.agency).map_err(|m| ctx.err("agency", m))?;
    let office_hours = def.office_hours.iter().map(|h| office_hours(h).map_err(|m| ctx.err("office_hours", m))).collect::<Result<Vec<_>, _>>()?;
    if !office_hours.is_empty() && def.out_of_hours.is_none() {
        return Err(ctx.err("out_of_hours", "is required when office_hours is given"));
    }
    Ok(Role { id: def.id, name: def.name, agency, office_hours, out_of_hours: def.out_of_hours, manager: def.manager })
}

fn weekday(text: &str) -> Result<Weekday, String> {
    Ok(match text {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        other => return Err(format!("'{other}' is not a day (mon, tue, wed, thu, fri, sat, sun)")),
    })
}

/// `"mon-fri 09:00-17:00"`, `"sat 08:30-16:00"`.
fn office_hours(text: &str) -> Result<OfficeHours, String> {
    let (days, hours) = text.split_once(' ').ok_or_else(|| format!("'{text}' should look like \"mon-fri 09:00-17:00\""))?;
    let days = match days.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (weekday(a)?, weekday(b)?);
            let mut list = vec![a];
            let mut d = a;
            while d != b {
                d = d.wrapping_add(1);
                list.push(d);
            }
            list
        }
        None => vec![weekday(days)?],
    };
    let (opens, closes) = hours.trim().split_once('-').ok_or_else(|| format!("'{text}': hours should look like 09:00-17:00"))?;
    let time = |t: &str| -> Result<Time, String> { Time::strptime("%H:%M", t).map_err(|_| format!("'{t}' is not a time (HH:MM)")) };
    let (opens, closes) = (time(opens)?, time(closes)?);
    if closes <= opens {
        return Err(format!("'{text}': closing time is not after opening time"));
    }
    Ok(OfficeHours { days, opens, closes, text: text.to_string() })
}

fn applies(text: Option<&str>, ctx: &Ctx) -> Result<Applies, ProtocolError> {
    match text.unwrap_or("host") {
        "host" => Ok(Applies::Host),
        "responsible" => Ok(Applies::Responsible),
        "both" => Ok(Applies::Both),
        "found_in" => Ok(Applies::FoundIn),
        other => Err(ctx.err("applies", format!("'{other}' is not one of: host, responsible, both, found_in"))),
    }
}

fn trigger(anchor: Option<&str>, after: Option<&str>, strictly_after: bool, event: Option<toml::Table>, ctx: &Ctx) -> Result<Trigger, ProtocolError> {
    let anchor = match anchor.unwrap_or("start") {
        "start" => Anchor::Start,
        "return" => Anchor::Return,
        "event" => Anchor::Event,
        other => {
            return Err(ctx.err("trigger", format!("'{other}' is not one of: start, return, event")));
        }
    };
    let event = match (anchor, event) {
        (Anchor::Event, Some(t)) => Some(matcher(&t, "trigger_event", ctx)?),
        (Anchor::Event, None) => {
            return Err(ctx.err("trigger_event", "is required when trigger = \"event\""));
        }
        (_, Some(_)) => {
            return Err(ctx.err("trigger_event", "is only allowed with trigger = \"event\""));
        }
        (_, None) => None,
    };
    let after = duration(after.unwrap_or("0"), "after", ctx)?;
    if matches!(after, Duration::Months(_)) {
        return Err(ctx.err("after", "months are only allowed for `repeat`"));
    }
    Ok(Trigger { anchor, after, strictly_after, event })
}

fn matcher(table: &toml::Table, field: &str, ctx: &Ctx) -> Result<Matcher, ProtocolError> {
    let event = table.get("type").and_then(|v| v.as_str()).ok_or_else(|| ctx.err(field, "each matcher needs a `type` (an event type)"))?;
    let event = EventType::parse(event).map_err(|m| ctx.err(&format!("{field}.type"), m))?;
    let mut fields = Vec::new();
    for (key, value) in table {
        if key == "type" {
            continue;
        }
        let path = format!("{field}.{key}");
        let name = MatchField::parse(key).ok_or_else(|| ctx.err(&path, "unknown matcher field (category, risk, outcome, kind, to, by, independent)"))?;
        if !name.carried_by().contains(&event) {
            return Err(ctx.err(&path, format!("a '{event}' event has no field '{key}'")));
        }
        let values: Vec<String> = match value {
            toml::Value::String(s) => vec![s.clone()],
            toml::Value::Boolean(b) => vec![b.to_string()],
            toml::Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => Ok(s.clone()),
                    toml::Value::Boolean(b) => Ok(b.to_string()),
                    _ => Err(ctx.err(&path, "values must be strings")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(ctx.err(&path, "must be a string or a list of strings")),
        };
        for v in &values {
            let ok = match name {
                MatchField::Category => Category::parse(v).map(|_| ()),
                MatchField::Risk => Risk::parse(v).map(|_| ()),
                MatchField::Outcome => Outcome::parse(v).map(|_| ()),
                MatchField::Independent => {
                    if v == "true" || v == "false" {
                        Ok(())
                    } else {
                        Err(format!("'{v}' is not true or false"))
                    }
                }
                MatchField::By => {
                    let allowed: &[&str] = if event == EventType::Returned { vocab::FOUND_BY } else { vocab::CHECK_BY };
                    if allowed.contains(&v.as_str()) { Ok(()) } else { Err(format!("'{v}' is not one of: {}", allowed.join(", "))) }
                }
                MatchField::Kind | MatchField::To => vocab::check_id(v, key),
            };
            ok.map_err(|m| ctx.err(&path, m))?;
        }
        fields.push((name, values));
    }
    Ok(Matcher { event, fields })
}

/// Checks the conditions about hours and places against the rest of the
/// file: a named role must exist and keep office hours, a named authority
/// must be one a child can belong to. `rule` is the trigger and `applies` of
/// a rule or warning; `None` for a flag, which has no moment to judge hours
/// at and no episode to judge a place by.
fn place(c: &Conditions, rule: Option<(&Trigger, Applies)>, roles: &[Role], authorities: &[String], ctx: &Ctx) -> Result<(), ProtocolError> {
    if let Some(h) = &c.hours {
        let field = if h.open { "when.in_hours_of" } else { "when.out_of_hours_of" };
        if rule.is_none() {
            return Err(ctx.err(field, "is for rules and warnings (a flag has no moment to judge hours at)"));
        }
        match roles.iter().find(|r| r.id == h.role) {
            None => return Err(ctx.err(field, format!("unknown role '{}' (declare it in a [[role]])", h.role))),
            Some(r) if r.office_hours.is_empty() => {
                return Err(ctx.err(field, format!("role '{}' has no office_hours", h.role)));
            }
            Some(_) => {}
        }
    }
    for (field, list) in [
        ("when.responsible_authorities", &c.responsible_authorities),
        ("when.host_authorities", &c.host_authorities),
        ("when.duty_authorities", &c.duty_authorities),
    ] {
        if let Some(a) = list.iter().find(|a| !crate::authorities::is_known(a) && !authorities.contains(a)) {
            return Err(ctx.err(field, format!("'{a}' is not an authority of England or Wales nor one this protocol covers")));
        }
    }
    let Some((trigger, applies)) = rule else {
        for (field, given) in [
            ("when.duty_authorities", !c.duty_authorities.is_empty()),
            ("when.responsible_in_partnership", c.responsible_in_partnership.is_some()),
            ("when.found_in_partnership", c.found_in_partnership.is_some()),
        ] {
            if given {
                return Err(ctx.err(field, "is for rules and warnings"));
            }
        }
        return Ok(());
    };
    if trigger.anchor != Anchor::Return {
        if c.found_in_partnership.is_some() {
            return Err(ctx.err("when.found_in_partnership", "needs trigger = \"return\" (where the child was found is known at the return)"));
        }
        if applies == Applies::FoundIn {
            return Err(ctx.err("applies", "'found_in' needs trigger = \"return\" (where the child was found is known at the return)"));
        }
    }
    Ok(())
}

fn conditions(def: WhenDef, ctx: &Ctx) -> Result<Conditions, ProtocolError> {
    let age_min = def.age_min.unwrap_or(0);
    let age_max = def.age_max.unwrap_or(17);
    if age_min < 0 || age_max < age_min || age_max > 120 {
        return Err(ctx.err("when.age_max", format!("ages {age_min}..={age_max} are not a valid range (0 to 120)")));
    }
    for (field, list) in [("when.flags_any", &def.flags_any), ("when.flags_all", &def.flags_all), ("when.flags_none", &def.flags_none)] {
        for f in list {
            vocab::check_flag(f).map_err(|m| ctx.err(field, m))?;
        }
    }
    for f in &def.found_by_none {
        if !vocab::FOUND_BY.contains(&f.as_str()) {
            return Err(ctx.err("when.found_by_none", format!("'{f}' is not one of: {}", vocab::FOUND_BY.join(", "))));
        }
    }
    let hours = match (def.in_hours_of, def.out_of_hours_of) {
        (Some(_), Some(_)) => {
            return Err(ctx.err("when.out_of_hours_of", "cannot be given with in_hours_of (a moment is either inside or outside)"));
        }
        (Some(role), None) => Some(Hours { role, open: true }),
        (None, Some(role)) => Some(Hours { role, open: false }),
        (None, None) => None,
    };
    for (field, list) in [
        ("when.responsible_authorities", &def.responsible_authorities),
        ("when.host_authorities", &def.host_authorities),
        ("when.duty_authorities", &def.duty_authorities),
    ] {
        for a in list {
            vocab::check_id(a, "authority id").map_err(|m| ctx.err(field, m))?;
        }
    }
    let episodes_in_window = match def.episodes_in_window {
        Some(w) => {
            if w.count == 0 {
                return Err(ctx.err("when.episodes_in_window.count", "must be at least 1"));
            }
            if w.days == Some(0) {
                return Err(ctx.err("when.episodes_in_window.days", "must be at least 1"));
            }
            Some(Window { count: w.count, days: w.days, categories: parse_list(&w.categories, "when.episodes_in_window.categories", ctx, Category::parse)? })
        }
        None => None,
    };
    Ok(Conditions {
        categories: parse_list(&def.categories, "when.categories", ctx, Category::parse)?,
        risks: parse_list(&def.risks, "when.risks", ctx, Risk::parse)?,
        statuses: parse_list(&def.statuses, "when.statuses", ctx, Status::parse)?,
        age_min,
        age_max,
        flags_any: def.flags_any,
        flags_all: def.flags_all,
        flags_none: def.flags_none,
        out_of_area: def.out_of_area,
        with_others: def.with_others,
        still_missing: def.still_missing,
        episodes_in_window,
        earlier_episodes: def.earlier_episodes,
        previous_return_interview: parse_list(&def.previous_return_interview, "when.previous_return_interview", ctx, Outcome::parse)?,
        found_by_none: def.found_by_none,
        currently_missing: def.currently_missing,
        hours,
        responsible_in_partnership: def.responsible_in_partnership,
        responsible_authorities: def.responsible_authorities,
        host_authorities: def.host_authorities,
        duty_authorities: def.duty_authorities,
        found_in_partnership: def.found_in_partnership,
    })
}

fn rule(def: RuleDef, ctx: &Ctx) -> Result<Rule, ProtocolError> {
    vocab::check_id(&def.id, "rule id").map_err(|m| ctx.err("id", m))?;
    let kind = DutyKind::parse(&def.kind).map_err(|m| ctx.err("kind", m))?;
    nonempty(&def.what, "what", ctx)?;
    if kind == DutyKind::Notify && def.to.is_none() {
        return Err(ctx.err("to", "a notify rule must say who is told"));
    }
    let trigger = trigger(def.trigger.as_deref(), def.after.as_deref(), def.strictly_after, def.trigger_event, ctx)?;
    let (due, due_source) = match (def.due.as_deref(), def.due_reading) {
        (Some("none"), Some(_)) => {
            return Err(ctx.err("due_reading", "names the reading of a deadline; with due = \"none\" the engine-wide one applies"));
        }
        (Some("none"), None) => (untimed_due(kind), DueSource::Untimed),
        (text, reading) => {
            let due = duration(text.unwrap_or("0"), "due", ctx)?;
            if matches!(due, Duration::Months(_)) {
                return Err(ctx.err("due", "months are only allowed for `repeat`"));
            }
            match reading {
                None => (due, DueSource::Document),
                Some(r) if text.is_none() => {
                    return Err(ctx.err("due_reading", format!("needs the `due` that reading '{r}' gives")));
                }
                Some(r) => {
                    vocab::check_id(&r, "reading id").map_err(|m| ctx.err("due_reading", m))?;
                    (due, DueSource::Reading(r))
                }
            }
        }
    };
    let due_from = match def.due_from.as_deref().unwrap_or("trigger") {
        "trigger" => DueFrom::Trigger,
        "start" => DueFrom::Start,
        "return" => DueFrom::Return,
        other => return Err(ctx.err("due_from", format!("'{other}' is not one of: trigger, start, return"))),
    };
    let repeat = match def.repeat.as_deref() {
        Some(r) => {
            let d = duration(r, "repeat", ctx)?;
            if d.is_zero() {
                return Err(ctx.err("repeat", "must be longer than zero"));
            }
            Some(d)
        }
        None => None,
    };
    let repeat_until = match def.repeat_until.as_deref() {
        None | Some("return") => RepeatUntil::Return,
        Some("superseded") => RepeatUntil::Superseded,
        Some(other) => return Err(ctx.err("repeat_until", format!("'{other}' is not one of: return, superseded"))),
    };
    if def.repeat_until.is_some() && repeat.is_none() {
        return Err(ctx.err("repeat_until", "is only meaningful with `repeat`"));
    }
    let satisfied_by_default = def.satisfied_by.is_none();
    let satisfied_by = match def.satisfied_by {
        Some(list) => list.iter().enumerate().map(|(i, t)| matcher(t, &format!("satisfied_by[{i}]"), ctx)).collect::<Result<Vec<_>, _>>()?,
        None if kind == DutyKind::Notify => Vec::new(),
        None => {
            return Err(ctx.err("satisfied_by", "is required (list the events that discharge this duty, or [] if only duty_done can)"));
        }
    };
    let satisfied_in_child = match def.satisfied_in.as_deref() {
        None | Some("episode") => false,
        Some("child") => true,
        Some(other) => return Err(ctx.err("satisfied_in", format!("'{other}' is not one of: episode, child"))),
    };
    if let Some(r) = &def.satisfied_before {
        vocab::check_id(r, "reading id").map_err(|m| ctx.err("satisfied_before", m))?;
        if !satisfied_by_default && satisfied_by.is_empty() {
            return Err(ctx.err("satisfied_before", "has no effect when only duty_done can discharge the duty"));
        }
    }
    let when = conditions(def.when, ctx)?;
    if when.currently_missing {
        return Err(ctx.err("when.currently_missing", "is for flags; rules use still_missing"));
    }
    if trigger.anchor == Anchor::Return && when.still_missing {
        return Err(ctx.err("when.still_missing", "a rule triggered by the return cannot require the child to be missing"));
    }
    Ok(Rule {
        cite: cite(def.cite, ctx)?,
        quote: quote(def.quote, ctx)?,
        kind,
        what: def.what,
        by: def.by,
        to: def.to,
        prompt: def.prompt,
        applies: applies(def.applies.as_deref(), ctx)?,
        trigger,
        due,
        due_source,
        due_from,
        repeat,
        repeat_until,
        satisfied_by,
        satisfied_by_default,
        satisfied_in_child,
        satisfied_before: def.satisfied_before,
        reading: def.reading,
        when,
        id: def.id,
    })
}
