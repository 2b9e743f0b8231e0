//! `homeward protocols check --document FILE`: one protocol's quotes and
//! cites against the plain text of its document.

use anyhow::{Context, Result, bail};
use homeward_core::Registry;
use homeward_core::protocol::document;
use std::path::Path;
use std::process::ExitCode;

pub fn check(registry: &Registry, path: &Path, protocol: Option<&str>) -> Result<ExitCode> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let id = match protocol {
        Some(id) => id.to_string(),
        None => match document::identify(registry.all(), &text) {
            Ok(id) => id.to_string(),
            Err(scores) => {
                let seen: Vec<String> = scores
                    .iter()
                    .map(|(id, found, total)| format!("{id} {found}/{total}"))
                    .collect();
                bail!(
                    "cannot tell which protocol {} is (quotes found: {}): give --protocol ID",
                    path.display(),
                    seen.join(", ")
                );
            }
        },
    };
    let versions: Vec<_> = registry.versions(&id).collect();
    if versions.is_empty() {
        bail!("no protocol '{id}' (known: {})", registry.ids().join(", "));
    }
    let mut failures = 0;
    for p in versions {
        let report = document::check(p, &text);
        println!(
            "{} {} ({}): {} entries, {} quote fragments, against {}",
            report.protocol,
            report.version,
            report.source_file,
            report.entries,
            report.fragments,
            path.display()
        );
        for note in &report.notes {
            println!("  tolerated: {note}");
        }
        for failure in &report.failures {
            println!(
                "  FAIL {}: {}: {}",
                failure.item, failure.field, failure.problem
            );
        }
        failures += report.failures.len();
    }
    println!("\n{}", document::SCOPE);
    if failures > 0 {
        eprintln!("{failures} quote or cite failure(s)");
        return Ok(ExitCode::from(1));
    }
    println!("\nok: every quote and cite of '{id}' is borne out by the document");
    Ok(ExitCode::SUCCESS)
}
