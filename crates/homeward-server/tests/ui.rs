//! The pages, through the whole application as a browser uses them
//! (cookies, forms, redirects), on SQLite and PostgreSQL: each person sees
//! only what the policy lets them, forms do nothing without the CSRF token,
//! and every page is one audit entry.

mod support;

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
    let encode = |text: &str| -> String {
        text.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
    };
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
    let sw = person(&state, "bolton-cs", "childrens_services", &["bolton"], "sw", "social_worker").await;
    person(&state, "bolton-cs", "childrens_services", &["bolton"], "tm", "team_manager").await;
    person(&state, "oak-house", "placement", &[], "home", "placement_manager").await;
    person(&state, "york-cs", "childrens_services", &["york"], "edt", "emergency_duty_worker").await;
    let auth = format!("Bearer {sw}");
    let h = [("authorization", auth.as_str())];
    let (status, child) = support::request(
        &state,
        "POST",
        "/api/v1/children",
        &h,
        Some(json!({"given_name": "Kim", "family_name": "Ours", "date_of_birth": "2011-05-01", "status": "looked_after", "responsible_authority": "bolton"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    let child = child["id"].as_str().unwrap().to_string();
    for event in [
        json!({"at": "2026-03-01T20:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium", "note": "left after an argument"}),
        json!({"at": "2026-03-02T09:00:00Z", "episode": "e1", "type": "returned", "found_by": "police"}),
        json!({"at": "2026-03-02T15:00:00Z", "episode": "e1", "type": "return_interview", "outcome": "completed", "note": RHI_NOTE}),
    ] {
        let (status, body) = support::request(&state, "POST", &format!("/api/v1/children/{child}/events"), &h, Some(event)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let placement = NewInvolvement { agency_id: "oak-house".into(), relation: "placement".into(), address: Some("1 Oak Lane".into()), reason: None };
    state.store.add_involvement(&child, &placement, "seed", state.clock.now().as_second()).await.unwrap();
    World { state, clock, child }
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
        assert_eq!(home.html.matches("name=\"csrf_token\"").count(), 1, "the logout form");
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
        let head = "<thead><tr><th scope=\"col\">Child</th><th scope=\"col\">Duty</th><th scope=\"col\">Who must act</th><th scope=\"col\">Due</th><th scope=\"col\">Where the protocol says so</th></tr></thead>";
        assert!(home.html.contains("<caption class=\"visually-hidden\">Overdue duties, most overdue first</caption>") && home.html.contains(head), "{}", home.html);
        assert!(home.html.contains(&format!("<tr><td><a href=\"/children/{}\">Kim Ours</a></td>", w.child)), "{}", home.html);
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
    let sw = person(&state, "bolton-cs", "childrens_services", &["bolton"], "sw", "social_worker").await;
    person(&state, "bolton-cs", "childrens_services", &["bolton"], "tm", "team_manager").await;
    person(&state, "oak-house", "placement", &[], "home", "placement_manager").await;
    person(&state, "york-cs", "childrens_services", &["york"], "edt", "emergency_duty_worker").await;
    let h = [("authorization", format!("Bearer {sw}"))];
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, child) = support::request(
        &state,
        "POST",
        "/api/v1/children",
        &h,
        Some(json!({"given_name": "Kim", "family_name": "Ours", "date_of_birth": "2011-05-01", "status": "looked_after", "responsible_authority": "bolton"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    let child = child["id"].as_str().unwrap().to_string();
    let placement = NewInvolvement { agency_id: "oak-house".into(), relation: "placement".into(), address: Some("1 Oak Lane".into()), reason: None };
    state.store.add_involvement(&child, &placement, "seed", state.clock.now().as_second()).await.unwrap();
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
        assert!(inbox.html.contains("Allocated social worker (or duty team), bolton <span class=\"tag\">For you</span>"), "the role by the protocol's name: {}", inbox.html);
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
        let granted = edt.post(&format!("/children/{}/break-glass", w.child), &[("csrf_token", &form.csrf()), ("reason", "Police found the child at 3am and need the placement address")]).await;
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
        assert_eq!((e.operation.as_str(), e.record_type.as_deref(), e.record_id.as_deref()), ("GET /notifications/{id}", Some("notification"), Some(n.id.as_str())));
        let done = b.post(&format!("/notifications/{}/acknowledge", n.id), &[("csrf_token", &one.csrf())]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        let entries = count().await;
        assert_eq!(entries.len(), before + 3);
        let e = &entries.last().unwrap().entry;
        // Acknowledging writes to the child's record: the entry names it.
        assert_eq!((e.operation.as_str(), e.record_type.as_deref(), e.record_id.as_deref()), ("POST /notifications/{id}/acknowledge", Some("child"), Some(w.child.as_str())));
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

    // The placement's manager: the login page, then the child's record
    // without the return interview, then why, then logging out.
    c.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/login");
    log_in_with_the_form(&c, "home").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/");
    assert_eq!(text(&c, "h1").await, "Children missing now");
    c.goto(&record).await.unwrap();
    assert_eq!(text(&c, "h1").await, "Kim Ours");
    let main = text(&c, "main").await;
    assert!(main.contains("Missing episodes") && main.contains("1 Oak Lane"), "{main}");
    assert!(!c.source().await.unwrap().contains(RHI_NOTE), "return interview content shown to a placement");
    click_through(&c, LinkText("Your access")).await;
    assert!(text(&c, "main").await.contains("placement-own-children"));
    click_through(&c, Css("form[action='/logout'] button")).await;
    assert!(text(&c, "main").await.contains("You have logged out"));
    c.goto(&record).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/login", "logged out means logged out");

    // The social worker, sent to the login page from the record, comes back to it.
    log_in_with_the_form(&c, "sw").await;
    assert_eq!(c.current_url().await.unwrap().as_str(), record);
    assert!(text(&c, "main").await.contains(RHI_NOTE));
    click_through(&c, Css("form[action='/logout'] button")).await;

    // Another council's emergency duty worker: not found, then break-glass
    // with a reason, then the record, flagged.
    c.goto(&record).await.unwrap();
    log_in_with_the_form(&c, "edt").await;
    assert_eq!(text(&c, "h1").await, "Not found");
    click_through(&c, LinkText("ask for emergency access")).await;
    click_through(&c, Css("form[action$='/break-glass'] button")).await;
    assert!(text(&c, ".error-summary").await.contains("reason"), "an empty reason is named");
    c.find(Css("#reason")).await.unwrap().send_keys("Police found the child at 3am and need the placement address").await.unwrap();
    click_through(&c, Css("form[action$='/break-glass'] button")).await;
    assert_eq!(c.current_url().await.unwrap().as_str(), record);
    assert!(text(&c, ".warning").await.contains("Emergency access"));

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
    click_through(&c, Css("form[action$='/acknowledge'] button")).await;
    assert!(text(&c, "main").await.contains("Acknowledged by sw"));
    assert_eq!(w.state.store.notification(&n.id).await.unwrap().unwrap().settled.as_deref(), Some("acknowledged"));
    c.close().await.unwrap();
}
