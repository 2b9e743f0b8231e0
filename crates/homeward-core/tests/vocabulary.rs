//! Every `kind` a protocol file or its cases name is one the service accepts.

use homeward_core::vocab::{self, EventType};

#[test]
fn protocols_name_only_kinds_the_service_accepts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../protocols");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).expect("the protocols folder") {
        let dir = dir.expect("a protocol folder").path();
        for file in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if file.path().extension().is_some_and(|e| e == "toml") {
                files.push(file.path());
            }
        }
    }
    assert!(files.len() >= 12, "the protocol files and their cases");
    for path in files {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).expect("readable");
        let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut found = Vec::new();
        collect(&toml::Value::Table(doc), &mut found);
        for (event_type, kind) in found {
            let Ok(t) = EventType::parse(&event_type) else { continue };
            let accepted = vocab::event_kinds(t).unwrap_or_else(|| panic!("{name}: a '{event_type}' event has no kind, yet one names '{kind}'"));
            assert!(accepted.contains(&kind.as_str()), "{name}: '{event_type}' kind '{kind}' is not in the service's list");
        }
    }
}

/// Every table with both `type` and `kind` (matchers and case events).
fn collect(value: &toml::Value, found: &mut Vec<(String, String)>) {
    match value {
        toml::Value::Table(t) => {
            if let (Some(toml::Value::String(ty)), Some(toml::Value::String(kind))) = (t.get("type"), t.get("kind")) {
                found.push((ty.clone(), kind.clone()));
            }
            t.values().for_each(|v| collect(v, found));
        }
        toml::Value::Array(a) => a.iter().for_each(|v| collect(v, found)),
        _ => {}
    }
}
