//! Embeds every protocol file under the workspace's `protocols/` folder, so the
//! binary needs no files at run time. Adding a protocol version is adding a
//! file; no code changes.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../protocols");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    if let Ok(dirs) = std::fs::read_dir(&root) {
        for dir in dirs.flatten() {
            let path = dir.path();
            if !path.is_dir() {
                continue;
            }
            println!("cargo:rerun-if-changed={}", path.display());
            for file in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                let p = file.path();
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
                if p.extension().is_some_and(|e| e == "toml") && name != "cases.toml" {
                    println!("cargo:rerun-if-changed={}", p.display());
                    let folder = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
                    files.push((format!("protocols/{folder}/{name}"), p));
                }
            }
        }
    }
    files.sort();
    let mut out = String::from("/// (name, text) of every embedded protocol file.\npub static FILES: &[(&str, &str)] = &[\n");
    for (name, path) in &files {
        let abs = path.canonicalize().expect("protocol file path");
        writeln!(out, "    ({name:?}, include_str!({:?})),", abs.display().to_string()).unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_protocols.rs");
    std::fs::write(dest, out).expect("write the embedded protocol list");
}
