//! Regression tests for the findings of a probe of the running service, one
//! test (or more) per finding, on SQLite and on PostgreSQL when the test
//! command provides it. Each test names its finding.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use homeward_core::Registry;
use homeward_server::auth::password::Hashing;
use homeward_server::{AppState, Clock, ManualClock};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

mod support;

const PASSWORD: &str = "correct horse battery staple";

/// After the second version of the access policy took effect.
fn start() -> Timestamp {
    "2026-12-07T09:00:00Z".parse().unwrap()
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
    text: String,
}

async fn send(state: &AppState, method: &str, uri: &str, headers: &[(&str, &str)], body: Option<(&str, Vec<u8>)>) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some((content_type, bytes)) => req.header("content-type", content_type).body(Body::from(bytes)).unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let res = homeward_server::app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 24).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).to_string();
    Reply { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), text }
}

fn json_body(v: Value) -> Option<(&'static str, Vec<u8>)> {
    Some(("application/json", v.to_string().into_bytes()))
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn with_password(state: &AppState, agency: &str, kind: &str, authorities: &[&str], username: &str, role: &str) -> String {
    let token = support::account(&state.store, agency, kind, authorities, username, role).await;
    let hash = homeward_server::auth::password::hash(PASSWORD.to_string()).await.unwrap();
    let user = state.store.identity_by_username(username).await.unwrap().unwrap().user;
    state.store.set_password(&user.id, &hash).await.unwrap();
    token
}

/// Every database, each with a fresh service whose clock is at [`start`]
/// and whose notifications go through the demo directory.
async fn each_database<F, Fut>(name: &str, test: F)
where
    F: Fn(AppState, Arc<ManualClock>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for url in support::fresh_databases(name).await {
        let clock = Arc::new(ManualClock::new(start()));
        let mut state = support::app_state(&url, clock.clone(), "security-test").await;
        let registry = Arc::new(Registry::builtin().unwrap());
        let directory = Arc::new(homeward_server::notify::Directory::demo(&registry));
        state.store = state.store.with_notifier(Arc::new(homeward_server::notify::Planner::new(registry, directory, "http://homeward.test")));
        test(state.clone(), clock).await;
        state.store.db().close().await;
    }
}

async fn new_child(state: &AppState, token: &str, authority: &str) -> String {
    let r = send(
        state,
        "POST",
        "/api/v1/children?allow_duplicate=true",
        &[("authorization", &bearer(token))],
        json_body(
            json!({"given_name": "Kim", "family_name": "Rowe", "date_of_birth": "2011-05-01", "status": "looked_after", "responsible_authority": authority}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

async fn place(state: &AppState, child: &str, agency: &str, relation: &str) {
    let new = homeward_store::NewInvolvement { agency_id: agency.into(), relation: relation.into(), address: None, reason: None };
    state.store.add_involvement(child, &new, "seed", start().as_second()).await.unwrap();
}

// ---------------------------------------------------------------- high

/// Finding 1: password hashing runs a bounded number at a time; a login
/// that waits too long is told to retry (503 with Retry-After).
#[tokio::test]
async fn finding_1_logins_hash_a_bounded_number_at_a_time_and_are_told_when_to_retry() {
    let url = support::fresh_databases("security-logins").await.remove(0);
    let clock = Arc::new(ManualClock::new(start()));
    let hashing = Arc::new(Hashing::new(1, Duration::from_millis(5)));
    let auth = homeward_server::auth::AuthConfig { hashing: hashing.clone(), throttle_after: 1000, ..Default::default() };
    let state = support::app_state(&url, clock, "logins").await.with_auth(auth);
    with_password(&state, "bolton-cs", "childrens_services", &["bolton"], "ash", "social_worker").await;
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let state = state.clone();
            // Unknown usernames go through the same pool (same cost, same queue).
            let username = if i % 2 == 0 { "ash" } else { "nobody" };
            tokio::spawn(async move { send(&state, "POST", "/api/v1/session", &[], json_body(json!({"username": username, "password": PASSWORD}))).await })
        })
        .collect();
    let mut busy = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(r.body["code"], "busy");
                assert_eq!(r.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("2"));
            }
            StatusCode::CREATED | StatusCode::UNAUTHORIZED => {}
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert!(busy >= 1, "six logins at once on one hashing thread with a 5 ms wait: some are refused");
    assert_eq!(hashing.peak(), 1, "never more hashes at once than threads");
}

/// Finding 2: only the addressee of a message, or someone above them on
/// its escalation chain, may acknowledge it.
#[tokio::test]
async fn finding_2_only_the_addressee_or_a_manager_above_acknowledges() {
    each_database("security-ack", |state, _clock| async move {
        let worker = support::account(&state.store, "banes-cs", "childrens_services", &["bath-and-north-east-somerset"], "sw", "social_worker").await;
        let manager = support::account(&state.store, "banes-cs", "childrens_services", &["bath-and-north-east-somerset"], "tm", "team_manager").await;
        let home = support::account(&state.store, "oak-house", "placement", &[], "home", "placement_manager").await;
        let child = new_child(&state, &worker, "bath-and-north-east-somerset").await;
        place(&state, &child, "oak-house", "placement").await;
        let reported = json!({"at": start().to_string(), "episode": "e1", "type": "reported", "category": "missing", "risk": "high"});
        let r = send(&state, "POST", &format!("/api/v1/children/{child}/events"), &[("authorization", &bearer(&worker))], json_body(reported)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let listed = send(&state, "GET", &format!("/api/v1/notifications?child={child}"), &[("authorization", &bearer(&home))], None).await;
        let to_social_worker = listed.body.as_array().unwrap().iter().find(|n| n["role"] == "social_worker").cloned();
        let n = to_social_worker.unwrap_or_else(|| panic!("a message to the social worker, seen by the placement: {}", listed.text));
        let ack = format!("/api/v1/notifications/{}/acknowledge", n["id"].as_str().unwrap());
        let refused = send(&state, "POST", &ack, &[("authorization", &bearer(&home))], None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "the placement may not silence a message to the social worker: {}", refused.text);
        assert_eq!(refused.body["rule"], "addressee-or-above");
        let still = send(&state, "GET", &format!("/api/v1/notifications/{}", n["id"].as_str().unwrap()), &[("authorization", &bearer(&worker))], None).await;
        assert_eq!(still.body["settled"], Value::Null, "still waiting");
        // The team manager is above the social worker on bnes's chain.
        let accepted = send(&state, "POST", &ack, &[("authorization", &bearer(&manager))], None).await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
        assert_eq!(accepted.body["settled"], "acknowledged");
    })
    .await;
}

// ---------------------------------------------------------------- medium

/// Finding 3: a break-glass notice is the record's access log: only those
/// who may read the access log see it, in lists and one by one, and a
/// hidden notification looks exactly like a missing one (finding 12).
#[tokio::test]
async fn finding_3_break_glass_notices_follow_the_access_log_class() {
    each_database("security-notice", |state, _clock| async move {
        let worker = support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], "sw", "social_worker").await;
        let manager = support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], "tm", "team_manager").await;
        let edt = support::account(&state.store, "newham-cs", "childrens_services", &["newham"], "edt", "emergency_duty_worker").await;
        let home = support::account(&state.store, "oak-house", "placement", &[], "home", "placement_manager").await;
        let rhi = support::account(&state.store, "runa", "return_interview_service", &[], "rhi", "return_interview_worker").await;
        let child = new_child(&state, &worker, "bolton").await;
        place(&state, &child, "oak-house", "placement").await;
        place(&state, &child, "runa", "return_interview").await;
        let glass = send(
            &state,
            "POST",
            &format!("/api/v1/children/{child}/break-glass"),
            &[("authorization", &bearer(&edt))],
            json_body(json!({"reason": "found at 3am, carer unreachable"})),
        )
        .await;
        assert_eq!(glass.status, StatusCode::CREATED, "{}", glass.text);
        // As long as the policy's break-glass rule says (`lasts = "4h"`).
        let at = |field: &str| glass.body[field].as_str().and_then(|t| t.parse::<jiff::Timestamp>().ok()).expect(field);
        assert_eq!(at("expires_at").duration_since(at("granted_at")), jiff::SignedDuration::from_hours(4));
        let notices = state.store.notifications(&homeward_store::NotificationFilter { child: Some(child.clone()), ..Default::default() }).await.unwrap();
        let notice = notices.iter().find(|n| n.stage == "break_glass").expect("a break-glass notice");
        let one = format!("/api/v1/notifications/{}", notice.id);
        let missing = send(&state, "GET", "/api/v1/notifications/00000000-0000-7000-8000-000000000000", &[("authorization", &bearer(&home))], None).await;
        for reader in [&home, &rhi] {
            let r = send(&state, "GET", &one, &[("authorization", &bearer(reader))], None).await;
            assert_eq!((r.status, &r.body), (StatusCode::NOT_FOUND, &missing.body), "hidden looks like missing");
            let ack = send(&state, "POST", &format!("{one}/acknowledge"), &[("authorization", &bearer(reader))], None).await;
            assert_eq!(ack.status, StatusCode::NOT_FOUND);
            let listed = send(&state, "GET", &format!("/api/v1/notifications?child={child}"), &[("authorization", &bearer(reader))], None).await;
            assert_eq!(listed.status, StatusCode::OK);
            assert!(!listed.text.contains("break-glass") && !listed.text.contains(&notice.id), "{}", listed.text);
        }
        let seen = send(&state, "GET", &one, &[("authorization", &bearer(&manager))], None).await;
        assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
        let listed = send(&state, "GET", &format!("/api/v1/notifications?child={child}"), &[("authorization", &bearer(&manager))], None).await;
        assert!(listed.text.contains(&notice.id), "the team manager lists it");
    })
    .await;
}

/// Finding 4: a caller's request id is kept only when short and printable.
#[tokio::test]
async fn finding_4_request_ids_are_bounded_and_printable() {
    each_database("security-request-id", |state, _clock| async move {
        let token = support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], "sw", "social_worker").await;
        let auth = bearer(&token);
        let kept = send(&state, "GET", "/api/v1/children", &[("authorization", &auth), ("x-request-id", "case-42.retry_1")], None).await;
        assert_eq!(kept.headers.get("x-request-id").unwrap(), "case-42.retry_1");
        let huge = "a".repeat(400_000);
        for bad in [huge.as_str(), "{\"level\":\"error\",\"msg\":\"forged\"}", "caf\u{e9}", "a b"] {
            let r = send(&state, "GET", "/api/v1/children", &[("authorization", &auth), ("x-request-id", bad)], None).await;
            let echoed = r.headers.get("x-request-id").unwrap().to_str().unwrap().to_string();
            assert_ne!(echoed, bad);
            assert!(homeward_server::guard::acceptable_request_id(echoed.as_bytes()), "a generated id: {echoed}");
        }
        let entries = state.store.audit_entries(0, 100_000).await.unwrap();
        assert!(entries.iter().all(|e| e.entry.request_id.as_deref().is_none_or(|id| homeward_server::guard::acceptable_request_id(id.as_bytes()))));
    })
    .await;
}

/// Finding 5: API responses carry the security headers.
#[tokio::test]
async fn finding_5_api_responses_carry_security_headers() {
    each_database("security-headers", |state, _clock| async move {
        let token = support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], "sw", "social_worker").await;
        for (uri, auth) in [("/api/v1/children", Some(bearer(&token))), ("/api/v1/children", None), ("/api/v1/nothing-here", Some(bearer(&token)))] {
            let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
            let r = send(&state, "GET", uri, &headers, None).await;
            let h = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
            assert_eq!(h("cache-control"), "no-store", "{uri}");
            assert_eq!(h("x-content-type-options"), "nosniff");
            assert_eq!(h("content-security-policy"), "default-src 'none'; frame-ancestors 'none'");
            assert_eq!(h("referrer-policy"), "no-referrer");
        }
    })
    .await;
}

/// Finding 6: an event's `kind` is checked against the contract's list
/// before its class is decided.
#[tokio::test]
async fn finding_6_a_mis_spelt_kind_is_refused_not_reclassified() {
    each_database("security-kind", |state, _clock| async move {
        let worker = support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], "sw", "social_worker").await;
        let home = support::account(&state.store, "oak-house", "placement", &[], "home", "placement_manager").await;
        let child = new_child(&state, &worker, "bolton").await;
        place(&state, &child, "oak-house", "placement").await;
        let uri = format!("/api/v1/children/{child}/events");
        let event = |kind: &str| json_body(json!({"at": start().to_string(), "type": "plan_updated", "kind": kind}));
        let odd = send(&state, "POST", &uri, &[("authorization", &bearer(&home))], event("Safety_Plan")).await;
        assert_eq!((odd.status, odd.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")), "{}", odd.text);
        let plain = send(&state, "POST", &uri, &[("authorization", &bearer(&home))], event("safety_plan")).await;
        assert_eq!(plain.status, StatusCode::FORBIDDEN, "a placement may not write a safety plan: {}", plain.text);
        let unknown = send(
            &state,
            "POST",
            &uri,
            &[("authorization", &bearer(&worker))],
            json_body(json!({"at": start().to_string(), "type": "Returned", "episode": "e1"})),
        )
        .await;
        assert_eq!((unknown.status, unknown.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("type")));
        assert!(state.store.events(&child).await.unwrap().is_empty(), "nothing written");
    })
    .await;
}

/// Finding 7: an involvement's relation must fit its agency's kind.
#[tokio::test]
async fn finding_7_an_involvement_fits_its_agency() {
    each_database("security-involvement", |state, _clock| async move {
        let worker = support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], "sw", "social_worker").await;
        support::account(&state.store, "bolton-health", "health", &[], "nurse", "health_practitioner").await;
        let child = new_child(&state, &worker, "bolton").await;
        let uri = format!("/api/v1/children/{child}/involvements");
        let r = send(
            &state,
            "POST",
            &uri,
            &[("authorization", &bearer(&worker))],
            json_body(json!({"agency": "bolton-health", "relation": "placement", "address": "x"})),
        )
        .await;
        assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("relation")), "{}", r.text);
        let c = send(&state, "GET", &format!("/api/v1/children/{child}"), &[("authorization", &bearer(&worker))], None).await;
        assert_eq!(c.body["placement_address"], Value::Null, "no address was recorded");
        let ok = send(&state, "POST", &uri, &[("authorization", &bearer(&worker))], json_body(json!({"agency": "bolton-health", "relation": "health"}))).await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    })
    .await;
}

// ---------------------------------------------------------------- low

/// Finding 8: the JSON login refuses other sites and bodies that are not
/// JSON; the login form's token is the server's own and expires.
#[tokio::test]
async fn finding_8_login_cannot_be_forced_from_another_site() {
    each_database("security-login-csrf", |state, clock| async move {
        with_password(&state, "bolton-cs", "childrens_services", &["bolton"], "ash", "social_worker").await;
        let login = json!({"username": "ash", "password": PASSWORD}).to_string().into_bytes();
        let plain = send(&state, "POST", "/api/v1/session", &[], Some(("text/plain", login.clone()))).await;
        assert_eq!((plain.status, plain.body["field"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("Content-Type")));
        let cross = send(&state, "POST", "/api/v1/session", &[("sec-fetch-site", "cross-site")], Some(("application/json", login.clone()))).await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN);
        let foreign = send(
            &state,
            "POST",
            "/api/v1/session",
            &[("origin", "https://evil.example"), ("host", "homeward.test")],
            Some(("application/json", login.clone())),
        )
        .await;
        assert_eq!(foreign.status, StatusCode::FORBIDDEN);
        let own = send(
            &state,
            "POST",
            "/api/v1/session",
            &[("origin", "https://homeward.test"), ("host", "homeward.test"), ("sec-fetch-site", "same-origin")],
            Some(("application/json", login)),
        )
        .await;
        assert_eq!(own.status, StatusCode::CREATED, "{}", own.text);

        // The form: a matching pair the server did not make is refused…
        let form = |token: &str| {
            Some(("application/x-www-form-urlencoded", format!("username=ash&password={}&csrf_token={token}", PASSWORD.replace(' ', "+")).into_bytes()))
        };
        let made_up = "0123456789abcdef";
        let cookie = format!("homeward_login={made_up}");
        let r = send(&state, "POST", "/login", &[("cookie", &cookie)], form(made_up)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // …and the server's own token expires.
        let page = send(&state, "GET", "/login", &[], None).await;
        let set = page.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
        let token = set.split(';').next().unwrap().trim_start_matches("homeward_login=").to_string();
        let cookie = format!("homeward_login={token}");
        clock.advance(SignedDuration::from_mins(21));
        let late = send(&state, "POST", "/login", &[("cookie", &cookie)], form(&token)).await;
        assert_eq!(late.status, StatusCode::FORBIDDEN, "an old form");
        let page = send(&state, "GET", "/login", &[], None).await;
        let set = page.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
        let token = set.split(';').next().unwrap().trim_start_matches("homeward_login=").to_string();
        let fresh = send(&state, "POST", "/login", &[("cookie", &format!("homeward_login={token}"))], form(&token)).await;
        assert_eq!(fresh.status, StatusCode::SEE_OTHER, "{}", fresh.text);
    })
    .await;
}

/// Finding 9: a break-glass reason must be made of words.
#[tokio::test]
async fn finding_9_break_glass_needs_a_reason_in_words() {
    each_database("security-reason", |state, _clock| async move {
        let worker = support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], "sw", "social_worker").await;
        let edt = support::account(&state.store, "newham-cs", "childrens_services", &["newham"], "edt", "emergency_duty_worker").await;
        let child = new_child(&state, &worker, "bolton").await;
        let uri = format!("/api/v1/children/{child}/break-glass");
        for reason in ["\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}", "aaaaaaaaaa", "aaa aaa aaa aaa", "\u{2003}\u{2003}\u{2060}", "x"] {
            let r = send(&state, "POST", &uri, &[("authorization", &bearer(&edt))], json_body(json!({"reason": reason}))).await;
            assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{reason:?}: {}", r.text);
        }
        let r = send(
            &state,
            "POST",
            &uri,
            &[("authorization", &bearer(&edt))],
            json_body(json!({"reason": "Police found the child at 3am and need the placement address"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    })
    .await;
}

/// Finding 10: input no person means is refused with the field named, and
/// nothing is written.
#[tokio::test]
async fn finding_10_bad_input_is_refused_naming_the_field() {
    each_database("security-input", |state, _clock| async move {
        let worker = support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], "sw", "social_worker").await;
        let auth = bearer(&worker);
        let h = [("authorization", auth.as_str())];
        let child = |patch: Value| {
            let mut c = json!({"given_name": "Kim", "family_name": "Rowe", "date_of_birth": "2011-05-01", "status": "looked_after", "responsible_authority": "bolton"});
            for (k, v) in patch.as_object().unwrap() {
                c[k] = v.clone();
            }
            json_body(c)
        };
        let megabyte = "a".repeat(1 << 20);
        for (patch, field) in [
            (json!({"given_name": "Kim\u{0}"}), "given_name"),
            (json!({"family_name": "Rowe\r\nX-Injected: 1"}), "family_name"),
            (json!({"given_name": "Kim\u{202E}ewoR"}), "given_name"),
            (json!({"family_name": megabyte}), "family_name"),
            (json!({"date_of_birth": "0000-01-01"}), "date_of_birth"),
            (json!({"date_of_birth": "2099-01-01"}), "date_of_birth"),
            (json!({"living_in": "narnia"}), "living_in"),
        ] {
            let r = send(&state, "POST", "/api/v1/children", &h, child(patch.clone())).await;
            assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{patch}: {}", r.text);
        }
        assert!(send(&state, "GET", "/api/v1/children", &h, None).await.body.as_array().unwrap().is_empty(), "no child was created");

        let id = new_child(&state, &worker, "bolton").await;
        let other = new_child(&state, &worker, "bolton").await;
        let events = format!("/api/v1/children/{id}/events");
        let r = send(&state, "POST", &events, &h, json_body(json!({"at": "2026-12-07T08:00:00-25:00", "episode": "e1", "type": "reported", "category": "missing"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.body["field"].as_str().is_some_and(|f| f.ends_with("at")), "{}", r.text);
        let reported = send(&state, "POST", &format!("/api/v1/children/{other}/events"), &h, json_body(json!({"at": start().to_string(), "episode": "e1", "type": "reported", "category": "missing", "risk": "high"}))).await;
        let theirs = reported.body["duties"][0]["id"].as_str().expect("the other child has a duty").to_string();
        for duty in ["bolton.no-such-rule/x/e1", theirs.as_str()] {
            let r = send(&state, "POST", &events, &h, json_body(json!({"at": start().to_string(), "type": "duty_done", "duty": duty}))).await;
            assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("duty")), "{duty}: {}", r.text);
        }
        assert!(state.store.events(&id).await.unwrap().is_empty(), "nothing written");

        // Tokens: a name of a reasonable length, each scope once. Only a
        // logged-in person mints tokens, so log in.
        with_password(&state, "bolton-cs", "childrens_services", &["bolton"], "ash", "social_worker").await;
        let login = send(&state, "POST", "/api/v1/session", &[], json_body(json!({"username": "ash", "password": PASSWORD}))).await;
        let cookie = login.headers.get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
        let csrf = login.body["csrf_token"].as_str().unwrap().to_string();
        let session = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
        let long = "t".repeat(100_000);
        for (body, field) in [(json!({"name": long, "scopes": ["read"]}), "name"), (json!({"name": "import", "scopes": ["read", "read"]}), "scopes")] {
            let r = send(&state, "POST", "/api/v1/tokens", &session, json_body(body)).await;
            assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{}", r.text);
        }

        // A CSV with a column twice: which one holds the value would be a guess.
        let csv = "police_reference,given_name,family_name,date_of_birth,authority,reported_at,category,category\nP1,Kim,Rowe,2011-05-01,bolton,2026-12-07T08:00:00Z,missing,absent\n";
        let police = support::account(&state.store, "gmp", "police", &["bolton"], "mpc", "police_mpc").await;
        let r = send(&state, "POST", "/api/v1/imports/police-list", &[("authorization", &bearer(&police))], Some(("text/csv", csv.as_bytes().to_vec()))).await;
        assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("category")), "{}", r.text);
    })
    .await;
}

/// Finding 12: a write-only token cannot read; metrics need a login;
/// refusals look like absence to those who may not know the record;
/// every API error is JSON; a login form that is not a login form gets the
/// login page back.
#[tokio::test]
async fn finding_12_tokens_metrics_lookalike_refusals_and_json_errors() {
    each_database("security-misc", |state, _clock| async move {
        let worker = support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], "sw", "social_worker").await;
        let analyst = support::account(&state.store, "partnership", "partnership", &[], "analyst", "partnership_analyst").await;
        let user = state.store.identity_by_username("sw").await.unwrap().unwrap().user;
        let write_only = format!("{}{}", homeward_server::auth::TOKEN_PREFIX, homeward_server::auth::random_token());
        state.store.create_token(&homeward_server::auth::token_hash(&write_only), &user.id, "writer", &["write".into()], 0, None).await.unwrap();
        let r = send(&state, "GET", "/api/v1/children", &[("authorization", &bearer(&write_only))], None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "a write-only token cannot read");

        assert_eq!(send(&state, "GET", "/metrics", &[], None).await.status, StatusCode::UNAUTHORIZED);
        let m = send(&state, "GET", "/metrics", &[("authorization", &bearer(&worker))], None).await;
        assert_eq!(m.status, StatusCode::OK);
        assert!(m.text.contains("homeward_http_requests_total"));
        let app = homeward_server::metrics_app(state.clone());
        let res = app.oneshot(Request::builder().uri("/metrics").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "the separate metrics address needs no login");

        let child = new_child(&state, &worker, "bolton").await;
        let real = send(&state, "GET", &format!("/api/v1/children/{child}"), &[("authorization", &bearer(&analyst))], None).await;
        let made_up = send(&state, "GET", "/api/v1/children/00000000-0000-7000-8000-000000000000", &[("authorization", &bearer(&analyst))], None).await;
        assert_eq!((real.status, &real.body), (StatusCode::NOT_FOUND, &made_up.body), "an analyst cannot tell a real child id from a made-up one");

        let big = vec![b'x'; 9 * 1024 * 1024];
        let r = send(
            &state,
            "POST",
            &format!("/api/v1/children/{child}/events"),
            &[("authorization", &bearer(&worker)), ("content-length", &big.len().to_string())],
            Some(("application/json", big)),
        )
        .await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")), "{}", r.text);
        let r = send(&state, "GET", "/api/v1/children/%FF%FE", &[("authorization", &bearer(&worker))], None).await;
        assert!(r.status.is_client_error() && r.body["code"].is_string(), "{} {}", r.status, r.text);
        let r = send(&state, "POST", "/api/v1/children", &[("authorization", &bearer(&worker))], Some(("application/json", b"{not json".to_vec()))).await;
        assert!(r.body["code"].is_string(), "{}", r.text);

        let r = send(&state, "POST", "/login", &[], Some(("application/x-www-form-urlencoded", b"nonsense".to_vec()))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("<form") && r.text.contains("Enter your username and password"), "{}", r.text);
    })
    .await;
}

/// Finding 13: health and the return-interview service can add what they
/// know to an episode (version 2 of the policy).
#[tokio::test]
async fn finding_13_health_and_return_interviews_add_notes() {
    each_database("security-notes", |state, _clock| async move {
        let worker = support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], "sw", "social_worker").await;
        let nurse = support::account(&state.store, "bolton-health", "health", &[], "nurse", "health_practitioner").await;
        let rhi = support::account(&state.store, "runa", "return_interview_service", &[], "rhi", "return_interview_worker").await;
        let child = new_child(&state, &worker, "bolton").await;
        place(&state, &child, "bolton-health", "health").await;
        place(&state, &child, "runa", "return_interview").await;
        let uri = format!("/api/v1/children/{child}/events");
        let reported = json!({"at": start().to_string(), "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"});
        assert_eq!(send(&state, "POST", &uri, &[("authorization", &bearer(&worker))], json_body(reported)).await.status, StatusCode::CREATED);
        for token in [&nurse, &rhi] {
            let note = json!({"at": start().to_string(), "episode": "e1", "type": "meeting", "kind": "risk_management", "note": "attended; shared the health history"});
            let r = send(&state, "POST", &uri, &[("authorization", &bearer(token))], json_body(note)).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
    })
    .await;
}

/// Prompts (issue: protocol fidelity): listed apart as "to consider", never
/// overdue, and confirmed or dismissed by a recorded decision naming who.
#[tokio::test]
async fn prompts_are_considered_not_overdue() {
    each_database("prompts", |state, clock| async move {
        let worker = support::account(&state.store, "derby-cs", "childrens_services", &["derby"], "sw", "social_worker").await;
        let child = new_child(&state, &worker, "derby").await;
        let h = [("authorization", bearer(&worker))];
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reported = json!({"at": start().to_string(), "episode": "e1", "type": "reported", "category": "missing", "risk": "high"});
        assert_eq!(send(&state, "POST", &format!("/api/v1/children/{child}/events"), &h, json_body(reported)).await.status, StatusCode::CREATED);
        clock.advance(SignedDuration::from_hours(48));
        let prompts = send(&state, "GET", &format!("/api/v1/duties?child={child}&to_consider=true"), &h, None).await;
        let list = prompts.body.as_array().unwrap_or_else(|| panic!("{}", prompts.text));
        assert!(!list.is_empty(), "derby-derbyshire has prompts for a missing child: {}", prompts.text);
        assert!(list.iter().all(|d| d["prompt"] == true && d["state"] == "to_consider"));
        let overdue = send(&state, "GET", &format!("/api/v1/duties?child={child}&overdue=true"), &h, None).await;
        assert!(overdue.body.as_array().unwrap().iter().all(|d| d["prompt"] == false), "no prompt among overdue duties");
        assert!(overdue.body.as_array().unwrap().iter().all(|d| d["due_set_by"] == "protocol" || d["due_set_by"] == "reading"));
        let duty = list[0]["id"].as_str().unwrap();
        let considered = json!({"at": clock.now().to_string(), "type": "prompt_considered", "duty": duty, "decision": "dismissed"});
        let r = send(&state, "POST", &format!("/api/v1/children/{child}/events"), &h, json_body(considered)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["event"]["body"]["by"], "sw", "the person recording it decided");
        let after = send(&state, "GET", &format!("/api/v1/duties?child={child}&to_consider=true"), &h, None).await;
        assert!(after.body.as_array().unwrap().iter().all(|d| d["id"] != duty), "a dismissed prompt is no longer to consider");
    })
    .await;
}
