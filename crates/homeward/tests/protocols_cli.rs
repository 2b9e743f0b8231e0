//! `homeward protocols check --document FILE` through the real binary, on the
//! protocol documents (read from `HOMEWARD_SEEDS_DIR`, else `shared/seeds/`
//! beside the repository; without them these tests fail, never pass unchecked).

use std::path::PathBuf;
use std::process::{Command, Output};

fn seeds_dir() -> PathBuf {
    let dir = match std::env::var_os("HOMEWARD_SEEDS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds"),
    };
    assert!(
        dir.join("README.md").is_file(),
        "the protocol documents are needed: {} has no README.md. Put them in shared/seeds/ beside the repository, \
         or set HOMEWARD_SEEDS_DIR to their folder.",
        dir.display()
    );
    dir
}

fn documents() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(seeds_dir())
        .expect("read the documents folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .txt documents in {}", seeds_dir().display());
    files
}

fn homeward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homeward")).args(args).output().expect("run homeward")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("homeward-protocols-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).expect("write scratch document");
    path
}

#[test]
fn every_document_is_recognised_and_bears_out_its_protocol() {
    for doc in documents() {
        let out = homeward(&["protocols", "check", "--document", doc.to_str().expect("utf-8 path")]);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{}:\n{stdout}\n{}", doc.display(), text(&out.stderr));
        assert!(stdout.contains("ok: every quote and cite of '"), "{stdout}");
        assert!(stdout.contains("Checked: each quote"), "the output says what is checked: {stdout}");
    }
}

#[test]
fn a_changed_quote_is_named_with_its_rule_and_field() {
    let original = std::fs::read_to_string(documents().into_iter().find(|d| homeward_recognises(d, "newham")).expect("the newham document"))
        .expect("read the newham document");
    let changed = original.replace("The social worker must notify their Head of Service", "The social worker may tell their Head of Service");
    assert_ne!(changed, original, "the phrase to change is in the document");
    let path = scratch("newham.txt", &changed);
    let out = homeward(&["protocols", "check", "--document", path.to_str().expect("utf-8 path"), "--protocol", "newham"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL rule 9-2.notify-hos: quote: not in the document"), "{stdout}");
    assert!(text(&out.stderr).contains("quote or cite failure(s)"));
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_document_of_another_protocol_fails_its_cites_and_quotes() {
    let bnes = documents().into_iter().find(|d| homeward_recognises(d, "bnes")).expect("the bnes document");
    let out = homeward(&["protocols", "check", "--document", bnes.to_str().expect("utf-8 path"), "--protocol", "newham"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("FAIL "));
}

#[test]
fn an_unrecognised_document_needs_protocol() {
    let path = scratch("unknown.txt", "1.1 Nothing in this document is quoted by any protocol.\n");
    let out = homeward(&["protocols", "check", "--document", path.to_str().expect("utf-8 path")]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("give --protocol ID"), "{}", text(&out.stderr));
    let _ = std::fs::remove_file(path);
}

fn homeward_recognises(doc: &std::path::Path, id: &str) -> bool {
    let out = homeward(&["protocols", "check", "--document", doc.to_str().expect("utf-8 path")]);
    text(&out.stdout).contains(&format!("of '{id}'"))
}

#[test]
fn the_national_baseline_is_checked_through_the_documents_that_restate_it() {
    let bnes = documents().into_iter().find(|d| homeward_recognises(d, "bnes")).expect("the bnes document");
    let out = homeward(&["protocols", "check", "--document", bnes.to_str().expect("utf-8 path"), "--protocol", "national"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("'national' has no document of its own"), "{stdout}");
    assert!(stdout.contains("restates pan-lancashire"), "quotes of other documents are listed: {stdout}");
    let path = scratch("national.txt", "1.1 Nothing in this document is quoted by any protocol.\n");
    let out = homeward(&["protocols", "check", "--document", path.to_str().expect("utf-8 path"), "--protocol", "national"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("has no document of its own"), "{}", text(&out.stderr));
    let _ = std::fs::remove_file(path);
}
