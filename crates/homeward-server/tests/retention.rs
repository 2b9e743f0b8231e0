//! The retention job and its reviews: once a national alert's period under
//! its protocol is over, a review is opened (one pass idempotent and safe
//! with two instances, run by the worker on the application's clock), and
//! only a person who answers for the protocol's `review_by` role deletes it
//! (the deletion recorded, naming them) or keeps it with a reason; on SQLite
//! always and on PostgreSQL when `HOMEWARD_TEST_PG_URL` names a server
//! (`scripts/test` starts one).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use homeward_server::worker::{self, WorkerConfig};
use homeward_server::{AppState, ManualClock};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use tower::ServiceExt;

mod support;

struct Harness {
    state: AppState,
    clock: Arc<ManualClock>,
    url: String,
}

async fn databases() -> Vec<String> {
    support::fresh_databases("retention").await
}

async fn harness(url: &str, instance: &str, clock: Arc<ManualClock>) -> Harness {
    let state = support::app_state(url, clock.clone(), instance).await;
    Harness { state, clock, url: url.to_string() }
}

fn at(t: &str) -> Timestamp {
    t.parse().unwrap()
}

async fn each_database<F, Fut>(start: &str, test: F)
where
    F: Fn(Harness) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for url in databases().await {
        let clock = Arc::new(ManualClock::new(at(start)));
        test(harness(&url, "test-1", clock).await).await;
    }
}

impl Harness {
    async fn call_as(&self, user: &str, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        // Each user is a social worker of a children's services agency serving every authority the tests use.
        let token = support::account(&self.state.store, "childrens-services", "childrens_services", support::ALL_AUTHORITIES, user, "social_worker").await;
        support::request(&self.state, method, uri, &[("authorization", &format!("Bearer {token}"))], body).await
    }

    async fn call(&self, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call_as("mfh-coordinator", method, uri, body).await
    }

    async fn child(&self, family: &str, authority: &str, worker: Option<&str>, team: Option<&str>) -> String {
        let new = json!({"given_name": "Sam", "family_name": family, "date_of_birth": "2011-05-01", "status": "looked_after",
                         "responsible_authority": authority, "allocated_worker": worker, "team": team});
        let (code, body) = self.call("POST", "/api/v1/children", Some(new)).await;
        assert_eq!(code, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    async fn event(&self, child: &str, event: Value) -> (StatusCode, Value) {
        self.call("POST", &format!("/api/v1/children/{child}/events"), Some(event)).await
    }

    /// Every duty of a child with its state, done time and due time.
    async fn duty_states(&self, child: &str) -> Vec<(String, String, Value, String)> {
        let (_, body) = self.call("GET", &format!("/api/v1/children/{child}/timeline"), None).await;
        body["duties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (d["id"].as_str().unwrap().to_string(), d["state"].as_str().unwrap().to_string(), d["done_at"].clone(), d["due"].as_str().unwrap().to_string())
            })
            .collect()
    }
}

// ------------------------------------------------------------------ retention

fn alert(authority: &str, received_at: &str, subject: &str, child: Option<&str>) -> Value {
    json!({"authority": authority, "from_authority": "kent", "received_at": received_at, "subject": subject,
           "date_of_birth": "2010-06-01", "details": "seen with an older male; may travel north", "child": child})
}

async fn record_alert(h: &Harness, body: Value) -> Value {
    let (code, out) = h.call("POST", "/api/v1/national-alerts", Some(body)).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    out
}

async fn register(h: &Harness, authority: &str) -> Vec<String> {
    let (code, body) = h.call("GET", &format!("/api/v1/national-alerts?authority={authority}"), None).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    body.as_array().unwrap().iter().map(|a| a["subject"].as_str().unwrap().to_string()).collect()
}

/// Sends a request as `user`, a children's services worker with `role`
/// serving every authority the tests use.
async fn as_role(h: &Harness, user: &str, role: &str, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let token = support::account(&h.state.store, "childrens-services", "childrens_services", support::ALL_AUTHORITIES, user, role).await;
    support::request(&h.state, method, uri, &[("authorization", &format!("Bearer {token}"))], body).await
}

async fn open_reviews(h: &Harness) -> Vec<Value> {
    let (code, body) = h.call("GET", "/api/v1/retention/reviews?authority=bolton", None).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

#[tokio::test]
async fn bolton_national_alerts_are_reviewed_after_three_months_and_only_the_coordinator_deletes_them() {
    each_database("2026-01-15T10:00:00Z", |h| async move {
        let child = h.child("Nolan", "bolton", Some("sw-dee"), Some("bolton-ifd")).await;
        let (code, _) =
            h.event(&child, json!({"at": "2026-01-14T20:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "high"})).await;
        assert_eq!(code, StatusCode::CREATED);
        let first = record_alert(&h, alert("bolton", "2026-01-15T08:30:00Z", "Tia Nolan", Some(&child))).await;
        // Counted from when the record was made (10:00 GMT), in London time: 10:00 BST on 15 April.
        assert_eq!(first["kept_until"], "2026-04-15T09:00:00Z", "{}", h.url);
        assert_eq!(first["retention_cite"], "bolton National alerts");
        assert_eq!(first["recorded_by"], "mfh-coordinator");
        let first_id = first["id"].as_str().unwrap().to_string();
        let newham = record_alert(&h, alert("newham", "2026-01-15T09:00:00Z", "Reece Ward", None)).await;
        assert_eq!(newham["kept_until"], Value::Null, "no newham rule: kept");
        h.clock.set(at("2026-02-10T12:00:00Z"));
        let second = record_alert(&h, alert("bolton", "2026-02-10T11:00:00Z", "Kyle Ross", None)).await;
        assert_eq!(second["kept_until"], "2026-05-10T11:00:00Z");
        let duties_before = h.duty_states(&child).await;

        // One second before the period ends: nothing is due.
        h.clock.set(at("2026-04-15T08:59:59Z"));
        assert!(worker::retention(&h.state).await.unwrap().is_empty());
        assert!(open_reviews(&h).await.is_empty());

        // At the end of the period a review opens, and nothing is deleted.
        h.clock.set(at("2026-04-15T09:00:00Z"));
        let opened = worker::retention(&h.state).await.unwrap();
        assert_eq!(opened.iter().map(|r| r.record_id.as_str()).collect::<Vec<_>>(), vec![first_id.as_str()]);
        assert!(worker::retention(&h.state).await.unwrap().is_empty(), "one review per record and period");
        assert_eq!(register(&h, "bolton").await, vec!["Kyle Ross", "Tia Nolan"], "the clock deletes nothing");
        let reviews = open_reviews(&h).await;
        assert_eq!(reviews.len(), 1);
        assert_eq!(
            (&reviews[0]["record_id"], &reviews[0]["review_by"], &reviews[0]["due_at"]),
            (&json!(first_id), &json!("coordinator"), &json!("2026-04-15T09:00:00Z"))
        );

        // Keeping it needs a reason; then it is due again a period later.
        let decide = format!("/api/v1/national-alerts/{first_id}/retention-review");
        let (code, out) = as_role(&h, "coordinator", "missing_coordinator", "POST", &decide, Some(json!({"decision": "keep"}))).await;
        assert_eq!((code, out["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{out}");
        let (code, out) = as_role(&h, "coordinator", "missing_coordinator", "POST", &decide, Some(json!({"decision": "archive"}))).await;
        assert_eq!((code, out["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("decision")), "{out}");
        let (code, out) =
            as_role(&h, "coordinator", "missing_coordinator", "POST", &decide, Some(json!({"decision": "keep", "reason": "the child is still missing"}))).await;
        assert_eq!(code, StatusCode::OK, "{out}");
        assert_eq!((out["decision"].as_str(), out["decided_by"].as_str()), (Some("keep"), Some("coordinator")));
        assert!(open_reviews(&h).await.is_empty());
        h.clock.set(at("2026-07-15T08:59:59Z"));
        let opened = worker::retention(&h.state).await.unwrap();
        assert_eq!(
            opened.iter().map(|r| r.record_id.as_str()).collect::<Vec<_>>(),
            vec![second["id"].as_str().unwrap()],
            "the second is due; the kept one not yet"
        );
        h.clock.set(at("2026-07-15T09:00:00Z"));
        assert_eq!(worker::retention(&h.state).await.unwrap().len(), 1, "the kept record is due again three months after the decision");

        // Under the policy in force from December 2026, only those who answer for
        // the Coordinator (or a role above) decide: not the social worker.
        h.clock.set(at("2027-01-15T10:00:00Z"));
        let (code, out) = as_role(&h, "sw-dee", "social_worker", "POST", &decide, Some(json!({"decision": "delete"}))).await;
        assert_eq!((code, out["rule"].as_str()), (StatusCode::FORBIDDEN, Some("addressee-or-above")), "{out}");
        assert_eq!(register(&h, "bolton").await.len(), 2, "a refused decision deletes nothing");
        let (code, out) = as_role(&h, "coordinator", "missing_coordinator", "POST", &decide, Some(json!({"decision": "delete"}))).await;
        assert_eq!(code, StatusCode::OK, "{out}");
        assert_eq!(register(&h, "bolton").await, vec!["Kyle Ross"]);
        assert!(h.state.store.national_alert(&first_id).await.unwrap().is_none());
        let (code, _) = as_role(&h, "coordinator", "missing_coordinator", "POST", &decide, Some(json!({"decision": "delete"}))).await;
        assert_eq!(code, StatusCode::NOT_FOUND, "no open review is left");
        let (code, log) = h.call("GET", "/api/v1/retention/deletions?authority=bolton", None).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(
            log,
            json!([{
                "record_kind": "national_alert", "record_id": first_id, "authority": "bolton", "child": child,
                "made_at": "2026-01-15T10:00:00Z", "kept_until": "2026-04-15T09:00:00Z",
                "protocol": "bolton", "protocol_version": "2025-01 (strategy meeting at 48 hours)",
                "rule": "national-alerts-received", "cite": "bolton National alerts",
                "deleted_at": "2027-01-15T10:00:00Z", "deleted_by": "coordinator"
            }])
        );
        assert!(!log.to_string().contains("Nolan") && !log.to_string().contains("older male"), "no personal details kept");
        let (_, by_child) = h.call("GET", &format!("/api/v1/retention/deletions?child={child}"), None).await;
        assert_eq!(by_child.as_array().unwrap().len(), 1);
        // Not engine input: the child's duties are the ones it had (their states move with the clock).
        let ids = |d: &[(String, String, Value, String)]| d.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&h.duty_states(&child).await), ids(&duties_before));
        assert_eq!(h.state.store.events(&child).await.unwrap().len(), 1, "the child's events are never touched");
        // Every decision is in the history; newham's record is kept.
        let (_, all) = h.call("GET", "/api/v1/retention/reviews?authority=bolton&open=false", None).await;
        let decisions: Vec<&str> = all.as_array().unwrap().iter().filter_map(|r| r["decision"].as_str()).collect();
        assert_eq!(decisions, vec!["keep", "delete"]);
        assert_eq!(register(&h, "newham").await, vec!["Reece Ward"]);
    })
    .await;
}

#[tokio::test]
async fn a_national_alert_is_checked_field_by_field() {
    each_database("2026-01-15T10:00:00Z", |h| async move {
        let good = alert("bolton", "2026-01-15T08:30:00Z", "Tia Nolan", None);
        let mut cases = Vec::new();
        for (field, value, named) in [
            ("received_at", json!("yesterday"), "received_at"),
            ("received_at", json!("2026-01-15T10:00:01Z"), "received_at"),
            ("authority", json!("Bolton Council"), "authority"),
            ("from_authority", json!("bolton"), "from_authority"),
            ("subject", json!("  "), "subject"),
            ("date_of_birth", json!("2010-13-01"), "date_of_birth"),
            ("child", json!("no-such-child"), "child"),
            ("sent_by", json!("x"), "sent_by"),
        ] {
            let mut body = good.clone();
            body[field] = value;
            cases.push((body, named));
        }
        let mut missing = good.clone();
        missing.as_object_mut().unwrap().remove("subject");
        cases.push((missing, "subject"));
        for (body, field) in cases {
            let (code, out) = h.call("POST", "/api/v1/national-alerts", Some(body.clone())).await;
            assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {out}");
            assert_eq!(out["field"], field, "{body}: {out}");
        }
        assert!(register(&h, "bolton").await.is_empty(), "nothing written");
        // A retry with the same key records it once.
        let token =
            support::account(&h.state.store, "childrens-services", "childrens_services", support::ALL_AUTHORITIES, "mfh-coordinator", "missing_coordinator")
                .await;
        for expected in [StatusCode::CREATED, StatusCode::OK] {
            let req = Request::builder()
                .method("POST")
                .uri("/api/v1/national-alerts")
                .header("authorization", format!("Bearer {token}"))
                .header("idempotency-key", "alert-77")
                .header("content-type", "application/json")
                .body(Body::from(good.to_string()))
                .unwrap();
            let res = homeward_server::app(h.state.clone()).oneshot(req).await.unwrap();
            assert_eq!(res.status(), expected);
        }
        assert_eq!(register(&h, "bolton").await.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_open_each_review_once() {
    for url in databases().await {
        let clock = Arc::new(ManualClock::new(at("2026-01-15T10:00:00Z")));
        let a = harness(&url, "instance-a", clock.clone()).await;
        let b = harness(&url, "instance-b", clock.clone()).await;
        let total = 450;
        for i in 0..total {
            // Made over 450 minutes; kept until 3 months after each.
            clock.set(at("2026-01-15T10:00:00Z").checked_add(SignedDuration::from_mins(i)).unwrap());
            record_alert(&a, alert("bolton", "2026-01-15T09:00:00Z", &format!("Child {i}"), None)).await;
        }
        record_alert(&a, alert("derby", "2026-01-15T09:00:00Z", "Kept Forever", None)).await;
        // Half the records have reached the end of their period.
        clock.set(at("2026-04-15T09:00:00Z").checked_add(SignedDuration::from_mins(total / 2 - 1)).unwrap());
        let (da, db) = tokio::join!(worker::retention(&a.state), worker::retention(&b.state));
        let (da, db) = (da.unwrap(), db.unwrap());
        assert_eq!(da.len() + db.len(), (total / 2) as usize, "{url}: a={} b={}", da.len(), db.len());
        // Then all of them, again from both at once.
        clock.set(at("2026-07-01T00:00:00Z"));
        let (ea, eb) = tokio::join!(worker::retention(&a.state), worker::retention(&b.state));
        let (ea, eb) = (ea.unwrap(), eb.unwrap());
        let ids: BTreeSet<String> = da.iter().chain(&db).chain(&ea).chain(&eb).map(|d| d.record_id.clone()).collect();
        assert_eq!(ids.len(), total as usize, "{url}: a review for each record");
        assert_eq!(da.len() + db.len() + ea.len() + eb.len(), total as usize, "{url}: no review opened twice");
        let open = a.state.store.retention_reviews(&homeward_store::ReviewFilter { open: true, ..Default::default() }).await.unwrap();
        assert_eq!(open.len(), total as usize);
        assert!(open.iter().all(|r| r.opened_by == "retention job on instance-a" || r.opened_by == "retention job on instance-b"));
        assert_eq!(register(&a, "bolton").await.len(), total as usize, "{url}: nothing deleted by the clock");
        assert_eq!(register(&a, "derby").await, vec!["Kept Forever"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_runs_the_retention_job_on_the_application_clock() {
    each_database("2026-01-15T10:00:00Z", |h| async move {
        record_alert(&h, alert("bolton", "2026-01-15T08:30:00Z", "Tia Nolan", None)).await;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let config = WorkerConfig { idle: std::time::Duration::from_millis(20), retention_every: SignedDuration::from_hours(1), ..WorkerConfig::default() };
        let running = tokio::spawn(worker::run(h.state.clone(), config, stopped));
        // The first pass runs at once and finds nothing due; the next runs
        // when an hour of the application's clock has passed (here at 08:30,
        // before the period ends at 09:00), the one after that at 09:30.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        h.clock.set(at("2026-04-15T08:30:00Z"));
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
        h.clock.set(at("2026-04-15T09:10:00Z"));
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert!(open_reviews(&h).await.is_empty(), "expired, but the next pass is not due on the application's clock");
        let mut opened = false;
        h.clock.set(at("2026-04-15T09:30:00Z"));
        for _ in 0..250 {
            if !open_reviews(&h).await.is_empty() {
                opened = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        stop.send(true).unwrap();
        running.await.unwrap();
        assert!(opened, "{}: the worker opened a review of the expired record", h.url);
        assert_eq!(register(&h, "bolton").await.len(), 1, "and deleted nothing");
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_lists_the_new_routes_and_filters() {
    each_database("2026-01-15T10:00:00Z", |h| async move {
        let (code, doc) = h.call("GET", "/api/openapi.json", None).await;
        assert_eq!(code, StatusCode::OK);
        for path in ["/api/v1/national-alerts", "/api/v1/retention/deletions", "/api/v1/retention/reviews", "/api/v1/national-alerts/{id}/retention-review"] {
            assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
        }
        let params: Vec<&str> = doc["paths"]["/api/v1/duties"]["get"]["parameters"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
        assert!(params.contains(&"owner") && params.contains(&"team"), "{params:?}");
        assert!(doc["components"]["schemas"].get("OwnerOut").is_some());
    })
    .await;
}
