//! The pages, through the whole application as a browser uses them
//! (cookies, forms, redirects), on SQLite and PostgreSQL: each person sees
//! only what the policy lets them, forms do nothing without the CSRF token,
//! and every page is one audit entry.

#[path = "../support/mod.rs"]
mod support;

mod admin;
mod episodes;
mod journeys;
mod placement;
mod profile;
mod records;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use homeward_server::{AppState, ManualClock};
use homeward_store::NewInvolvement;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";
const RHI_NOTE: &str = "said an older man gives them lifts";

/// Cookies and the last page, as a browser keeps them.
struct Browser {
    state: AppState,
    cookies: HashMap<String, String>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    html: String,
}

impl Page {
    /// The value of the first hidden `csrf_token` field.
    fn csrf(&self) -> String {
        let at = self.html.find("name=\"csrf_token\" value=\"").expect("a form with a CSRF token") + 25;
        self.html[at..].split('"').next().unwrap().to_string()
    }
}

fn form_body(fields: &[(&str, &str)]) -> String {
    let encode =
        |text: &str| -> String { text.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect() };
    fields.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
}

impl Browser {
    fn new(state: &AppState) -> Browser {
        Browser { state: state.clone(), cookies: HashMap::new() }
    }

    async fn send(&mut self, method: &str, uri: &str, form: Option<&[(&str, &str)]>) -> Page {
        let mut req = Request::builder().method(method).uri(uri);
        if !self.cookies.is_empty() {
            req = req.header("cookie", self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "));
        }
        let req = match form {
            Some(fields) => req.header("content-type", "application/x-www-form-urlencoded").body(Body::from(form_body(fields))).unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let res = homeward_server::app(self.state.clone()).oneshot(req).await.unwrap();
        for set in res.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let status = res.status();
        let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_string());
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 24).await.unwrap();
        Page { status, location, html: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn get(&mut self, uri: &str) -> Page {
        self.send("GET", uri, None).await
    }

    async fn post(&mut self, uri: &str, fields: &[(&str, &str)]) -> Page {
        self.send("POST", uri, Some(fields)).await
    }

    /// Logs in with the form; returns the answer to the form.
    async fn log_in(&mut self, username: &str, password: &str, next: &str) -> Page {
        let form = self.get(&format!("/login?next={next}")).await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        self.post("/login", &[("username", username), ("password", password), ("csrf_token", &csrf), ("next", next)]).await
    }
}

async fn person(state: &AppState, agency: &str, kind: &str, serves: &[&str], username: &str, role: &str) -> String {
    let token = support::account(&state.store, agency, kind, serves, username, role).await;
    let identity = state.store.identity_by_username(username).await.unwrap().unwrap();
    let hash = homeward_server::auth::password::hash(PASSWORD.to_string()).await.unwrap();
    state.store.set_password(&identity.user.id, &hash).await.unwrap();
    token
}

struct World {
    state: AppState,
    clock: Arc<ManualClock>,
    child: String,
}

/// A Bolton child placed with a children's home, with a return interview
/// on record; a social worker, their team manager, the home's manager, and
/// an emergency duty worker of another council.
async fn world(url: &str) -> World {
    let clock = Arc::new(ManualClock::new("2026-03-03T06:00:00Z".parse().unwrap()));
    let state = support::app_state(url, clock.clone(), "ui-test").await;
    let (sw, child) = people_and_child(&state).await;
    let auth = format!("Bearer {sw}");
    let h = [("authorization", auth.as_str())];
    for event in [
        json!({"at": "2026-03-01T20:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium", "note": "left after an argument"}),
        json!({"at": "2026-03-02T09:00:00Z", "episode": "e1", "type": "returned", "found_by": "police"}),
        json!({"at": "2026-03-02T15:00:00Z", "episode": "e1", "type": "return_interview", "outcome": "completed", "note": RHI_NOTE}),
    ] {
        let (status, body) = support::request(&state, "POST", &format!("/api/v1/children/{child}/events"), &h, Some(event)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    place_at_oak_house(&state, &child).await;
    World { state, clock, child }
}

/// The people every page test uses (a social worker, their team manager,
/// the children's home's manager, another council's emergency duty worker)
/// and a Bolton child in care: the social worker's API token and the child's id.
async fn people_and_child(state: &AppState) -> (String, String) {
    let sw = person(state, "bolton-cs", "childrens_services", &["bolton"], "sw", "social_worker").await;
    person(state, "bolton-cs", "childrens_services", &["bolton"], "tm", "team_manager").await;
    person(state, "oak-house", "placement", &[], "home", "placement_manager").await;
    person(state, "york-cs", "childrens_services", &["york"], "edt", "emergency_duty_worker").await;
    let auth = format!("Bearer {sw}");
    let (status, child) = support::request(
        state,
        "POST",
        "/api/v1/children",
        &[("authorization", auth.as_str())],
        Some(json!({"given_name": "Kim", "family_name": "Ours", "date_of_birth": "2011-05-01", "status": "looked_after", "responsible_authority": "bolton"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    (sw, child["id"].as_str().unwrap().to_string())
}

/// The child is placed at the children's home, whose address is on record.
async fn place_at_oak_house(state: &AppState, child: &str) {
    let placement = NewInvolvement { agency_id: "oak-house".into(), relation: "placement".into(), address: Some("1 Oak Lane".into()), reason: None };
    state.store.add_involvement(child, &placement, "seed", state.clock.now().as_second()).await.unwrap();
}

#[tokio::test]
async fn pages_need_a_login_and_come_back_to_the_page_asked_for() {
    for url in support::fresh_databases("ui-login").await {
        let w = world(&url).await;
        let mut b = Browser::new(&w.state);
        let page = b.get(&format!("/children/{}", w.child)).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location.as_deref(), Some(format!("/login?next=/children/{}", w.child).as_str()));

        let wrong = b.log_in("sw", "not the password", "/").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.html.contains("The username or password is wrong"), "{}", wrong.html);
        assert!(!b.cookies.contains_key("homeward_session"));

        // A login form posted from elsewhere (no matching login cookie) does nothing.
        let mut other = Browser::new(&w.state);
        let forged = other.post("/login", &[("username", "sw"), ("password", PASSWORD), ("csrf_token", "guess"), ("next", "/")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert!(!other.cookies.contains_key("homeward_session"));

        // Never sent to another site after logging in.
        let done = b.log_in("sw", PASSWORD, "https://evil.example/").await;
        assert_eq!((done.status, done.location.as_deref()), (StatusCode::SEE_OTHER, Some("/")));
        let done = Browser::new(&w.state).log_in("sw", PASSWORD, &format!("/children/{}", w.child)).await;
        assert_eq!(done.location, Some(format!("/children/{}", w.child)));

        let home = b.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.html.contains("Children missing now"));
        assert!(home.html.contains("<form method=\"post\" action=\"/logout\""), "the logout form");
    }
}

#[tokio::test]
async fn each_person_sees_only_what_the_policy_allows_and_why() {
    for url in support::fresh_databases("ui-policy").await {
        let w = world(&url).await;
        let record = format!("/children/{}", w.child);

        let mut sw = Browser::new(&w.state);
        sw.log_in("sw", PASSWORD, "/").await;
        let page = sw.get(&record).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        assert!(page.html.contains("Kim Ours") && page.html.contains(RHI_NOTE) && page.html.contains("1 Oak Lane"));
        assert!(page.html.contains("childrens-services-own-children"), "the rule is named");
        assert!(!page.html.contains("Who has seen this record"), "a social worker does not see the access log");

        // The placement sees the episode but never the return interview (pan-lancashire §5.7.4).
        let mut home = Browser::new(&w.state);
        home.log_in("home", PASSWORD, "/").await;
        let page = home.get(&record).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        assert!(page.html.contains("Kim Ours") && page.html.contains("Missing episodes") && page.html.contains("1 Oak Lane"));
        assert!(!page.html.contains(RHI_NOTE), "return interview content shown to a placement");
        assert!(!page.html.contains("left after an argument"), "other agencies' notes shown to a placement");
        assert!(!page.html.contains("Who has seen this record"));

        // The team manager sees who has seen the record.
        let mut tm = Browser::new(&w.state);
        tm.log_in("tm", PASSWORD, "/").await;
        let page = tm.get(&record).await;
        assert!(page.html.contains("Who has seen this record"), "{}", page.html);
        assert!(page.html.contains("oak-house · Placement manager"), "the placement's view is listed");

        // "Your access" lists the rules with their reasons and sources.
        let me = home.get("/me").await;
        assert_eq!(me.status, StatusCode::OK);
        assert!(me.html.contains("placement") && me.html.contains("§5.7.4"), "{}", me.html);
    }
}

/// Every duty table is the same partial: on the home page with a column
/// naming the child, on a child's record with each duty's state.
#[tokio::test]
async fn duties_are_shown_in_one_table_markup_everywhere() {
    for url in support::fresh_databases("ui-duties").await {
        let w = world(&url).await;
        let mut sw = Browser::new(&w.state);
        sw.log_in("sw", PASSWORD, "/").await;
        let page = sw.get(&format!("/children/{}", w.child)).await;
        let head = "<thead><tr><th scope=\"col\">Duty</th><th scope=\"col\">Who must act</th><th scope=\"col\">Due</th><th scope=\"col\">State</th><th scope=\"col\">Where the protocol says so</th></tr></thead>";
        assert!(page.html.contains(head), "{}", page.html);
        assert!(page.html.contains("<span class=\"tag state-done\">done</span>"), "{}", page.html);
        // A month on, the duties still open are overdue (and the session has ended).
        w.clock.advance(jiff::SignedDuration::from_hours(24 * 30));
        let mut sw = Browser::new(&w.state);
        sw.log_in("sw", PASSWORD, "/").await;
        let home = sw.get("/").await;
        // The home page groups them by child and episode, each with its actions.
        assert!(
            home.html.contains(&format!(
                "<h3 id=\"group-{0}-e1\"><a href=\"/children/{0}\">Kim Ours</a>, <a href=\"/children/{0}/episodes/e1\">episode e1</a></h3>",
                w.child
            )),
            "{}",
            home.html
        );
        assert!(home.html.contains("<th scope=\"col\">Actions</th>"), "{}", home.html);
        assert!(home.html.contains("<caption class=\"visually-hidden\">Duties of Kim Ours, episode e1, overdue first</caption>"), "{}", home.html);
    }
}

#[tokio::test]
async fn a_hidden_record_looks_like_none_and_break_glass_needs_a_reason_and_the_token() {
    for url in support::fresh_databases("ui-break-glass").await {
        let w = world(&url).await;
        let mut edt = Browser::new(&w.state);
        edt.log_in("edt", PASSWORD, "/").await;
        let hidden = edt.get(&format!("/children/{}", w.child)).await;
        let absent = edt.get("/children/no-such-child").await;
        assert_eq!((hidden.status, absent.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
        assert_eq!(hidden.html.replace(&w.child, "ID"), absent.html.replace("no-such-child", "ID"), "hidden and absent must look the same");
        assert!(hidden.html.contains("ask for emergency access"));

        let form = edt.get(&format!("/children/{}/break-glass", w.child)).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.html.contains("Access lasts 4 hours and is read-only."), "as the policy's break-glass rule says: {}", form.html);
        let csrf = form.csrf();
        let target = format!("/children/{}/break-glass", w.child);
        let forged = edt.post(&target, &[("csrf_token", "not-the-token"), ("reason", "curious")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let blank = edt.post(&target, &[("csrf_token", &csrf), ("reason", "  ")]).await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(blank.html.contains("There is a problem") && blank.html.contains("<a href=\"#reason\">"), "{}", blank.html);
        assert_eq!(edt.get(&format!("/children/{}", w.child)).await.status, StatusCode::NOT_FOUND, "nothing was granted");

        let granted = edt.post(&target, &[("csrf_token", &csrf), ("reason", "Police called at 3am: child found, need placement details")]).await;
        assert_eq!((granted.status, granted.location.as_deref()), (StatusCode::SEE_OTHER, Some(format!("/children/{}", w.child).as_str())));
        let page = edt.get(&format!("/children/{}", w.child)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("Emergency access.") && page.html.contains("1 Oak Lane"));
        assert!(page.html.contains("4 hours after it was granted"), "the policy's break-glass rule says how long");

        // A placement may not use break-glass at all.
        let mut home = Browser::new(&w.state);
        home.log_in("home", PASSWORD, "/").await;
        assert_eq!(home.get(&format!("/children/{}/break-glass", w.child)).await.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn logging_out_needs_the_token_and_ends_the_session() {
    for url in support::fresh_databases("ui-logout").await {
        let w = world(&url).await;
        let mut b = Browser::new(&w.state);
        b.log_in("sw", PASSWORD, "/").await;
        let home = b.get("/").await;
        let forged = b.post("/logout", &[("csrf_token", "wrong")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(b.get("/").await.status, StatusCode::OK, "still logged in");
        let session = b.cookies["homeward_session"].clone();
        let out = b.post("/logout", &[("csrf_token", &home.csrf())]).await;
        assert_eq!((out.status, out.location.as_deref()), (StatusCode::SEE_OTHER, Some("/login?ended=1")));
        assert!(!b.cookies.contains_key("homeward_session"));
        // The old cookie no longer works anywhere.
        b.cookies.insert("homeward_session".into(), session);
        assert_eq!(b.get("/").await.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn every_page_is_one_audit_entry_naming_the_record_and_what_was_shown() {
    for url in support::fresh_databases("ui-audit").await {
        let w = world(&url).await;
        let mut b = Browser::new(&w.state);
        b.log_in("sw", PASSWORD, "/").await;
        let before = w.state.store.audit_entries(0, 100_000).await.unwrap().len();
        b.get(&format!("/children/{}", w.child)).await;
        let entries = w.state.store.audit_entries(0, 100_000).await.unwrap();
        assert_eq!(entries.len(), before + 1);
        let e = &entries.last().unwrap().entry;
        assert_eq!(e.operation, "GET /children/{id}");
        assert_eq!(e.record_id.as_deref(), Some(w.child.as_str()));
        assert!(e.fields.iter().any(|f| f == "return_interview"), "{:?}", e.fields);
        assert_eq!(e.rule.as_deref(), Some("childrens-services-own-children"));
        // The home page is one entry for the page, not for the lists it shows.
        b.get("/").await;
        let entries = w.state.store.audit_entries(0, 100_000).await.unwrap();
        assert_eq!(entries.len(), before + 2);
        assert_eq!(entries.last().unwrap().entry.record_type.as_deref(), Some("home"));
        // The stylesheet and health checks are not about anyone.
        b.get("/static/homeward.css").await;
        assert_eq!(w.state.store.audit_entries(0, 100_000).await.unwrap().len(), before + 2);
        assert!(w.state.store.audit_verify().await.unwrap().broken.is_none());
    }
}

#[tokio::test]
async fn what_happened_is_recorded_with_forms_every_problem_named_and_nothing_half_written() {
    for url in support::fresh_databases("ui-record").await {
        let w = world(&url).await;
        let mut b = Browser::new(&w.state);
        b.log_in("sw", PASSWORD, "/").await;
        let choose = b.get(&format!("/children/{}/record", w.child)).await;
        assert_eq!(choose.status, StatusCode::OK);
        assert!(choose.html.contains("Found or returned") && choose.html.contains("Return interview"), "{}", choose.html);
        let uri = format!("/children/{}/record/reported", w.child);
        let form = b.get(&uri).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.html.contains("This starts a new episode") && form.html.contains("value=\"3\""), "the date is filled with today's: {}", form.html);
        let csrf = form.csrf();
        let before = w.state.store.events(&w.child).await.unwrap().len();

        // A date that does not exist and no category: both named at once, each linked to its field.
        let wrong = b.post(&uri, &[("csrf_token", &csrf), ("day", "30"), ("month", "2"), ("year", "2026"), ("hour", "01"), ("minute", "00")]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            wrong.html.contains("There is a problem") && wrong.html.contains("href=\"#day\"") && wrong.html.contains("href=\"#category\""),
            "{}",
            wrong.html
        );
        assert_eq!(w.state.store.events(&w.child).await.unwrap().len(), before, "nothing written");

        // The engine's own check (a report overlapping the last episode) is shown on the form too.
        let overlap = b
            .post(&uri, &[("csrf_token", &csrf), ("day", "2"), ("month", "3"), ("year", "2026"), ("hour", "08"), ("minute", "00"), ("category", "missing")])
            .await;
        assert_eq!(overlap.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", overlap.html);
        assert!(overlap.html.contains("There is a problem"));
        assert_eq!(w.state.store.events(&w.child).await.unwrap().len(), before, "nothing written");

        // Right: recorded, and the record shows it with the duties it brings.
        let done = b
            .post(
                &uri,
                &[
                    ("csrf_token", &csrf),
                    ("day", "3"),
                    ("month", "3"),
                    ("year", "2026"),
                    ("hour", "05"),
                    ("minute", "30"),
                    ("category", "missing"),
                    ("risk", "high"),
                    ("note", "did not come home from school"),
                ],
            )
            .await;
        assert_eq!((done.status, done.location.as_deref()), (StatusCode::SEE_OTHER, Some(format!("/children/{}", w.child).as_str())), "{}", done.html);
        let events = w.state.store.events(&w.child).await.unwrap();
        assert_eq!(events.len(), before + 1);
        let last = events.last().unwrap();
        assert_eq!((last.event_type.as_str(), last.episode.as_deref(), last.recorded_by.as_str()), ("reported", Some("e2"), "sw"));
        let missing = homeward_server::service::missing::list(
            &w.state,
            &homeward_server::auth::Caller::local(w.state.store.identity_by_username("sw").await.unwrap().unwrap(), "test"),
            None,
        )
        .await
        .unwrap();
        assert_eq!(missing.len(), 1, "the child is missing now");

        // A form with the wrong session token writes nothing.
        let forged = b
            .post(
                &format!("/children/{}/record/returned", w.child),
                &[("csrf_token", "not-the-token"), ("day", "3"), ("month", "3"), ("year", "2026"), ("hour", "05"), ("minute", "45"), ("episode", "e2")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(w.state.store.events(&w.child).await.unwrap().len(), before + 1);

        // The placement may record the return; it may not record a return interview.
        let mut home = Browser::new(&w.state);
        home.log_in("home", PASSWORD, "/").await;
        let back = format!("/children/{}/record/returned", w.child);
        let csrf = home.get(&back).await.csrf();
        let returned = home
            .post(
                &back,
                &[
                    ("csrf_token", &csrf),
                    ("day", "3"),
                    ("month", "3"),
                    ("year", "2026"),
                    ("hour", "05"),
                    ("minute", "50"),
                    ("episode", "e2"),
                    ("found_by", "carer"),
                ],
            )
            .await;
        assert_eq!(returned.status, StatusCode::SEE_OTHER, "{}", returned.html);
        let rhi = format!("/children/{}/record/return_interview", w.child);
        let refused = home
            .post(
                &rhi,
                &[
                    ("csrf_token", &csrf),
                    ("day", "3"),
                    ("month", "3"),
                    ("year", "2026"),
                    ("hour", "05"),
                    ("minute", "55"),
                    ("episode", "e2"),
                    ("outcome", "completed"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
        assert_eq!(w.state.store.events(&w.child).await.unwrap().len(), before + 2);

        // What was recorded reads in words: a duty marked done is named by what it asks, not its id.
        let duty = w
            .state
            .store
            .duties(&homeward_store::DutyFilter { child: Some(w.child.clone()), ..Default::default() }, w.state.clock.now())
            .await
            .unwrap()
            .remove(0);
        let sw = homeward_server::auth::Caller::local(w.state.store.identity_by_username("sw").await.unwrap().unwrap(), "test");
        let done = json!({"at": w.state.clock.now().to_string(), "type": "duty_done", "duty": duty.id});
        homeward_server::service::events::record(&w.state, &sw, &w.child, done, Default::default()).await.unwrap();
        let page = b.get(&format!("/children/{}", w.child)).await;
        assert!(page.html.contains(&format!("Duty: {}", duty.what)) && !page.html.contains(&duty.id), "{}", page.html);
    }
}

#[tokio::test]
async fn reporting_a_child_finds_the_record_first_and_makes_a_new_one_only_when_none_fits() {
    for url in support::fresh_databases("ui-report").await {
        let w = world(&url).await;
        let mut b = Browser::new(&w.state);
        b.log_in("sw", PASSWORD, "/").await;
        let empty = b.get("/report?family_name=").await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.html.contains("href=\"#family_name\""), "{}", empty.html);
        let found = b.get("/report?family_name=ours&day=1&month=5&year=2011").await;
        assert_eq!(found.status, StatusCode::OK);
        assert!(found.html.contains(&format!("/children/{}/record/reported", w.child)), "the child on record, any case: {}", found.html);
        let none = b.get("/report?family_name=Nobody").await;
        assert!(none.html.contains("No child you may see matches") && none.html.contains("/report/new?"), "{}", none.html);

        // A new record: every missing field named; then made, and on to the report.
        let form = b.get("/report/new?family_name=Nobody").await;
        assert!(form.html.contains("value=\"Nobody\""), "the search's name is carried: {}", form.html);
        let csrf = form.csrf();
        let children = || async { w.state.store.children(&homeward_store::ChildFilter { limit: 100, ..Default::default() }).await.unwrap().len() };
        let before = children().await;
        let wrong = b.post("/report/new", &[("csrf_token", &csrf), ("family_name", "Nobody")]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["given_name", "day", "status", "authority"] {
            assert!(wrong.html.contains(&format!("href=\"#{field}\"")), "{field} named: {}", wrong.html);
        }
        assert_eq!(children().await, before, "nothing written");
        let fields = [
            ("csrf_token", csrf.as_str()),
            ("given_name", "Ali"),
            ("family_name", "Nobody"),
            ("day", "2"),
            ("month", "2"),
            ("year", "2012"),
            ("status", "child_in_need"),
            ("authority", "bolton"),
        ];
        let made = b.post("/report/new", &fields).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.html);
        assert!(made.location.as_deref().is_some_and(|l| l.ends_with("/record/reported")), "{:?}", made.location);
        assert_eq!(children().await, before + 1);
        // The same child again is shown as a likely duplicate, not made twice.
        let again = b.post("/report/new", &fields).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(again.html.contains("Records that may be this child") && again.html.contains("Ali Nobody"), "{}", again.html);
        assert_eq!(children().await, before + 1);
    }
}

// ------------------------------------------------------------------ home: what to do now

/// A duty id as one segment of a path (it holds slashes).
fn seg(id: &str) -> String {
    id.replace('/', "%2F")
}

/// Text as the pages write it (askama escapes these).
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;").replace('\'', "&#39;")
}

/// The duties of `child` as the API lists them for `token` (`query`: more filters).
async fn api_duties(state: &AppState, token: &str, child: &str, query: &str) -> Vec<serde_json::Value> {
    let auth = format!("Bearer {token}");
    let (status, body) = support::request(state, "GET", &format!("/api/v1/duties?child={child}{query}"), &[("authorization", auth.as_str())], None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

/// A Derby child at high risk, missing for two days, allocated to the
/// social worker `dsw`: derby-derbyshire has prompts for such a child.
async fn derby_child(w: &World) -> (String, String) {
    let token = person(&w.state, "derby-cs", "childrens_services", &["derby"], "dsw", "social_worker").await;
    let auth = format!("Bearer {token}");
    let h = [("authorization", auth.as_str())];
    let (status, child) = support::request(
        &w.state,
        "POST",
        "/api/v1/children",
        &h,
        Some(json!({"given_name": "Dee", "family_name": "Ranger", "date_of_birth": "2012-02-02", "status": "looked_after", "responsible_authority": "derby", "allocated_worker": "dsw"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    let child = child["id"].as_str().unwrap().to_string();
    let reported = json!({"at": "2026-03-03T05:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "high"});
    let (status, body) = support::request(&w.state, "POST", &format!("/api/v1/children/{child}/events"), &h, Some(reported)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    w.clock.advance(jiff::SignedDuration::from_hours(48));
    (child, token)
}

#[tokio::test]
async fn home_lists_prompts_to_consider_never_overdue_and_confirming_one_records_who_decided() {
    for url in support::fresh_databases("ui-prompts").await {
        let w = world(&url).await;
        let (child, token) = derby_child(&w).await;
        let prompts = api_duties(&w.state, &token, &child, "&to_consider=true").await;
        assert!(!prompts.is_empty(), "derby-derbyshire prompts for a child missing at high risk");
        let mut b = Browser::new(&w.state);
        b.log_in("dsw", PASSWORD, "/").await;
        let home = b.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.html);
        let (to_consider, duties) = home.html.split_once("<h2 id=\"duties\">").unwrap();
        for p in &prompts {
            let id = p["id"].as_str().unwrap();
            assert!(to_consider.contains(&format!("/duties/{}/considered", seg(id))), "prompt {id} to consider: {}", home.html);
            assert!(!duties.contains(&seg(id)), "a prompt is not among the duties");
        }
        let overdue = b.get("/?when=overdue").await;
        assert_eq!(overdue.status, StatusCode::OK);
        let (_, listed) = overdue.html.split_once("<h2 id=\"duties\">").unwrap();
        assert!(listed.contains("state-overdue"), "the child has overdue duties: {listed}");
        assert!(prompts.iter().all(|p| !listed.contains(&seg(p["id"].as_str().unwrap()))), "no prompt is overdue");

        let first = prompts[0]["id"].as_str().unwrap();
        let uri = format!("/children/{child}/duties/{}/considered", seg(first));
        let forged = b.post(&uri, &[("csrf_token", "wrong"), ("decision", "confirmed"), ("back", "/")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let done = b.post(&uri, &[("csrf_token", &home.csrf()), ("decision", "confirmed"), ("back", "/?when=overdue")]).await;
        assert_eq!((done.status, done.location.as_deref()), (StatusCode::SEE_OTHER, Some("/?when=overdue&done=confirmed")), "{}", done.html);
        assert!(b.get("/?when=overdue&done=confirmed").await.html.contains("Prompt confirmed."), "a banner says what was recorded");
        let after = b.get("/").await;
        assert!(!after.html.contains(&format!("/duties/{}/considered", seg(first))), "a confirmed prompt is no longer to consider");
        let events = w.state.store.events(&child).await.unwrap();
        let body: serde_json::Value = serde_json::from_str(&events.last().unwrap().body).unwrap();
        assert_eq!((body["type"].as_str(), body["decision"].as_str(), body["by"].as_str()), (Some("prompt_considered"), Some("confirmed"), Some("dsw")));
    }
}

#[tokio::test]
async fn home_groups_duties_by_child_and_episode_with_filters_counts_and_roles_by_name() {
    for url in support::fresh_databases("ui-home-groups").await {
        let w = world(&url).await;
        let (child, token) = derby_child(&w).await;
        let open = api_duties(&w.state, &token, &child, "").await;
        assert!(!open.is_empty());
        let mut b = Browser::new(&w.state);
        b.log_in("dsw", PASSWORD, "/").await;
        let home = b.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.html.contains(&format!("Dee Ranger</a>, <a href=\"/children/{child}/episodes/e1\">episode e1</a></h3>")), "{}", home.html);
        assert!(home.html.contains("<span class=\"tag risk-high\">High risk</span>"), "the episode's risk, in words: {}", home.html);
        // Roles by their protocol names, never their ids.
        let registry = w.state.store.registry();
        for d in &open {
            let (protocol, role) = (d["protocol"].as_str().unwrap(), d["by"].as_str().unwrap());
            let name =
                registry.versions(protocol).filter_map(|p| p.role(role)).map(|r| r.name.clone()).last().unwrap_or_else(|| panic!("{protocol} names {role}"));
            assert!(home.html.contains(&format!("<td>{}</td>", escaped(&name))), "{role} shown as {name}: {}", home.html);
        }
        if open.iter().any(|d| d["due_set_by"] == "reading") {
            assert!(home.html.contains("(the protocol sets no timescale)"));
        }
        // The paragraph's words, behind its cite.
        assert!(home.html.contains("<details class=\"quote\">") && home.html.contains("<blockquote>"), "{}", home.html);
        // Filters are plain links with counts; the overdue ones come first.
        let overdue = open.iter().filter(|d| d["state"] == "overdue").count();
        assert!(home.html.contains(&format!("href=\"/?when=overdue\">Overdue ({overdue})</a>")), "{}", home.html);
        assert!(home.html.contains(&format!("aria-current=\"page\" class=\"current\">All open ({})</a>", open.len())), "{}", home.html);
        assert!(home.html.contains(&format!("href=\"/?owner=me\">My episodes ({})</a>", open.len())), "dsw owns the episode: {}", home.html);
        let mine = b.get("/?owner=me&when=overdue").await;
        assert_eq!(mine.status, StatusCode::OK);
        assert!(mine.html.contains(&format!("aria-current=\"page\" class=\"current\">My episodes ({overdue})</a>")), "{}", mine.html);
        // Another worker's episodes are not "mine".
        let mut sw = Browser::new(&w.state);
        sw.log_in("sw", PASSWORD, "/").await;
        let theirs = sw.get("/?owner=me").await;
        assert!(!theirs.html.contains("Dee Ranger"), "{}", theirs.html);
        assert_eq!(b.get("/?when=someday").await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(b.get("/?colour=red").await.status, StatusCode::UNPROCESSABLE_ENTITY);
        // The child missing now, how long for, and what is overdue.
        let (missing, _) = home.html.split_once("<h2 id=\"to-consider\">").unwrap();
        assert!(missing.contains("Dee Ranger") && missing.contains("2 days"), "{missing}");
        if overdue > 0 {
            assert!(missing.contains(&format!("{overdue} overdue:")), "{missing}");
            assert!(home.html.contains("<strong class=\"late\">2 days late</strong>"), "how late, in words: {}", home.html);
        }
        if overdue > 3 {
            let more = format!("<a href=\"/?when=overdue#group-{child}-e1\">and {} more</a>", overdue - 3);
            assert!(missing.contains(&more), "the first three named, the rest linked: {missing}");
            assert!(b.get("/?when=overdue").await.html.contains(&format!("<h3 id=\"group-{child}-e1\">")));
        }
        // Someone who sees both children: the overdue episode at high risk comes first.
        person(&w.state, "police-nw", "police", &["bolton", "derby"], "pc", "police_officer").await;
        let mut pc = Browser::new(&w.state);
        pc.log_in("pc", PASSWORD, "/").await;
        let both = pc.get("/").await;
        let (dee, kim) = (both.html.find(&format!("<h3 id=\"group-{child}-e1\">")), both.html.find(&format!("<h3 id=\"group-{}-e1\">", w.child)));
        assert!(dee.is_some() && kim.is_some() && dee < kim, "{}", both.html);
        assert!(home.html.contains("href=\"/notifications\""), "unacknowledged notifications are linked");
    }
}

/// "My team": the duties of the episodes the viewer's team owns.
#[tokio::test]
async fn home_filters_the_duties_of_my_team() {
    for url in support::fresh_databases("ui-team").await {
        let w = world(&url).await;
        let (child, token) = derby_child(&w).await;
        // The child's team is lac-2; a colleague in that team, not the allocated worker.
        let auth = format!("Bearer {token}");
        let assigned =
            json!({"at": "2026-03-05T05:00:00Z", "episode": "e1", "type": "episode_assigned", "worker": "dsw", "team": "lac-2", "reason": "leave cover"});
        let (status, body) =
            support::request(&w.state, "POST", &format!("/api/v1/children/{child}/events"), &[("authorization", auth.as_str())], Some(assigned)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let hash = homeward_server::auth::password::hash(PASSWORD.to_string()).await.unwrap();
        let colleague = homeward_store::NewUser {
            username: "tsw".into(),
            display_name: "Team colleague".into(),
            email: None,
            agency_id: "derby-cs".into(),
            role: "social_worker".into(),
            team: Some("lac-2".into()),
            password_hash: Some(hash),
        };
        w.state.store.create_user(&colleague, w.state.clock.now().as_second()).await.unwrap();
        let open = api_duties(&w.state, &token, &child, "").await;
        let mut b = Browser::new(&w.state);
        b.log_in("tsw", PASSWORD, "/").await;
        let home = b.get("/").await;
        assert!(home.html.contains(&format!("href=\"/?team=lac-2\">My team (lac-2) ({})</a>", open.len())), "{}", home.html);
        assert!(home.html.contains("href=\"/?owner=me\">My episodes (0)</a>"), "{}", home.html);
        let team = b.get("/?team=lac-2").await;
        assert_eq!(team.status, StatusCode::OK);
        assert!(team.html.contains(&format!("<h3 id=\"group-{child}-e1\">")), "{}", team.html);
        assert_eq!(b.get("/?team=another-team").await.status, StatusCode::UNPROCESSABLE_ENTITY, "only one's own team");
    }
}

#[tokio::test]
async fn a_duty_marked_done_from_the_home_page_leaves_the_open_list() {
    for url in support::fresh_databases("ui-done").await {
        let w = world(&url).await;
        let (child, token) = derby_child(&w).await;
        let open = api_duties(&w.state, &token, &child, "").await;
        let duty = open.iter().find(|d| d["state"] == "overdue").or(open.first()).unwrap()["id"].as_str().unwrap().to_string();
        let mut b = Browser::new(&w.state);
        b.log_in("dsw", PASSWORD, "/").await;
        let home = b.get("/?when=overdue").await;
        let action = format!("/children/{child}/duties/{}/done", seg(&duty));
        assert!(home.html.contains(&action), "{}", home.html);
        let forged = b.post(&action, &[("csrf_token", "wrong"), ("back", "/")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        // Back to the page it came from, never elsewhere.
        let done = b.post(&action, &[("csrf_token", &home.csrf()), ("back", "https://evil.example/")]).await;
        assert_eq!((done.status, done.location.as_deref()), (StatusCode::SEE_OTHER, Some("/?done=done")), "{}", done.html);
        assert!(!b.get("/").await.html.contains(&action), "a duty done is no longer open");
        let all = api_duties(&w.state, &token, &child, "&include_closed=true").await;
        assert_eq!(all.iter().find(|d| d["id"] == duty.as_str()).unwrap()["state"], "done");
    }
}

#[tokio::test]
async fn an_exception_needs_a_reason_and_who_authorised_it_and_a_blank_one_writes_nothing() {
    for url in support::fresh_databases("ui-exception").await {
        let w = world(&url).await;
        let (child, token) = derby_child(&w).await;
        let open = api_duties(&w.state, &token, &child, "").await;
        let duty = open[0]["id"].as_str().unwrap().to_string();
        let mut b = Browser::new(&w.state);
        b.log_in("dsw", PASSWORD, "/").await;
        let form = b.get(&format!("/children/{child}/duties/{}/exception?back=%2F%3Fwhen%3Doverdue", seg(&duty))).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.html);
        assert!(form.html.contains("<label for=\"reason\">") && form.html.contains("<label for=\"authorised_by\">"));
        let target = format!("/children/{child}/duties/{}/exception", seg(&duty));
        let before = w.state.store.events(&child).await.unwrap().len();
        let blank = b.post(&target, &[("csrf_token", &form.csrf()), ("back", "/?when=overdue"), ("reason", "   "), ("authorised_by", "")]).await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(blank.html.contains("There is a problem"), "{}", blank.html);
        assert!(blank.html.contains("<a href=\"#reason\">Enter the reason for the exception</a>"), "{}", blank.html);
        assert!(blank.html.contains("<a href=\"#authorised_by\">Enter who authorised the exception</a>"), "{}", blank.html);
        assert!(blank.html.contains("<title>Error: Record an exception"), "{}", blank.html);
        assert_eq!(w.state.store.events(&child).await.unwrap().len(), before, "nothing written");
        let kept = b.post(&target, &[("csrf_token", &form.csrf()), ("back", "/"), ("reason", ""), ("authorised_by", "A. Manager, team manager")]).await;
        assert!(kept.html.contains("value=\"A. Manager, team manager\"") && !kept.html.contains("#authorised_by\">"), "what was typed is kept: {}", kept.html);

        let done = b
            .post(
                &target,
                &[
                    ("csrf_token", &form.csrf()),
                    ("back", "/?when=overdue"),
                    ("reason", "The child was found and is in hospital under police guard"),
                    ("authorised_by", "A. Manager, team manager"),
                ],
            )
            .await;
        assert_eq!((done.status, done.location.as_deref()), (StatusCode::SEE_OTHER, Some("/?when=overdue&done=exception")), "{}", done.html);
        let all = api_duties(&w.state, &token, &child, "&include_closed=true").await;
        assert_eq!(all.iter().find(|d| d["id"] == duty.as_str()).unwrap()["state"], "excepted");
        let events = w.state.store.events(&child).await.unwrap();
        let body: serde_json::Value = serde_json::from_str(&events.last().unwrap().body).unwrap();
        assert_eq!((body["type"].as_str(), body["authorised_by"].as_str()), (Some("exception"), Some("A. Manager, team manager")));
        // A duty that is not open has no exception form.
        assert_eq!(b.get(&format!("/children/{child}/duties/{}/exception", seg(&duty))).await.status, StatusCode::NOT_FOUND);
    }
}

/// A request of the audit test: method, address, form fields.
type Step<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);

#[tokio::test]
async fn every_home_page_and_duty_action_is_one_audit_entry() {
    for url in support::fresh_databases("ui-home-audit").await {
        let w = world(&url).await;
        let (child, token) = derby_child(&w).await;
        let open = api_duties(&w.state, &token, &child, "").await;
        let prompts = api_duties(&w.state, &token, &child, "&to_consider=true").await;
        let mut b = Browser::new(&w.state);
        b.log_in("dsw", PASSWORD, "/").await;
        let count = || async { w.state.store.audit_entries(0, 100_000).await.unwrap() };
        let mut before = count().await.len();
        let home = b.get("/?owner=me&when=overdue").await;
        let entries = count().await;
        assert_eq!(entries.len(), before + 1);
        let e = &entries.last().unwrap().entry;
        assert_eq!((e.record_type.as_deref(), e.record_id.as_deref()), (Some("home"), Some("owner=me&when=overdue")));
        before += 1;
        let csrf = home.csrf();
        let (d0, d1) = (seg(open[0]["id"].as_str().unwrap()), seg(open[1]["id"].as_str().unwrap()));
        let p0 = seg(prompts[0]["id"].as_str().unwrap());
        let steps: Vec<Step> = vec![
            ("GET", format!("/children/{child}/duties/{d0}/exception"), vec![]),
            ("POST", format!("/children/{child}/duties/{d0}/exception"), vec![("csrf_token", &csrf), ("reason", ""), ("authorised_by", "")]),
            ("POST", format!("/children/{child}/duties/{d0}/done"), vec![("csrf_token", &csrf)]),
            ("POST", format!("/children/{child}/duties/{p0}/considered"), vec![("csrf_token", &csrf), ("decision", "dismissed")]),
            (
                "POST",
                format!("/children/{child}/duties/{d1}/exception"),
                vec![("csrf_token", &csrf), ("reason", "Agreed at the strategy meeting instead"), ("authorised_by", "A. Manager")],
            ),
        ];
        for (method, uri, fields) in steps {
            let page = if method == "GET" { b.get(&uri).await } else { b.post(&uri, &fields).await };
            assert!(page.status.is_success() || page.status.is_redirection() || page.status == StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {}", page.html);
            let entries = count().await;
            assert_eq!(entries.len(), before + 1, "{method} {uri}");
            assert_eq!(entries.last().unwrap().entry.record_id.as_deref(), Some(child.as_str()), "{method} {uri}");
            before += 1;
        }
        assert!(w.state.store.audit_verify().await.unwrap().broken.is_none());
    }
}

// ------------------------------------------------------------------ notifications

/// A Bolton child placed with a children's home, reported missing now, in
/// a service that tells the roles the protocol names (every role with an
/// inbox, as in the demo, unless `directory` says otherwise); the people of
/// `world`.
async fn notified_world(url: &str, directory: Option<&str>) -> World {
    let clock = Arc::new(ManualClock::new("2026-12-07T09:00:00Z".parse().unwrap()));
    let mut state = support::app_state(url, clock.clone(), "ui-notifications").await;
    let registry = Arc::new(homeward_core::Registry::builtin().unwrap());
    let directory = match directory {
        Some(text) => homeward_server::notify::Directory::parse("directory.toml", text, &registry, &|_| None).expect("a valid directory"),
        None => homeward_server::notify::Directory::demo(&registry),
    };
    state.store = state.store.with_notifier(Arc::new(homeward_server::notify::Planner::new(registry, Arc::new(directory), "https://homeward.example")));
    let (sw, child) = people_and_child(&state).await;
    let h = [("authorization", format!("Bearer {sw}"))];
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    place_at_oak_house(&state, &child).await;
    let reported = json!({"at": "2026-12-07T09:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "high"});
    let (status, body) = support::request(&state, "POST", &format!("/api/v1/children/{child}/events"), &h, Some(reported)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    World { state, clock, child }
}

/// The messages about `child` to `role`, as stored.
async fn messages_to(w: &World, role: &str) -> Vec<homeward_store::NotificationRecord> {
    let filter = homeward_store::NotificationFilter { child: Some(w.child.clone()), role: Some(role.to_string()), ..Default::default() };
    w.state.store.notifications(&filter).await.unwrap()
}

#[tokio::test]
async fn the_inbox_lists_waiting_messages_and_acknowledging_on_the_page_settles_them() {
    for url in support::fresh_databases("ui-inbox").await {
        let w = notified_world(&url, None).await;
        let told = messages_to(&w, "social_worker").await;
        let n = told.first().expect("a message to the social worker");
        let mut sw = Browser::new(&w.state);
        sw.log_in("sw", PASSWORD, "/").await;

        let inbox = sw.get("/notifications").await;
        assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.html);
        assert!(inbox.html.contains(&format!("<a href=\"/notifications/{}\">", n.id)), "{}", inbox.html);
        assert!(
            inbox.html.contains("Allocated social worker (or duty team), bolton <span class=\"tag\">For you</span>"),
            "the role by the protocol's name: {}",
            inbox.html
        );
        assert!(inbox.html.contains("Kim Ours") && inbox.html.contains("Waiting"), "{}", inbox.html);
        assert!(inbox.html.contains("<a href=\"/notifications\" aria-current=\"page\">"), "the filter in use is marked");

        let one = sw.get(&format!("/notifications/{}", n.id)).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.html);
        assert!(one.html.contains(&format!("action=\"/notifications/{}/acknowledge\"", n.id)) && one.html.contains(">Acknowledge</button>"), "{}", one.html);
        assert!(one.html.contains("<details") && one.html.contains("What the protocol says"), "the rule's words: {}", one.html);
        assert!(one.html.contains("bolton "), "the cite: {}", one.html);
        assert!(one.html.contains("Deliveries") && one.html.contains(".invalid"), "the deliveries: {}", one.html);

        // Without the session's token nothing is done.
        let forged = sw.post(&format!("/notifications/{}/acknowledge", n.id), &[("csrf_token", "wrong")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(w.state.store.notification(&n.id).await.unwrap().unwrap().settled, None);

        let done = sw.post(&format!("/notifications/{}/acknowledge", n.id), &[("csrf_token", &one.csrf())]).await;
        assert_eq!((done.status, done.location.as_deref()), (StatusCode::SEE_OTHER, Some(format!("/notifications/{}", n.id).as_str())), "{}", done.html);
        let settled = w.state.store.notification(&n.id).await.unwrap().unwrap();
        assert_eq!((settled.settled.as_deref(), settled.acknowledged_by.as_deref()), (Some("acknowledged"), Some("sw")));
        let after = sw.get(&format!("/notifications/{}", n.id)).await;
        assert!(after.html.contains("Acknowledged by sw") && !after.html.contains(">Acknowledge</button>"), "{}", after.html);
        let waiting = sw.get("/notifications").await;
        assert!(!waiting.html.contains(&format!("/notifications/{}\"", n.id)), "no longer waiting: {}", waiting.html);
        let odd = sw.get("/notifications?show=all&show=x&limit=%ZZ").await;
        assert_eq!(odd.status, StatusCode::OK, "an odd query is no error: {}", odd.html);
        let all = sw.get("/notifications?show=all").await;
        assert!(all.html.contains(&format!("/notifications/{}\"", n.id)) && all.html.contains("Acknowledged"), "{}", all.html);
    }
}

#[tokio::test]
async fn a_placement_may_not_acknowledge_the_social_workers_message_and_is_told_why() {
    for url in support::fresh_databases("ui-ack-refused").await {
        let w = notified_world(&url, None).await;
        let n = messages_to(&w, "social_worker").await.into_iter().next().expect("a message to the social worker");
        let mut home = Browser::new(&w.state);
        home.log_in("home", PASSWORD, "/").await;
        let one = home.get(&format!("/notifications/{}", n.id)).await;
        assert_eq!(one.status, StatusCode::OK, "the placement sees it: {}", one.html);
        assert!(!one.html.contains("For you"), "not the placement's to acknowledge: {}", one.html);
        let refused = home.post(&format!("/notifications/{}/acknowledge", n.id), &[("csrf_token", &one.csrf())]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
        assert!(refused.html.contains("You cannot acknowledge this message") && refused.html.contains("Nothing has been acknowledged"), "{}", refused.html);
        assert!(refused.html.contains("<title>Error: "), "{}", refused.html);
        assert!(refused.html.contains("Allocated social worker (or duty team), bolton"), "{}", refused.html);
        assert!(!refused.html.contains("{\""), "not a raw error: {}", refused.html);
        let still = w.state.store.notification(&n.id).await.unwrap().unwrap();
        assert_eq!(still.settled, None, "nothing settled");
        let entry = w.state.store.audit_entries(0, 100_000).await.unwrap().pop().unwrap().entry;
        assert_eq!((entry.operation.as_str(), entry.rule.as_deref()), ("POST /notifications/{id}/acknowledge", Some("addressee-or-above")));
    }
}

#[tokio::test]
async fn a_break_glass_notice_is_not_shown_to_the_placement() {
    for url in support::fresh_databases("ui-notice-hidden").await {
        let w = notified_world(&url, None).await;
        let mut edt = Browser::new(&w.state);
        edt.log_in("edt", PASSWORD, "/").await;
        let form = edt.get(&format!("/children/{}/break-glass", w.child)).await;
        let granted = edt
            .post(
                &format!("/children/{}/break-glass", w.child),
                &[("csrf_token", &form.csrf()), ("reason", "Police found the child at 3am and need the placement address")],
            )
            .await;
        assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.html);
        let filter = homeward_store::NotificationFilter { child: Some(w.child.clone()), ..Default::default() };
        let notice = w.state.store.notifications(&filter).await.unwrap().into_iter().find(|n| n.stage == "break_glass").expect("a break-glass notice");

        let mut home = Browser::new(&w.state);
        home.log_in("home", PASSWORD, "/").await;
        for inbox in [home.get("/notifications").await, home.get("/notifications?show=all").await] {
            assert_eq!(inbox.status, StatusCode::OK);
            assert!(!inbox.html.contains(&notice.id) && !inbox.html.contains("Break-glass"), "{}", inbox.html);
        }
        let hidden = home.get(&format!("/notifications/{}", notice.id)).await;
        let absent = home.get("/notifications/00000000-0000-7000-8000-000000000000").await;
        assert_eq!((hidden.status, absent.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
        assert_eq!(hidden.html, absent.html, "hidden and absent look the same");
        let ack = home.post(&format!("/notifications/{}/acknowledge", notice.id), &[("csrf_token", &hidden.csrf())]).await;
        assert_eq!(ack.status, StatusCode::NOT_FOUND, "{}", ack.html);
        assert_eq!(w.state.store.notification(&notice.id).await.unwrap().unwrap().settled, None);

        // The team manager it reached sees it, and may acknowledge it.
        let mut tm = Browser::new(&w.state);
        tm.log_in("tm", PASSWORD, "/").await;
        let inbox = tm.get("/notifications").await;
        assert!(inbox.html.contains(&format!("/notifications/{}\"", notice.id)), "{}", inbox.html);
        let one = tm.get(&format!("/notifications/{}", notice.id)).await;
        assert!(one.html.contains("Emergency access") && one.html.contains("Police found the child at 3am"), "{}", one.html);
        let done = tm.post(&format!("/notifications/{}/acknowledge", notice.id), &[("csrf_token", &one.csrf())]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    }
}

#[tokio::test]
async fn an_escalation_is_shown_to_the_manager_it_reached() {
    // Bolton's protocol names no managers: the directory does.
    let directory = r#"
        [[inbox]]
        authority = "bolton"
        role = "social_worker"
        email = ["sw@bolton.test"]
        escalate_to = "team_manager"
        [[inbox]]
        authority = "bolton"
        role = "team_manager"
        email = ["tm@bolton.test"]
    "#;
    for url in support::fresh_databases("ui-escalated").await {
        let w = notified_world(&url, Some(directory)).await;
        // Nobody acknowledges: past every window, the messages go up the chain.
        for _ in 0..3 {
            w.clock.advance(jiff::SignedDuration::from_hours(2));
            w.state.store.escalate_round(w.state.store.notifier(), "ui-test", w.state.clock.now(), 1000).await.unwrap();
        }
        let up = messages_to(&w, "team_manager").await.into_iter().find(|n| n.level > 0).expect("an escalation to the team manager");
        let mut tm = Browser::new(&w.state);
        tm.log_in("tm", PASSWORD, "/").await;
        let inbox = tm.get("/notifications").await;
        assert!(inbox.html.contains(&format!("/notifications/{}\"", up.id)), "{}", inbox.html);
        assert!(inbox.html.contains("Escalated to you from Allocated social worker (or duty team) (level 1)"), "{}", inbox.html);
        let one = tm.get(&format!("/notifications/{}", up.id)).await;
        assert!(one.html.contains("NOT ACKNOWLEDGED") && one.html.contains(">Acknowledge</button>"), "{}", one.html);
        // The social worker does not answer for the team manager's role: theirs reads "to Team Manager".
        let mut sw = Browser::new(&w.state);
        sw.log_in("sw", PASSWORD, "/").await;
        let inbox = sw.get("/notifications").await;
        assert!(inbox.html.contains("Escalated to Team Manager from Allocated social worker (or duty team) (level 1)"), "{}", inbox.html);
    }
}

#[tokio::test]
async fn the_link_in_a_message_opens_its_page_after_logging_in() {
    for url in support::fresh_databases("ui-link").await {
        let w = notified_world(&url, None).await;
        let n = messages_to(&w, "social_worker").await.into_iter().next().expect("a message to the social worker");
        let page = format!("/notifications/{}", n.id);
        assert!(n.body.contains(&format!("https://homeward.example{page}\n")), "{}", n.body);
        assert!(!n.body.contains("/api/"), "{}", n.body);
        let mut b = Browser::new(&w.state);
        let first = b.get(&page).await;
        assert_eq!((first.status, first.location.as_deref()), (StatusCode::SEE_OTHER, Some(format!("/login?next={page}").as_str())));
        let done = b.log_in("sw", PASSWORD, &page).await;
        assert_eq!(done.location.as_deref(), Some(page.as_str()));
        let shown = b.get(&page).await;
        assert_eq!(shown.status, StatusCode::OK);
        assert!(shown.html.contains(">Acknowledge</button>"), "{}", shown.html);
    }
}

#[tokio::test]
async fn every_notifications_page_is_one_audit_entry() {
    for url in support::fresh_databases("ui-notifications-audit").await {
        let w = notified_world(&url, None).await;
        let n = messages_to(&w, "social_worker").await.into_iter().next().expect("a message to the social worker");
        let mut b = Browser::new(&w.state);
        b.log_in("sw", PASSWORD, "/").await;
        let count = || async { w.state.store.audit_entries(0, 100_000).await.unwrap() };
        let before = count().await.len();
        b.get("/notifications").await;
        let entries = count().await;
        assert_eq!(entries.len(), before + 1);
        assert_eq!(entries.last().unwrap().entry.record_type.as_deref(), Some("notifications"));
        let one = b.get(&format!("/notifications/{}", n.id)).await;
        let entries = count().await;
        assert_eq!(entries.len(), before + 2);
        let e = &entries.last().unwrap().entry;
        assert_eq!(
            (e.operation.as_str(), e.record_type.as_deref(), e.record_id.as_deref()),
            ("GET /notifications/{id}", Some("notification"), Some(n.id.as_str()))
        );
        let done = b.post(&format!("/notifications/{}/acknowledge", n.id), &[("csrf_token", &one.csrf())]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        let entries = count().await;
        assert_eq!(entries.len(), before + 3);
        let e = &entries.last().unwrap().entry;
        // Acknowledging writes to the child's record: the entry names it.
        assert_eq!(
            (e.operation.as_str(), e.record_type.as_deref(), e.record_id.as_deref()),
            ("POST /notifications/{id}/acknowledge", Some("child"), Some(w.child.as_str()))
        );
        assert!(w.state.store.audit_verify().await.unwrap().broken.is_none());
    }
}

// ------------------------------------------------------------------ in a real browser

/// A fresh headless Chromium, driven over WebDriver. chromedriver gives it
/// an empty profile of its own and removes it, even when a test fails. None
/// when the test command has not started a driver (`scripts/test` always
/// does; see scripts/lib/chromium.sh).
async fn chromium() -> Option<fantoccini::Client> {
    let Ok(webdriver) = std::env::var("HOMEWARD_TEST_WEBDRIVER_URL") else {
        eprintln!("no HOMEWARD_TEST_WEBDRIVER_URL: the browser test is left out (scripts/test starts a driver)");
        return None;
    };
    let binary = std::env::var("HOMEWARD_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": binary,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--window-size=1280,900",
            ],
        },
    });
    let serde_json::Value::Object(capabilities) = capabilities else { unreachable!() };
    let client = fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&webdriver)
        .await
        .unwrap_or_else(|e| panic!("a WebDriver session at {webdriver}: {e}"));
    Some(client)
}

/// Serves the whole application on a loopback port, as `homeward serve` does.
async fn serve(state: &AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = homeward_server::app(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// The serious and critical violations of the WCAG 2.0, 2.1 and 2.2 A and
/// AA rules that axe-core finds on the page the browser shows. axe-core comes
/// from the npm registry by its lock file (`tests/axe`, installed by
/// scripts/test, which sets `HOMEWARD_TEST_AXE`).
async fn axe_violations(c: &fantoccini::Client) -> Vec<serde_json::Value> {
    let path = std::env::var("HOMEWARD_TEST_AXE").expect("HOMEWARD_TEST_AXE names axe-core's script (scripts/test installs it with the browser)");
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let loaded = c.execute(&format!("{source}\n;return typeof window.axe;"), vec![]).await.unwrap();
    assert_eq!(loaded, "object", "axe-core did not load into the page");
    let run = "const done = arguments[arguments.length - 1];\
        window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })\
          .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')) }))))\
          .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));";
    let result = c.execute_async(run, vec![]).await.unwrap();
    result.as_array().expect("axe-core's violations").iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).cloned().collect()
}

/// Checks the page the browser shows: no serious or critical accessibility
/// violation ([`axe_violations`]). Saves a screenshot named `name` for a
/// reviewer when `HOMEWARD_TEST_SCREENSHOTS` names a folder.
async fn check_page(c: &fantoccini::Client, name: &str) {
    let violations = axe_violations(c).await;
    assert!(violations.is_empty(), "accessibility of the page {name} ({}): {violations:#?}", c.current_url().await.unwrap());
    if let Ok(dir) = std::env::var("HOMEWARD_TEST_SCREENSHOTS") {
        let png = c.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

async fn text(c: &fantoccini::Client, css: &str) -> String {
    c.wait().for_element(fantoccini::Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.unwrap()
}

/// Clicks what `locator` finds and waits for the next page to load: until
/// the old page is gone, then until the new one has its main content.
async fn click_through(c: &fantoccini::Client, locator: fantoccini::Locator<'_>) {
    let old = c.find(fantoccini::Locator::Css("html")).await.unwrap();
    c.find(locator).await.unwrap_or_else(|e| panic!("{locator:?}: {e}")).click().await.unwrap();
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            c.wait().for_element(fantoccini::Locator::Css("main")).await.unwrap();
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("clicking {locator:?} did not lead to another page");
}

/// Presses Tab until the element with `id` has the focus, as a keyboard user
/// would reach it; returns it.
async fn tab_to(c: &fantoccini::Client, id: &str) -> fantoccini::elements::Element {
    for _ in 0..80 {
        let active = c.active_element().await.unwrap();
        if active.attr("id").await.unwrap().as_deref() == Some(id) {
            return active;
        }
        active.send_keys(&fantoccini::key::Key::Tab.to_string()).await.unwrap();
    }
    panic!("the keyboard never reached #{id}");
}

/// Fills in and sends the login form on the current page.
async fn log_in_with_the_form(c: &fantoccini::Client, username: &str) {
    use fantoccini::Locator::Css;
    c.find(Css("#username")).await.unwrap().send_keys(username).await.unwrap();
    c.find(Css("#password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    click_through(c, Css("form[action='/login'] button[type=submit]")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_each_person_logs_in_with_the_forms_and_sees_what_the_policy_allows() {
    use fantoccini::Locator::{Css, LinkText};
    let Some(url) = support::fresh_databases("ui-browser").await.into_iter().next() else { return };
    let w = world(&url).await;
    let base = serve(&w.state).await;
    let record = format!("{base}/children/{}", w.child);
    let Some(c) = chromium().await else { return };

    // The checker bites: an image without a text alternative, on a page with no language.
    c.goto("data:text/html,<html><body><img src='x.png'></body></html>").await.unwrap();
    let found: Vec<String> = axe_violations(&c).await.iter().filter_map(|v| v["id"].as_str().map(str::to_string)).collect();
    assert!(found.iter().any(|id| id == "image-alt"), "axe-core finds a missing alt text: {found:?}");

    // The placement's manager: the login page, then the child's record
    // without the return interview, then why, then logging out.
    c.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/login");
    check_page(&c, "login").await;
    log_in_with_the_form(&c, "home").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/");
    assert_eq!(text(&c, "h1").await, "What to do now");
    check_page(&c, "home-placement").await;
    c.goto(&record).await.unwrap();
    assert_eq!(text(&c, "h1").await, "Kim Ours");
    check_page(&c, "child-placement").await;
    let main = text(&c, "main").await;
    assert!(main.contains("Missing episodes") && main.contains("1 Oak Lane"), "{main}");
    assert!(!c.source().await.unwrap().contains(RHI_NOTE), "return interview content shown to a placement");
    click_through(&c, LinkText("Your access")).await;
    assert!(text(&c, "main").await.contains("placement-own-children"));
    check_page(&c, "your-access").await;
    click_through(&c, Css("form[action='/logout'] button")).await;
    assert!(text(&c, "main").await.contains("You have logged out"));
    check_page(&c, "logged-out").await;
    c.goto(&record).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/login", "logged out means logged out");

    // The social worker, sent to the login page from the record, comes back to it.
    log_in_with_the_form(&c, "sw").await;
    assert_eq!(c.current_url().await.unwrap().as_str(), record);
    assert!(text(&c, "main").await.contains(RHI_NOTE));
    check_page(&c, "child-social-worker").await;
    click_through(&c, fantoccini::Locator::Css("a[href$='/episodes/e1']")).await;
    assert!(text(&c, "h1").await.contains("Missing episode"));
    check_page(&c, "episode").await;
    c.goto(&record).await.unwrap();

    // Reporting the child missing again, with the keyboard only: the form,
    // an error named and linked, then the report recorded.
    click_through(&c, LinkText("Record what happened")).await;
    check_page(&c, "record-choose").await;
    click_through(&c, LinkText("Reported missing, absent or away from placement")).await;
    check_page(&c, "record-report").await;
    use fantoccini::key::Key;
    tab_to(&c, "hour").await;
    let submit = "form[action$='/record/reported'] button[type=submit]";
    c.find(Css(submit)).await.unwrap().send_keys(&Key::Enter.to_string()).await.unwrap();
    assert!(text(&c, ".error-summary").await.contains("Choose whether the child is missing"), "the missing category is named");
    check_page(&c, "record-report-error").await;
    c.find(Css(".error-summary a")).await.unwrap().send_keys(&Key::Enter.to_string()).await.unwrap();
    tab_to(&c, "category").await.send_keys(" ").await.unwrap();
    tab_to(&c, "note").await.send_keys("Not back from school; phone off").await.unwrap();
    let button = c.find(Css(submit)).await.unwrap();
    let old = c.find(Css("html")).await.unwrap();
    tab_to(&c, "note").await.send_keys(&Key::Tab.to_string()).await.unwrap();
    assert_eq!(c.active_element().await.unwrap().text().await.unwrap(), button.text().await.unwrap(), "Tab from the note reaches the button");
    c.active_element().await.unwrap().send_keys(&Key::Enter.to_string()).await.unwrap();
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(c.current_url().await.unwrap().as_str(), record, "recorded, back on the record");
    assert!(text(&c, "main").await.contains("Not back from school"));

    // Reporting starts with finding the child.
    click_through(&c, LinkText("Report a child missing")).await;
    check_page(&c, "report-search").await;
    c.find(Css("#family_name")).await.unwrap().send_keys("Ours").await.unwrap();
    click_through(&c, Css("form[action='/report'] button")).await;
    assert!(text(&c, "main").await.contains("Report Kim Ours missing"));
    check_page(&c, "report-found").await;
    click_through(&c, LinkText("Make a new record for the child")).await;
    check_page(&c, "report-new").await;

    // The protocols, in plain English, and what changed between versions.
    click_through(&c, LinkText("Protocols")).await;
    check_page(&c, "protocols").await;
    c.goto(&format!("{base}/protocols/bolton")).await.unwrap();
    check_page(&c, "protocol-bolton").await;
    c.goto(&format!("{base}/protocols/bolton/changes")).await.unwrap();
    assert!(text(&c, "main").await.contains("48 hours"));
    check_page(&c, "protocol-bolton-changes").await;
    click_through(&c, Css("form[action='/logout'] button")).await;

    // Another council's emergency duty worker: not found, then break-glass
    // with a reason, then the record, flagged.
    c.goto(&record).await.unwrap();
    log_in_with_the_form(&c, "edt").await;
    assert_eq!(text(&c, "h1").await, "Not found");
    check_page(&c, "not-found").await;
    click_through(&c, LinkText("ask for emergency access")).await;
    check_page(&c, "break-glass").await;
    click_through(&c, Css("form[action$='/break-glass'] button")).await;
    assert!(text(&c, ".error-summary").await.contains("reason"), "an empty reason is named");
    check_page(&c, "break-glass-error").await;
    c.find(Css("#reason")).await.unwrap().send_keys("Police found the child at 3am and need the placement address").await.unwrap();
    click_through(&c, Css("form[action$='/break-glass'] button")).await;
    assert_eq!(c.current_url().await.unwrap().as_str(), record);
    assert!(text(&c, ".warning").await.contains("Emergency access"));
    check_page(&c, "child-break-glass").await;

    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_link_in_a_message_leads_to_its_page_and_the_button_acknowledges_it() {
    use fantoccini::Locator::Css;
    let Some(url) = support::fresh_databases("ui-browser-notice").await.into_iter().next() else { return };
    let w = notified_world(&url, None).await;
    let n = messages_to(&w, "social_worker").await.into_iter().next().expect("a message to the social worker");
    let base = serve(&w.state).await;
    let Some(c) = chromium().await else { return };
    // The link as the message gives it, on this server.
    let link = n.body.lines().find(|l| l.starts_with("https://homeward.example/")).expect("a link").replace("https://homeward.example", &base);
    c.goto(&link).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/login");
    log_in_with_the_form(&c, "sw").await;
    assert_eq!(c.current_url().await.unwrap().as_str(), link, "back to the message after logging in");
    assert_eq!(text(&c, "h1").await, n.subject);
    check_page(&c, "notification").await;
    click_through(&c, Css("form[action$='/acknowledge'] button")).await;
    assert!(text(&c, "main").await.contains("Acknowledged by sw"));
    assert_eq!(w.state.store.notification(&n.id).await.unwrap().unwrap().settled.as_deref(), Some("acknowledged"));
    c.close().await.unwrap();
}

// ------------------------------------------------------------------ the protocol pages

/// The text of a page without its tags, for reading what it says.
fn page_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn protocol_pages_show_the_version_in_force_the_rules_words_and_what_changed() {
    for url in support::fresh_databases("ui-protocols").await {
        // Before Bolton's 2025 version took effect.
        let clock = Arc::new(ManualClock::new("2024-06-01T09:00:00Z".parse().unwrap()));
        let state = support::app_state(&url, clock.clone(), "ui-test").await;
        // Any logged-in person may read them: a children's home manager here.
        person(&state, "oak-house", "placement", &[], "home", "placement_manager").await;
        let mut b = Browser::new(&state);
        b.log_in("home", PASSWORD, "/").await;

        let list = b.get("/protocols").await;
        assert_eq!(list.status, StatusCode::OK);
        let text = page_text(&list.html);
        assert!(text.contains("before 2025-01 (strategy meeting at 72 hours) , effective from 1 January 2019 In force"), "{text}");
        assert!(text.contains("2025-01 (strategy meeting at 48 hours) , effective from 1 January 2025 Not yet in force"), "{text}");
        assert!(text.contains("blackburn-with-darwen, blackpool, lancashire"), "{text}");
        assert!(text.contains("national baseline"), "{text}");
        // Two years on (the session has expired with them).
        clock.set("2026-03-03T09:00:00Z".parse().unwrap());
        b.log_in("home", PASSWORD, "/").await;
        let text = page_text(&b.get("/protocols").await.html);
        assert!(text.contains("effective from 1 January 2019 Superseded"), "{text}");
        assert!(text.contains("effective from 1 January 2025 In force"), "{text}");

        // The version in force, a rule with its cite and the document's words.
        let show = b.get("/protocols/bolton").await;
        assert_eq!(show.status, StatusCode::OK);
        let text = page_text(&show.html);
        assert!(text.contains("2025-01 (strategy meeting at 48 hours) In force"), "{text}");
        assert!(text.contains("“or a missing episode lasting 48 hours or more”"), "{text}");
        // The carers' checks, each with the document's words.
        assert!(text.contains("Checks before reporting a child missing"), "{text}");
        let lancashire = page_text(&b.get("/protocols/pan-lancashire").await.html);
        assert!(lancashire.contains("Have you checked whether the child has turned up at an education provision? Only if appropriate."), "{lancashire}");
        assert!(lancashire.contains("“Have you contacted local hospitals?” pan-lancashire §5.1.1"), "{lancashire}");
        let newham = page_text(&b.get("/protocols/newham").await.html);
        assert!(!newham.contains("Checks before reporting"), "newham lists no checks");
        assert!(text.contains("bolton Strategy meetings"), "{text}");
        assert!(show.html.contains("id=\"reading-evaluation-6-months\""));
        assert!(text.contains("To consider"));
        assert!(text.contains("Not set by the document The protocol sets no timescale"), "{text}");
        // A rule that counts earlier acts links its reading; retention names who reviews.
        assert!(show.html.contains("An act recorded before the duty applies can discharge it (<a href=\"#reading-police-report\">"));
        assert!(text.contains("Reviewed by Missing and Information Sharing Coordinator"), "{text}");
        // An earlier version by its effective date.
        let old = page_text(&b.get("/protocols/bolton?version=2019-01-01").await.html);
        assert!(old.contains("strategy discussions were to be convened when a child had been missing for 72 hours"), "{old}");

        // What changed: the strategy meeting moved from 72 to 48 hours.
        let changes = b.get("/protocols/bolton/changes?from=2019-01-01&to=2025-01-01").await;
        assert_eq!(changes.status, StatusCode::OK);
        let text = page_text(&changes.html);
        assert!(text.contains("Applies after 72 hours 48 hours"), "{text}");
        assert!(text.contains("Identifier strategy.72h strategy.48h"), "{text}");
        assert!(text.contains("Readings 1 added, 1 removed"), "{text}");

        // Unknown protocols and versions are Not found pages.
        for uri in ["/protocols/atlantis", "/protocols/bolton?version=2020-01-01", "/protocols/atlantis/changes", "/protocols/bolton/changes?from=1999-01-01"] {
            let missing = b.get(uri).await;
            assert_eq!(missing.status, StatusCode::NOT_FOUND, "{uri}");
            assert!(missing.html.contains("Not found"), "{uri}");
        }

        // Each page is one audit entry naming the protocol.
        let before = state.store.audit_entries(0, 100_000).await.unwrap().len();
        b.get("/protocols/newham").await;
        let entries = state.store.audit_entries(0, 100_000).await.unwrap();
        assert_eq!(entries.len(), before + 1);
        let e = &entries.last().unwrap().entry;
        assert_eq!(e.operation, "GET /protocols/{id}");
        assert_eq!((e.record_type.as_deref(), e.record_id.as_deref()), (Some("protocol"), Some("newham")));
    }
}
