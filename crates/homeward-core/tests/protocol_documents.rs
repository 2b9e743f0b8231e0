//! Checks every protocol version against the plain text of its source
//! document: each quote appears in it, under the paragraph or heading its
//! cite names (see `homeward_core::protocol::document`).
//!
//! The documents are not in the repository. They are read from
//! `HOMEWARD_SEEDS_DIR` if set, else from `shared/seeds/` beside the clone
//! (the repository's parent folder); their `README.md` table maps each file to
//! its protocol id. Without them these tests fail: they never pass unchecked.

use homeward_core::Registry;
use homeward_core::protocol::document;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Protocols with no source document among the seeds, and why.
const WITHOUT_DOCUMENT: &[(&str, &str)] = &[(
    "national",
    "the DfE statutory guidance (2014) is not among the source documents; each quote is a local protocol's restatement of it, checked against that protocol's document instead",
)];

fn seeds_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HOMEWARD_SEEDS_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds")
}

/// protocol id → document file, from the seeds' README table.
fn documents() -> BTreeMap<String, PathBuf> {
    let dir = seeds_dir();
    let readme = dir.join("README.md");
    let text = std::fs::read_to_string(&readme).unwrap_or_else(|e| {
        panic!(
            "the protocol documents are needed to check quotes and cites: cannot read {} ({e}). \
             Put the documents in shared/seeds/ beside the repository, or set HOMEWARD_SEEDS_DIR to their folder.",
            readme.display()
        )
    });
    let mut map = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let file = cells.iter().find(|c| c.ends_with(".txt"));
        let id = cells.iter().find_map(|c| c.strip_prefix('`').and_then(|c| c.strip_suffix('`')));
        if let (Some(file), Some(id)) = (file, id) {
            map.insert(id.to_string(), dir.join(file));
        }
    }
    assert!(!map.is_empty(), "{} lists no documents (a table of file and `id`)", readme.display());
    map
}

fn registry() -> Registry {
    Registry::builtin().unwrap_or_else(|e| panic!("the built-in protocols do not load: {e:?}"))
}

fn check(id: &str) {
    let docs = documents();
    let path = docs.get(id).unwrap_or_else(|| panic!("the seeds' README.md names no document for '{id}'"));
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let registry = registry();
    let mut failures = Vec::new();
    let mut versions = 0;
    for p in registry.versions(id) {
        versions += 1;
        let report = document::check(p, &text);
        assert!(report.fragments > 0, "{}: no quotes were checked", p.source);
        println!("{}: {} entries, {} quote fragments checked", p.source, report.entries, report.fragments);
        for note in &report.notes {
            println!("  tolerated: {note}");
        }
        failures.extend(report.failures.iter().map(|f| f.to_string()));
    }
    assert!(versions > 0, "no protocol '{id}'");
    assert!(failures.is_empty(), "{} quote or cite failure(s) against {}:\n{}", failures.len(), path.display(), failures.join("\n"));
}

#[test]
fn bnes_matches_its_document() {
    check("bnes");
}

#[test]
fn pan_lancashire_matches_its_document() {
    check("pan-lancashire");
}

#[test]
fn newham_matches_its_document() {
    check("newham");
}

#[test]
fn derby_derbyshire_matches_its_document() {
    check("derby-derbyshire");
}

#[test]
fn bolton_matches_its_document() {
    check("bolton");
}

/// Every protocol is either checked against a document above or listed,
/// with its reason, as having none: a new protocol cannot go unchecked.
#[test]
fn every_protocol_has_a_document_or_a_stated_reason() {
    let docs = documents();
    for id in registry().ids() {
        let skipped = WITHOUT_DOCUMENT.iter().find(|(s, _)| *s == id);
        match (docs.contains_key(id), skipped) {
            (true, None) => {}
            (false, Some((_, why))) => println!("{id}: not checked against a document: {why}"),
            (true, Some(_)) => panic!("'{id}' has a document now: remove it from WITHOUT_DOCUMENT"),
            (false, None) => panic!("no document for protocol '{id}': add it to the seeds' README.md, or to WITHOUT_DOCUMENT with the reason"),
        }
    }
}

/// The national baseline quotes the guidance as the local protocols restate
/// it: each quote ends "(as restated in <protocol> <cite>)", and its words must
/// be in that protocol's document under that cite.
#[test]
fn national_quotes_are_grounded_in_the_local_protocols_that_restate_them() {
    let docs = documents();
    let registry = registry();
    let mut failures = Vec::new();
    for p in registry.versions("national") {
        let quotes = p
            .rules
            .iter()
            .map(|r| (format!("rule {}", r.id), &r.quote))
            .chain(p.flags.iter().map(|f| (format!("flag {}", f.id), &f.quote)))
            .chain(p.warnings.iter().map(|w| (format!("warning {}", w.id), &w.quote)))
            .chain(p.retention.iter().map(|r| (format!("retention {}", r.id), &r.quote)));
        for (item, quote) in quotes {
            match document::restated(quote) {
                Some((_, id, _)) if docs.contains_key(id) => {}
                Some((_, id, _)) => failures.push(format!("{} {item}: no document for '{id}'", p.source)),
                None => failures.push(format!("{} {item}: names no protocol it restates", p.source)),
            }
        }
        let mut fragments = 0;
        for (id, path) in &docs {
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let report = document::check_restatements(p, id, &text);
            fragments += report.fragments;
            failures.extend(report.failures.iter().map(|f| format!("against {id}: {f}")));
        }
        assert!(fragments > 0, "{}: no quotes were checked", p.source);
    }
    assert!(failures.is_empty(), "{} national quote(s) not grounded:\n{}", failures.len(), failures.join("\n"));
}
