//! Evaluating a policy: one decision about one record, or the condition a
//! list query must apply so that it returns exactly the records the same
//! decision would allow. Both walk the same rules in the same order.

use crate::model::{Action, Policy, Relation, Rule};
use serde::Serialize;

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub user_id: String,
    pub agency_id: String,
    /// The agency's kind (`police`, `childrens_services`, `placement`, …).
    pub agency_kind: String,
    /// Authorities the agency serves.
    pub authorities: Vec<String>,
    pub role: String,
}

/// What the policy needs to know about one child's record, as it stands
/// for this principal now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFacts {
    pub responsible_authority: String,
    pub living_in: String,
    pub flags: Vec<String>,
    /// Current involvements of the principal's own agency with the child.
    pub involvements: Vec<Relation>,
    /// The principal holds a current break-glass grant for the child.
    pub break_glass: bool,
}

/// The answer, always with the rule that gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub allowed: bool,
    /// The allowing rule, or `default-deny`.
    pub rule: String,
    /// The relation through which the rule applied.
    pub relation: Option<Relation>,
    pub reason: String,
}

/// The rule id of a refusal: nothing allowed it.
pub const DEFAULT_DENY: &str = "default-deny";

/// One way a record can be visible: through `relation`, unless the child has
/// one of `unless_flags`. A list query ORs its clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub rule: String,
    pub relation: Relation,
    pub unless_flags: Vec<String>,
}

/// The records a principal may act on: any record matching one clause.
/// No clauses means none.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub clauses: Vec<Clause>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// Whether a clause applies to every record.
    pub fn is_everything(&self) -> bool {
        self.clauses.iter().any(|c| c.relation == Relation::Any && c.unless_flags.is_empty())
    }
}

impl Rule {
    /// Whether the rule speaks to this principal, action and class at all.
    pub fn covers(&self, who: &Principal, action: Action, class: &str) -> bool {
        self.agencies.iter().any(|a| a == &who.agency_kind)
            && (self.roles.is_empty() || self.roles.iter().any(|r| r == &who.role))
            && self.actions.contains(&action)
            && self.classes.iter().any(|c| c == class)
    }
}

/// Whether a principal stands in `relation` to a record.
pub fn holds(relation: Relation, who: &Principal, record: &RecordFacts) -> bool {
    match relation {
        Relation::Responsible => who.authorities.contains(&record.responsible_authority),
        Relation::Host => who.authorities.contains(&record.living_in),
        Relation::BreakGlass => record.break_glass,
        Relation::Any => true,
        involvement => record.involvements.contains(&involvement),
    }
}

impl Policy {
    /// May `who` do `action` on the `class` fields of this record?
    pub fn decide(&self, who: &Principal, action: Action, class: &str, record: &RecordFacts) -> Decision {
        for rule in self.rules.iter().filter(|r| r.covers(who, action, class)) {
            if rule.unless_flags.iter().any(|f| record.flags.contains(f)) {
                continue;
            }
            if let Some(relation) = rule.relations.iter().copied().find(|rel| holds(*rel, who, record)) {
                return Decision { allowed: true, rule: rule.id.clone(), relation: Some(relation), reason: rule.reason.clone() };
            }
        }
        Decision {
            allowed: false,
            rule: DEFAULT_DENY.to_string(),
            relation: None,
            reason: format!("no rule lets a {} of a {} agency {action} {class} on this record", who.role, who.agency_kind),
        }
    }

    /// The condition a list query applies for `who` doing `action` on
    /// `class`: a record passes exactly when [`Policy::decide`] allows it.
    pub fn filter(&self, who: &Principal, action: Action, class: &str) -> Filter {
        let mut clauses = Vec::new();
        for rule in self.rules.iter().filter(|r| r.covers(who, action, class)) {
            for relation in &rule.relations {
                clauses.push(Clause { rule: rule.id.clone(), relation: *relation, unless_flags: rule.unless_flags.clone() });
            }
        }
        Filter { clauses }
    }

    /// Every class `who` may `action` on this record, each with its rule.
    pub fn classes_allowed(&self, who: &Principal, action: Action, record: &RecordFacts) -> Vec<(String, Decision)> {
        self.classes.iter().map(|c| (c.id.clone(), self.decide(who, action, &c.id, record))).filter(|(_, d)| d.allowed).collect()
    }

    /// Whether the policy gives `who` any access of `action` to `class` on
    /// some record (used to refuse whole operations before any lookup).
    pub fn may_ever(&self, who: &Principal, action: Action, class: &str) -> bool {
        self.rules.iter().any(|r| r.covers(who, action, class))
    }
}
