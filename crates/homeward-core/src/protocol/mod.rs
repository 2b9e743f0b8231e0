//! Protocols as data: loading, validating, choosing the version in force, and
//! describing them in plain English.

mod describe;
mod load;
mod model;

pub use describe::describe;
pub use load::{ProtocolError, load};
pub use model::*;

use crate::scenario::{EventData, Scenario, ScenarioError};
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
    pub fn from_sources(
        files: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Registry, Vec<ProtocolError>> {
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
        let id = self.protocol_id_for(authority);
        let mut chosen = None;
        for p in self.versions(id) {
            if chosen.is_none() || p.effective_from <= day {
                chosen = Some(p);
            }
        }
        chosen
    }

    /// Checks what the scenario says against the protocols: a `notified.to`
    /// must be a role of a protocol that applies to the child.
    pub fn check_scenario(&self, scenario: &Scenario) -> Result<(), ScenarioError> {
        for ev in &scenario.events {
            if let EventData::Notified { to } = &ev.data {
                let child = &scenario.children[ev.child];
                let ids = [
                    self.protocol_id_for(&child.responsible_authority),
                    self.protocol_id_for(&child.living_in),
                ];
                let known = ids
                    .iter()
                    .any(|id| self.versions(id).any(|p| p.role(to).is_some()));
                if !known {
                    let mut names: Vec<&str> = ids.to_vec();
                    names.dedup();
                    return Err(ScenarioError::new(
                        format!("events[{}].to", ev.index),
                        format!("'{to}' is not a role of the {} protocol", names.join(" or ")),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Checks that only make sense across files.
fn check_set(protocols: &[Protocol]) -> Vec<ProtocolError> {
    let mut errors = Vec::new();
    let err = |p: &Protocol, field: &str, message: String| ProtocolError {
        file: p.source.clone(),
        item: "protocol".into(),
        field: field.into(),
        message,
    };
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
