//! Reading a policy file and checking it before use: every id unique, every
//! agency, role, class, relation and flag known, every rule with a reason.
//! Errors name the rule (or entry) and the field.

use crate::administer::{Administration, Scope};
use crate::model::{Action, FieldClass, Policy, Relation, Role, Rule};
use homeward_core::vocab;
use jiff::civil::Date;
use serde::Deserialize;
use std::collections::HashSet;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{path}: {message}")]
pub struct PolicyError {
    /// Where the problem is: `rule[placement-own].classes`, `role[iro].agencies`.
    pub path: String,
    pub message: String,
}

fn error(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError { path: path.into(), message: message.into() }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: String,
    effective_from: String,
    #[serde(default, rename = "class")]
    classes: Vec<ClassFile>,
    #[serde(default, rename = "role")]
    roles: Vec<RoleFile>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleFile>,
    #[serde(default, rename = "administration")]
    administration: Vec<AdministrationFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdministrationFile {
    id: String,
    roles: Vec<String>,
    agencies: Vec<String>,
    scope: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassFile {
    id: String,
    what: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    id: String,
    name: String,
    agencies: Vec<String>,
    #[serde(default)]
    answers_for: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: String,
    agencies: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    actions: Vec<String>,
    classes: Vec<String>,
    relations: Vec<String>,
    #[serde(default)]
    unless_flags: Vec<String>,
    reason: String,
    #[serde(default)]
    cite: Vec<String>,
    /// For a break-glass rule: how long a grant lasts (`"4h"`).
    lasts: Option<String>,
}

/// The longest a break-glass grant may last: emergency access for longer
/// than a day is no longer an emergency.
pub const BREAK_GLASS_MOST_HOURS: i64 = 24;

fn check_id(path: &str, id: &str, seen: &mut HashSet<String>) -> Result<(), PolicyError> {
    vocab::check_id(id, "id").map_err(|m| error(format!("{path}.id"), m))?;
    if !seen.insert(id.to_string()) {
        return Err(error(format!("{path}.id"), format!("'{id}' is defined twice")));
    }
    Ok(())
}

/// Parses and checks a policy file.
pub fn parse(text: &str) -> Result<Policy, PolicyError> {
    let file: File = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| format!("byte {}", s.start)).unwrap_or_else(|| "file".to_string());
        error(at, e.message().to_string())
    })?;
    if file.version.trim().is_empty() {
        return Err(error("version", "must not be empty"));
    }
    let effective_from: Date = file.effective_from.parse().map_err(|_| error("effective_from", "must be a date, YYYY-MM-DD"))?;

    let mut seen = HashSet::new();
    let mut classes = Vec::new();
    for c in file.classes {
        let path = format!("class[{}]", c.id);
        check_id(&path, &c.id, &mut seen)?;
        if c.what.trim().is_empty() {
            return Err(error(format!("{path}.what"), "say what the class holds"));
        }
        classes.push(FieldClass { id: c.id, what: c.what });
    }

    let mut seen = HashSet::new();
    let mut roles = Vec::new();
    for r in file.roles {
        let path = format!("role[{}]", r.id);
        check_id(&path, &r.id, &mut seen)?;
        if r.agencies.is_empty() {
            return Err(error(format!("{path}.agencies"), "name at least one kind of agency"));
        }
        for a in &r.agencies {
            vocab::Agency::parse(a).map_err(|m| error(format!("{path}.agencies"), m))?;
        }
        let mut held = HashSet::new();
        for h in &r.answers_for {
            if !h.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') || h.is_empty() {
                return Err(error(format!("{path}.answers_for"), format!("'{h}' is not a protocol role id ([a-z0-9_]+)")));
            }
            if !held.insert(h.as_str()) {
                return Err(error(format!("{path}.answers_for"), format!("'{h}' is listed twice")));
            }
        }
        roles.push(Role { id: r.id, name: r.name, agencies: r.agencies, answers_for: r.answers_for });
    }

    let mut seen = HashSet::new();
    let mut rules = Vec::new();
    for r in file.rules {
        let path = format!("rule[{}]", r.id);
        check_id(&path, &r.id, &mut seen)?;
        if r.agencies.is_empty() {
            return Err(error(format!("{path}.agencies"), "name at least one kind of agency"));
        }
        for a in &r.agencies {
            vocab::Agency::parse(a).map_err(|m| error(format!("{path}.agencies"), m))?;
        }
        for role in &r.roles {
            let Some(def) = roles.iter().find(|d| &d.id == role) else {
                return Err(error(format!("{path}.roles"), format!("'{role}' is not a role of this policy")));
            };
            if !def.agencies.iter().any(|a| r.agencies.contains(a)) {
                return Err(error(
                    format!("{path}.roles"),
                    format!("role '{role}' belongs to {} agencies, none of which this rule names", def.agencies.join(", ")),
                ));
            }
        }
        let mut actions = Vec::new();
        for a in &r.actions {
            actions.push(Action::parse(a).ok_or_else(|| error(format!("{path}.actions"), format!("'{a}' is not an action (read, write)")))?);
        }
        if actions.is_empty() {
            return Err(error(format!("{path}.actions"), "name at least one action"));
        }
        if r.classes.is_empty() {
            return Err(error(format!("{path}.classes"), "name at least one field class"));
        }
        for c in &r.classes {
            if !classes.iter().any(|d: &FieldClass| &d.id == c) {
                return Err(error(format!("{path}.classes"), format!("'{c}' is not a field class of this policy")));
            }
        }
        let mut relations = Vec::new();
        for rel in &r.relations {
            let names: Vec<&str> = Relation::ALL.iter().map(|x| x.as_str()).collect();
            relations.push(
                Relation::parse(rel)
                    .ok_or_else(|| error(format!("{path}.relations"), format!("'{rel}' is not a relation (expected one of: {})", names.join(", "))))?,
            );
        }
        if relations.is_empty() {
            return Err(error(format!("{path}.relations"), "name at least one relation to the record"));
        }
        for f in &r.unless_flags {
            vocab::check_flag(f).map_err(|m| error(format!("{path}.unless_flags"), m))?;
        }
        if r.reason.trim().is_empty() {
            return Err(error(format!("{path}.reason"), "every rule says why it exists"));
        }
        let lasts_hours = match (r.lasts.as_deref(), relations.contains(&Relation::BreakGlass)) {
            (None, false) => None,
            (Some(_), false) => return Err(error(format!("{path}.lasts"), "only a rule through break_glass says how long its access lasts")),
            (None, true) => return Err(error(format!("{path}.lasts"), "a rule through break_glass says how long a grant lasts, in hours (\"4h\")")),
            (Some(text), true) => match homeward_core::duration::Duration::parse(text) {
                Ok(homeward_core::duration::Duration::Hours(h)) if (1..=BREAK_GLASS_MOST_HOURS).contains(&h) => Some(h),
                Ok(_) => return Err(error(format!("{path}.lasts"), format!("'{text}' must be from 1h to {BREAK_GLASS_MOST_HOURS}h, in hours"))),
                Err(m) => return Err(error(format!("{path}.lasts"), m)),
            },
        };
        rules.push(Rule {
            id: r.id,
            agencies: r.agencies,
            roles: r.roles,
            actions,
            classes: r.classes,
            relations,
            unless_flags: r.unless_flags,
            reason: r.reason,
            cite: r.cite,
            lasts_hours,
        });
    }
    let administration = administration(file.administration, &roles, &rules)?;
    Ok(Policy { version: file.version, effective_from, classes, roles, rules, administration })
}

/// Checks the `[[administration]]` grants: ids unique and none a rule's
/// (a decision names one or the other), known agency kinds and roles, each
/// role one those agencies have, a known scope and a reason.
fn administration(grants: Vec<AdministrationFile>, roles: &[Role], rules: &[Rule]) -> Result<Vec<Administration>, PolicyError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for g in grants {
        let path = format!("administration[{}]", g.id);
        check_id(&path, &g.id, &mut seen)?;
        if rules.iter().any(|r| r.id == g.id) {
            return Err(error(format!("{path}.id"), format!("'{}' is already a rule's id", g.id)));
        }
        if g.agencies.is_empty() {
            return Err(error(format!("{path}.agencies"), "name at least one kind of agency"));
        }
        for a in &g.agencies {
            vocab::Agency::parse(a).map_err(|m| error(format!("{path}.agencies"), m))?;
        }
        if g.roles.is_empty() {
            return Err(error(format!("{path}.roles"), "name the roles that administer accounts (never every role)"));
        }
        for role in &g.roles {
            let Some(def) = roles.iter().find(|d| &d.id == role) else {
                return Err(error(format!("{path}.roles"), format!("'{role}' is not a role of this policy")));
            };
            if !def.agencies.iter().any(|a| g.agencies.contains(a)) {
                return Err(error(
                    format!("{path}.roles"),
                    format!("role '{role}' belongs to {} agencies, none of which this grant names", def.agencies.join(", ")),
                ));
            }
        }
        let names: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        let scope = Scope::parse(&g.scope)
            .ok_or_else(|| error(format!("{path}.scope"), format!("'{}' is not a scope (expected one of: {})", g.scope, names.join(", "))))?;
        if g.reason.trim().is_empty() {
            return Err(error(format!("{path}.reason"), "every grant says why it exists"));
        }
        out.push(Administration { id: g.id, roles: g.roles, agencies: g.agencies, scope, reason: g.reason });
    }
    Ok(out)
}
