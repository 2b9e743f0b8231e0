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
