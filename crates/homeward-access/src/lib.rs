//! Homeward's need-to-know policy.
//!
//! Who may read or write which parts of a child's record is data: a policy
//! file (`policy/<effective date>.toml`), reviewed and versioned like the
//! protocols, checked before use, with the reason and citation beside each
//! rule. This crate is pure: it loads a policy, decides about one record
//! ([`Policy::decide`], always naming the rule), and says which records a
//! list may return ([`Policy::filter`]), from the same rules, so the store
//! can filter in the query itself.

mod administer;
pub mod classify;
mod decide;
mod load;
mod model;

pub use administer::{Administration, Scope};
pub use decide::{Clause, DEFAULT_DENY, Decision, Filter, Principal, RecordFacts, holds};
pub use load::{PolicyError, parse};
pub use model::{Action, BreakGlass, FieldClass, Policy, Relation, Role, Rule};

use jiff::civil::Date;

/// The policy versions built into Homeward: (file name, text).
pub const BUILT_IN: &[(&str, &str)] =
    &[("2014-01-01.toml", include_str!("../../../policy/2014-01-01.toml")), ("2026-12-04.toml", include_str!("../../../policy/2026-12-04.toml"))];

/// Checks that a policy defines every field class the service relies on.
pub fn check_complete(policy: &Policy) -> Result<(), PolicyError> {
    for class in classify::REQUIRED {
        if policy.class(class).is_none() {
            return Err(PolicyError { path: "class".into(), message: format!("the policy must define the field class '{class}'") });
        }
    }
    Ok(())
}

/// Every version of the policy, each checked, in order of effective date.
#[derive(Debug, Clone)]
pub struct Policies {
    versions: Vec<Policy>,
}

impl Policies {
    /// Loads and checks policy files (name, text); errors name the file.
    pub fn load(files: &[(&str, &str)]) -> Result<Policies, PolicyError> {
        let mut versions = Vec::new();
        for (name, text) in files {
            let named = |e: PolicyError| PolicyError { path: format!("{name}: {}", e.path), message: e.message };
            let policy = parse(text).map_err(named)?;
            check_complete(&policy).map_err(named)?;
            if versions.iter().any(|p: &Policy| p.effective_from == policy.effective_from) {
                return Err(named(PolicyError { path: "effective_from".into(), message: "two versions take effect on the same day".into() }));
            }
            versions.push(policy);
        }
        if versions.is_empty() {
            return Err(PolicyError { path: "policy".into(), message: "no policy files".into() });
        }
        versions.sort_by_key(|p| p.effective_from);
        Ok(Policies { versions })
    }

    /// The policies built into Homeward.
    pub fn built_in() -> Result<Policies, PolicyError> {
        Policies::load(BUILT_IN)
    }

    /// The version in force on `day`: the latest that took effect by then
    /// (the earliest, for a day before every version).
    pub fn at(&self, day: Date) -> &Policy {
        self.versions.iter().rev().find(|p| p.effective_from <= day).unwrap_or(&self.versions[0])
    }

    pub fn versions(&self) -> &[Policy] {
        &self.versions
    }
}
