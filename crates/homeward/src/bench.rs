//! `homeward bench replay FILE`: where the time of a replay goes.
//!
//! Each phase runs `runs` times on the same text in the same process and the
//! fastest run is reported, so the figures compare like with like:
//! - json: serde_json into a generic value, the floor any JSON reader pays;
//! - validate: the scenario parsed into typed records and checked (includes
//!   its own JSON parsing);
//! - engine: the protocols evaluated on the validated scenario;
//! - write: the result serialised to JSON through a buffer, as `replay`
//!   writes it, with the bytes counted rather than kept (keeping them would
//!   hold a second copy of the whole result in memory).

use anyhow::{Context, Result};
use homeward_core::{Options, Registry, evaluate, scenario};
use std::path::Path;
use std::time::{Duration, Instant};

fn fastest<T>(runs: u32, mut f: impl FnMut() -> Result<T>) -> Result<(Duration, T)> {
    let mut best: Option<(Duration, T)> = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = f()?;
        let took = start.elapsed();
        if best.as_ref().is_none_or(|(b, _)| took < *b) {
            best = Some((took, value));
        }
    }
    best.context("at least one run")
}

/// Peak resident memory of this process so far, from /proc (Linux).
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// A writer that only counts what it is given.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn replay(registry: &Registry, path: &Path, runs: u32) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let (json_time, value) = fastest(runs, || Ok(serde_json::from_str::<serde_json::Value>(&text)?))?;
    let events = value["events"].as_array().map_or(0, |e| e.len());
    let children = value["children"].as_array().map_or(0, |c| c.len());
    drop(value);
    let (validate_time, parsed) = fastest(runs, || {
        let s = scenario::parse(&text).map_err(|e| anyhow::anyhow!("{e}"))?;
        registry.check_scenario(&s).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(s)
    })?;
    let (engine_time, result) = fastest(runs, || Ok(evaluate(registry, &parsed, Options::default())))?;
    let (write_time, bytes) = fastest(runs, || {
        let mut out = std::io::BufWriter::new(Counter(0));
        serde_json::to_writer(&mut out, &result)?;
        Ok(out.into_inner().map_err(|e| e.into_error())?.0)
    })?;
    let total = validate_time + engine_time + write_time;
    let per_sec = |d: Duration| events as f64 / d.as_secs_f64();

    println!("scenario        {} ({:.1} MiB)", path.display(), text.len() as f64 / 1048576.0);
    println!("children        {children}");
    println!("episodes        {}", parsed.episodes.len());
    println!("events          {events}");
    println!("duties          {}  (result {:.1} MiB)", result.duties.len(), bytes as f64 / 1048576.0);
    println!("runs per phase  {runs} (fastest shown)");
    println!();
    println!("phase                      time      events/s");
    println!("json (generic value)   {:>9.3} s  {:>12.0}", json_time.as_secs_f64(), per_sec(json_time));
    println!("validate (incl. json)  {:>9.3} s  {:>12.0}", validate_time.as_secs_f64(), per_sec(validate_time));
    println!("engine                 {:>9.3} s  {:>12.0}", engine_time.as_secs_f64(), per_sec(engine_time));
    println!("write result           {:>9.3} s  {:>12.0}", write_time.as_secs_f64(), per_sec(write_time));
    println!("replay total           {:>9.3} s  {:>12.0}", total.as_secs_f64(), per_sec(total));
    println!();
    println!("engine / json parse    {:>9.2}", engine_time.as_secs_f64() / json_time.as_secs_f64());
    if let Some(mib) = peak_memory_mib() {
        println!("peak memory            {mib:>9.0} MiB (whole process, all phases)");
    }
    Ok(())
}
