//! Synthetic scenarios (being written).
use std::io::Write;
pub const AUTHORITIES: &[&str] = &["bath-and-north-east-somerset", "blackburn-with-darwen", "blackpool", "lancashire", "newham", "derby", "derbyshire", "bolton"];
pub struct Config { pub children: u32, pub days: u32, pub seed: u64, pub authorities: Vec<String>, pub now: Option<jiff::Timestamp> }
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct GenerateError(String);
pub struct Generated(serde_json::Value);
pub fn generate(_c: &Config) -> Result<Generated, GenerateError> { Err(GenerateError("not yet".into())) }
pub fn write_json(g: &Generated, w: &mut impl Write) -> std::io::Result<()> { serde_json::to_writer(w, &g.0).map_err(std::io::Error::other) }
