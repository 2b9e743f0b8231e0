//! `homeward protocols check --document FILE`: one protocol's quotes and
//! cites against the plain text of its document.

use anyhow::{Context, Result, bail};
use homeward_core::Registry;
use homeward_core::protocol::document;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub fn check(registry: &Registry, path: &Path, protocol: Option<&str>) -> Result<ExitCode> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let id = match protocol {
        Some(id) => id.to_string(),
        None => match document::identify(registry.all(), &text) {
            Ok(id) => id.to_string(),
            Err(scores) => {
                let seen: Vec<String> = scores.iter().map(|(id, found, total)| format!("{id} {found}/{total}")).collect();
                bail!("cannot tell which protocol {} is (quotes found: {}): give --protocol ID", path.display(), seen.join(", "));
            }
        },
    };
    let versions: Vec<_> = registry.versions(&id).collect();
    if versions.is_empty() {
        bail!("no protocol '{id}' (known: {})", registry.ids().join(", "));
    }
    let mut out = std::io::stdout().lock();
    // A protocol with no document of its own (the national baseline) quotes
    // the local protocols that restate its guidance: check those quotes that
    // restate the protocol this document is.
    let restating = if versions.iter().any(|p| p.is_baseline()) {
        let locals: Vec<_> = registry.all().iter().filter(|p| !p.is_baseline()).cloned().collect();
        let Ok(local) = document::identify(&locals, &text) else {
            bail!(
                "'{id}' has no document of its own: its quotes restate the local protocols' documents, \
                 and {} is not one of them",
                path.display()
            );
        };
        writeln!(out, "'{id}' has no document of its own: its quotes that restate '{local}' are checked against {}", path.display())?;
        Some(local.to_string())
    } else {
        None
    };
    let mut failures = 0;
    for p in versions {
        let report = match &restating {
            Some(local) => document::check_restatements(p, local, &text),
            None => document::check(p, &text),
        };
        writeln!(
            out,
            "{} {} ({}): {} entries, {} quote fragments, against {}",
            report.protocol,
            report.version,
            report.source_file,
            report.entries,
            report.fragments,
            path.display()
        )?;
        for note in &report.notes {
            writeln!(out, "  tolerated: {note}")?;
        }
        for skipped in &report.skipped {
            writeln!(out, "  not checked here: {skipped}")?;
        }
        for f in &report.failures {
            writeln!(out, "  FAIL {}: {}: {}", f.item, f.field, f.problem)?;
        }
        failures += report.failures.len();
    }
    writeln!(out, "\n{}", document::SCOPE)?;
    if failures > 0 {
        out.flush()?;
        eprintln!("{failures} quote or cite failure(s)");
        return Ok(ExitCode::from(1));
    }
    writeln!(out, "\nok: every quote and cite of '{id}' is borne out by the document")?;
    Ok(ExitCode::SUCCESS)
}
