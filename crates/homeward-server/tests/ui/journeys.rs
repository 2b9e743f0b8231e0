//! A missing episode run from report to return interview in a real browser,
//! by each person whose work it is: the children's home reports the child
//! missing, the police grade the risk, the social worker marks a duty done
//! and records an exception, the home reports the child back, the return
//! interview service records the interview and sees its duty turn done,
//! and the team manager reads the episode. Every page on the way is checked
//! with axe-core.

use super::*;
use fantoccini::Locator::{Css, LinkText};

/// Types `text` into the input `css` after clearing it.
async fn fill(c: &fantoccini::Client, css: &str, text: &str) {
    let input = c.find(Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Fills a date-and-time group (`{prefix}-day` … `-minute`).
async fn fill_when(c: &fantoccini::Client, prefix: &str, [day, month, year, hour, minute]: [&str; 5]) {
    for (part, value) in [("day", day), ("month", month), ("year", year), ("hour", hour), ("minute", minute)] {
        fill(c, &format!("#{prefix}-{part}"), value).await;
    }
}

async fn click(c: &fantoccini::Client, css: &str) {
    c.find(Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
}

async fn log_out(c: &fantoccini::Client) {
    click_through(c, Css("form[action='/logout'] button")).await;
    assert_eq!(c.current_url().await.unwrap().path(), "/login");
}

async fn banner(c: &fantoccini::Client) -> String {
    text(c, ".banner-success").await
}

/// The child's duty of `rule` in episode e2, as the API shows it to `token`.
async fn duty_state(w: &World, token: &str, rule: &str) -> String {
    let all = api_duties(&w.state, token, &w.child, "&include_closed=true").await;
    let duty = all.iter().find(|d| d["rule"] == rule && d["episode"] == "e2").unwrap_or_else(|| panic!("no {rule} duty in e2: {all:#?}"));
    duty["state"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_an_episode_runs_from_report_to_return_interview_for_each_person() {
    let Some(url) = support::fresh_databases("ui-journey").await.into_iter().next() else { return };
    let w = world(&url).await;
    let sw_token = support::account(&w.state.store, "bolton-cs", "childrens_services", &["bolton"], "sw-api", "social_worker").await;
    person(&w.state, "gmp", "police", &["bolton"], "mpc", "police_mpc").await;
    person(&w.state, "runa", "return_interview_service", &["bolton"], "rhi", "return_interview_worker").await;
    let referred = NewInvolvement { agency_id: "runa".into(), relation: "return_interview".into(), address: None, reason: Some("referred".into()) };
    w.state.store.add_involvement(&w.child, &referred, "seed", w.state.clock.now().as_second()).await.unwrap();
    let base = serve(&w.state).await;
    let Some(c) = chromium().await else { return };

    // The children's home: the child has gone; they report it (Figure 1).
    c.goto(&format!("{base}/")).await.unwrap();
    log_in_with_the_form(&c, "home").await;
    click_through(&c, LinkText("Children placed with you")).await;
    check_page(&c, "journey-placement-children").await;
    click_through(&c, Css(&format!("a[href='/children/{}/placement/missing']", w.child))).await;
    check_page(&c, "journey-placement-report").await;
    // Sent empty first: every problem is named, linked to its field.
    click_through(&c, Css("main form button[type=submit]")).await;
    assert!(text(&c, ".error-summary").await.contains("Enter a summary of the circumstances"));
    check_page(&c, "journey-placement-report-errors").await;
    click(&c, "#check-residence-checked").await;
    click(&c, "#check-child-contacted").await;
    click(&c, "#category").await;
    fill_when(&c, "missing", ["3", "3", "2026", "05", "10"]).await;
    fill_when(&c, "police", ["3", "3", "2026", "05", "40"]).await;
    fill(&c, "#circumstances", "Went out of the back door after breakfast and did not answer the phone.").await;
    fill(&c, "#contact_name", "Jo Keyworker").await;
    fill(&c, "#contact_phone", "01204 333 333").await;
    click_through(&c, Css("main form button[type=submit]")).await;
    assert!(banner(&c).await.contains("Report sent."));
    assert!(text(&c, "main").await.contains("Report return"));
    check_page(&c, "journey-placement-reported").await;
    log_out(&c).await;

    // The police: the child is missing now; they grade the risk from the episode.
    log_in_with_the_form(&c, "mpc").await;
    assert!(text(&c, "#missing ~ table").await.contains("Kim Ours"), "missing now, on the police's home page");
    click_through(&c, Css(&format!("a[href='/children/{}/episodes/e2']", w.child))).await;
    assert_eq!(text(&c, "h1").await, "Missing now");
    check_page(&c, "journey-episode-police").await;
    click_through(&c, LinkText("Record what happened in this episode")).await;
    click_through(&c, LinkText("Risk graded or regraded by the police")).await;
    click(&c, "#risk").await;
    click_through(&c, Css("main form button[type=submit]")).await;
    assert_eq!(c.current_url().await.unwrap().path(), format!("/children/{}/episodes/e2", w.child), "back to the episode");
    assert!(banner(&c).await.contains("Recorded."));
    log_out(&c).await;

    // The social worker: the episode's duties are on their home page; one
    // is marked done, another excepted with its reason and authoriser.
    log_in_with_the_form(&c, "sw").await;
    let group = format!("section[aria-labelledby='group-{}-e2']", w.child);
    let duties = text(&c, &group).await;
    assert!(duties.contains("High risk"), "the police's grade shows: {duties}");
    click_through(&c, Css(&format!("{group} form[action$='/done'] button"))).await;
    assert!(banner(&c).await.contains("Duty marked done"));
    click_through(&c, Css(&format!("{group} a[href*='/exception']"))).await;
    check_page(&c, "journey-exception").await;
    fill(&c, "#reason", "Covered by the strategy discussion held the same morning.").await;
    fill(&c, "#authorised_by", "T. Manager, team manager").await;
    click_through(&c, Css("main form button[type=submit]")).await;
    assert!(banner(&c).await.contains("Exception recorded"));
    log_out(&c).await;

    // Three hours on, the home reports the child back (Figure 3).
    w.clock.advance(jiff::SignedDuration::from_hours(3));
    c.goto(&format!("{base}/login")).await.unwrap(); // a fresh login form: the last one has expired
    log_in_with_the_form(&c, "home").await;
    click_through(&c, LinkText("Children placed with you")).await;
    click_through(&c, Css(&format!("a[href='/children/{}/placement/returned']", w.child))).await;
    check_page(&c, "journey-placement-return").await;
    click(&c, "#directly").await;
    fill(&c, "#account", "Says they walked around town.").await;
    click_through(&c, Css("main form button[type=submit]")).await;
    assert!(banner(&c).await.contains("Return recorded."));
    assert!(text(&c, "main").await.contains("At the placement"));
    log_out(&c).await;

    // The return interview service: its duty is open; the interview is
    // recorded as held and independent, and the duty turns done.
    assert_eq!(duty_state(&w, &sw_token, "ri.72h").await, "due");
    log_in_with_the_form(&c, "rhi").await;
    assert!(text(&c, "main").await.contains("independent return interview"), "the interview is on their home page");
    c.goto(&format!("{base}/children/{}/record/return_interview", w.child)).await.unwrap();
    check_page(&c, "journey-return-interview").await;
    c.find(Css("#episode")).await.unwrap().select_by_value("e2").await.unwrap();
    click(&c, "#outcome").await;
    click(&c, "#independent").await;
    fill(&c, "#note", RHI_NOTE).await;
    click_through(&c, Css("main form button[type=submit]")).await;
    assert_eq!(duty_state(&w, &sw_token, "ri.72h").await, "done");
    c.goto(&format!("{base}/children/{}/episodes/e2", w.child)).await.unwrap();
    let done = text(&c, "section[aria-labelledby='done']").await;
    assert!(done.contains("independent return interview"), "under Done: {done}");
    click_through(&c, Css("a[href$='/print']")).await;
    assert!(text(&c, "h1").await.contains("Return interview record"));
    let print = c.current_url().await.unwrap().to_string();
    check_page(&c, "journey-return-interview-print").await;
    log_out(&c).await;

    // The home is told the interview took place, never what was said.
    log_in_with_the_form(&c, "home").await;
    c.goto(&format!("{base}/children/{}/episodes/e2", w.child)).await.unwrap();
    let seen = text(&c, "main").await;
    assert!(seen.contains("Return interview") && !seen.contains(RHI_NOTE));
    assert!(c.find(Css("a[href$='/print']")).await.is_err(), "no printable record for the placement");
    check_page(&c, "journey-episode-placement").await;
    c.goto(&print).await.unwrap();
    assert!(!text(&c, "main").await.contains(RHI_NOTE), "nor by its address");
    log_out(&c).await;

    // The team manager reads the episode: the exception, with who authorised it.
    log_in_with_the_form(&c, "tm").await;
    c.goto(&format!("{base}/children/{}/episodes/e2", w.child)).await.unwrap();
    let page = text(&c, "main").await;
    assert!(page.contains("Returned") && page.contains("Exceptions (1)"), "{page}");
    assert!(page.contains("T. Manager, team manager"), "{page}");
    check_page(&c, "journey-episode-manager").await;
    c.close().await.unwrap();
}
