//! The child's profile pages: a versioned profile (who changed what, no
//! version when nothing changed, every problem at once and nothing written),
//! photographs (checked by their bytes, bounded, served only to those who may
//! know the child), associates and places that link children (each viewer
//! sees only the children the policy lets them), the chronology and the
//! printable trigger plan.

use super::*;

/// A 1×1 PNG.
pub(crate) const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02,
    0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x90, 0x2d, 0xd8, 0x01, 0x00, 0x01, 0xf3, 0x01,
    0x46, 0xf3, 0x2b, 0x19, 0xd3, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xFF, 0xD9];

/// An answer with its headers and bytes.
struct Raw {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

async fn raw(b: &Browser, method: &str, uri: &str, content_type: Option<&str>, body: Vec<u8>) -> Raw {
    let mut req = Request::builder().method(method).uri(uri);
    req = req.header("cookie", b.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "));
    if let Some(t) = content_type {
        req = req.header("content-type", t);
    }
    let res = homeward_server::app(b.state.clone()).oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 1 << 24).await.unwrap().to_vec();
    Raw { status, headers, body }
}

/// Sends the photograph form as a browser does (multipart), with `file` as the photograph.
async fn upload(b: &Browser, child: &str, csrf: &str, file: &[u8], filename: &str, file_type: &str, taken: (&str, &str, &str)) -> Raw {
    let boundary = "----homeward-test-boundary";
    let mut body = Vec::new();
    let mut text = |name: &str, value: &str| {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    };
    text("csrf_token", csrf);
    text("taken_day", taken.0);
    text("taken_month", taken.1);
    text("taken_year", taken.2);
    text("consent_investigation", "yes");
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{filename}\"\r\nContent-Type: {file_type}\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    raw(b, "POST", &format!("/children/{child}/photos"), Some(&format!("multipart/form-data; boundary={boundary}")), body).await
}

fn profile_form<'a>(csrf: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![("csrf_token", csrf)];
    fields.extend_from_slice(extra);
    fields
}

async fn logged_in(w: &World, username: &str) -> Browser {
    let mut b = Browser::new(&w.state);
    let page = b.log_in(username, PASSWORD, "/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{username} logs in");
    b
}

/// A second Bolton child, not placed with the children's home.
async fn second_child(w: &World) -> String {
    let new = homeward_store::NewChild {
        given_name: "Lee".into(),
        family_name: "Other".into(),
        date_of_birth: "2010-02-02".into(),
        status: "looked_after".into(),
        responsible_authority: "bolton".into(),
        living_in: None,
        flags: Vec::new(),
        allocated_worker: None,
        team: None,
        photo_ref: None,
    };
    let actor = homeward_store::Actor { user: "sw".into(), agency: "bolton-cs".into() };
    w.state.store.create_child(&new, &actor, w.state.clock.now(), true, None).await.unwrap().id
}

#[tokio::test]
async fn a_change_of_the_profile_is_a_version_naming_who_and_what_and_the_same_again_writes_none() {
    for url in support::fresh_databases("ui-profile").await {
        let w = world(&url).await;
        let mut b = logged_in(&w, "sw").await;
        let profile = format!("/children/{}/profile", w.child);
        let page = b.get(&profile).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("No profile has been recorded yet."));
        let child_page = b.get(&format!("/children/{}", w.child)).await;
        assert!(child_page.html.contains(&format!("href=\"{profile}\"")), "the child's page links the profile");

        let form = b.get(&format!("{profile}/change")).await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        let fields = profile_form(
            &csrf,
            &[
                ("height", "152 cm"),
                ("eyes", "Brown"),
                ("legal_status", "care_order"),
                ("phone_number_0", "07700 900123"),
                ("phone_make_model_0", "iPhone 12"),
                ("phone_number_1", ""),
                ("online_platform_0", "Snapchat"),
                ("online_username_0", "kim_o"),
                ("online_passwords_held_by_0", "Nobody"),
                ("family_name_0", "Jo Ours"),
                ("family_relationship_0", "Mother"),
                ("places_frequented", "Bolton bus station\nThe retail park"),
                ("triggers", "Contact with her mother being cancelled"),
                ("plan_when_missing", "Search the home; ring her phone; report to the police after an hour"),
                ("review_day", "1"),
                ("review_month", "4"),
                ("review_year", "2026"),
            ],
        );
        let saved = b.post(&format!("{profile}/change"), &fields).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
        let versions = w.state.store.profile_versions(&w.child).await.unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].changed_by, "sw");
        assert_eq!(versions[0].changed_agency, "bolton-cs");
        let changed = versions[0].changed();
        for f in ["height", "eyes", "legal_status", "phones", "online", "family", "places_frequented", "triggers", "plan_when_missing", "next_review"] {
            assert!(changed.iter().any(|c| c == f), "{f} in {changed:?}");
        }
        assert!(!changed.iter().any(|c| c == "gender"), "{changed:?}");

        let page = b.get(&profile).await;
        for shown in [
            "152 cm",
            "Care order",
            "07700 900123 (iPhone 12)",
            "Snapchat: kim_o. Passwords held by Nobody",
            "Jo Ours, Mother",
            "The retail park",
            "1 April 2026",
        ] {
            assert!(page.html.contains(&escaped(shown)), "{shown} on the profile");
        }

        // The same again: nothing changed, no version.
        let again = b.post(&format!("{profile}/change"), &fields).await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        assert_eq!(w.state.store.profile_versions(&w.child).await.unwrap().len(), 1, "an identical save writes no version");

        // One field changed: one version naming it, with old and new values in the history.
        let mut changed_fields = fields.clone();
        for f in changed_fields.iter_mut() {
            if f.0 == "height" {
                f.1 = "155 cm";
            }
        }
        b.post(&format!("{profile}/change"), &changed_fields).await;
        let versions = w.state.store.profile_versions(&w.child).await.unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[1].changed(), vec!["height"]);
        let history = b.get(&format!("{profile}/history")).await;
        assert_eq!(history.status, StatusCode::OK);
        assert!(history.html.contains("Height: 152 cm → 155 cm"), "{}", history.html);
        assert!(history.html.contains("Version 2") && history.html.contains("Version 1"));
        assert!(history.html.contains("changed by sw (bolton-cs)"));

        // The page is one audit entry naming the child.
        let before = w.state.store.audit_entries(0, 100_000).await.unwrap().len();
        b.get(&profile).await;
        let entries = w.state.store.audit_entries(0, 100_000).await.unwrap();
        assert_eq!(entries.len(), before + 1);
        let e = &entries.last().unwrap().entry;
        assert_eq!(e.record_id.as_deref(), Some(w.child.as_str()));
        assert!(e.fields.iter().any(|f| f == "safety_plan"), "{:?}", e.fields);
    }
}

#[tokio::test]
async fn every_problem_with_the_profile_is_named_at_once_and_nothing_is_written() {
    for url in support::fresh_databases("ui-profile-invalid").await {
        let w = world(&url).await;
        let mut b = logged_in(&w, "sw").await;
        let profile = format!("/children/{}/profile", w.child);
        let csrf = b.get(&format!("{profile}/change")).await.csrf();
        let page = b
            .post(
                &format!("{profile}/change"),
                &profile_form(
                    &csrf,
                    &[
                        ("height", "150 cm"),
                        ("legal_status", "made_up"),
                        ("phone_number_0", "call me"),
                        ("online_platform_0", ""),
                        ("online_username_0", "kim_o"),
                        ("family_name_0", ""),
                        ("family_relationship_0", "Uncle"),
                        ("review_day", "31"),
                        ("review_month", "2"),
                        ("review_year", "2027"),
                    ],
                ),
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["legal_status", "phone_number_0", "online_platform_0", "family_name_0", "next_review"] {
            assert!(page.html.contains(&format!("href=\"#{field}\"")), "{field} is named in the summary");
            assert!(page.html.contains(&format!("id=\"{field}\"")), "{field} is on the form");
        }
        assert!(page.html.contains("value=\"150 cm\""), "what was typed is kept");
        assert!(w.state.store.profile_versions(&w.child).await.unwrap().is_empty(), "nothing written");
    }
}

#[tokio::test]
async fn photographs_are_checked_by_their_bytes_and_size_and_served_only_to_those_who_may_know_the_child() {
    for url in support::fresh_databases("ui-photos").await {
        let w = world(&url).await;
        let mut b = logged_in(&w, "sw").await;
        let form = b.get(&format!("/children/{}/photos/new", w.child)).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.html.contains("enctype=\"multipart/form-data\""));
        let csrf = form.csrf();

        // A text file called a JPEG is refused, whatever the browser says.
        let refused = upload(&b, &w.child, &csrf, b"this is not an image at all", "kim.jpg", "image/jpeg", ("1", "2", "2026")).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = String::from_utf8_lossy(&refused.body);
        assert!(html.contains("href=\"#photo\"") && html.contains("must be a JPEG or PNG image"), "{html}");
        // Too large: refused naming the photograph, without reading it all.
        let mut big = PNG.to_vec();
        big.resize(6 * 1024 * 1024, 0);
        let too_big = upload(&b, &w.child, &csrf, &big, "big.png", "image/png", ("1", "2", "2026")).await;
        assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(String::from_utf8_lossy(&too_big.body).contains("smaller than 5 MB"));
        // A date in the future is refused too.
        let future = upload(&b, &w.child, &csrf, PNG, "kim.png", "image/png", ("1", "2", "2027")).await;
        assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(String::from_utf8_lossy(&future.body).contains("href=\"#taken_day\""));
        // Without the form's token nothing is kept.
        let forged = upload(&b, &w.child, "forged", PNG, "kim.png", "image/png", ("1", "2", "2026")).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert!(w.state.store.photos(&w.child).await.unwrap().is_empty(), "nothing kept");

        // A JPEG sent as anything, and a PNG, are kept; the latest is shown.
        let jpeg = upload(&b, &w.child, &csrf, JPEG, "kim.bin", "application/octet-stream", ("15", "1", "2026")).await;
        assert_eq!(jpeg.status, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&jpeg.body));
        let png = upload(&b, &w.child, &csrf, PNG, "kim.png", "image/png", ("1", "2", "2026")).await;
        assert_eq!(png.status, StatusCode::SEE_OTHER);
        let photos = w.state.store.photos(&w.child).await.unwrap();
        assert_eq!(photos.len(), 2);
        assert_eq!(photos.iter().map(|p| p.content_type.as_str()).collect::<Vec<_>>(), vec!["image/png", "image/jpeg"]);
        assert_eq!(photos[0].consent_investigation, 1);
        assert_eq!(photos[0].consent_media, 0);
        let latest = format!("/children/{}/photos/{}", w.child, photos[0].id);
        let page = b.get(&format!("/children/{}/profile", w.child)).await;
        assert!(page.html.contains(&format!("src=\"{latest}\"")));
        assert!(page.html.contains("alt=\"Photograph of Kim Ours, taken 1 February 2026\""), "{}", page.html);
        let record = b.get(&format!("/children/{}", w.child)).await;
        assert!(record.html.contains(&format!("src=\"{latest}\"")), "the child's page shows the latest photograph");
        assert!(record.html.contains("alt=\"Photograph of Kim Ours, taken 1 February 2026\""));

        let served = raw(&b, "GET", &latest, None, Vec::new()).await;
        assert_eq!(served.status, StatusCode::OK);
        assert_eq!(served.body, PNG);
        assert_eq!(served.headers["content-type"], "image/png");
        assert_eq!(served.headers["x-content-type-options"], "nosniff");
        assert_eq!(served.headers["cache-control"], "no-store");
        assert_eq!(served.headers["content-disposition"], "inline");
        let jpeg_served = raw(&b, "GET", &format!("/children/{}/photos/{}", w.child, photos[1].id), None, Vec::new()).await;
        assert_eq!(jpeg_served.headers["content-type"], "image/jpeg");

        // The placement knows the child and may see it; another council's worker may not, and learns nothing.
        let home = logged_in(&w, "home").await;
        assert_eq!(raw(&home, "GET", &latest, None, Vec::new()).await.status, StatusCode::OK);
        let edt = logged_in(&w, "edt").await;
        let hidden = raw(&edt, "GET", &latest, None, Vec::new()).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        assert!(!hidden.body.starts_with(&PNG[..8]));
        // A photograph asked for under another child is not found either.
        let other = second_child(&w).await;
        assert_eq!(raw(&b, "GET", &format!("/children/{other}/photos/{}", photos[0].id), None, Vec::new()).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn an_associate_links_two_children_and_each_viewer_sees_only_the_children_they_may() {
    for url in support::fresh_databases("ui-associates").await {
        let w = world(&url).await;
        let other = second_child(&w).await;
        let mut b = logged_in(&w, "sw").await;
        let form = b.get(&format!("/children/{}/associates/new", w.child)).await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        // Every problem at once, nothing written.
        let bad = b.post(&format!("/children/{}/associates/new", w.child), &[("csrf_token", &csrf), ("markers", "made_up")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["name", "markers", "reason"] {
            assert!(bad.html.contains(&format!("href=\"#{field}\"")), "{field}");
        }
        assert!(w.state.store.links_of_child(homeward_store::LinkKind::Associate, &w.child).await.unwrap().is_empty());

        let made = b
            .post(
                &format!("/children/{}/associates/new", w.child),
                &[
                    ("csrf_token", &csrf),
                    ("name", "Dean Marsh"),
                    ("description", "Man in his thirties, drives a silver car"),
                    ("markers", "cawn"),
                    ("markers", "s2"),
                    ("reason", "Collected her from the home twice"),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.html);
        let links = w.state.store.links_of_child(homeward_store::LinkKind::Associate, &w.child).await.unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].linked_by, "sw");
        let associate = links[0].other_id.clone();

        // The second child is linked to the same record, chosen from those already known.
        let form = b.get(&format!("/children/{other}/associates/new")).await;
        assert!(form.html.contains(&format!("<option value=\"{associate}\">Dean Marsh</option>")), "{}", form.html);
        let linked =
            b.post(&format!("/children/{other}/associates/new"), &[("csrf_token", &csrf), ("existing", &associate), ("reason", "Seen in his car")]).await;
        assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.html);

        let page = b.get(&format!("/associates/{associate}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("Kim Ours") && page.html.contains("Lee Other"), "the social worker sees both children");
        assert!(page.html.contains("Child abduction warning notice (CAWN)"));
        let profile = b.get(&format!("/children/{}/profile", w.child)).await;
        assert!(profile.html.contains(&format!("href=\"/associates/{associate}\"")));

        // The children's home sees its own placed child only; the other is neither shown nor counted.
        let mut home = logged_in(&w, "home").await;
        let page = home.get(&format!("/associates/{associate}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("Kim Ours"));
        assert!(!page.html.contains("Lee Other"), "a child hidden from the placement is not on the page");
        assert_eq!(page.html.matches("<tr><td><a href=\"/children/").count(), 1);
        // Another council's worker sees no child linked, so no associate.
        let mut edt = logged_in(&w, "edt").await;
        assert_eq!(edt.get(&format!("/associates/{associate}")).await.status, StatusCode::NOT_FOUND);

        // A place, linked the same way.
        let place = b
            .post(
                &format!("/children/{}/places/new", w.child),
                &[
                    ("csrf_token", &csrf),
                    ("name", "Flat 3, 12 Mill Street"),
                    ("postcode", "bl1 1aa"),
                    ("kind", "found_at"),
                    ("reason", "Found here on 2 March"),
                ],
            )
            .await;
        assert_eq!(place.status, StatusCode::SEE_OTHER, "{}", place.html);
        let places = w.state.store.links_of_child(homeward_store::LinkKind::Place, &w.child).await.unwrap();
        let page = b.get(&format!("/places/{}", places[0].other_id)).await;
        assert!(page.html.contains("BL1 1AA") && page.html.contains("Address found at") && page.html.contains("Kim Ours"));
        let bad_postcode = b
            .post(&format!("/children/{other}/places/new"), &[("csrf_token", &csrf), ("name", "Park"), ("postcode", "nowhere"), ("reason", "Goes there")])
            .await;
        assert_eq!(bad_postcode.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad_postcode.html.contains("href=\"#postcode\"") && bad_postcode.html.contains("href=\"#kind\""));
    }
}

#[tokio::test]
async fn a_placement_reads_the_plan_but_may_not_change_it() {
    for url in support::fresh_databases("ui-profile-placement").await {
        let w = world(&url).await;
        let mut sw = logged_in(&w, "sw").await;
        let profile = format!("/children/{}/profile", w.child);
        let csrf = sw.get(&format!("{profile}/change")).await.csrf();
        let saved = sw.post(&format!("{profile}/change"), &[("csrf_token", &csrf), ("triggers", "Contact cancelled")]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);

        let mut home = logged_in(&w, "home").await;
        let page = home.get(&profile).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("Contact cancelled"), "the placement reads the plan shared with it");
        assert!(!page.html.contains(&format!("{profile}/change")), "no change link for the placement");
        assert_eq!(home.get(&format!("{profile}/change")).await.status, StatusCode::FORBIDDEN);
        let home_csrf = home.get(&profile).await.csrf();
        let refused = home.post(&format!("{profile}/change"), &[("csrf_token", &home_csrf), ("triggers", "Changed by the home")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.html.contains("safety_plan"), "{}", refused.html);
        assert_eq!(w.state.store.profile_versions(&w.child).await.unwrap().len(), 1, "nothing written");
        let refused = home.post(&format!("/children/{}/associates/new", w.child), &[("csrf_token", &home_csrf), ("name", "X"), ("reason", "Y")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        // Another council's worker: the profile is not found.
        let mut edt = logged_in(&w, "edt").await;
        assert_eq!(edt.get(&profile).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_chronology_counts_episodes_and_names_the_protocols_flags_and_the_print_page_uses_the_documents_title() {
    for url in support::fresh_databases("ui-chronology").await {
        let w = world(&url).await;
        // Bolton: one episode, a plain count and a plain title.
        let mut sw = logged_in(&w, "sw").await;
        let page = sw.get(&format!("/children/{}/profile", w.child)).await;
        assert!(page.html.contains("Count: 1 missing episodes began in the last 90 days; 1 in all."), "{}", page.html);
        assert!(page.html.contains("13 hours"), "the episode's duration");
        let print = sw.get(&format!("/children/{}/profile/print", w.child)).await;
        assert_eq!(print.status, StatusCode::OK);
        assert!(print.html.contains("<h1>Missing trigger plan and profile</h1>"));

        // A Blackpool child missing twice: pan-lancashire's repeat missing flag, cited, and its document's title.
        let police = person(&w.state, "lancs-police", "police", &["blackpool", "lancashire", "blackburn-with-darwen"], "lp", "police_mpc").await;
        let auth = format!("Bearer {police}");
        let h = [("authorization", auth.as_str())];
        let (status, child) = support::request(
            &w.state,
            "POST",
            "/api/v1/children",
            &h,
            Some(json!({"given_name": "Ria", "family_name": "North", "date_of_birth": "2012-06-01", "status": "looked_after", "responsible_authority": "blackpool"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{child}");
        let child = child["id"].as_str().unwrap().to_string();
        for event in [
            json!({"at": "2026-02-01T20:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"}),
            json!({"at": "2026-02-02T09:00:00Z", "episode": "e1", "type": "returned", "found_by": "police"}),
            json!({"at": "2026-03-01T20:00:00Z", "episode": "e2", "type": "reported", "category": "missing", "risk": "high"}),
        ] {
            let (status, body) = support::request(&w.state, "POST", &format!("/api/v1/children/{child}/events"), &h, Some(event)).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let mut lp = logged_in(&w, "lp").await;
        let page = lp.get(&format!("/children/{child}/profile")).await;
        assert!(page.html.contains("Repeat missing child: reported missing more than once"), "{}", page.html);
        assert!(page.html.contains("pan-lancashire Appendix A"));
        assert!(page.html.contains("Still missing"));
        let first = page.html.find("High").unwrap();
        let second = page.html.find("Medium").unwrap();
        assert!(first < second, "newest first");
        let print = lp.get(&format!("/children/{child}/profile/print")).await;
        assert!(print.html.contains("<h1>Missing from home Trigger Plan &#38; Profile</h1>"), "{}", print.html);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_profile_pages_are_accessible() {
    use fantoccini::Locator::Css;
    let Some(url) = support::fresh_databases("ui-profile-browser").await.into_iter().next() else { return };
    let w = world(&url).await;
    let actor = homeward_store::Actor { user: "sw".into(), agency: "bolton-cs".into() };
    let body = json!({
        "height": "152 cm", "eyes": "Brown", "legal_status": "care_order",
        "phones": [{"number": "07700 900123", "make_model": "iPhone 12"}],
        "online": [{"platform": "Snapchat", "username": "kim_o", "passwords_held_by": "Nobody"}],
        "family": [{"name": "Jo Ours", "relationship": "Mother", "contact": "07700 900456"}],
        "places_frequented": ["Bolton bus station"], "triggers": "Contact cancelled", "plan_when_missing": "Ring her phone",
    });
    w.state.store.save_profile(&w.child, &body, &json!({}), &actor, w.state.clock.now()).await.unwrap();
    let photo = homeward_store::NewPhoto {
        content_type: "image/png".into(),
        bytes: PNG.to_vec(),
        taken_on: "2026-02-01".into(),
        consent_investigation: true,
        consent_media: false,
        child_agreed: true,
    };
    w.state.store.add_photo(&w.child, &photo, &actor, w.state.clock.now()).await.unwrap();
    let associate = w
        .state
        .store
        .create_associate(
            &homeward_store::NewAssociate { name: "Dean Marsh".into(), description: "Silver car".into(), markers: vec!["cawn".into()] },
            &actor,
            w.state.clock.now(),
        )
        .await
        .unwrap();
    w.state.store.link(homeward_store::LinkKind::Associate, &w.child, &associate.id, "Collected her twice", &actor, w.state.clock.now()).await.unwrap();
    let base = serve(&w.state).await;
    let Some(c) = chromium().await else { return };
    c.goto(&format!("{base}/login?next=/children/{}/profile", w.child)).await.unwrap();
    log_in_with_the_form(&c, "sw").await;
    assert!(text(&c, "h1").await.contains("Profile and trigger plan"));
    check_page(&c, "profile").await;
    c.goto(&format!("{base}/children/{}/profile/change", w.child)).await.unwrap();
    check_page(&c, "profile-change").await;
    click_through(&c, Css("form[action$='/profile/change'] button[type=submit]")).await;
    c.goto(&format!("{base}/children/{}/profile/history", w.child)).await.unwrap();
    check_page(&c, "profile-history").await;
    c.goto(&format!("{base}/children/{}/photos/new", w.child)).await.unwrap();
    check_page(&c, "photo-new").await;
    c.goto(&format!("{base}/associates/{}", associate.id)).await.unwrap();
    check_page(&c, "associate").await;
    c.goto(&format!("{base}/children/{}/associates/new", w.child)).await.unwrap();
    check_page(&c, "associate-link").await;
    c.goto(&format!("{base}/children/{}/profile/print", w.child)).await.unwrap();
    check_page(&c, "profile-print").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_api_reads_and_replaces_the_profile_and_refuses_passwords() {
    for url in support::fresh_databases("api-profile").await {
        let w = world(&url).await;
        let token = person(&w.state, "bolton-cs", "childrens_services", &["bolton"], "sw2", "social_worker").await;
        let auth = format!("Bearer {token}");
        let h = [("authorization", auth.as_str())];
        let uri = format!("/api/v1/children/{}/profile", w.child);
        let (status, body) = support::request(&w.state, "GET", &uri, &h, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["version"].is_null());
        let profile = json!({"height": "150 cm", "phones": [{"number": "07700 900123"}], "triggers": "Contact cancelled"});
        let (status, body) = support::request(&w.state, "PUT", &uri, &h, Some(profile.clone())).await;
        assert_eq!((status, body["version"].as_i64()), (StatusCode::OK, Some(1)), "{body}");
        let (status, body) = support::request(&w.state, "PUT", &uri, &h, Some(profile)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body["version"].is_null(), "nothing changed, nothing written: {body}");
        let (_, body) = support::request(&w.state, "GET", &uri, &h, None).await;
        assert_eq!((body["version"].as_i64(), body["changed_by"].as_str()), (Some(1), Some("sw2")));
        assert_eq!(body["profile"]["phones"][0]["number"], "07700 900123");

        let with_password = json!({"online": [{"platform": "Snapchat", "username": "kim_o", "password": "secret"}]});
        let (status, body) = support::request(&w.state, "PUT", &uri, &h, Some(with_password)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["message"].as_str().unwrap().contains("password"), "{body}");
        let invalid = json!({"legal_status": "made_up", "phones": [{"number": "call me"}]});
        let (status, body) = support::request(&w.state, "PUT", &uri, &h, Some(invalid)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "legal_status");
        assert!(body["message"].as_str().unwrap().contains("phone_number_0"), "every problem is listed: {body}");
        assert_eq!(w.state.store.profile_versions(&w.child).await.unwrap().len(), 1);
    }
}
