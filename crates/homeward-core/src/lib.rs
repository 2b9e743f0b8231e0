//! Homeward's protocol engine.
//!
//! Pure and deterministic: protocols (data) and a scenario (children, what was
//! recorded about them, and a time) in; duties, flags and warnings out. No I/O,
//! no clock, no database. The service and `homeward replay` both call
//! [`replay`] or its parts.

pub mod authorities;
pub mod calendar;
pub mod details;
pub mod duration;
pub mod engine;
pub mod protocol;
pub mod scenario;
pub mod text;
pub mod vocab;

pub use engine::{Options, Replay, evaluate};
pub use protocol::{ProtocolError, Registry};
pub use scenario::{Scenario, ScenarioError};

/// Parses a scenario, checks it against the protocols, and evaluates it.
pub fn replay(registry: &Registry, json: &str, options: Options) -> Result<Replay, ScenarioError> {
    let scenario = scenario::parse(json)?;
    registry.check_scenario(&scenario)?;
    Ok(evaluate(registry, &scenario, options))
}
