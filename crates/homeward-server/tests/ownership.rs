//! Episode ownership: re-assignment as events, the owner projection, and the
//! "my episodes" and "my team" duty filters, on SQLite always and on
//! PostgreSQL when `HOMEWARD_TEST_PG_URL` names a server (`scripts/test`
//! starts one).

use axum::http::StatusCode;
use homeward_server::{AppState, ManualClock};
use jiff::Timestamp;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;

mod support;

struct Harness {
    state: AppState,
    url: String,
}

async fn databases() -> Vec<String> {
    support::fresh_databases("ownership").await
}

async fn harness(url: &str, instance: &str, clock: Arc<ManualClock>) -> Harness {
    let state = support::app_state(url, clock, instance).await;
    Harness { state, url: url.to_string() }
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

    async fn episode(&self, child: &str, episode: &str) -> Value {
        let (code, body) = self.call("GET", &format!("/api/v1/children/{child}/timeline"), None).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        body["episodes"].as_array().unwrap().iter().find(|e| e["episode"] == episode).cloned().unwrap_or(Value::Null)
    }

    /// The ids of the duties a query lists.
    async fn duty_ids(&self, user: &str, query: &str) -> BTreeSet<String> {
        let (code, body) = self.call_as(user, "GET", &format!("/api/v1/duties?{query}"), None).await;
        assert_eq!(code, StatusCode::OK, "{query}: {body}");
        body.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect()
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

// ------------------------------------------------------------------ ownership

#[tokio::test]
async fn an_episode_is_owned_by_the_allocation_until_it_is_reassigned() {
    each_database("2026-03-03T06:00:00Z", |h| async move {
        let child = h.child("Okafor", "newham", Some("sw-amara"), Some("newham-lac-1")).await;
        let (code, body) = h.event(&child, json!({"at": "2026-03-02T21:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"})).await;
        assert_eq!(code, StatusCode::CREATED, "{body}");

        // Before any assignment: the child's allocated worker and team, for the responsible authority.
        let ep = h.episode(&child, "e1").await;
        assert_eq!(ep["owner"], json!({"worker": "sw-amara", "team": "newham-lac-1", "authority": "newham", "since": null, "reason": null}), "{}", h.url);
        let before = h.duty_states(&child).await;
        assert!(!before.is_empty());
        let all: BTreeSet<String> = h.duty_ids("x", &format!("child={child}")).await;
        assert!(!all.is_empty());
        assert_eq!(h.duty_ids("x", "owner=sw-amara").await, all);
        assert_eq!(h.duty_ids("sw-amara", "owner=me").await, all, "owner=me is the caller");
        assert_eq!(h.duty_ids("x", "team=newham-lac-1").await, all);
        assert!(h.duty_ids("x", "owner=sw-bola").await.is_empty());
        assert!(h.duty_ids("sw-bola", "owner=me").await.is_empty());

        // Re-assignment is a new event: recorded with who did it, nothing updated in place.
        let (code, body) = h.event(&child, json!({"at": "2026-03-03T05:00:00Z", "episode": "e1", "type": "episode_assigned", "worker": "sw-bola", "team": "newham-lac-2", "reason": "sw-amara on leave"})).await;
        assert_eq!(code, StatusCode::CREATED, "{body}");
        assert_eq!(body["event"]["recorded_by"], "mfh-coordinator");
        let assignment_id = body["event"]["id"].as_str().unwrap().to_string();
        let ep = h.episode(&child, "e1").await;
        assert_eq!(ep["owner"], json!({"worker": "sw-bola", "team": "newham-lac-2", "authority": "newham", "since": "2026-03-03T05:00:00Z", "reason": "sw-amara on leave"}));
        assert_eq!(h.duty_states(&child).await, before, "ownership changes no duty");
        assert_eq!(h.duty_ids("sw-bola", "owner=me").await, all);
        assert_eq!(h.duty_ids("x", "team=newham-lac-2").await, all);
        assert!(h.duty_ids("sw-amara", "owner=me").await.is_empty());
        assert!(h.duty_ids("x", "team=newham-lac-1").await.is_empty());
        // Filters combine with the existing ones.
        let overdue_mine = h.duty_ids("sw-bola", "owner=me&overdue=true").await;
        assert_eq!(overdue_mine, h.duty_ids("x", &format!("child={child}&overdue=true")).await);
        let (_, missing) = h.call("GET", "/api/v1/missing?authority=newham", None).await;
        let row = missing.as_array().unwrap().iter().find(|m| m["child"] == child.as_str()).unwrap();
        assert_eq!((row["owner_worker"].as_str(), row["owner_team"].as_str()), (Some("sw-bola"), Some("newham-lac-2")));

        // A correction supersedes the assignment: the corrected owner applies from the same time.
        let (code, body) = h
            .call("POST", &format!("/api/v1/children/{child}/events?supersedes={assignment_id}"), Some(json!({"at": "2026-03-03T05:00:00Z", "episode": "e1", "type": "episode_assigned", "team": "newham-runaways"})))
            .await;
        assert_eq!(code, StatusCode::CREATED, "{body}");
        let ep = h.episode(&child, "e1").await;
        assert_eq!(ep["owner"]["worker"], Value::Null, "a team alone may own an episode");
        assert_eq!(ep["owner"]["team"], "newham-runaways");
        assert!(h.duty_ids("sw-bola", "owner=me").await.is_empty());
        assert_eq!(h.duty_ids("x", "team=newham-runaways").await, all);
        assert_eq!(h.state.store.events(&child).await.unwrap().len(), 3, "every recording kept");
    })
    .await;
}

#[tokio::test]
async fn a_bad_assignment_names_its_field_and_writes_nothing() {
    each_database("2026-03-03T06:00:00Z", |h| async move {
        let child = h.child("Ahmed", "bolton", None, None).await;
        let (code, _) = h.event(&child, json!({"at": "2026-03-02T21:00:00Z", "episode": "e1", "type": "reported", "category": "missing"})).await;
        assert_eq!(code, StatusCode::CREATED);
        assert_eq!(h.episode(&child, "e1").await["owner"], Value::Null, "no allocation, no assignment: nobody owns it yet");
        for (event, field) in [
            (json!({"at": "2026-03-03T01:00:00Z", "episode": "e1", "type": "episode_assigned", "worker": "sw-cole"}), "team"),
            (json!({"at": "2026-03-03T01:00:00Z", "episode": "e1", "type": "episode_assigned", "team": "", "worker": "sw-cole"}), "team"),
            (json!({"at": "2026-03-03T01:00:00Z", "type": "episode_assigned", "team": "bolton-ifd"}), "episode"),
            (json!({"at": "2026-03-03T01:00:00Z", "episode": "e7", "type": "episode_assigned", "team": "bolton-ifd"}), "episode"),
            (json!({"at": "2026-03-03T01:00:00Z", "episode": "e1", "type": "episode_assigned", "team": "bolton-ifd", "authority": "bolton"}), "authority"),
            (json!({"at": "2026-03-04T01:00:00Z", "episode": "e1", "type": "episode_assigned", "team": "bolton-ifd"}), "at"),
        ] {
            let (code, body) = h.event(&child, event.clone()).await;
            assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{event}: {body}");
            assert_eq!(body["field"], field, "{event}: {body}");
        }
        assert_eq!(h.state.store.events(&child).await.unwrap().len(), 1);
        assert_eq!(h.episode(&child, "e1").await["owner"], Value::Null);
        let (code, body) = h.call("GET", "/api/v1/duties?owner=", None).await;
        assert_eq!(code, StatusCode::OK, "an empty filter is no filter: {body}");
        let (code, body) = h.call("GET", "/api/v1/duties?owners=me", None).await;
        assert_eq!((code, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("owners")));
    })
    .await;
}
