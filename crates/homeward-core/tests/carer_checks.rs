//! `[[check]]` in protocol files: the checks a document expects of whoever
//! cares for a child before reporting them missing, in the document's order,
//! validated at load with errors naming the field.

use homeward_core::Registry;
use homeward_core::protocol::load;

const HEADER: &str = r#"
[protocol]
id = "testshire"
title = "Test"
version = "1"
effective_from = "2024-01-01"
authorities = ["testshire"]
document = "test"
"#;

fn load_error(checks: &str) -> String {
    match load("protocols/testshire/2024-01-01.toml", &format!("{HEADER}\n{checks}")) {
        Ok(_) => panic!("should be refused:\n{checks}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_partnerships_that_list_checks_have_them_in_the_documents_order() {
    let r = Registry::builtin().expect("built-in protocols");
    let today = "2026-12-04".parse().unwrap();
    let asked = |authority: &str| -> Vec<String> { r.in_force(authority, today).unwrap().checks.iter().map(|c| c.id.clone()).collect() };
    assert_eq!(
        asked("lancashire"),
        ["home-searched", "child-contacted", "family-contacted", "places-checked", "social-networks-checked", "hospitals-contacted", "education-checked"]
    );
    assert_eq!(asked("derby"), asked("derbyshire"), "one partnership, one list");
    assert_eq!(asked("derby").len(), 5);
    assert_eq!(asked("bolton").first().map(String::as_str), Some("residence-checked"));
    // Newham and B&NES ask for "preliminary checks" but list none: nothing is made up.
    assert!(asked("newham").is_empty() && asked("bath-and-north-east-somerset").is_empty());
    let lancashire = r.in_force("lancashire", today).unwrap();
    let education = lancashire.checks.iter().find(|c| c.id == "education-checked").unwrap();
    assert_eq!((education.only_if.as_deref(), education.cite.as_str()), (Some("if appropriate"), "§5.1.1"));
}

#[test]
fn a_check_is_validated_at_load_and_errors_name_the_field() {
    let good = "[[check]]\nid = \"home\"\nask = \"Have you searched the home?\"\ncite = \"§1\"\nquote = \"searched the home\"\n";
    let p = load("protocols/testshire/2024-01-01.toml", &format!("{HEADER}\n{good}")).expect("valid");
    assert_eq!(p.checks.len(), 1);
    let cases = [
        (good.replace("cite = \"§1\"\n", ""), "check home: `cite`: every entry must cite"),
        (good.replace("quote = \"searched the home\"\n", ""), "check home: `quote`: every entry must quote"),
        (good.replace("\"Have you searched the home?\"", "\" \""), "check home: `ask`"),
        (format!("{good}only_if = \"\"\n"), "check home: `only_if`"),
        (good.replace("ask =", "question ="), "`question`: unknown field"),
        (good.replace("\"home\"", "\"Home Search\""), "`id`"),
        (format!("{good}\n{good}"), "check home: `id`: is used twice in this file"),
    ];
    for (text, expected) in cases {
        let message = load_error(&text);
        assert!(message.contains(expected), "got '{message}', expected '…{expected}…'");
        assert!(message.starts_with("protocols/testshire/2024-01-01.toml: "), "{message}");
    }
}
