//! The placement's pages: the children placed with it, and its two
//! notifications (`bolton` Figures 1 and 3) recorded as `reported` and
//! `returned` with what the figures ask beyond them.

use super::*;

/// Every event recorded about `child`, as the replay contract writes them.
async fn recorded(state: &AppState, child: &str) -> Vec<serde_json::Value> {
    state.store.events(child).await.unwrap().iter().map(|e| serde_json::from_str(&e.body).unwrap()).collect()
}

/// A second Bolton child, known to the social worker but not placed with the home.
async fn child_elsewhere(state: &AppState) -> String {
    let sw = state.store.identity_by_username("sw").await.unwrap().unwrap();
    let new = homeward_store::NewChild {
        given_name: "Lee".into(),
        family_name: "Elsewhere".into(),
        date_of_birth: "2012-01-01".into(),
        status: "looked_after".into(),
        responsible_authority: "bolton".into(),
        living_in: None,
        flags: Vec::new(),
        allocated_worker: None,
        team: None,
        photo_ref: None,
    };
    let actor = homeward_store::Actor { user: sw.user.id.clone(), agency: sw.agency.id.clone() };
    state.store.create_child(&new, &actor, state.clock.now(), true, None).await.unwrap().id
}

fn figure_1(csrf: &str) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = vec![
        ("csrf_token", csrf.to_string()),
        ("category", "missing".into()),
        ("missing-day", "3".into()),
        ("missing-month", "3".into()),
        ("missing-year", "2026".into()),
        ("missing-hour", "01".into()),
        ("missing-minute", "30".into()),
        ("police-day", "3".into()),
        ("police-month", "3".into()),
        ("police-year", "2026".into()),
        ("police-hour", "02".into()),
        ("police-minute", "10".into()),
        ("police_reference", "LOG 0210 03/03".into()),
        ("circumstances", "Left through a window after lights out.".into()),
        ("intent", "May head to an older friend's flat in town.".into()),
        ("contact_name", "Jo Keyworker".into()),
        ("contact_phone", "01204 333 333".into()),
    ];
    fields.push(("check-residence-checked", "done".into()));
    fields.push(("check-child-contacted", "done".into()));
    fields
}

fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn the_placement_lists_only_the_children_placed_with_it() {
    for url in support::fresh_databases("ui-placement-list").await {
        let w = world(&url).await;
        child_elsewhere(&w.state).await;
        let mut home = Browser::new(&w.state);
        home.log_in("home", PASSWORD, "/").await;
        let p = home.get("/placement").await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.html);
        assert!(p.html.contains("<a href=\"/placement\">Children placed with you</a>"), "the header links to it");
        assert!(p.html.contains("Kim Ours") && p.html.contains("At the placement"), "{}", p.html);
        assert!(!p.html.contains("Elsewhere"), "a child not placed here is not listed");
        assert!(p.html.contains(&format!("/children/{}/placement/missing", w.child)));
        // A social worker's header has no such link.
        let mut sw = Browser::new(&w.state);
        sw.log_in("sw", PASSWORD, "/").await;
        assert!(!sw.get("/").await.html.contains("Children placed with you"));
        // Once the placement ends, the child leaves the list.
        let ended = w.state.store.involvements(&w.child).await.unwrap().into_iter().find(|i| i.relation == "placement").unwrap();
        w.state.store.end_involvement(&w.child, &ended.id, "seed", w.state.clock.now().as_second()).await.unwrap();
        assert!(!home.get("/placement").await.html.contains("Kim Ours"));
    }
}

#[tokio::test]
async fn a_placement_reports_a_child_missing_then_back_and_the_figures_fields_are_kept() {
    for url in support::fresh_databases("ui-placement-report").await {
        let w = world(&url).await;
        let mut home = Browser::new(&w.state);
        home.log_in("home", PASSWORD, "/").await;
        let form = home.get(&format!("/children/{}/placement/missing", w.child)).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.html);
        // Bolton's checks, from its protocol file, in its order.
        let residence = form.html.find("Have you physically checked the residence").expect("bolton's first check");
        let family = form.html.find("Have you contacted family and friends").expect("bolton's fourth check");
        assert!(residence < family);
        let before = recorded(&w.state, &w.child).await.len();

        // Nothing filled in: every problem at once, nothing written.
        let empty = home.post(&format!("/children/{}/placement/missing", w.child), &[("csrf_token", &form.csrf())]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["category", "missing-day", "circumstances", "contact_name", "contact_phone"] {
            assert!(empty.html.contains(&format!("<a href=\"#{field}\">")), "{field} is named: {}", empty.html);
        }
        assert_eq!(recorded(&w.state, &w.child).await.len(), before, "nothing written");

        let sent = home.post(&format!("/children/{}/placement/missing", w.child), &pairs(&figure_1(&form.csrf()))).await;
        assert_eq!((sent.status, sent.location.as_deref()), (StatusCode::SEE_OTHER, Some("/placement?done=reported")), "{}", sent.html);
        let events = recorded(&w.state, &w.child).await;
        let report = events.iter().find(|e| e["type"] == "reported" && e["episode"] == "e2").expect("a new episode");
        assert_eq!(report["started_at"], "2026-03-03T01:30:00Z", "went missing");
        assert_eq!(report["at"], "2026-03-03T02:10:00Z", "reported to the police");
        assert_eq!(report["note"], "Left through a window after lights out.");
        assert_eq!(report["details"]["nominated_contact"], json!({"name": "Jo Keyworker", "phone": "01204 333 333"}));
        assert_eq!(report["details"]["police_reference"], "LOG 0210 03/03");
        let checks = report["details"]["carers_checks"].as_array().unwrap();
        assert_eq!(checks.len(), 5, "every check asked is kept, done or not");
        assert_eq!(checks[0], json!({"check": "residence-checked", "done": true}));
        assert_eq!(checks[4], json!({"check": "likely-places-checked", "done": false}));

        let list = home.get("/placement?done=reported").await;
        assert!(list.html.contains("Report sent.") && list.html.contains("Report return"), "{}", list.html);
        // A second report while missing is refused.
        let again = home.get(&format!("/children/{}/placement/missing", w.child)).await;
        assert_eq!(again.status, StatusCode::CONFLICT);

        // The social worker reads the circumstances; the placement's own view keeps to the policy.
        let mut sw = Browser::new(&w.state);
        sw.log_in("sw", PASSWORD, "/").await;
        let episode = sw.get(&format!("/children/{}/episodes/e2", w.child)).await;
        assert!(episode.html.contains("<h1>Missing now</h1>") && episode.html.contains("Left through a window"), "{}", episode.html);
        // Under policy version 1 (before 4 December 2026) the placement cannot read its own note back.
        assert!(!home.get(&format!("/children/{}/episodes/e2", w.child)).await.html.contains("Left through a window"));

        // Figure 3: found somewhere else, with what changed in the child's care.
        w.clock.advance(jiff::SignedDuration::from_hours(3));
        home.log_in("home", PASSWORD, "/").await;
        let back = home.get(&format!("/children/{}/placement/returned", w.child)).await;
        assert_eq!(back.status, StatusCode::OK, "{}", back.html);
        let wrong = home.post(&format!("/children/{}/placement/returned", w.child), &[("csrf_token", &back.csrf()), ("directly", "no")]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.html.contains("<a href=\"#found_at\">") && wrong.html.contains("<a href=\"#back-day\">"), "{}", wrong.html);
        let fields = [
            ("csrf_token", back.csrf()),
            ("back-day", "3".to_string()),
            ("back-month", "3".to_string()),
            ("back-year", "2026".to_string()),
            ("back-hour", "08".to_string()),
            ("back-minute", "00".to_string()),
            ("directly", "no".to_string()),
            ("found_at", "Bus station, town centre".to_string()),
            ("account", "Says they stayed with a friend.".to_string()),
            ("alterations", "Window locks fitted; key worker checks at midnight.".to_string()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let done = home.post(&format!("/children/{}/placement/returned", w.child), &fields).await;
        assert_eq!((done.status, done.location.as_deref()), (StatusCode::SEE_OTHER, Some("/placement?done=returned")), "{}", done.html);
        let events = recorded(&w.state, &w.child).await;
        let returned = events.iter().find(|e| e["type"] == "returned" && e["episode"] == "e2").expect("the return");
        assert_eq!(returned["at"], "2026-03-03T08:00:00Z");
        assert_eq!(returned["location"], "Bus station, town centre");
        assert_eq!(returned["details"], json!({"returned_directly": false, "alterations_in_care": "Window locks fitted; key worker checks at midnight."}));
        assert!(home.get("/placement").await.html.contains("At the placement"));
    }
}

#[tokio::test]
async fn a_placement_cannot_report_a_child_not_placed_with_it() {
    for url in support::fresh_databases("ui-placement-other").await {
        let w = world(&url).await;
        let other = child_elsewhere(&w.state).await;
        let mut home = Browser::new(&w.state);
        home.log_in("home", PASSWORD, "/").await;
        let form = home.get(&format!("/children/{}/placement/missing", w.child)).await;
        assert_eq!(home.get(&format!("/children/{other}/placement/missing")).await.status, StatusCode::NOT_FOUND);
        let forged = home.post(&format!("/children/{other}/placement/missing"), &pairs(&figure_1(&form.csrf()))).await;
        assert_eq!(forged.status, StatusCode::NOT_FOUND);
        assert!(recorded(&w.state, &other).await.is_empty(), "nothing written about a child the placement may not know");
        // Not missing: there is no return to report.
        assert_eq!(home.get(&format!("/children/{}/placement/returned", w.child)).await.status, StatusCode::CONFLICT);
    }
}

#[tokio::test]
async fn recording_a_parents_report_asks_the_checks_of_the_childs_protocol() {
    for url in support::fresh_databases("ui-report-checks").await {
        let w = world(&url).await;
        let token = person(&w.state, "lancs-cs", "childrens_services", &["lancashire"], "lsw", "social_worker").await;
        let auth = format!("Bearer {token}");
        let (status, child) = support::request(
            &w.state,
            "POST",
            "/api/v1/children",
            &[("authorization", auth.as_str())],
            Some(json!({"given_name": "Ash", "family_name": "Preston", "date_of_birth": "2011-04-04", "status": "child_in_need", "responsible_authority": "lancashire"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{child}");
        let child = child["id"].as_str().unwrap().to_string();
        let mut b = Browser::new(&w.state);
        b.log_in("lsw", PASSWORD, "/").await;
        let form = b.get(&format!("/children/{child}/record/reported")).await;
        assert!(form.html.contains("Have you contacted local hospitals?"), "pan-lancashire §5.1.1's checks: {}", form.html);
        let fields = [
            ("csrf_token", form.csrf()),
            ("day", "3".into()),
            ("month", "3".into()),
            ("year", "2026".into()),
            ("hour", "05".into()),
            ("minute", "30".into()),
            ("category", "missing".into()),
            ("police_reference", "LC-0530".into()),
            ("nominated_contact-name", "Mum".into()),
            ("nominated_contact-phone", "07700 900 123".into()),
            ("carers_checks-asked", "yes".into()),
            ("check-home-searched", "done".into()),
            ("check-family-contacted", "done".into()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let done = b.post(&format!("/children/{child}/record/reported"), &fields).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        let report = recorded(&w.state, &child).await.into_iter().find(|e| e["type"] == "reported").unwrap();
        let checks = report["details"]["carers_checks"].as_array().unwrap();
        assert_eq!(checks.len(), 7, "every check asked, done or not");
        assert_eq!(checks.iter().filter(|c| c["done"] == true).count(), 2);
        let page = b.get(&format!("/children/{child}")).await;
        assert!(page.html.contains("Home searched: done") && page.html.contains("Hospitals contacted: not done"), "{}", page.html);
        assert!(page.html.contains("Mum, 07700 900 123"));
        // A Bolton child's form asks Bolton's checks, not Lancashire's.
        let mut sw = Browser::new(&w.state);
        sw.log_in("sw", PASSWORD, "/").await;
        let bolton = sw.get(&format!("/children/{}/record/reported", w.child)).await;
        assert_eq!(bolton.status, StatusCode::OK);
        assert!(bolton.html.contains("Have you physically checked the residence") && !bolton.html.contains("local hospitals"));
        // Other forms ask none.
        assert!(!sw.get(&format!("/children/{}/record/returned", w.child)).await.html.contains("check-"));
    }
}

#[tokio::test]
async fn from_policy_version_2_a_placement_reads_back_what_it_wrote_and_nothing_else() {
    for url in support::fresh_databases("ui-placement-own-notes").await {
        let clock = Arc::new(ManualClock::new("2026-12-05T06:00:00Z".parse().unwrap()));
        let state = support::app_state(&url, clock.clone(), "ui-test").await;
        let (sw, child) = people_and_child(&state).await;
        place_at_oak_house(&state, &child).await;
        let auth = format!("Bearer {sw}");
        let social_workers = json!({"at": "2026-12-05T05:00:00Z", "type": "plan_updated", "kind": "care_plan", "note": "family court hearing next week"});
        let (status, body) =
            support::request(&state, "POST", &format!("/api/v1/children/{child}/events"), &[("authorization", auth.as_str())], Some(social_workers)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let mut home = Browser::new(&state);
        home.log_in("home", PASSWORD, "/").await;
        let form = home.get(&format!("/children/{child}/placement/missing")).await;
        let mut fields = figure_1(&form.csrf());
        for (k, v) in fields.iter_mut() {
            if k.ends_with("-month") {
                *v = "12".into();
            }
            if k.ends_with("-day") {
                *v = "5".into();
            }
        }
        let sent = home.post(&format!("/children/{child}/placement/missing"), &pairs(&fields)).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
        let page = home.get(&format!("/children/{child}/episodes/e1")).await;
        assert!(page.html.contains("Left through a window after lights out."), "its own report's circumstances: {}", page.html);
        assert!(page.html.contains("Jo Keyworker, 01204 333 333"), "and its details");
        let record = home.get(&format!("/children/{child}")).await;
        assert!(!record.html.contains("family court hearing"), "never another agency's note");
        assert!(record.html.contains("<code>placement-own-notes</code>"), "the rule is named on the record");
    }
}
