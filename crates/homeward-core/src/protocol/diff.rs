//! What changed between two versions of a protocol: duties added, removed
//! and changed (field by field, in the words `protocols show` uses), and
//! readings added, removed and reworded.

use super::describe::{conditions_words, retention_words, role_name, rule_words, trigger_words};
use super::model::*;
use crate::duration::Duration;

/// The differences from one version (`from`) to another (`to`).
#[derive(Debug, Clone)]
pub struct Changes<'a> {
    pub from: &'a Protocol,
    pub to: &'a Protocol,
    /// Duties of `to` with no counterpart in `from`.
    pub added: Vec<&'a Rule>,
    /// Duties of `from` with no counterpart in `to`.
    pub removed: Vec<&'a Rule>,
    /// Duties in both whose words differ, in the order of `to`.
    pub changed: Vec<RuleChange<'a>>,
    pub readings_added: Vec<&'a Reading>,
    pub readings_removed: Vec<&'a Reading>,
    /// Readings with the same id whose text or cite differ: (before, after).
    pub readings_changed: Vec<(&'a Reading, &'a Reading)>,
    /// Flags, warnings and retention entries added, removed or changed (by id).
    pub others: Vec<OtherChange>,
}

/// A flag, warning or retention entry that differs between the versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherChange {
    /// "Flag", "Warning", "Retention".
    pub section: &'static str,
    pub id: String,
    /// What it is, in the version that has it (the later one if both do).
    pub what: String,
    /// Cited as in the version that has it (`bolton Strategy meetings`).
    pub cite: String,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    Changed(Vec<FieldChange>),
}

/// One flag, warning or retention entry: id, what, cite, and its fields in words.
type Item = (String, String, String, Vec<(&'static str, String)>);

fn items(p: &Protocol, section: &str) -> Vec<Item> {
    match section {
        "Flag" => p
            .flags
            .iter()
            .map(|f| {
                let fields =
                    vec![("What", f.what.clone()), ("When", conditions_words(p, &f.when).join("; ")), ("Cite", f.cite.clone()), ("Quote", f.quote.clone())];
                (f.id.clone(), f.what.clone(), p.cite(&f.cite), fields)
            })
            .collect(),
        "Warning" => p
            .warnings
            .iter()
            .map(|w| {
                let mut when = vec![trigger_words(&w.trigger, w.when.still_missing)];
                when.extend(conditions_words(p, &w.when));
                let fields = vec![("What", w.what.clone()), ("When", when.join("; ")), ("Cite", w.cite.clone()), ("Quote", w.quote.clone())];
                (w.id.clone(), w.what.clone(), p.cite(&w.cite), fields)
            })
            .collect(),
        _ => p
            .retention
            .iter()
            .map(|r| {
                let what = format!("{} records", r.record.as_str().replace('_', " "));
                let fields = vec![
                    ("Kept", retention_words(p, r)),
                    ("Cite", r.cite.clone()),
                    ("Quote", r.quote.clone()),
                    ("Reading chosen", r.reading.clone().unwrap_or_else(|| "none".to_string())),
                ];
                (r.id.clone(), what, p.cite(&r.cite), fields)
            })
            .collect(),
    }
}

fn other_changes(from: &Protocol, to: &Protocol) -> Vec<OtherChange> {
    let mut out = Vec::new();
    for section in ["Flag", "Warning", "Retention"] {
        let before = items(from, section);
        let after = items(to, section);
        for (id, what, cite, fields) in &after {
            let change = match before.iter().find(|b| &b.0 == id) {
                None => Change::Added,
                Some(b) => {
                    let changed: Vec<FieldChange> =
                        b.3.iter()
                            .zip(fields)
                            .filter(|(x, y)| x.1 != y.1)
                            .map(|(x, y)| FieldChange { field: x.0, before: x.1.clone(), after: y.1.clone() })
                            .collect();
                    if changed.is_empty() {
                        continue;
                    }
                    Change::Changed(changed)
                }
            };
            out.push(OtherChange { section, id: id.clone(), what: what.clone(), cite: cite.clone(), change });
        }
        for (id, what, cite, _) in before.iter().filter(|b| !after.iter().any(|a| a.0 == b.0)) {
            out.push(OtherChange { section, id: id.clone(), what: what.clone(), cite: cite.clone(), change: Change::Removed });
        }
    }
    out
}

impl Changes<'_> {
    /// Nothing a reader would see differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.readings_added.is_empty()
            && self.readings_removed.is_empty()
            && self.readings_changed.is_empty()
            && self.others.is_empty()
    }
}

/// One duty in both versions. Its id may differ (`strategy.72h` became
/// `strategy.48h`): a duty is the same one when the id is, or else when it
/// is the only duty of the other version with the same cite, kind, roles
/// and whose duty it is.
#[derive(Debug, Clone)]
pub struct RuleChange<'a> {
    pub before: &'a Rule,
    pub after: &'a Rule,
    pub fields: Vec<FieldChange>,
}

/// One field of a duty, before and after, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// "Deadline", "When it applies", "Who", "Quote", …
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

/// What a reader sees of a duty, field by field.
fn fields(p: &Protocol, r: &Rule) -> Vec<(&'static str, String)> {
    let w = rule_words(p, r);
    let mut deadline = w.due;
    if let Some(source) = w.due_source {
        deadline = format!("{deadline} ({source})");
    }
    if let Some(repeat) = w.repeat {
        deadline = format!("{deadline}; {repeat}");
    }
    let reading = |id: &Option<String>| id.clone().unwrap_or_else(|| "none".to_string());
    vec![
        ("What must be done", r.what.clone()),
        ("Kind", format!("{}{}", r.kind.as_str(), if r.prompt { " (to consider)" } else { "" })),
        ("Who", w.who),
        ("Whose duty", w.whose),
        ("Applies after", exact(r.trigger.after)),
        ("When it applies", w.when.join("; ")),
        ("Deadline", deadline),
        ("Done when", w.done),
        ("Cite", r.cite.clone()),
        ("Quote", r.quote.clone()),
        ("Reading chosen", reading(&r.reading)),
        ("Earlier acts count", reading(&r.satisfied_before)),
    ]
}

/// A trigger's delay as the documents count it: hours stay hours ("48
/// hours", where the general wording says "2 days"), so a changed threshold
/// reads as the document's.
fn exact(d: Duration) -> String {
    match d {
        Duration::Hours(0) => "immediately".to_string(),
        Duration::Hours(1) => "1 hour".to_string(),
        Duration::Hours(h) => format!("{h} hours"),
        other => other.describe(),
    }
}

/// The key under which a duty whose id changed is recognised.
fn counterpart_key(p: &Protocol, r: &Rule) -> (String, &'static str, String, Option<String>, String) {
    (r.cite.clone(), r.kind.as_str(), role_name(p, &r.by), r.to.as_deref().map(|t| role_name(p, t)), format!("{:?}", r.applies))
}

/// What changed from `from` to `to` (two versions of one protocol, or any two).
pub fn diff<'a>(from: &'a Protocol, to: &'a Protocol) -> Changes<'a> {
    let mut pairs: Vec<(&Rule, &Rule)> = Vec::new();
    let mut removed: Vec<&Rule> = Vec::new();
    for r in &from.rules {
        match to.rules.iter().find(|x| x.id == r.id) {
            Some(x) => pairs.push((r, x)),
            None => removed.push(r),
        }
    }
    let mut added: Vec<&Rule> = to.rules.iter().filter(|x| !from.rules.iter().any(|r| r.id == x.id)).collect();
    // Renamed duties: the only candidate on each side.
    let mut still_removed = Vec::new();
    for r in removed {
        let key = counterpart_key(from, r);
        let candidates: Vec<usize> = added.iter().enumerate().filter(|(_, a)| counterpart_key(to, a) == key).map(|(i, _)| i).collect();
        let rivals = from.rules.iter().filter(|o| !to.rules.iter().any(|x| x.id == o.id) && counterpart_key(from, o) == key).count();
        if let ([i], 1) = (candidates.as_slice(), rivals) {
            pairs.push((r, added.remove(*i)));
        } else {
            still_removed.push(r);
        }
    }
    // In the order of the later version's document.
    let position = |r: &Rule| to.rules.iter().position(|x| x.id == r.id).unwrap_or(usize::MAX);
    pairs.sort_by_key(|(_, after)| position(after));
    let changed = pairs
        .into_iter()
        .filter_map(|(before, after)| {
            let mut fields: Vec<FieldChange> = fields(from, before)
                .into_iter()
                .zip(fields(to, after))
                .filter(|(b, a)| b.1 != a.1)
                .map(|(b, a)| FieldChange { field: b.0, before: b.1, after: a.1 })
                .collect();
            if before.id != after.id {
                fields.insert(0, FieldChange { field: "Identifier", before: before.id.clone(), after: after.id.clone() });
            }
            (!fields.is_empty()).then_some(RuleChange { before, after, fields })
        })
        .collect();
    let readings_added = to.readings.iter().filter(|x| !from.readings.iter().any(|r| r.id == x.id)).collect();
    let readings_removed = from.readings.iter().filter(|r| !to.readings.iter().any(|x| x.id == r.id)).collect();
    let readings_changed = from
        .readings
        .iter()
        .filter_map(|r| to.readings.iter().find(|x| x.id == r.id).map(|x| (r, x)))
        .filter(|(r, x)| r.text != x.text || r.cite != x.cite)
        .collect();
    let others = other_changes(from, to);
    Changes { from, to, added, removed: still_removed, changed, readings_added, readings_removed, readings_changed, others }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;

    fn bolton(registry: &Registry) -> (&Protocol, &Protocol) {
        let versions: Vec<&Protocol> = registry.versions("bolton").collect();
        (versions[0], versions[1])
    }

    #[test]
    fn the_bolton_strategy_meeting_moves_from_72_to_48_hours() {
        let registry = Registry::builtin().unwrap();
        let (old, new) = bolton(&registry);
        let changes = diff(old, new);
        let strategy = changes.changed.iter().find(|c| c.after.id == "strategy.48h").expect("the strategy meeting is one changed duty");
        assert_eq!(strategy.before.id, "strategy.72h");
        let after = strategy.fields.iter().find(|f| f.field == "Applies after").unwrap();
        assert_eq!((after.before.as_str(), after.after.as_str()), ("72 hours", "48 hours"));
        assert!(strategy.fields.iter().any(|f| f.field == "When it applies"));
        assert!(strategy.fields.iter().any(|f| f.field == "Quote"));
        // The renamed alerts are paired by their recipient, not reported as added and removed.
        for id in ["coordinator.strategy-alert-48h", "coordinator.strategy-alert-48h.tm", "coordinator.strategy-alert-48h.iro", "ifd.referral-48h"] {
            assert!(changes.changed.iter().any(|c| c.after.id == id), "{id}");
        }
        assert!(changes.added.is_empty(), "{:?}", changes.added.iter().map(|r| &r.id).collect::<Vec<_>>());
        assert!(changes.removed.is_empty(), "{:?}", changes.removed.iter().map(|r| &r.id).collect::<Vec<_>>());
        // The fourth meeting's deadline shortens; nothing else about it changes.
        let fourth = changes.changed.iter().find(|c| c.fields.iter().any(|f| f.field == "Deadline")).unwrap();
        assert_eq!(fourth.fields.len(), 1, "{:?}", fourth.fields);
        assert!(fourth.fields[0].before.contains("15 working days") && fourth.fields[0].after.contains("10 working days"), "{:?}", fourth.fields);
        // A reading replaced by another; others reworded.
        assert_eq!(changes.readings_removed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["earlier-version"]);
        assert_eq!(changes.readings_added.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["evaluation-6-months"]);
        assert!(!changes.readings_changed.is_empty());
        let order: Vec<usize> = changes.changed.iter().map(|c| new.rules.iter().position(|r| r.id == c.after.id).unwrap()).collect();
        assert!(order.is_sorted(), "{order:?}");
    }

    #[test]
    fn a_version_against_itself_has_no_changes_and_the_reverse_swaps_sides() {
        let registry = Registry::builtin().unwrap();
        let (old, new) = bolton(&registry);
        assert!(diff(new, new).is_empty());
        // Bolton's flags, warnings and retention did not change in 2025.
        assert!(diff(old, new).others.is_empty(), "{:?}", diff(old, new).others);
        let back = diff(new, old);
        let strategy = back.changed.iter().find(|c| c.before.id == "strategy.48h").unwrap();
        assert_eq!(strategy.after.id, "strategy.72h");
    }

    #[test]
    fn unrelated_duties_are_added_and_removed() {
        let registry = Registry::builtin().unwrap();
        let newham = registry.versions("newham").next().unwrap();
        let bnes = registry.versions("bnes").next().unwrap();
        let changes = diff(newham, bnes);
        assert!(!changes.added.is_empty() && !changes.removed.is_empty());
        assert!(changes.added.iter().all(|r| !newham.rules.iter().any(|x| x.id == r.id)));
        // Bolton's retention entry is not Newham's.
        let bolton = registry.versions("bolton").last().unwrap();
        let changes = diff(newham, bolton);
        assert!(changes.others.iter().any(|o| o.section == "Retention" && o.change == Change::Added), "{:?}", changes.others);
        assert!(diff(bolton, newham).others.iter().any(|o| o.section == "Retention" && o.change == Change::Removed));
    }
}
