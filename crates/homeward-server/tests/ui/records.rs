//! The records of return interviews and meetings: their forms ask for what
//! the protocols' forms ask (the replay contract's `details`), the child's
//! page shows it in words to those who may read it, and each has a
//! printable record; a placement knows an interview took place, nothing more.

use super::*;

const ACCOUNT: &str = "Stayed at a flat above the takeaway with a friend";

/// The return interview form filled in with its record (on episode e1).
fn rhi_form(csrf: &str) -> Vec<(&str, &str)> {
    vec![
        ("csrf_token", csrf),
        ("day", "2"),
        ("month", "3"),
        ("year", "2026"),
        ("hour", "17"),
        ("minute", "00"),
        ("episode", "e1"),
        ("outcome", "completed"),
        ("independent", "yes"),
        ("interviewer", "Sam Oduya"),
        ("interviewer_agency", "RUNA"),
        ("mode", "in_person"),
        ("venue", "School"),
        ("offered_at-day", "2"),
        ("offered_at-month", "3"),
        ("offered_at-year", "2026"),
        ("offered_at-hour", "10"),
        ("offered_at-minute", "15"),
        ("contact-1-day", "2"),
        ("contact-1-month", "3"),
        ("contact-1-year", "2026"),
        ("contact-1-hour", "09"),
        ("contact-1-minute", "30"),
        ("contact-1-method", "Phone"),
        ("contact-1-outcome", "Agreed to meet at school"),
        ("parental_consent", "yes"),
        ("childs_account", ACCOUNT),
        ("push_factors", "Arguments at home\nNew rules about phones"),
        ("pull_factors", "Older friends"),
        ("concerns", "Older associates; possible exploitation"),
        ("strengths", "Talked openly"),
        ("action-1", "Refer to the exploitation team"),
        ("action-1-owner", "Social worker"),
        ("action-1-due-day", "9"),
        ("action-1-due-month", "3"),
        ("action-1-due-year", "2026"),
        ("safety_plan", "Call the carer before 22:00"),
    ]
}

async fn logged_in(w: &World, who: &str) -> Browser {
    let mut b = Browser::new(&w.state);
    b.log_in(who, PASSWORD, "/").await;
    b
}

/// The id of the child's last recorded event of a type.
async fn last_event(w: &World, event_type: &str) -> homeward_store::EventRecord {
    w.state.store.events(&w.child).await.unwrap().into_iter().rev().find(|e| e.event_type == event_type).expect("an event of that type")
}

#[tokio::test]
async fn the_return_interview_form_records_its_details_and_the_childs_page_shows_them() {
    for url in support::fresh_databases("ui-records-rhi").await {
        let w = world(&url).await;
        let mut b = logged_in(&w, "sw").await;
        let uri = format!("/children/{}/record/return_interview", w.child);
        let form = b.get(&uri).await;
        assert_eq!(form.status, StatusCode::OK);
        for input in ["id=\"interviewer\"", "id=\"mode\"", "id=\"push_factors\"", "id=\"action-5\"", "id=\"contact-3-method\"", "id=\"offered_at-day\""] {
            assert!(form.html.contains(input), "the form asks {input}");
        }
        let csrf = form.csrf();
        let done = b.post(&uri, &rhi_form(&csrf)).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        let recorded = last_event(&w, "return_interview").await;
        let body: serde_json::Value = serde_json::from_str(&recorded.body).unwrap();
        let d = &body["details"];
        assert_eq!(d["interviewer"], "Sam Oduya");
        assert_eq!(d["mode"], "in_person");
        assert_eq!(d["parental_consent"], true);
        assert_eq!(d["push_factors"], json!(["Arguments at home", "New rules about phones"]));
        assert_eq!(
            d["actions"],
            json!([{"action": "Refer to the exploitation team", "owner": "Social worker", "due": "2026-03-09"}]),
            "blank rows are left out"
        );
        assert_eq!(d["offered_at"], "2026-03-02T10:15:00Z", "London time (GMT in March)");
        assert_eq!(d["contact_attempts"], json!([{"at": "2026-03-02T09:30:00Z", "method": "Phone", "outcome": "Agreed to meet at school"}]));

        let page = b.get(&format!("/children/{}", w.child)).await;
        let text = page_text(&page.html);
        for shown in
            ["Name of worker completing the interview", "Sam Oduya", "In person", "New rules about phones", "Refer to the exploitation team", "9 March 2026"]
        {
            assert!(text.contains(shown), "the child's page shows {shown}: {text}");
        }
        assert!(page.html.contains(&format!("/children/{}/events/{}/print", w.child, recorded.id)), "a link to print the record");
    }
}

#[tokio::test]
async fn a_safe_and_well_check_and_a_meeting_record_their_details() {
    for url in support::fresh_databases("ui-records-check").await {
        let w = world(&url).await;
        let mut b = logged_in(&w, "sw").await;
        let uri = format!("/children/{}/record/safe_and_well_check", w.child);
        let csrf = b.get(&uri).await.csrf();
        let when = [("csrf_token", csrf.as_str()), ("day", "2"), ("month", "3"), ("year", "2026"), ("hour", "10"), ("minute", "00"), ("episode", "e1")];
        let mut check = when.to_vec();
        check.extend([
            ("check_by", "other"),
            ("by_name", "Jo Carer"),
            ("by_agency", "Oak House"),
            ("rationale", "Low risk, agreed with the police"),
            ("presentation", "Tired, clean clothes"),
            ("psr_submitted", "no"),
        ]);
        let done = b.post(&uri, &check).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        let check_event = last_event(&w, "safe_and_well_check").await;
        let body: serde_json::Value = serde_json::from_str(&check_event.body).unwrap();
        let printed = page_text(&b.get(&format!("/children/{}/events/{}/print", w.child, check_event.id)).await.html);
        assert!(printed.contains("Safe and well check record") && printed.contains("Done by Someone other than the police"), "{printed}");
        assert!(printed.contains("How the child presented Tired, clean clothes"), "{printed}");
        assert_eq!(
            body["details"],
            json!({"by_name": "Jo Carer", "by_agency": "Oak House", "rationale": "Low risk, agreed with the police", "presentation": "Tired, clean clothes", "psr_submitted": false})
        );
        let uri = format!("/children/{}/record/meeting", w.child);
        let mut meeting = when.to_vec();
        meeting.extend([("choice", "risk_management"), ("chair", "Priya Team Manager"), ("record_shared_with", "School\nHealth")]);
        let done = b.post(&uri, &meeting).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        let recorded = last_event(&w, "meeting").await;
        let body: serde_json::Value = serde_json::from_str(&recorded.body).unwrap();
        assert_eq!(body["details"], json!({"chair": "Priya Team Manager", "record_shared_with": ["School", "Health"]}));
        let page = b.get(&format!("/children/{}", w.child)).await;
        let text = page_text(&page.html);
        assert!(text.contains("Jo Carer") && text.contains("Police Safeguarding Referral submitted No") && text.contains("Priya Team Manager"), "{text}");
        let print = b.get(&format!("/children/{}/events/{}/print", w.child, recorded.id)).await;
        assert_eq!(print.status, StatusCode::OK);
        assert!(page_text(&print.html).contains("Risk management meeting record"));
    }
}

#[tokio::test]
async fn every_problem_of_a_record_is_named_at_once_and_nothing_is_written() {
    for url in support::fresh_databases("ui-records-errors").await {
        let w = world(&url).await;
        let mut b = logged_in(&w, "sw").await;
        let uri = format!("/children/{}/record/strategy_meeting", w.child);
        let csrf = b.get(&uri).await.csrf();
        let before = w.state.store.events(&w.child).await.unwrap().len();
        let wrong = b
            .post(
                &uri,
                &[
                    ("csrf_token", &csrf),
                    ("day", "2"),
                    ("month", "3"),
                    ("year", "2026"),
                    ("hour", "12"),
                    ("minute", "00"),
                    ("chair", "Team manager"),
                    ("section_47", "perhaps"),
                    ("action-2-owner", "Police"),
                    ("action-3", "Visit the friend's address"),
                    ("action-3-due-day", "40"),
                    ("action-3-due-month", "3"),
                    ("action-3-due-year", "2026"),
                    ("next_review-day", "31"),
                    ("next_review-month", "2"),
                    ("next_review-year", "2026"),
                    ("attendees", ", Police"),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.html);
        for link in ["#episode", "#attendees", "#section_47", "#action-2", "#action-3-due-day", "#next_review-day"] {
            assert!(wrong.html.contains(&format!("href=\"{link}\"")), "{link} is named in the summary: {}", wrong.html);
        }
        assert!(wrong.html.contains("value=\"Team manager\""), "what was typed is kept");
        assert_eq!(w.state.store.events(&w.child).await.unwrap().len(), before, "nothing written");
    }
}

#[tokio::test]
async fn printable_records_for_the_social_worker_never_for_the_placement() {
    for url in support::fresh_databases("ui-records-print").await {
        let w = world(&url).await;
        let mut sw = logged_in(&w, "sw").await;
        let csrf = sw.get(&format!("/children/{}/record/return_interview", w.child)).await.csrf();
        let done = sw.post(&format!("/children/{}/record/return_interview", w.child), &rhi_form(&csrf)).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        let rhi = last_event(&w, "return_interview").await;
        let meeting_uri = format!("/children/{}/record/strategy_meeting", w.child);
        let done = sw
            .post(
                &meeting_uri,
                &[
                    ("csrf_token", &csrf),
                    ("day", "2"),
                    ("month", "3"),
                    ("year", "2026"),
                    ("hour", "12"),
                    ("minute", "00"),
                    ("episode", "e1"),
                    ("chair", "Priya Team Manager"),
                    ("attendees", "PC Lee, Police\nJo Smith, School"),
                    ("section_47", "no"),
                    ("decisions", "Trigger plan to be updated"),
                    ("action-1", "Update the trigger plan"),
                    ("action-1-owner", "Social worker"),
                    ("action-4", "Tell the school"),
                    ("next_review-day", "9"),
                    ("next_review-month", "3"),
                    ("next_review-year", "2026"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        let meeting = last_event(&w, "strategy_meeting").await;

        // The social worker prints both: one audit entry each, never kept by the browser.
        let before = w.state.store.audit_entries(0, 100_000).await.unwrap().len();
        let print = sw.get(&format!("/children/{}/events/{}/print", w.child, rhi.id)).await;
        assert_eq!(print.status, StatusCode::OK, "{}", print.html);
        let text = page_text(&print.html);
        for shown in [
            "Return interview record",
            "Kim Ours",
            "1 May 2011",
            "Missing date and time",
            "Sun 1 Mar 2026, 20:00",
            "Sam Oduya",
            ACCOUNT,
            "Reason for non-completion within 72 hours",
            "Refer to the exploitation team",
        ] {
            assert!(text.contains(shown), "the printed interview shows {shown}: {text}");
        }
        assert!(print.html.contains("class=\"blank-line\""), "a blank line where nothing was recorded");
        let entries = w.state.store.audit_entries(0, 100_000).await.unwrap();
        assert_eq!(entries.len(), before + 1, "one audit entry");
        assert_eq!(entries.last().unwrap().entry.record_id.as_deref(), Some(w.child.as_str()));
        let print = sw.get(&format!("/children/{}/events/{}/print", w.child, meeting.id)).await;
        assert_eq!(print.status, StatusCode::OK, "{}", print.html);
        let text = page_text(&print.html);
        for shown in [
            "Strategy meeting record",
            "Priya Team Manager",
            "PC Lee (Police)",
            "Trigger plan to be updated",
            "Update the trigger plan",
            "Tell the school",
            "9 March 2026",
        ] {
            assert!(text.contains(shown), "the printed meeting shows {shown}: {text}");
        }
        let res = homeward_server::app(w.state.clone())
            .oneshot(
                Request::builder()
                    .uri(format!("/children/{}/events/{}/print", w.child, meeting.id))
                    .header("cookie", sw.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");

        // The placement knows the interview took place: no details, no note, no print.
        let mut home = logged_in(&w, "home").await;
        let page = home.get(&format!("/children/{}", w.child)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page_text(&page.html).contains("Return interview"), "the placement sees that it happened");
        for hidden in ["Sam Oduya", ACCOUNT, "Refer to the exploitation team", RHI_NOTE] {
            assert!(!page.html.contains(hidden), "{hidden} shown to the placement");
        }
        assert!(!page.html.contains(&format!("/events/{}/print", rhi.id)), "no print link for the placement");
        let refused = home.get(&format!("/children/{}/events/{}/print", w.child, rhi.id)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
        assert!(!refused.html.contains("Sam Oduya") && !refused.html.contains(ACCOUNT));
        let unknown = sw.get(&format!("/children/{}/events/no-such-event/print", w.child)).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_return_interview_form_takes_its_record_and_prints_it() {
    use fantoccini::Locator::Css;
    let Some(url) = support::fresh_databases("ui-browser-records").await.into_iter().next() else { return };
    let w = world(&url).await;
    let base = serve(&w.state).await;
    let Some(c) = chromium().await else { return };
    c.goto(&format!("{base}/children/{}/record/return_interview", w.child)).await.unwrap();
    log_in_with_the_form(&c, "sw").await;
    assert_eq!(text(&c, "h1").await, "Return interview");
    check_page(&c, "record-return-interview").await;

    c.find(Css("#episode")).await.unwrap().select_by_value("e1").await.unwrap();
    for id in ["#outcome", "#mode", "#parental_consent"] {
        c.find(Css(id)).await.unwrap().click().await.unwrap();
    }
    for (id, value) in [
        ("#interviewer", "Sam Oduya"),
        ("#interviewer_agency", "RUNA"),
        ("#childs_account", ACCOUNT),
        ("#push_factors", "Arguments at home\nNew rules about phones"),
        ("#action-1", "Refer to the exploitation team"),
        ("#action-1-owner", "Social worker"),
        ("#action-1-due-day", "9"),
        ("#action-1-due-month", "3"),
        ("#action-1-due-year", "2026"),
        ("#safety_plan", "Call the carer before 22:00"),
    ] {
        c.find(Css(id)).await.unwrap().send_keys(value).await.unwrap();
    }
    // A due date that is not one: named, and the form keeps what was typed.
    c.find(Css("#action-2")).await.unwrap().send_keys("Tell the school").await.unwrap();
    c.find(Css("#action-2-due-day")).await.unwrap().send_keys("31").await.unwrap();
    c.find(Css("#action-2-due-month")).await.unwrap().send_keys("2").await.unwrap();
    c.find(Css("#action-2-due-year")).await.unwrap().send_keys("2026").await.unwrap();
    let submit = "form[action$='/record/return_interview'] button[type=submit]";
    click_through(&c, Css(submit)).await;
    assert!(text(&c, ".error-summary").await.contains("action 2"), "the bad due date is named");
    check_page(&c, "record-return-interview-error").await;
    c.find(Css("#action-2-due-day")).await.unwrap().clear().await.unwrap();
    c.find(Css("#action-2-due-day")).await.unwrap().send_keys("28").await.unwrap();
    click_through(&c, Css(submit)).await;
    assert_eq!(c.current_url().await.unwrap().path(), format!("/children/{}", w.child), "recorded, back on the record");
    let main = text(&c, "main").await;
    assert!(main.contains("Sam Oduya") && main.contains("Tell the school"), "{main}");
    check_page(&c, "child-with-records").await;

    let recorded = last_event(&w, "return_interview").await;
    click_through(&c, Css(&format!("a[href$='/events/{}/print']", recorded.id))).await;
    assert_eq!(text(&c, "h1").await, "Return interview record");
    let main = text(&c, "main").await;
    assert!(main.contains(ACCOUNT) && main.contains("28 February 2026"), "{main}");
    check_page(&c, "print-return-interview").await;
    c.close().await.unwrap();
}
