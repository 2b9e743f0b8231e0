//! Reliability of the running service, with real `homeward serve` processes:
//!
//! - two instances on one database, thousands of timers due at the same
//!   moment: every duty fires once and every message arrives, even when one
//!   instance is killed with SIGKILL halfway;
//! - a restart (SIGKILL, then start again) under load: every request that was
//!   answered with a 2xx is still there afterwards.
//!
//! Runs on SQLite (two processes on one database file) and on PostgreSQL when
//! `HOMEWARD_TEST_PG_URL` names a server. `HOMEWARD_RELIABILITY_TIMERS` sets
//! the number of timers (default 10,000).

#[path = "../../homeward-server/tests/support/mod.rs"]
mod support;

use homeward_core::Registry;
use homeward_store::{Actor, Db, NewChild, RecordOptions, Store};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("homeward-reliability-{}-{}", std::process::id(), uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn databases(dir: &Path) -> Vec<String> {
    support::databases(&dir.join("shared.sqlite3")).await
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `homeward serve` process.
struct Instance {
    process: Child,
    port: u16,
}

impl Instance {
    fn start(name: &str, url: &str, port: u16, dir: &Path, extra: &[&str]) -> Instance {
        let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
        let process = Command::new(env!("CARGO_BIN_EXE_homeward"))
            .args(["serve", "--database-url", url, "--listen", &format!("127.0.0.1:{port}"), "--instance", name, "--lease-seconds", "3"])
            .args(extra)
            .env("HOMEWARD_DATA_DIR", dir)
            .env("HOMEWARD_LOG", "warn")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start homeward serve");
        Instance { process, port }
    }

    async fn wait_ready(&self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("http://127.0.0.1:{}/readyz", self.port)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("instance on port {} did not become ready", self.port);
    }

    fn kill(&mut self) {
        // SIGKILL: no graceful shutdown, claims are left held.
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    fn stop(&mut self) {
        // SIGTERM through kill(1); without it, fall back to SIGKILL.
        if Command::new("kill").args(["-TERM", &self.process.id().to_string()]).status().is_err() {
            self.kill();
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.process.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

fn registry() -> Arc<Registry> {
    Arc::new(Registry::builtin().expect("built-in protocols"))
}

fn timers_wanted() -> usize {
    std::env::var("HOMEWARD_RELIABILITY_TIMERS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

/// Seeds `n` children outside the five partnerships (national baseline), each
/// returned 23 hours before `recorded`: the police safe and well check is due
/// an hour after `recorded`, so every child's timer falls due at that same
/// instant. History is recorded without notifications.
async fn seed(url: &str, n: usize, recorded: Timestamp) -> Store {
    let db = Db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    let store = Store::new(db, registry());
    let actor = Actor { user: "seed".into(), agency: "test".into() };
    let returned = recorded - SignedDuration::from_hours(23);
    let reported = returned - SignedDuration::from_hours(5);
    let tasks = if url.starts_with("postgres") { 4 } else { 1 };
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = store.clone();
        let actor = actor.clone();
        handles.push(tokio::spawn(async move {
            for i in (t..n).step_by(tasks) {
                let child = NewChild {
                    given_name: "Child".into(),
                    family_name: format!("Number{i}"),
                    date_of_birth: "2011-06-01".into(),
                    status: "looked_after".into(),
                    responsible_authority: "york".into(),
                    living_in: None,
                    flags: vec![],
                    allocated_worker: None,
                    team: None,
                    photo_ref: None,
                };
                let c = store.create_child(&child, &actor, recorded, true, None).await.unwrap();
                for e in [
                    json!({"at": reported.to_string(), "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"}),
                    json!({"at": returned.to_string(), "episode": "e1", "type": "returned", "found_by": "police"}),
                ] {
                    store.record_event(&c.id, e, &actor, recorded, RecordOptions::default()).await.unwrap();
                }
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    store
}

fn directory(dir: &Path) -> PathBuf {
    let path = dir.join("directory.toml");
    std::fs::write(&path, "[[inbox]]\nauthority = \"*\"\nrole = \"police\"\nemail = [\"police@force.test\"]\n").unwrap();
    path
}

fn message_ids(sink: &support::SmtpSink) -> Vec<String> {
    sink.messages()
        .iter()
        .filter_map(|m| {
            let text = String::from_utf8_lossy(&m.data);
            text.lines().find_map(|l| l.to_ascii_lowercase().starts_with("message-id:").then(|| l[11..].trim().to_string()))
        })
        .collect()
}

async fn count(store: &Store, sql: &'static str) -> i64 {
    match store.db() {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        Db::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_due_at_once_fire_once_across_two_instances_even_when_one_is_killed() {
    homeward_server::notify::install_crypto();
    let client = reqwest::Client::new();
    let dir = scratch();
    let n = timers_wanted();
    for url in databases(&dir).await {
        let backend = if url.starts_with("postgres") { "postgres" } else { "sqlite" };
        let (sink, smtp) = support::SmtpSink::start().await;
        let directory = directory(&dir);
        let started = Instant::now();
        // Recorded an hour ago: every child's check fell due just now, while no instance was running.
        let recorded = Timestamp::from_second(Timestamp::now().as_second() - 3600).unwrap();
        let store = seed(&url, n, recorded).await;
        let seeded = started.elapsed();
        let due_now = store.due_timers(Timestamp::now()).await.unwrap();
        assert_eq!(due_now as usize, n, "{backend}: every timer is due before any instance starts");

        let args = ["--directory", directory.to_str().unwrap(), "--smtp-url", &smtp];
        let mut a = Instance::start("instance-a", &url, free_port(), &dir, &args);
        let mut b = Instance::start("instance-b", &url, free_port(), &dir, &args);
        a.wait_ready(&client).await;
        b.wait_ready(&client).await;
        let firing = Instant::now();

        // Kill instance A halfway through.
        let deadline = Instant::now() + Duration::from_secs(600);
        while message_ids(&sink).len() < n / 2 {
            assert!(Instant::now() < deadline, "{backend}: half the messages never arrived");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        a.kill();
        let at_kill = message_ids(&sink).len();

        // B finishes everything, including what A held when it died (after its lease).
        loop {
            let mut ids = message_ids(&sink);
            ids.sort();
            ids.dedup();
            if ids.len() >= n {
                break;
            }
            assert!(Instant::now() < deadline, "{backend}: only {} of {n} messages arrived", ids.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let drained = firing.elapsed();
        // Let anything still in flight land before counting.
        tokio::time::sleep(Duration::from_secs(2)).await;
        b.stop();

        // The baseline's other duties for these children went overdue while
        // they were seeded; the timers are the safe and well checks.
        let overdue = count(&store, "SELECT COUNT(*) FROM duty_alerts WHERE stage = 'overdue' AND duty_id LIKE 'national.safe-and-well/%'").await;
        assert_eq!(overdue as usize, n, "{backend}: each child's check went overdue exactly once");
        let by_a =
            count(&store, "SELECT COUNT(*) FROM duty_alerts WHERE stage = 'overdue' AND duty_id LIKE 'national.safe-and-well/%' AND fired_by = 'instance-a'")
                .await;
        let by_b =
            count(&store, "SELECT COUNT(*) FROM duty_alerts WHERE stage = 'overdue' AND duty_id LIKE 'national.safe-and-well/%' AND fired_by = 'instance-b'")
                .await;
        assert!(by_a > 0 && by_b > 0, "{backend}: both instances took part ({by_a}, {by_b})");
        let notifications = count(&store, "SELECT COUNT(*) FROM notifications").await;
        assert_eq!(notifications as usize, n, "{backend}: one message per overdue duty");
        let unsent = count(&store, "SELECT COUNT(*) FROM deliveries WHERE state <> 'sent'").await;
        assert_eq!(unsent, 0, "{backend}: every delivery was sent");
        assert_eq!(store.due_timers(Timestamp::now()).await.unwrap(), 0, "{backend}: no timer left behind");

        let ids = message_ids(&sink);
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), n, "{backend}: every message arrived");
        // Delivery is at least once: only a message A had sent but not yet
        // recorded when it was killed can arrive twice (at most one batch).
        let repeats = ids.len() - unique.len();
        assert!(repeats <= 50, "{backend}: {repeats} repeated messages");
        println!(
            "{backend}: {n} timers seeded in {:.1} s; fired and delivered by two instances (one killed at {at_kill}) in {:.1} s; {by_a} by A, {by_b} by B, {repeats} repeats",
            seeded.as_secs_f64(),
            drained.as_secs_f64()
        );
        store.db().close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_a_crash_under_load() {
    homeward_server::notify::install_crypto();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let dir = scratch();
    for url in databases(&dir).await {
        let backend = if url.starts_with("postgres") { "postgres" } else { "sqlite" };
        let port = free_port();
        let mut server = Instance::start("crash-1", &url, port, &dir, &[]);
        server.wait_ready(&client).await;
        let base = format!("http://127.0.0.1:{port}");
        let token = {
            let db = Db::connect(&url).await.unwrap();
            let store = Store::new(db, registry());
            let token = support::account(&store, "police", "police", &["york"], "load", "police_mpc").await;
            store.db().close().await;
            Arc::new(format!("Bearer {token}"))
        };
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Four clients create children and report them missing as fast as they can.
        let mut clients = Vec::new();
        for c in 0..4 {
            let (client, base, stop, token) = (client.clone(), base.clone(), stop.clone(), token.clone());
            clients.push(tokio::spawn(async move {
                let mut acknowledged: Vec<(String, Option<String>)> = Vec::new();
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    i += 1;
                    let child = json!({"given_name": "Load", "family_name": format!("Client{c}-{i}"), "date_of_birth": "2010-01-01", "status": "looked_after", "responsible_authority": "york"});
                    let res = client.post(format!("{base}/api/v1/children")).header("authorization", token.as_str()).json(&child).send().await;
                    let Ok(res) = res else {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    };
                    if !res.status().is_success() {
                        continue;
                    }
                    let Ok(body) = res.json::<Value>().await else { continue };
                    let id = body["id"].as_str().unwrap().to_string();
                    acknowledged.push((id.clone(), None));
                    let event = json!({"at": "2026-01-05T10:00:00Z", "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"});
                    let res = client.post(format!("{base}/api/v1/children/{id}/events")).header("authorization", token.as_str()).json(&event).send().await;
                    if let Ok(res) = res {
                        if res.status().is_success() {
                            if let Ok(body) = res.json::<Value>().await {
                                acknowledged.push((id, body["event"]["id"].as_str().map(str::to_string)));
                            }
                        }
                    }
                }
                acknowledged
            }));
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        server.kill();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut server = Instance::start("crash-2", &url, port, &dir, &[]);
        server.wait_ready(&client).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut acknowledged = Vec::new();
        for c in clients {
            acknowledged.extend(c.await.unwrap());
        }
        server.stop();

        let db = Db::connect(&url).await.unwrap();
        let store = Store::new(db, registry());
        let mut children: HashMap<String, bool> = HashMap::new();
        let mut events = 0;
        for (child, event) in &acknowledged {
            let found = *children.entry(child.clone()).or_insert(store.child(child).await.unwrap().is_some());
            assert!(found, "{backend}: child {child} was acknowledged with a 2xx but is gone");
            if let Some(event) = event {
                events += 1;
                let history = store.events(child).await.unwrap();
                assert!(history.iter().any(|e| &e.id == event), "{backend}: event {event} was acknowledged with a 2xx but is gone");
            }
        }
        assert!(children.len() > 20 && events > 20, "{backend}: the load was real ({} children, {events} events)", children.len());
        println!("{backend}: {} children and {events} events acknowledged around a SIGKILL and restart; all present", children.len());
        store.db().close().await;
    }
}
