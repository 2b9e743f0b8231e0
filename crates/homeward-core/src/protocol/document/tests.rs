use super::*;
use crate::protocol::load;

const DOCUMENT: &str = "\
Missing children protocol
1. Introduction
1.1 This protocol applies to every child.
9. Senior management
9.1 A strategy meeting must be convened within 24 hours.
9.2  After 24 hours of a looked after child being missing: The social worker must notify their Head of Service.
1. What is the concern?
2. What has been done?
The social worker records the notification\u{2019}s time \u{2013} at once.
9.3 After 72 hours: The Director of Operations must be informed.
Return interviews
Every child is offered an interview within 72 hours.
Appendix D \u{2013} Missing notification form
Send the form to the Head of Service.
";

fn protocol(rules: &str) -> Protocol {
    let text = format!(
        r#"
[protocol]
id = "test"
title = "Test"
version = "1"
effective_from = "2024-01-01"
authorities = ["test"]
document = "Test protocol"

[[role]]
id = "social_worker"
name = "Social worker"
agency = "childrens_services"

{rules}
"#
    );
    match load("protocols/test/2024-01-01.toml", &text) {
        Ok(p) => p,
        Err(e) => panic!("test protocol does not load: {e}"),
    }
}

fn rule(id: &str, cite: &str, quote: &str) -> String {
    format!("[[rule]]\nid = \"{id}\"\ncite = \"{cite}\"\nquote = \"{quote}\"\nkind = \"record\"\nwhat = \"x\"\nby = \"social_worker\"\nsatisfied_by = []\n\n")
}

fn problems(rules: &str) -> Vec<(String, &'static str, Problem)> {
    check(&protocol(rules), DOCUMENT).failures.into_iter().map(|f| (f.item, f.field, f.problem)).collect()
}

#[test]
fn a_quote_under_its_paragraph_passes() {
    assert_eq!(problems(&rule("a", "§9.2", "The social worker must notify their Head of Service")), vec![]);
    // Past the numbered list inside §9.2, still §9.2; §9 covers it too.
    assert_eq!(problems(&rule("b", "§9.2", "records the notification's time - at once")), vec![]);
    assert_eq!(problems(&rule("c", "§9", "records the notification's time")), vec![]);
    assert_eq!(problems(&rule("d", "§9.1-§9.3", "The Director of Operations must be informed")), vec![]);
}

#[test]
fn an_absent_quote_is_named() {
    let found = problems(&rule("a", "§9.2", "The social worker must tell the Head of Service"));
    assert_eq!(found, vec![("rule a".to_string(), "quote", Problem::QuoteNotFound("The social worker must tell the Head of Service".into()))]);
}

#[test]
fn a_wrong_cite_is_named_with_where_the_quote_is() {
    let found = problems(&rule("a", "§9.1", "The Director of Operations must be informed"));
    assert_eq!(
        found,
        vec![(
            "rule a".to_string(),
            "cite",
            Problem::WrongPlace { fragment: "The Director of Operations must be informed".into(), found: "§9.3".into(), cite: "§9.1".into() }
        )]
    );
}

#[test]
fn a_cited_place_missing_from_the_document_is_named() {
    let found = problems(&rule("a", "§9.2, §12.4", "The social worker must notify"));
    assert_eq!(found, vec![("rule a".to_string(), "cite", Problem::PlaceNotFound("§12.4".into()))]);
}

#[test]
fn curly_quotes_dashes_and_whitespace_are_normalised() {
    // The document has a curly apostrophe, an en dash and two spaces; the quote has none of them.
    assert_eq!(problems(&rule("a", "§9.2", "9.2 After 24 hours of a looked after child")), vec![]);
    assert_eq!(problems(&rule("b", "§9.2", "the notification\u{2019}s time \u{2014} at  once")), vec![]);
    // Case is not normalised.
    assert_eq!(problems(&rule("c", "§9.2", "the Social Worker must notify")).len(), 1);
}

#[test]
fn fragments_joined_by_an_ellipsis_are_checked_apart() {
    assert_eq!(problems(&rule("a", "§9.2", "After 24 hours … The social worker must notify")), vec![]);
    assert_eq!(problems(&rule("b", "§9.2", "After 24 hours [...] The social worker must notify")), vec![]);
    let found = problems(&rule("c", "§9.2", "After 24 hours … the Director must act"));
    assert_eq!(found, vec![("rule c".to_string(), "quote", Problem::QuoteNotFound("the Director must act".into()))]);
}

#[test]
fn appendices_and_headings() {
    assert_eq!(problems(&rule("a", "Appendix D", "Send the form to the Head of Service.")), vec![]);
    assert_eq!(problems(&rule("b", "Return interviews", "offered an interview within 72 hours")), vec![]);
    let found = problems(&rule("c", "Return interviews", "Send the form"));
    assert_eq!(found.len(), 1);
    assert!(matches!(&found[0].2, Problem::WrongPlace { found, .. } if found == "Appendix D"));
}

#[test]
fn a_paragraph_whose_heading_was_lost_is_placed_between_its_neighbours() {
    let document = "1.1 Intro text.\nDefinitions: a child is anyone under 18.\n3. Principles\n3.1 Safety first.\n";
    let p = protocol(&rule("a", "§2", "a child is anyone under 18"));
    let report = check(&p, document);
    assert_eq!(report.failures, vec![]);
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    assert!(report.notes[0].contains("between §1.1 and §3"), "{:?}", report.notes);
    // Still strict: a quote past §3 is not under the missing §2.
    let wrong = check(&protocol(&rule("b", "§2", "Safety first.")), document);
    assert_eq!(wrong.failures.len(), 1);
    // And a paragraph past the last one is not implied.
    let absent = check(&protocol(&rule("c", "§4", "Safety first.")), document);
    assert!(matches!(absent.failures[0].problem, Problem::PlaceNotFound(_)));
}

#[test]
fn a_short_form_of_a_heading_is_taken_when_no_line_is_exactly_it() {
    let document = "1.1 Intro.\nAppendix A: Law\nThe law.\nMissing from Home Flow Chart (for social care)\nPolice are told.\n";
    let report = check(&protocol(&rule("a", "Flow chart", "Police are told.")), document);
    assert_eq!(report.failures, vec![]);
    assert_eq!(report.notes.len(), 1);
    let wrong = check(&protocol(&rule("b", "Flow chart", "The law.")), document);
    assert_eq!(wrong.failures.len(), 1);
}

#[test]
fn one_quote_is_checked_on_its_own() {
    let (problems, notes) = check_quote(DOCUMENT, "§9.3", "The Director of Operations must be informed");
    assert_eq!((problems, notes), (vec![], vec![]));
    let (problems, _) = check_quote(DOCUMENT, "§9.1", "The Director of Operations must be informed");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, "cite");
}

#[test]
fn a_document_is_recognised_by_its_quotes() {
    let ours = protocol(&rule("a", "§9.2", "The social worker must notify their Head of Service"));
    let protocols = vec![ours];
    assert_eq!(identify(&protocols, DOCUMENT), Ok("test"));
    let scores = identify(&protocols, "Nothing quoted here.").unwrap_err();
    assert_eq!(scores, vec![("test".to_string(), 0, 1)]);
}
