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

/// A Newham child in care, missing for three days with a strategy meeting
/// and the 24-hour notification recorded, allocated to `nsw`.
async fn newham_child(w: &World) -> String {
    let token = person(&w.state, "newham-cs", "childrens_services", &["newham"], "nsw", "social_worker").await;
    let auth = format!("Bearer {token}");
    let h = [("authorization", auth.as_str())];
    let (status, child) = support::request(
        &w.state,
        "POST",
        "/api/v1/children",
        &h,
        Some(json!({"given_name": "Nia", "family_name": "Eastside", "date_of_birth": "2010-10-10", "status": "looked_after", "responsible_authority": "newham", "allocated_worker": "Nadia Worker", "flags": ["cse_risk"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    let child = child["id"].as_str().unwrap().to_string();
    for event in [
        json!({"at": "2026-03-01T20:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium", "note": "did not come home from college"}),
        json!({"at": "2026-03-02T21:00:00Z", "episode": "e1", "type": "notified", "to": "head_of_service"}),
        json!({"at": "2026-03-02T22:00:00Z", "episode": "e1", "type": "strategy_meeting", "note": "police to check known addresses"}),
        json!({"at": "2026-03-02T23:00:00Z", "episode": "e1", "type": "notified", "to": "parents"}),
    ] {
        let (status, body) = support::request(&w.state, "POST", &format!("/api/v1/children/{child}/events"), &h, Some(event)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    w.clock.advance(jiff::SignedDuration::from_hours(48));
    child
}

#[tokio::test]
async fn newhams_notification_form_is_filled_from_the_record_and_leaves_blank_what_is_not_held() {
    for url in support::fresh_databases("ui-newham-form").await {
        let w = world(&url).await;
        let child = newham_child(&w).await;
        let mut b = Browser::new(&w.state);
        b.log_in("nsw", PASSWORD, "/").await;
        let episode = b.get(&format!("/children/{child}/episodes/e1")).await;
        let link = format!("/children/{child}/episodes/e1/notification-form");
        assert!(episode.html.contains(&link), "the episode page offers the form");
        let form = b.get(&link).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.html);
        let text = page_text(&form.html);
        for expected in [
            "Missing from home or care: Care",
            "Social Worker Nadia Worker",
            "Name of Young Person: Nia Eastside",
            "Legal Status: Looked after",
            "Date young person went missing: Sun 1 Mar 2026, 20:00",
            "Number of days missing: 3 days so far (still missing)",
            "Brief details of circumstances: did not come home from college",
            "Cse risk",
            "Strategy meeting, Mon 2 Mar 2026, 22:00: police to check known addresses",
            "Head of Service 24hrs after missing (Mon 2 Mar 2026, 20:00) Head of service: Mon 2 Mar 2026, 21:00",
            "Director of Operations 72hrs after missing (Wed 4 Mar 2026, 20:00) None recorded",
            "Parents informed Yes, Mon 2 Mar 2026, 23:00",
            "Has the ETAC been completed? Date: No record in Homeward",
            "Azeus ID: Not held in Homeward: to fill in by hand",
        ] {
            assert!(text.contains(expected), "'{expected}' in: {text}");
        }
        // Once the profile says more, so does the form.
        let token = support::account(&w.state.store, "newham-cs", "childrens_services", &["newham"], "nsw-api", "social_worker").await;
        let auth = format!("Bearer {token}");
        let profile =
            json!({"legal_status": "care_order", "legal_status_detail": "since 2024", "plan_when_missing": "Call her aunt first; check the college library."});
        let (status, body) =
            support::request(&w.state, "PUT", &format!("/api/v1/children/{child}/profile"), &[("authorization", auth.as_str())], Some(profile)).await;
        assert!(status.is_success(), "{status} {body}");
        let text = page_text(&b.get(&link).await.html);
        assert!(text.contains("Legal Status: Care order: since 2024"), "{text}");
        assert!(
            text.contains("Has the Trigger Plan been completed? Date: Yes: the trigger plan in the child&#39;s profile, last changed Thu 5 Mar 2026, 06:00"),
            "{text}"
        );
        // Bolton children have no such form.
        let mut sw = Browser::new(&w.state);
        sw.log_in("sw", PASSWORD, "/").await;
        assert!(!sw.get(&format!("/children/{}/episodes/e1", w.child)).await.html.contains("notification-form"));
        assert_eq!(sw.get(&format!("/children/{}/episodes/e1/notification-form", w.child)).await.status, StatusCode::NOT_FOUND);
        // Someone who may not know the child gets the same "Not found".
        assert_eq!(sw.get(&link).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_form_opened_from_an_episode_is_about_it_and_comes_back_to_it() {
    for url in support::fresh_databases("ui-episode-forms").await {
        let w = world(&url).await;
        let (child, _) = derby_child(&w).await;
        let mut b = Browser::new(&w.state);
        b.log_in("dsw", PASSWORD, "/").await;
        let choose = b.get(&format!("/children/{child}/record?episode=e1")).await;
        assert_eq!(choose.status, StatusCode::OK);
        assert!(choose.html.contains(&format!("/children/{child}/record/strategy_meeting?episode=e1")), "{}", choose.html);
        assert!(choose.html.contains(&format!("/children/{child}/record/reported\"")), "a report starts a new episode");
        let form = b.get(&format!("/children/{child}/record/strategy_meeting?episode=e1")).await;
        assert!(form.html.contains("<option value=\"e1\" selected>"), "the episode is chosen: {}", form.html);
        assert!(form.html.contains("name=\"from_episode\" value=\"e1\""));
        let mut fields =
            vec![("csrf_token", form.csrf()), ("episode", "e1".to_string()), ("from_episode", "e1".to_string()), ("chair", "Team manager".to_string())];
        for (k, v) in [("day", "5"), ("month", "3"), ("year", "2026"), ("hour", "06"), ("minute", "00")] {
            fields.push((k, v.to_string()));
        }
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let done = b.post(&format!("/children/{child}/record/strategy_meeting"), &fields).await;
        assert_eq!(
            (done.status, done.location.as_deref()),
            (StatusCode::SEE_OTHER, Some(format!("/children/{child}/episodes/e1?done=recorded").as_str())),
            "{}",
            done.html
        );
        let episode = b.get(&format!("/children/{child}/episodes/e1?done=recorded")).await;
        assert!(episode.html.contains("Recorded. It is on the child"), "the banner");
        assert!(episode.html.contains("<dt>Chair</dt><dd>Team manager</dd>"), "the record's details on the episode's page: {}", episode.html);
        assert_eq!(b.get(&format!("/children/{child}/record?episode=e1&x=1")).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}
