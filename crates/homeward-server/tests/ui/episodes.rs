//! A missing episode's own page: its facts, its duties grouped by state
//! with their actions, and what was recorded in it, in words.

use super::*;

/// The sections of the episode page, in order, with the count each heading gives.
fn section_counts(html: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for part in html.split("<h3 id=\"").skip(1) {
        let Some((_, rest)) = part.split_once("\">") else { continue };
        let heading = rest.split("</h3>").next().unwrap_or_default();
        if let Some((title, count)) = heading.rsplit_once(" (") {
            out.push((title.to_string(), count.trim_end_matches(')').parse().unwrap_or(usize::MAX)));
        }
    }
    out
}

#[tokio::test]
async fn an_episode_page_shows_its_duties_by_state_and_what_was_recorded_in_words() {
    for url in support::fresh_databases("ui-episode").await {
        let w = world(&url).await;
        let (child, token) = derby_child(&w).await;
        let all = api_duties(&w.state, &token, &child, "&include_closed=true").await;
        let overdue = all.iter().filter(|d| d["state"] == "overdue").count();
        assert!(overdue > 0, "the Derby child has overdue duties: {all:?}");
        let mut b = Browser::new(&w.state);
        b.log_in("dsw", PASSWORD, "/").await;
        let p = b.get(&format!("/children/{child}/episodes/e1")).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.html);
        assert!(p.html.contains("<h1>Missing now</h1>") && p.html.contains("Missing for</dt><dd><strong>2 days 1 hour</strong>"), "{}", p.html);
        let sections = section_counts(&p.html);
        let titles: Vec<&str> = sections.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(titles, ["Overdue", "Due now", "Coming up", "To consider", "Done", "Exceptions", "Considered and dismissed", "No longer needed"]);
        assert_eq!(sections[0].1, overdue, "every overdue duty of the episode, and only those");
        let total: usize = sections.iter().map(|(_, n)| n).sum();
        assert_eq!(total, all.iter().filter(|d| d["episode"] == "e1").count(), "every duty of the episode is in one section");
        // In words: what was recorded names no duty id nor internal code.
        assert!(p.html.contains("<strong>Reported</strong>"), "{}", p.html);
        for d in &all {
            assert!(!p.html.contains(&format!(">{}<", d["id"].as_str().unwrap())), "a duty id shown");
        }
        // Each duty cites its paragraph and names its role.
        assert!(p.html.contains("derby-derbyshire §"), "{}", p.html);
        // The page links to the form for this episode, and back to the child.
        assert!(p.html.contains(&format!("/children/{child}/record?episode=e1")));
        assert!(p.html.contains(&format!("href=\"/children/{child}\" class=\"back-link\"")));
    }
}

#[tokio::test]
async fn a_duty_done_on_the_episode_page_comes_back_to_it_under_done() {
    for url in support::fresh_databases("ui-episode-done").await {
        let w = world(&url).await;
        let (child, token) = derby_child(&w).await;
        let open = api_duties(&w.state, &token, &child, "").await;
        let duty = open.iter().find(|d| d["state"] == "overdue").unwrap();
        let (id, what) = (duty["id"].as_str().unwrap().to_string(), duty["what"].as_str().unwrap().to_string());
        let mut b = Browser::new(&w.state);
        b.log_in("dsw", PASSWORD, "/").await;
        let here = format!("/children/{child}/episodes/e1");
        let before = b.get(&here).await;
        let done_before = section_counts(&before.html).iter().find(|(t, _)| t == "Done").unwrap().1;
        let action = format!("/children/{child}/duties/{}/done", seg(&id));
        assert!(before.html.contains(&action), "each open duty has its action");
        let done = b.post(&action, &[("csrf_token", &before.csrf()), ("back", &here)]).await;
        assert_eq!((done.status, done.location.clone()), (StatusCode::SEE_OTHER, Some(format!("{here}?done=done"))), "{}", done.html);
        let after = b.get(&format!("{here}?done=done")).await;
        assert!(after.html.contains("Duty marked done"), "the banner says what was recorded");
        assert!(!after.html.contains(&action), "no longer open");
        assert_eq!(section_counts(&after.html).iter().find(|(t, _)| t == "Done").unwrap().1, done_before + 1);
        assert!(after.html.contains(&format!("Duty: {}", escaped(&what))), "the timeline names the duty in words: {}", after.html);
        assert_eq!(b.get(&format!("{here}?done=done&other=1")).await.status, StatusCode::UNPROCESSABLE_ENTITY, "unknown parameters are refused");
    }
}

#[tokio::test]
async fn the_placement_sees_the_episode_but_not_the_return_interview_and_strangers_see_nothing() {
    for url in support::fresh_databases("ui-episode-access").await {
        let w = world(&url).await;
        let here = format!("/children/{}/episodes/e1", w.child);
        let mut sw = Browser::new(&w.state);
        sw.log_in("sw", PASSWORD, "/").await;
        let p = sw.get(&here).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.html.contains("<h1>Missing episode</h1>") && p.html.contains(RHI_NOTE), "the social worker reads the return interview");
        let mut home = Browser::new(&w.state);
        home.log_in("home", PASSWORD, "/").await;
        let p = home.get(&here).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.html);
        assert!(p.html.contains("Return interview"), "the placement is told that it took place");
        assert!(!p.html.contains(RHI_NOTE), "but never what was said");
        // Another council's worker may not know the child: the page is the
        // same "Not found" as an episode that does not exist.
        let mut edt = Browser::new(&w.state);
        edt.log_in("edt", PASSWORD, "/").await;
        let hidden = edt.get(&here).await;
        let missing = sw.get(&format!("/children/{}/episodes/e9", w.child)).await;
        assert_eq!((hidden.status, missing.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
        assert!(hidden.html.contains("There is no record with this reference that you may see."));
        assert!(missing.html.contains("There is no record with this reference that you may see."));
    }
}
