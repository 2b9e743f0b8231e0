//! The JSON API and the timer worker, on SQLite always and on PostgreSQL when
//! `HOMEWARD_TEST_PG_URL` names a server (`scripts/test` starts one).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use homeward_core::Registry;
use homeward_server::worker::{self, WorkerConfig};
use homeward_server::{AppState, Clock, ManualClock};
use homeward_store::{Db, Store};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

mod support;

struct Harness {
    state: AppState,
    clock: Arc<ManualClock>,
    url: String,
    /// A police missing person co-ordinator serving every authority the tests use ("pc-1234").
    token: String,
    /// A Bolton children's services missing coordinator ("mfh-coordinator").
    coordinator: String,
}

fn registry() -> Arc<Registry> {
    Arc::new(Registry::builtin().expect("built-in protocols"))
}

async fn databases() -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("homeward-api-{}-{}", std::process::id(), uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    support::databases(&dir.join("test.sqlite3")).await
}

async fn harness(url: &str, instance: &str, clock: Arc<ManualClock>) -> Harness {
    let db = Db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    let state = AppState::new(Store::new(db, registry()), clock.clone(), instance).unwrap();
    accounts(state, clock, url).await
}

async fn accounts(state: AppState, clock: Arc<ManualClock>, url: &str) -> Harness {
    let token = support::account(&state.store, "police", "police", support::ALL_AUTHORITIES, "pc-1234", "police_mpc").await;
    let coordinator = support::account(&state.store, "bolton-council", "childrens_services", &["bolton"], "mfh-coordinator", "missing_coordinator").await;
    Harness { state, clock, url: url.to_string(), token, coordinator }
}

/// The manual clock starts here: after every event the tests record up front.
fn start() -> Timestamp {
    "2026-03-03T06:00:00Z".parse().unwrap()
}

impl Harness {
    async fn call(&self, method: &str, uri: &str, body: Option<Value>, extra: &[(&str, &str)]) -> (StatusCode, Value) {
        let auth = format!("Bearer {}", self.token);
        let mut headers = vec![("authorization", auth.as_str())];
        headers.extend_from_slice(extra);
        support::request(&self.state, method, uri, &headers, body).await
    }

    async fn new_child(&self, family: &str, status: &str, authority: &str) -> String {
        let (code, body) = self
            .call(
                "POST",
                "/api/v1/children",
                Some(json!({"given_name": "Sam", "family_name": family, "date_of_birth": "2011-05-01", "status": status, "responsible_authority": authority})),
                &[],
            )
            .await;
        assert_eq!(code, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    async fn event(&self, child: &str, event: Value) -> (StatusCode, Value) {
        self.call("POST", &format!("/api/v1/children/{child}/events"), Some(event), &[]).await
    }

    async fn event_count(&self, child: &str) -> usize {
        self.state.store.events(child).await.unwrap().len()
    }
}

async fn each_database<F, Fut>(test: F)
where
    F: Fn(Harness) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for url in databases().await {
        let clock = Arc::new(ManualClock::new(start()));
        test(harness(&url, "test-1", clock).await).await;
    }
}

#[tokio::test]
async fn children_are_created_checked_and_deduplicated() {
    each_database(|h| async move {
        let id = h.new_child("Okafor", "looked_after", "newham").await;
        let (code, body) = h.call("GET", &format!("/api/v1/children/{id}"), None, &[]).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(body["created_by"], "pc-1234", "{}", h.url);
        // Same family name (any case), date of birth and authority: a likely duplicate.
        let dup = json!({"given_name": "Samuel", "family_name": "OKAFOR", "date_of_birth": "2011-05-01", "status": "looked_after", "responsible_authority": "newham"});
        let (code, body) = h.call("POST", "/api/v1/children", Some(dup.clone()), &[]).await;
        assert_eq!(code, StatusCode::CONFLICT);
        assert_eq!(body["code"], "duplicate");
        assert_eq!(body["matches"], json!([id]));
        let (code, _) = h.call("POST", "/api/v1/children?allow_duplicate=true", Some(dup), &[]).await;
        assert_eq!(code, StatusCode::CREATED);
        // Bad input names the field.
        let (code, body) = h.call("POST", "/api/v1/children", Some(json!({"given_name": "A", "family_name": "B", "date_of_birth": "2011-13-01", "status": "looked_after", "responsible_authority": "newham"})), &[]).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "date_of_birth");
        let (code, body) = h.call("POST", "/api/v1/children", Some(json!({"given_name": "A", "family_name": "B", "date_of_birth": "2011-01-01", "status": "in_care", "responsible_authority": "newham"})), &[]).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "status");
        let (code, body) = h.call("POST", "/api/v1/children", Some(json!({"given_name": "A", "family_name": "B", "date_of_birth": "2011-01-01", "status": "not_known"})), &[]).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "responsible_authority");
    })
    .await;
}

#[tokio::test]
async fn requests_must_say_who_is_asking() {
    each_database(|h| async move {
        let req = Request::builder().uri("/api/v1/duties").body(Body::empty()).unwrap();
        let res = homeward_server::app(h.state.clone()).oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn events_are_checked_against_the_whole_history_and_nothing_is_half_written() {
    each_database(|h| async move {
        let child = h.new_child("Ahmed", "looked_after", "newham").await;
        let (code, body) =
            h.event(&child, json!({"at": "2026-03-02T21:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"})).await;
        assert_eq!(code, StatusCode::CREATED, "{body}");
        assert!(!body["duties"].as_array().unwrap().is_empty(), "a looked-after child missing in Newham has duties at once");
        // A bad risk grade: named, nothing written.
        let (code, body) = h.event(&child, json!({"at": "2026-03-02T22:00:00Z", "episode": "e1", "type": "risk_graded", "risk": "severe"})).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "risk");
        // A second report while one is open.
        let (code, body) = h.event(&child, json!({"at": "2026-03-02T22:00:00Z", "episode": "e2", "type": "reported", "category": "missing"})).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "type");
        // In the future.
        let (code, body) = h.event(&child, json!({"at": "2026-03-09T22:00:00Z", "episode": "e1", "type": "returned"})).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "at");
        // Malformed JSON and unknown children.
        let (code, _) = h.call("POST", &format!("/api/v1/children/{child}/events"), Some(json!("not an object")), &[]).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        let (code, _) = h.event("no-such-child", json!({"at": "2026-03-02T21:30:00Z", "episode": "e1", "type": "returned"})).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert_eq!(h.event_count(&child).await, 1, "only the valid event was written");
    })
    .await;
}

#[tokio::test]
async fn an_idempotency_key_makes_a_retry_safe() {
    each_database(|h| async move {
        let child = h.new_child("Jones", "not_known", "bolton").await;
        let ev = json!({"at": "2026-03-02T21:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "high"});
        let uri = format!("/api/v1/children/{child}/events");
        let (a, first) = h.call("POST", &uri, Some(ev.clone()), &[("idempotency-key", "k-1")]).await;
        let (b, second) = h.call("POST", &uri, Some(ev), &[("idempotency-key", "k-1")]).await;
        assert_eq!((a, b), (StatusCode::CREATED, StatusCode::OK));
        assert_eq!(first["event"]["id"], second["event"]["id"]);
        assert_eq!(second["created"], false);
        assert_eq!(h.event_count(&child).await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_correction_supersedes_an_event() {
    each_database(|h| async move {
        let child = h.new_child("Brown", "not_known", "bolton").await;
        h.event(&child, json!({"at": "2026-03-02T21:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"})).await;
        let (_, wrong) = h.event(&child, json!({"at": "2026-03-02T21:30:00Z", "episode": "e1", "type": "risk_graded", "risk": "low"})).await;
        let wrong_id = wrong["event"]["id"].as_str().unwrap();
        let (code, body) = h
            .call(
                "POST",
                &format!("/api/v1/children/{child}/events?supersedes={wrong_id}"),
                Some(json!({"at": "2026-03-02T21:30:00Z", "episode": "e1", "type": "risk_graded", "risk": "high"})),
                &[],
            )
            .await;
        assert_eq!(code, StatusCode::CREATED, "{body}");
        // Both rows stay (append-only); the timeline shows the correction.
        assert_eq!(h.event_count(&child).await, 3);
        let (_, missing) = h.call("GET", "/api/v1/missing", None, &[]).await;
        assert_eq!(missing[0]["risk"], "high");
    })
    .await;
}

#[tokio::test]
async fn currently_missing_and_the_timeline() {
    each_database(|h| async move {
        let a = h.new_child("Patel", "looked_after", "bolton").await;
        let b = h.new_child("Khan", "not_known", "newham").await;
        h.event(&a, json!({"at": "2026-03-02T20:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"})).await;
        h.event(&b, json!({"at": "2026-03-02T20:30:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "high"})).await;
        let (_, missing) = h.call("GET", "/api/v1/missing", None, &[]).await;
        assert_eq!(missing.as_array().unwrap().len(), 2);
        let (_, bolton) = h.call("GET", "/api/v1/missing?authority=bolton", None, &[]).await;
        assert_eq!(bolton.as_array().unwrap().len(), 1);
        let (code, _) = h.event(&a, json!({"at": "2026-03-02T20:45:00Z", "episode": "e1", "type": "returned", "found_by": "police"})).await;
        assert_eq!(code, StatusCode::CREATED);
        let (_, missing) = h.call("GET", "/api/v1/missing", None, &[]).await;
        assert_eq!(missing.as_array().unwrap().len(), 1);
        assert_eq!(missing[0]["child"], b.as_str());
        let (code, timeline) = h.call("GET", &format!("/api/v1/children/{a}/timeline"), None, &[]).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(timeline["events"].as_array().unwrap().len(), 2);
        assert_eq!(timeline["events"][0]["recorded_by"], "pc-1234");
        assert_eq!(timeline["episodes"][0]["returned_at"], "2026-03-02T20:45:00Z");
        let (code, body) = h.call("GET", "/api/v1/duties?overdue=maybe", None, &[]).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "overdue");
        let (code, body) = h.call("GET", "/api/v1/duties?colour=red", None, &[]).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "colour");
    })
    .await;
}

#[tokio::test]
async fn timers_fire_when_time_passes_and_act_once() {
    each_database(|h| async move {
        let child = h.new_child("Wright", "looked_after", "newham").await;
        h.event(&child, json!({"at": "2026-03-02T21:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"})).await;
        let config = WorkerConfig::default();
        // Nothing is due yet beyond the immediate duties.
        let first = worker::tick(&h.state, &config).await.unwrap();
        let (_, before) = h.call("GET", "/api/v1/duties?overdue=true", None, &[]).await;
        // Two days later the 24h and 48h thresholds have passed: the timer fires.
        h.clock.advance(SignedDuration::from_hours(41));
        let (claimed, alerts) = worker::tick(&h.state, &config).await.unwrap();
        assert_eq!(claimed, 1, "the child's timer was due");
        assert!(!alerts.is_empty(), "duties reached a stage");
        let (_, after) = h.call("GET", "/api/v1/duties?overdue=true", None, &[]).await;
        assert!(after.as_array().unwrap().len() > before.as_array().unwrap().len());
        // Acting is once: a second refresh raises nothing new.
        let again = h.state.store.refresh(&child, h.clock.now(), "test-2").await.unwrap();
        assert!(again.is_empty(), "{again:?}");
        let _ = first;
    })
    .await;
}

/// Two instances on one database, many timers due at once: every child's
/// duties are acted on exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_timers_without_acting_twice() {
    for url in databases().await {
        let clock = Arc::new(ManualClock::new(start()));
        let a = harness(&url, "instance-a", clock.clone()).await;
        let b = harness(&url, "instance-b", clock.clone()).await;
        let children = if url.starts_with("postgres") { 60 } else { 30 };
        for n in 0..children {
            let id = a.new_child(&format!("Family{n}"), "looked_after", "newham").await;
            a.event(&id, json!({"at": "2026-03-02T21:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"})).await;
        }
        // Recording acted on what was already due; the timers act on the rest.
        let acted_on_recording = a.state.store.alert_count().await.unwrap() as usize;
        clock.advance(SignedDuration::from_hours(80));
        let config = WorkerConfig { batch: 7, ..WorkerConfig::default() };
        let run = |state: AppState, config: WorkerConfig| async move {
            let mut alerts = Vec::new();
            loop {
                let (n, mut raised) = worker::tick(&state, &config).await.unwrap();
                alerts.append(&mut raised);
                if n == 0 {
                    break;
                }
            }
            alerts
        };
        let (x, y) = tokio::join!(run(a.state.clone(), config.clone()), run(b.state.clone(), config.clone()));
        let mut all: Vec<(String, String)> = x.iter().chain(y.iter()).map(|al| (al.duty_id.clone(), al.stage.clone())).collect();
        let total = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), total, "a duty stage was acted on twice ({url})");
        assert_eq!(a.state.store.alert_count().await.unwrap() as usize, acted_on_recording + total);
        assert!(total >= children, "every child had overdue duties ({url})");
        assert_eq!(a.state.store.due_timers(clock.now()).await.unwrap(), 0, "no timer left behind");
    }
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    each_database(|h| async move {
        let (code, doc) = h.call("GET", "/api/openapi.json", None, &[]).await;
        assert_eq!(code, StatusCode::OK);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for path in [
            "/api/v1/children",
            "/api/v1/children/{id}",
            "/api/v1/children/{id}/events",
            "/api/v1/children/{id}/timeline",
            "/api/v1/duties",
            "/api/v1/missing",
            "/api/v1/children/matches",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
        }
        let (code, _) = h.call("GET", "/readyz", None, &[]).await;
        assert_eq!(code, StatusCode::OK);
        let (code, metrics) = h.call("GET", "/metrics", None, &[]).await;
        assert_eq!(code, StatusCode::OK);
        let text = metrics.as_str().unwrap();
        for name in [
            "homeward_http_requests_total{class=\"2xx\"}",
            "homeward_http_request_duration_seconds_count",
            "homeward_open_episodes",
            "homeward_overdue_duties",
            "homeward_timer_lag_seconds",
        ] {
            assert!(text.contains(name), "{name} missing from /metrics:\n{text}");
        }
    })
    .await;
}

/// The OpenAPI document is what clients are built from: any change to it
/// (a path, a parameter, a field of a shape) shows in review as a change to
/// `tests/snapshots/openapi.json`. `HOMEWARD_UPDATE_SNAPSHOTS=1` rewrites it.
#[tokio::test]
async fn the_openapi_document_matches_its_committed_snapshot() {
    let url = databases().await.remove(0);
    let h = harness(&url, "test-1", Arc::new(ManualClock::new(start()))).await;
    let (code, doc) = h.call("GET", "/api/openapi.json", None, &[]).await;
    assert_eq!(code, StatusCode::OK);
    let served = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    if std::env::var_os("HOMEWARD_UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &served).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != served {
        let (old, new): (Vec<&str>, Vec<&str>) = (committed.lines().collect(), served.lines().collect());
        let first = old.iter().zip(&new).position(|(a, b)| a != b).unwrap_or(old.len().min(new.len()));
        let from = first.saturating_sub(3);
        let show = |lines: &[&str]| {
            lines.iter().enumerate().skip(from).take(first - from + 6).map(|(n, l)| format!("{:>6} {l}", n + 1)).collect::<Vec<_>>().join("\n")
        };
        panic!(
            "the OpenAPI document differs from {} from line {}:\n--- committed\n{}\n+++ served\n{}\n\nIf the change is intended, rewrite the snapshot with HOMEWARD_UPDATE_SNAPSHOTS=1 and commit it.",
            path.display(),
            first + 1,
            show(&old),
            show(&new)
        );
    }
}

impl Harness {
    async fn csv(&self, uri: &str, text: &str) -> (StatusCode, Value) {
        let req = Request::builder()
            .method("POST")
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.coordinator))
            .header("content-type", "text/csv")
            .body(Body::from(text.to_string()))
            .unwrap();
        let res = homeward_server::app(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

const POLICE_LIST: &str = "police_reference,given_name,family_name,date_of_birth,authority,reported_at,category,risk,returned_at,found_by
GMP-0001,Tia,Nolan,2010-02-03,bolton,2026-03-02 20:15,missing,medium,2026-03-02 23:40,police
GMP-0002,Reece,Ward,2011-07-19,bolton,2026-03-02T22:00:00Z,missing,high,,
GMP-0003,Kyle,Ross,2012-01-01,bolton,yesterday evening,missing,medium,,
GMP-0004,Ana,Silva,2009-09-09,bolton,2026-03-02 21:00,runaway,medium,,
";

#[tokio::test]
async fn the_police_list_imports_once_and_reports_each_rejected_row() {
    each_database(|h| async move {
        // A dry run writes nothing but says what would happen.
        let (code, dry) = h.csv("/api/v1/imports/police-list?dry_run=true", POLICE_LIST).await;
        assert_eq!(code, StatusCode::OK, "{dry}");
        assert_eq!(dry["dry_run"], true);
        assert_eq!(dry["rows"], 4);
        assert_eq!(dry["children_created"], 2, "{dry}");
        assert_eq!(dry["events_created"], 3, "{dry}");
        let rejected = dry["rejected"].as_array().unwrap();
        assert_eq!(rejected.len(), 2, "{dry}");
        assert_eq!(rejected[0]["line"], 4);
        assert_eq!(rejected[0]["column"], "reported_at");
        assert_eq!(rejected[1]["line"], 5);
        assert_eq!(rejected[1]["column"], "category");
        let (_, children) = h.call("GET", "/api/v1/children", None, &[]).await;
        assert_eq!(children.as_array().unwrap().len(), 0, "the dry run wrote nothing");

        let (_, first) = h.csv("/api/v1/imports/police-list", POLICE_LIST).await;
        assert_eq!(first["children_created"], 2, "{first}");
        assert_eq!(first["events_created"], 3);
        let (_, missing) = h.call("GET", "/api/v1/missing?authority=bolton", None, &[]).await;
        assert_eq!(missing.as_array().unwrap().len(), 1, "GMP-0001 returned, GMP-0002 still missing");
        assert_eq!(missing[0]["family_name"], "Ward");
        // UK local time: 20:15 in March is 20:15Z.
        let child = h.state.store.find_matches("Nolan", "2010-02-03", Some("bolton"), None).await.unwrap();
        let events = h.state.store.events(&child[0].id).await.unwrap();
        assert_eq!(events[0].at, "2026-03-02T20:15:00Z".parse::<Timestamp>().unwrap().as_second());
        assert_eq!(events[0].recorded_by, "mfh-coordinator");

        // The same file again: nothing new.
        let (_, again) = h.csv("/api/v1/imports/police-list", POLICE_LIST).await;
        assert_eq!(again["children_created"], 0, "{again}");
        assert_eq!(again["events_created"], 0);
        assert_eq!(again["unchanged"], 3);
        let (_, children) = h.call("GET", "/api/v1/children", None, &[]).await;
        assert_eq!(children.as_array().unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_file_without_a_required_column_imports_nothing() {
    each_database(|h| async move {
        let (code, body) = h
            .csv(
                "/api/v1/imports/police-list",
                "police_reference,given_name,family_name,authority,reported_at,category\nX,A,B,bolton,2026-03-02 20:00,missing\n",
            )
            .await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "date_of_birth");
        let (code, body) =
            h.csv("/api/v1/imports/police-list", "police_reference,given_name,family_name,date_of_birth,authority,reported_at,category,shoe_size\n").await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "shoe_size");
    })
    .await;
}

#[tokio::test]
async fn placement_notices_match_the_child_and_the_open_episode() {
    each_database(|h| async move {
        let child = h.new_child("Nolan", "looked_after", "bolton").await;
        // The police reported it first; the placement's notice joins the same episode.
        h.event(&child, json!({"at": "2026-03-02T20:30:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"})).await;
        let notices =
            "notice,given_name,family_name,date_of_birth,authority,went_missing_at,reported_to_police_at,returned_at,where_found,circumstances,child_commentary
missing,Sam,Nolan,2011-05-01,bolton,2026-03-02 20:00,2026-03-02 20:30,,,Left after an argument at tea,
returned,Sam,Nolan,2011-05-01,bolton,2026-03-02 20:00,,2026-03-03 01:10,Bus station,,Went to see a friend
missing,Nobody,Known,2011-05-01,bolton,2026-03-02 20:00,,,,,
";
        let (code, report) = h.csv("/api/v1/imports/placement-notice", notices).await;
        assert_eq!(code, StatusCode::OK, "{report}");
        assert_eq!(report["unchanged"], 1, "the missing notice joins the open episode: {report}");
        assert_eq!(report["events_created"], 1, "{report}");
        assert_eq!(report["rejected"][0]["line"], 4);
        assert_eq!(report["rejected"][0]["column"], "family_name");
        let events = h.state.store.events(&child).await.unwrap();
        let returned: Value = serde_json::from_str(&events.last().unwrap().body).unwrap();
        assert_eq!(returned["type"], "returned");
        assert_eq!(returned["episode"], "e1");
        assert_eq!(returned["location"], "Bus station");
        assert!(returned["note"].as_str().unwrap().contains("Went to see a friend"));
        let (_, again) = h.csv("/api/v1/imports/placement-notice", notices).await;
        assert_eq!(again["events_created"], 0, "{again}");
    })
    .await;
}

// ------------------------------------------------------------------ notifications

use homeward_server::notify::{self, Channels, Directory, Mailer, NotifyConfig, Planner};

/// A protocol written for these tests, so they do not move when a real
/// protocol is revised: a notify duty at the report (due in an hour) and a
/// meeting at the report, with a manager chain for escalation.
const TESTSHIRE: &str = r#"
[protocol]
id = "testshire"
title = "Testshire test protocol"
version = "1"
effective_from = "2020-01-01"
authorities = ["testshire"]
document = "a protocol written for the notification tests"

[[role]]
id = "police"
name = "Police"
agency = "police"
manager = "police_inspector"

[[role]]
id = "police_inspector"
name = "Duty inspector"
agency = "police"

[[role]]
id = "social_worker"
name = "Allocated social worker"
agency = "childrens_services"
manager = "team_manager"

[[role]]
id = "team_manager"
name = "Team manager"
agency = "childrens_services"
manager = "head_of_service"

[[role]]
id = "head_of_service"
name = "Head of service"
agency = "childrens_services"

[[rule]]
id = "tell-sw"
cite = "§1"
quote = "the police will tell the social worker within the hour"
kind = "notify"
what = "Police tell the social worker the child is missing"
by = "police"
to = "social_worker"
due = "1h"
satisfied_by = [{ type = "notified", to = "social_worker" }]

[[rule]]
id = "meeting"
cite = "§2"
quote = "a strategy meeting will be held within three days"
kind = "meeting"
what = "Strategy meeting"
by = "social_worker"
to = "team_manager"
due = "72h"
satisfied_by = [{ type = "strategy_meeting" }]

[[rule]]
id = "consider-media"
cite = "§3"
quote = "the social worker should consider a media appeal"
kind = "notify"
what = "Consider a media appeal"
by = "social_worker"
to = "head_of_service"
prompt = true
due = "1h"
satisfied_by = [{ type = "notified", to = "head_of_service" }]
"#;

const HOOK_SECRET: &str = "a-shared-secret-for-tests";

fn test_registry() -> Arc<Registry> {
    let mut files: Vec<(String, String)> = Registry::builtin_files().iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    files.push(("testshire/2020-01-01.toml".into(), TESTSHIRE.into()));
    Arc::new(Registry::from_sources(files).expect("test protocol loads"))
}

fn directory(registry: &Registry, webhook: &str) -> Directory {
    let text = format!(
        r#"
        [defaults]
        acknowledge_within = "30m"
        [[inbox]]
        authority = "testshire"
        role = "police"
        email = ["control-room@police.test"]
        webhooks = [{{ url = "{webhook}", secret = "{HOOK_SECRET}" }}]
        [[inbox]]
        authority = "testshire"
        role = "police_inspector"
        email = ["inspector@police.test"]
        [[inbox]]
        authority = "testshire"
        role = "social_worker"
        email = ["sw@council.test"]
        [[inbox]]
        authority = "testshire"
        role = "team_manager"
        email = ["tm@council.test"]
        [[inbox]]
        authority = "testshire"
        role = "head_of_service"
        email = ["hos@council.test"]
        "#
    );
    Directory::parse("directory.toml", &text, registry, &|_| None).expect("test directory is valid")
}

struct Notifying {
    h: Harness,
    channels: Arc<Channels>,
    sink: support::SmtpSink,
    hooks: support::WebhookReceiver,
}

async fn notifying(url: &str, instance: &str, clock: Arc<ManualClock>, fail_hooks: usize) -> Notifying {
    let (sink, smtp) = support::SmtpSink::start().await;
    let (hooks, hook_url) = support::WebhookReceiver::start(HOOK_SECRET, fail_hooks).await;
    notifying_with(url, instance, clock, sink, &smtp, hooks, &hook_url).await
}

async fn notifying_with(
    url: &str,
    instance: &str,
    clock: Arc<ManualClock>,
    sink: support::SmtpSink,
    smtp: &str,
    hooks: support::WebhookReceiver,
    hook_url: &str,
) -> Notifying {
    let registry = test_registry();
    let directory = Arc::new(directory(&registry, hook_url));
    let db = Db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    let planner = Arc::new(Planner::new(registry.clone(), directory.clone(), "https://homeward.test"));
    let state = AppState::new(Store::new(db, registry).with_notifier(planner), clock.clone(), instance).unwrap();
    let channels = Channels::new(directory, Mailer::smtp(smtp).unwrap(), "Homeward <homeward@council.test>".parse().unwrap(), "https://homeward.test").unwrap();
    Notifying { h: accounts(state, clock, url).await, channels: Arc::new(channels), sink, hooks }
}

impl Notifying {
    async fn tick(&self) -> notify::Round {
        notify::tick(&self.h.state, &self.channels, &NotifyConfig::default()).await.unwrap()
    }

    async fn report(&self, family: &str) -> String {
        let child = self.h.new_child(family, "looked_after", "testshire").await;
        let (code, body) = self
            .h
            .event(&child, json!({"at": self.h.clock.now().to_string(), "episode": "e1", "type": "reported", "category": "missing", "risk": "high"}))
            .await;
        assert_eq!(code, StatusCode::CREATED, "{body}");
        child
    }

    async fn notifications(&self, query: &str) -> Vec<Value> {
        let (code, body) = self.h.call("GET", &format!("/api/v1/notifications?{query}"), None, &[]).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        body.as_array().unwrap().clone()
    }
}

fn parsed(m: &support::Received) -> mailparse::ParsedMail<'_> {
    mailparse::parse_mail(&m.data).expect("a well-formed message")
}

fn header(mail: &mailparse::ParsedMail<'_>, name: &str) -> String {
    use mailparse::MailHeaderMap;
    mail.headers.get_first_value(name).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duties_are_told_by_email_and_signed_webhook_and_escalated_until_acknowledged() {
    for url in databases().await {
        let n = notifying(&url, "test-1", Arc::new(ManualClock::new(start())), 1).await;
        let child = n.report("Hughes").await;

        // The report made two duties due at once: who is told and who acts each get a message.
        let all = n.notifications(&format!("child={child}")).await;
        let roles: std::collections::BTreeSet<(String, String)> =
            all.iter().map(|x| (x["duty"].as_str().unwrap().split('/').next().unwrap().to_string(), x["role"].as_str().unwrap().to_string())).collect();
        let expected: std::collections::BTreeSet<(String, String)> = [
            ("testshire.meeting", "social_worker"),
            ("testshire.meeting", "team_manager"),
            ("testshire.tell-sw", "police"),
            ("testshire.tell-sw", "social_worker"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(roles, expected, "{url}");

        // Four emails go out; the webhook's first answer is a 500.
        let round = n.tick().await;
        assert_eq!((round.sent, round.failed_attempts), (4, 1), "{url}");
        let mail = n.sink.messages();
        assert_eq!(mail.len(), 4);
        let tm = mail.iter().find(|m| m.to == ["tm@council.test"]).expect("the team manager is told of the meeting");
        assert_eq!(tm.from, "<homeward@council.test>", "the SMTP envelope names the sender");
        let tm_mail = parsed(tm);
        assert!(header(&tm_mail, "Subject").starts_with("Strategy meeting — Sam H. (due "), "{}", header(&tm_mail, "Subject"));
        assert_eq!(header(&tm_mail, "From"), "Homeward <homeward@council.test>");
        let calendar = tm_mail.subparts.iter().find(|p| p.ctype.mimetype == "text/calendar").expect("a meeting comes with an invitation");
        let ics = calendar.get_body().unwrap();
        assert!(ics.contains("BEGIN:VEVENT") && ics.contains("SUMMARY:Strategy meeting"), "{ics}");
        let text = tm_mail.subparts.iter().find(|p| p.ctype.mimetype == "text/plain").unwrap().get_body().unwrap();
        assert!(
            text.contains("Protocol: testshire §2") && text.contains(&child) && !text.contains("Hughes"),
            "the message names the paragraph and only the family initial:\n{text}"
        );
        let message_id = header(&tm_mail, "Message-ID");
        let tm_note = all.iter().find(|x| x["role"] == "team_manager").unwrap();
        let (_, detail) = n.h.call("GET", &format!("/api/v1/notifications/{}", tm_note["id"].as_str().unwrap()), None, &[]).await;
        assert_eq!(message_id, format!("<{}@homeward>", detail["deliveries"][0]["id"].as_str().unwrap()), "the Message-ID is the delivery id");
        assert_eq!(detail["deliveries"][0]["state"], "sent");
        let (code, ics_body) = n.h.call("GET", &format!("/api/v1/notifications/{}/calendar.ics", tm_note["id"].as_str().unwrap()), None, &[]).await;
        assert_eq!(code, StatusCode::OK);
        assert!(ics_body.as_str().unwrap().starts_with("BEGIN:VCALENDAR"));

        // The webhook is retried after its backoff, with the same idempotency key, signed.
        n.h.clock.advance(SignedDuration::from_secs(29));
        assert_eq!(n.tick().await.sent, 0, "not before the backoff");
        n.h.clock.advance(SignedDuration::from_secs(1));
        assert_eq!(n.tick().await.sent, 1);
        let hooks = n.hooks.hooks();
        assert_eq!(hooks.len(), 2);
        assert!(hooks.iter().all(|x| x.signature_ok), "{hooks:?}");
        assert_eq!(hooks[0].idempotency_key, hooks[1].idempotency_key);
        assert_eq!(hooks[1].timestamp, n.h.clock.now().as_second());
        assert_eq!(hooks[1].body["child"], child.as_str());
        assert_eq!(hooks[1].body["role"], "police");

        // The social worker acknowledges being told; the police message about the same duty is settled with it.
        let sw_told = all.iter().find(|x| x["role"] == "social_worker" && x["duty"].as_str().unwrap().starts_with("testshire.tell-sw")).unwrap();
        // Only the addressee (or a manager above) may: not the police who sent it.
        let uri = format!("/api/v1/notifications/{}/acknowledge", sw_told["id"].as_str().unwrap());
        let (code, _) = n.h.call("POST", &uri, None, &[]).await;
        assert_eq!(code, StatusCode::FORBIDDEN, "the police may not acknowledge the social worker's message");
        let sw = support::account(&n.h.state.store, "testshire-cs", "childrens_services", &["testshire"], "sw-testshire", "social_worker").await;
        let (code, acked) = support::request(&n.h.state, "POST", &uri, &[("authorization", &format!("Bearer {sw}"))], None).await;
        assert_eq!(code, StatusCode::OK, "{acked}");
        assert_eq!(acked["settled"], "acknowledged");
        assert_eq!(acked["acknowledged_by"], "sw-testshire");

        // Nobody acknowledges the meeting: 30 minutes on, both messages are re-sent and escalated to the managers.
        n.h.clock.advance(SignedDuration::from_mins(30));
        let round = n.tick().await;
        assert_eq!((round.resent, round.escalated), (2, 2), "{url}");
        assert_eq!(round.sent, 4, "two re-sends and two escalations");
        let again = n.tick().await;
        assert_eq!((again.resent, again.escalated, again.sent), (0, 0, 0), "an escalation happens once");
        let meeting = n.notifications(&format!("child={child}&waiting=true")).await;
        let escalated: Vec<(&str, i64)> =
            meeting.iter().filter(|x| x["level"] == 1).map(|x| (x["role"].as_str().unwrap(), x["level"].as_i64().unwrap())).collect();
        assert_eq!(escalated.len(), 2);
        assert!(escalated.contains(&("team_manager", 1)) && escalated.contains(&("head_of_service", 1)), "{escalated:?}");
        let to_hos = n.sink.messages().into_iter().filter(|m| m.to == ["hos@council.test"]).count();
        assert_eq!(to_hos, 1);
        let hos_mail = n.sink.messages().into_iter().find(|m| m.to == ["hos@council.test"]).unwrap();
        assert!(header(&parsed(&hos_mail), "Subject").starts_with("NOT ACKNOWLEDGED: Strategy meeting"));

        // The head of service acknowledges: every message about the meeting is settled, nothing more is sent.
        let hos = meeting.iter().find(|x| x["role"] == "head_of_service").unwrap();
        let head = support::account(&n.h.state.store, "testshire-cs", "childrens_services", &["testshire"], "hos-testshire", "head_of_service").await;
        let uri = format!("/api/v1/notifications/{}/acknowledge", hos["id"].as_str().unwrap());
        let (code, _) = support::request(&n.h.state, "POST", &uri, &[("authorization", &format!("Bearer {head}"))], None).await;
        assert_eq!(code, StatusCode::OK);
        assert!(n.notifications(&format!("child={child}&waiting=true")).await.is_empty());
        n.h.clock.advance(SignedDuration::from_hours(2));
        let quiet = n.tick().await;
        assert_eq!((quiet.resent, quiet.escalated), (0, 0));

        // /metrics reports deliveries and failures.
        let (_, metrics) = n.h.call("GET", "/metrics", None, &[]).await;
        let text = metrics.as_str().unwrap();
        assert!(text.contains("homeward_notification_delivery_failures_total 1"), "{text}");
        assert!(text.contains("homeward_notification_failures 0"), "{text}");
    }
}

/// A prompt asks for judgement: it is shown to consider, and never sent, never
/// marked OVERDUE and never escalated, however long it waits.
#[tokio::test]
async fn a_prompt_is_never_notified_as_overdue_nor_escalated() {
    for url in databases().await {
        let n = notifying(&url, "test-1", Arc::new(ManualClock::new(start())), 0).await;
        let child = n.report("Okafor").await;
        let config = WorkerConfig::default();
        // Past the prompt's due time and past every acknowledgement window.
        for _ in 0..4 {
            n.h.clock.advance(SignedDuration::from_hours(2));
            worker::tick(&n.h.state, &config).await.unwrap();
            n.tick().await;
        }
        let about_prompt: Vec<Value> = n
            .notifications(&format!("child={child}"))
            .await
            .into_iter()
            .filter(|x| x["duty"].as_str().unwrap().starts_with("testshire.consider-media"))
            .collect();
        assert!(about_prompt.is_empty(), "{url}: {about_prompt:?}");
        assert!(
            n.sink.messages().iter().all(|m| !m.to.contains(&"hos@council.test".to_string()) || !String::from_utf8_lossy(&m.data).contains("media appeal")),
            "{url}"
        );
        let (_, overdue) = n.h.call("GET", &format!("/api/v1/duties?child={child}&overdue=true"), None, &[]).await;
        assert!(overdue.as_array().unwrap().iter().all(|d| d["prompt"] != true), "{url}: {overdue}");
        let (_, all) = n.h.call("GET", &format!("/api/v1/duties?child={child}&include_closed=true"), None, &[]).await;
        let prompt = all.as_array().unwrap().iter().find(|d| d["id"].as_str().unwrap().starts_with("testshire.consider-media")).expect("the prompt is listed");
        assert_eq!(prompt["state"], "to_consider", "{url}: {prompt}");
    }
}

#[tokio::test]
async fn a_done_duty_needs_no_acknowledgement_and_a_dead_webhook_is_given_up_and_escalated() {
    for url in databases().await {
        let (sink, smtp) = support::SmtpSink::start().await;
        let (hooks, _) = support::WebhookReceiver::start(HOOK_SECRET, 0).await;
        // Nothing listens on this port: every webhook attempt fails.
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead_url = format!("http://{}/hook", dead.local_addr().unwrap());
        drop(dead);
        let n = notifying_with(&url, "test-1", Arc::new(ManualClock::new(start())), sink, &smtp, hooks, &dead_url).await;
        let child = n.report("Patel").await;
        n.tick().await;
        // The police tell the social worker within the window: that duty's messages close without escalation.
        let (code, body) = n.h.event(&child, json!({"at": n.h.clock.now().to_string(), "episode": "e1", "type": "notified", "to": "social_worker"})).await;
        assert_eq!(code, StatusCode::CREATED, "{body}");
        // Keep retrying the webhook through its backoff (30 s … 1 h) until it is given up.
        let mut given_up = 0;
        for _ in 0..homeward_store::MAX_ATTEMPTS {
            n.h.clock.advance(SignedDuration::from_hours(1));
            given_up += n.tick().await.given_up;
        }
        assert_eq!(given_up, 1, "{url}");
        let tell = n.notifications(&format!("child={child}&role=police")).await;
        let original = tell.iter().find(|x| x["level"] == 0).unwrap();
        assert_eq!(original["settled"], "duty_closed", "the duty was done, so nobody is chased: {original}");
        let (_, detail) = n.h.call("GET", &format!("/api/v1/notifications/{}", original["id"].as_str().unwrap()), None, &[]).await;
        let webhook = detail["deliveries"].as_array().unwrap().iter().find(|d| d["channel"] == "webhook").unwrap();
        assert_eq!(webhook["state"], "failed");
        assert_eq!(webhook["attempts"], homeward_store::MAX_ATTEMPTS);
        assert!(webhook["last_error"].as_str().unwrap().starts_with("webhook"), "{webhook}");
        let (_, metrics) = n.h.call("GET", "/metrics", None, &[]).await;
        assert!(metrics.as_str().unwrap().contains("homeward_notification_failures 1"));
        // The meeting was never acknowledged: it went up the chain while the webhook was failing.
        let meeting_levels: Vec<i64> = n
            .notifications(&format!("child={child}"))
            .await
            .iter()
            .filter(|x| x["duty"].as_str().unwrap().starts_with("testshire.meeting"))
            .map(|x| x["level"].as_i64().unwrap())
            .collect();
        assert!(meeting_levels.contains(&2), "social worker → team manager → head of service: {meeting_levels:?}");
    }
}

/// Two instances deliver from one outbox: every message arrives exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_deliver_each_message_once() {
    for url in databases().await {
        let clock = Arc::new(ManualClock::new(start()));
        let (sink, smtp) = support::SmtpSink::start().await;
        let (hooks, hook_url) = support::WebhookReceiver::start(HOOK_SECRET, 0).await;
        let a = notifying_with(&url, "instance-a", clock.clone(), sink.clone(), &smtp, hooks.clone(), &hook_url).await;
        let b = notifying_with(&url, "instance-b", clock.clone(), sink.clone(), &smtp, hooks.clone(), &hook_url).await;
        let children = if url.starts_with("postgres") { 40 } else { 15 };
        for i in 0..children {
            a.report(&format!("Family{i}")).await;
        }
        let config = NotifyConfig { batch: 9, ..NotifyConfig::default() };
        let run = |n: &Notifying| {
            let (state, channels, config) = (n.h.state.clone(), n.channels.clone(), config.clone());
            async move {
                let mut sent = 0;
                loop {
                    let r = notify::tick(&state, &channels, &config).await.unwrap();
                    sent += r.sent;
                    if r.sent + r.failed_attempts == 0 {
                        break sent;
                    }
                }
            }
        };
        let (x, y) = tokio::join!(run(&a), run(&b));
        // Per child: 4 emails and 1 webhook.
        assert_eq!(x + y, children * 5, "{url}");
        let mut ids: Vec<String> = sink.messages().iter().map(|m| header(&parsed(m), "Message-ID")).collect();
        assert_eq!(ids.len(), children * 4);
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), children * 4, "an email went out twice ({url})");
        let mut keys: Vec<String> = hooks.hooks().iter().map(|h| h.idempotency_key.clone()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), children, "a webhook went out twice ({url})");
    }
}

/// A whole history recorded at once: checked as one, renumbered errors name
/// the offending event of the list given, and nothing is half-written.
#[tokio::test]
async fn a_history_is_recorded_whole_or_not_at_all() {
    each_database(|h| async move {
        let child = h.new_child("Begum", "looked_after", "newham").await;
        let actor = homeward_store::Actor { user: "migration".into(), agency: "newham-council".into() };
        let good = vec![
            json!({"at": "2026-02-01T20:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"}),
            json!({"at": "2026-02-02T08:00:00Z", "episode": "e1", "type": "returned", "found_by": "police"}),
        ];
        let n = h.state.store.record_history(&child, good, &actor, h.clock.now()).await.unwrap();
        assert_eq!(n, 2);
        let bad = vec![
            json!({"at": "2026-02-10T20:00:00Z", "episode": "e2", "type": "reported", "category": "missing", "risk": "medium"}),
            json!({"at": "2026-02-11T08:00:00Z", "episode": "e2", "type": "risk_graded", "risk": "extreme"}),
        ];
        let err = h.state.store.record_history(&child, bad, &actor, h.clock.now()).await.unwrap_err();
        match err {
            homeward_store::StoreError::Invalid { field, .. } => assert_eq!(field, "events[1].risk", "{}", h.url),
            other => panic!("expected an invalid field, got {other:?}"),
        }
        assert_eq!(h.event_count(&child).await, 2, "nothing of the bad history was written");
        let (_, timeline) = h.call("GET", &format!("/api/v1/children/{child}/timeline"), None, &[]).await;
        assert_eq!(timeline["episodes"].as_array().unwrap().len(), 1);
        assert_eq!(timeline["events"][0]["recorded_by"], "migration");
    })
    .await;
}

#[tokio::test]
async fn record_details_round_trip_and_a_placement_never_sees_a_return_interviews() {
    each_database(|h| async move {
        let child = h.new_child("Details", "looked_after", "bolton").await;
        let worker = support::account(&h.state.store, "bolton-cs", "childrens_services", &["bolton"], "details.worker", "social_worker").await;
        let placement = support::account(&h.state.store, "details-home", "placement", &[], "details.home", "placement_manager").await;
        let involvement = homeward_store::NewInvolvement { agency_id: "details-home".into(), relation: "placement".into(), address: None, reason: None };
        h.state.store.add_involvement(&child, &involvement, "test", h.clock.now().as_second()).await.unwrap();
        let as_worker = [("authorization", format!("Bearer {worker}"))];
        let as_worker: Vec<(&str, &str)> = as_worker.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let post = |event: Value| {
            let headers = as_worker.clone();
            let state = h.state.clone();
            let uri = format!("/api/v1/children/{child}/events");
            async move { support::request(&state, "POST", &uri, &headers, Some(event)).await }
        };
        let rhi_details = json!({"interviewer": "Sam Oduya", "mode": "in_person", "push_factors": ["arguments at home"],
            "actions": [{"action": "Refer to the exploitation team", "owner": "Social worker", "due": "2026-03-09"}], "safety_plan": "Call the carer"});
        for event in [
            json!({"at": "2026-03-01T20:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"}),
            json!({"at": "2026-03-02T09:00:00Z", "episode": "e1", "type": "returned", "found_by": "police"}),
            json!({"at": "2026-03-02T15:00:00Z", "episode": "e1", "type": "return_interview", "outcome": "completed", "note": "older man gives lifts", "details": rhi_details}),
        ] {
            let (code, body) = post(event).await;
            assert_eq!(code, StatusCode::CREATED, "{body}");
        }
        // A bad detail is named, and nothing is written.
        let before = h.event_count(&child).await;
        let (code, body) = post(json!({"at": "2026-03-02T16:00:00Z", "episode": "e1", "type": "strategy_meeting", "details": {"next_review": "next week"}})).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "details.next_review", "{body}");
        let (code, body) = post(json!({"at": "2026-03-02T16:00:00Z", "episode": "e1", "type": "strategy_meeting", "details": {"chiar": "TM"}})).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "details.chiar", "{body}");
        assert_eq!(h.event_count(&child).await, before, "nothing written on error");

        // The social worker reads the details back as recorded.
        let (code, timeline) = support::request(&h.state, "GET", &format!("/api/v1/children/{child}/timeline"), &as_worker, None).await;
        assert_eq!(code, StatusCode::OK);
        let rhi = timeline["events"].as_array().unwrap().iter().find(|e| e["type"] == "return_interview").expect("the worker sees the interview").clone();
        assert_eq!(rhi["body"]["details"], rhi_details);
        assert_eq!(rhi["body"]["note"], "older man gives lifts");

        // The placement knows the interview took place, and nothing of what was said.
        let as_home = [("authorization", format!("Bearer {placement}"))];
        let as_home: Vec<(&str, &str)> = as_home.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (code, timeline) = support::request(&h.state, "GET", &format!("/api/v1/children/{child}/timeline"), &as_home, None).await;
        assert_eq!(code, StatusCode::OK, "{timeline}");
        let rhi = timeline["events"].as_array().unwrap().iter().find(|e| e["type"] == "return_interview").expect("the placement is told it happened").clone();
        assert_eq!(rhi["body"]["outcome"], "completed");
        assert!(rhi["body"].get("note").is_none() && rhi["body"].get("details").is_none(), "{rhi}");
        assert!(!timeline.to_string().contains("Sam Oduya") && !timeline.to_string().contains("arguments at home"));
    })
    .await;
}

#[tokio::test]
async fn the_demo_records_details_of_its_return_interviews_and_meetings() {
    let url = databases().await.into_iter().next().unwrap();
    let clock = Arc::new(ManualClock::new(start()));
    let h = harness(&url, "test-1", clock).await;
    let config = homeward_synth::Config { children: 30, days: 60, seed: 20261123, authorities: vec!["bolton".into(), "lancashire".into()], now: Some(start()) };
    let loaded = homeward_server::load_synthetic(&h.state, &config).await.expect("the demo loads (its details are valid)");
    assert!(loaded > 0);
    let mut with_details = std::collections::BTreeSet::new();
    for child in h.state.store.children(&homeward_store::ChildFilter { limit: 1000, ..Default::default() }).await.unwrap() {
        for e in h.state.store.events(&child.id).await.unwrap() {
            let body: Value = serde_json::from_str(&e.body).unwrap();
            if body.get("details").is_some() {
                with_details.insert(e.event_type.clone());
            }
        }
    }
    assert!(with_details.contains("return_interview") && with_details.contains("strategy_meeting"), "{with_details:?}");
}
