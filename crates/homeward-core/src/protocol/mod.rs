//! Protocols as data: loading, validating, choosing the version in force,
//! describing them in plain English, and what changed between two versions.

mod describe;
mod diff;
pub mod document;
mod load;
mod model;

pub use describe::{RuleWords, conditions_words, describe, retention_words, role_name, rule_words, trigger_words};
pub use diff::{Change, Changes, FieldChange, OtherChange, RuleChange, diff};
pub use load::{ProtocolError, load};
pub use model::*;

use crate::scenario::{EventData, Scenario, ScenarioError};
use crate::vocab::RetainedRecord;
use jiff::Timestamp;
use jiff::civil::Date;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_protocols.rs"));
}

/// Every protocol version Homeward knows, validated as a set.
#[derive(Debug, Clone)]
pub struct Registry {
    /// Sorted by id, then effective date.
    protocols: Vec<Protocol>,
}

impl Registry {
    /// The protocol files compiled into the binary.
    pub fn builtin() -> Result<Registry, Vec<ProtocolError>> {
        Registry::from_sources(builtin::FILES.iter().map(|(n, t)| (n.to_string(), t.to_string())))
    }

    /// Names and texts of the embedded files (for `protocols check` output).
    pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
        builtin::FILES
    }

    /// Loads and validates a set of files; every error is returned, not just the first.
    pub fn from_sources(files: impl IntoIterator<Item = (String, String)>) -> Result<Registry, Vec<ProtocolError>> {
        let mut protocols = Vec::new();
        let mut errors = Vec::new();
        for (name, text) in files {
            match load(&name, &text) {
                Ok(p) => protocols.push(p),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            errors.extend(check_set(&protocols));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        protocols.sort_by(|a, b| (&a.id, a.effective_from).cmp(&(&b.id, b.effective_from)));
        Ok(Registry { protocols })
    }

    pub fn all(&self) -> &[Protocol] {
        &self.protocols
    }

    /// The versions of one protocol id, oldest first.
    pub fn versions(&self, id: &str) -> impl Iterator<Item = &Protocol> {
        self.protocols.iter().filter(move |p| p.id == id)
    }

    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.protocols.iter().map(|p| p.id.as_str()).collect();
        ids.dedup();
        ids
    }

    /// Whether `authority` is one a child can belong to or live in: an
    /// authority of England or Wales, or one a loaded protocol names.
    pub fn knows_authority(&self, authority: &str) -> bool {
        crate::authorities::is_known(authority) || self.protocols.iter().any(|p| p.authorities.iter().any(|a| a == authority))
    }

    /// The protocol id that covers an authority (the baseline if none does).
    pub fn protocol_id_for(&self, authority: &str) -> &str {
        self.protocols
            .iter()
            .find(|p| p.authorities.iter().any(|a| a == authority))
            .or_else(|| self.protocols.iter().find(|p| p.is_baseline()))
            .map(|p| p.id.as_str())
            .unwrap_or("")
    }

    /// The version of the protocol covering `authority` in force on `day`:
    /// the latest `effective_from` on or before it, else the earliest version.
    pub fn in_force(&self, authority: &str, day: Date) -> Option<&Protocol> {
        self.version_in_force(self.protocol_id_for(authority), day)
    }

    /// The version of protocol `id` in force on `day`, chosen as for an
    /// authority it covers (see [`Registry::in_force`]); None for an unknown id.
    pub fn version_in_force(&self, id: &str, day: Date) -> Option<&Protocol> {
        let mut chosen = None;
        for p in self.versions(id) {
            if chosen.is_none() || p.effective_from <= day {
                chosen = Some(p);
            }
        }
        chosen
    }

    /// Until when a record of `kind`, made at `made_at` for `authority`, must
    /// be kept: the retention rule of the protocol version in force for that
    /// authority on the day the record was made. `None`: no protocol allows
    /// it to be deleted, ever.
    pub fn retention(&self, authority: &str, kind: RetainedRecord, made_at: Timestamp) -> Option<Retained<'_>> {
        let protocol = self.in_force(authority, crate::calendar::local_date(made_at))?;
        let rule = protocol.retention_for(kind)?;
        Some(Retained { protocol, rule, keep_until: rule.keep.after(made_at) })
    }

    /// Which authorities have a retention rule for `kind` in some version:
    /// the listed authorities of those protocols, and whether the national
    /// baseline (every authority no other protocol covers) has one.
    pub fn retaining_authorities(&self, kind: RetainedRecord) -> RetainingAuthorities {
        let mut listed = Vec::new();
        let mut baseline = false;
        for p in &self.protocols {
            if p.retention_for(kind).is_none() {
                continue;
            }
            if p.is_baseline() {
                baseline = true;
            } else {
                listed.extend(p.authorities.iter().cloned());
            }
        }
        listed.sort();
        listed.dedup();
        let covered = if baseline {
            let mut all: Vec<String> = self.protocols.iter().filter(|p| !p.is_baseline()).flat_map(|p| p.authorities.iter().cloned()).collect();
            all.sort();
            all.dedup();
            all
        } else {
            Vec::new()
        };
        RetainingAuthorities { listed, baseline, covered_elsewhere: covered }
    }

    /// Checks what the scenario says against the protocols: a `notified.to`
    /// must be a role of a protocol that applies to the child (its host's,
    /// its responsible authority's, or that of an authority one of its
    /// returns says it was found in); a `returned.found_in` must be an
    /// authority a child can be in.
    pub fn check_scenario(&self, scenario: &Scenario) -> Result<(), ScenarioError> {
        for ev in &scenario.events {
            if let EventData::Returned { found_in: Some(f), .. } = &ev.data {
                if !self.knows_authority(f) {
                    return Err(ScenarioError::new(format!("events[{}].found_in", ev.index), format!("'{f}' is not an authority of England or Wales")));
                }
            }
        }
        for ev in &scenario.events {
            if let EventData::Notified { to } = &ev.data {
                let child = &scenario.children[ev.child];
                let mut ids = vec![self.protocol_id_for(&child.responsible_authority), self.protocol_id_for(&child.living_in)];
                for &e in &scenario.child_episodes[ev.child] {
                    if let Some(f) = &scenario.episodes[e].found_in {
                        let id = self.protocol_id_for(f);
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                }
                let known = ids.iter().any(|id| self.versions(id).any(|p| p.role(to).is_some()));
                if !known {
                    let mut names: Vec<&str> = ids.to_vec();
                    names.dedup();
                    return Err(ScenarioError::new(format!("events[{}].to", ev.index), format!("'{to}' is not a role of the {} protocol", names.join(" or "))));
                }
            }
        }
        Ok(())
    }
}

/// A record's retention: the rule that limits it, the protocol version it
/// comes from, and the instant until which the record must be kept.
#[derive(Debug, Clone, Copy)]
pub struct Retained<'a> {
    pub protocol: &'a Protocol,
    pub rule: &'a Retention,
    pub keep_until: Timestamp,
}

/// The authorities whose records of one kind a retention pass looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetainingAuthorities {
    /// Authorities a local protocol with a retention rule lists.
    pub listed: Vec<String>,
    /// The national baseline has a rule: it covers every authority not in
    /// `covered_elsewhere`.
    pub baseline: bool,
    pub covered_elsewhere: Vec<String>,
}

/// Checks that only make sense across files.
fn check_set(protocols: &[Protocol]) -> Vec<ProtocolError> {
    let mut errors = Vec::new();
    let err = |p: &Protocol, field: &str, message: String| ProtocolError { file: p.source.clone(), item: "protocol".into(), field: field.into(), message };
    for (i, a) in protocols.iter().enumerate() {
        for b in &protocols[..i] {
            if a.id == b.id && a.effective_from == b.effective_from {
                errors.push(err(a, "effective_from", format!("{} has the same effective date", b.source)));
            }
            if a.id != b.id {
                if let Some(shared) = a.authorities.iter().find(|x| b.authorities.contains(x)) {
                    errors.push(err(a, "authorities", format!("'{shared}' is also covered by {} ({})", b.id, b.source)));
                }
            }
        }
    }
    if !protocols.is_empty() && !protocols.iter().any(|p| p.is_baseline()) {
        errors.push(ProtocolError {
            file: "protocols".into(),
            item: "set".into(),
            field: "authorities".into(),
            message: "no national baseline (a protocol with authorities = [\"*\"])".into(),
        });
    }
    errors
}
