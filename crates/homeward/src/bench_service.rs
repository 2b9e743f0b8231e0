//! Benchmarks of the service's storage paths (figures in BENCHMARKS.md):
//!
//! - `bench timers`: N children whose timers all fall due at one instant,
//!   drained by one worker and then (after putting the same timers back) by
//!   two workers with their own connection pools, as two instances would;
//! - `bench import`: an N-row police list imported through the same code as
//!   `homeward import police-list`, beside the `sqlite3` command-line tool's
//!   `.import` of the same file into a bare table (the floor for "rows into
//!   a database").

use anyhow::{Context, Result};
use homeward_core::Registry;
use homeward_server::worker::{self, WorkerConfig};
use homeward_server::{AppState, ManualClock};
use homeward_store::{Actor, Db, NewChild, Store};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

fn scratch(name: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("homeward-bench-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

async fn open(url: Option<&str>, dir: &Path) -> Result<Db> {
    let url = url.map(str::to_string).unwrap_or_else(|| format!("sqlite://{}", dir.join("bench.sqlite3").display()));
    let db = Db::connect(&url).await.with_context(|| format!("connecting to {url}"))?;
    db.migrate().await.context("migrations")?;
    let children: i64 = match &db {
        Db::Sqlite(p) => sqlx::query_scalar("SELECT COUNT(*) FROM children").fetch_one(p).await?,
        Db::Pg(p) => sqlx::query_scalar("SELECT COUNT(*) FROM children").fetch_one(p).await?,
    };
    anyhow::ensure!(children == 0, "the benchmark needs an empty database");
    Ok(db)
}

fn rate(n: usize, seconds: f64) -> String {
    format!("{:>10.0}/s", n as f64 / seconds)
}

/// Children returned 23 hours before `at`: the national baseline's safe and
/// well check (due 24 hours after the return) falls due an hour after `at`.
async fn seed_due_timers(store: &Store, n: usize, at: Timestamp) -> Result<()> {
    let actor = Actor { user: "bench".into(), agency: "bench".into() };
    let returned = at - SignedDuration::from_hours(23);
    let reported = returned - SignedDuration::from_hours(6);
    for i in 0..n {
        let child = NewChild {
            given_name: "Bench".into(),
            family_name: format!("Timer{i}"),
            date_of_birth: "2011-03-01".into(),
            status: "looked_after".into(),
            responsible_authority: "york".into(),
            living_in: None,
            flags: vec![],
            allocated_worker: None,
            team: None,
            photo_ref: None,
        };
        let c = store.create_child(&child, &actor, at, true, None).await?;
        let events = vec![
            json!({"at": reported.to_string(), "episode": "e1", "type": "reported", "category": "missing", "risk": "medium"}),
            json!({"at": returned.to_string(), "episode": "e1", "type": "returned", "found_by": "carer"}),
        ];
        store.record_history(&c.id, events, &actor, at).await?;
    }
    Ok(())
}

async fn drain(states: &[AppState]) -> Result<(f64, usize)> {
    let config = WorkerConfig { batch: 200, ..WorkerConfig::default() };
    let start = Instant::now();
    let mut tasks = Vec::new();
    for s in states {
        let (s, config) = (s.clone(), config.clone());
        tasks.push(tokio::spawn(async move {
            let mut fired = 0usize;
            loop {
                let (n, _) = worker::tick(&s, &config).await?;
                fired += n;
                if n == 0 {
                    return Ok::<usize, homeward_store::StoreError>(fired);
                }
            }
        }));
    }
    let mut fired = 0;
    for t in tasks {
        fired += t.await??;
    }
    Ok((start.elapsed().as_secs_f64(), fired))
}

pub async fn timers(registry: Arc<Registry>, n: usize, url: Option<&str>) -> Result<String> {
    let dir = scratch("timers")?;
    let db = open(url, &dir).await?;
    let store = Store::new(db.clone(), registry.clone());
    let recorded: Timestamp = "2026-03-02T12:00:00Z".parse()?;
    let seeding = Instant::now();
    seed_due_timers(&store, n, recorded).await?;
    let seeded = seeding.elapsed().as_secs_f64();
    let due = recorded + SignedDuration::from_hours(2);
    let clock = Arc::new(ManualClock::new(due));
    let mut out = String::new();
    writeln!(out, "database        {}", db.backend())?;
    writeln!(out, "timers          {n} (seeded in {seeded:.1} s)")?;
    for instances in [1usize, 2] {
        // Put the same timers back: every child due at the same instant, no duty acted on yet.
        let reset = ["DELETE FROM duty_alerts WHERE stage = 'overdue'", "UPDATE timers SET run_at = 0, locked_by = NULL, locked_until = NULL, attempts = 0"];
        for sql in reset {
            match &db {
                Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ())?,
                Db::Pg(p) => sqlx::query(sql).execute(p).await.map(|_| ())?,
            }
        }
        let waiting = store.due_timers(due).await? as usize;
        anyhow::ensure!(waiting == n, "{waiting} timers due, expected {n}");
        let mut states = Vec::new();
        for i in 0..instances {
            // Each instance has its own pool, as separate processes would.
            let own = match url {
                Some(u) => Db::connect(u).await?,
                None => Db::connect(&format!("sqlite://{}", dir.join("bench.sqlite3").display())).await?,
            };
            states.push(AppState::new(Store::new(own, registry.clone()), clock.clone(), format!("bench-{i}")).map_err(|e| anyhow::anyhow!("{e}"))?);
        }
        let (seconds, fired) = drain(&states).await?;
        let acted = store.alert_count().await?;
        writeln!(out, "{instances} instance(s)   {seconds:>7.2} s  {}  ({fired} claimed, {acted} duty stages acted on in all)", rate(n, seconds))?;
        for s in &states {
            s.store.db().close().await;
        }
    }
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

/// A police list of `n` rows: a tenth of the children appear twice (found,
/// then missing again two days later), a third of the rest have returned.
fn police_list(n: usize) -> String {
    let mut csv = String::from("police_reference,given_name,family_name,date_of_birth,authority,reported_at,category,risk,returned_at,found_by\n");
    for i in 0..n {
        let second = i % 10 == 9;
        let child = if second { i - 1 } else { i };
        let day = 1 + (child / 4000) % 25 + if second { 2 } else { 0 };
        let hour = child % 20;
        let returned = if i % 10 == 8 || (!second && i % 3 == 0) { format!("2026-02-{day:02} {:02}:30,carer", hour + 3) } else { ",".to_string() };
        let _ = writeln!(
            csv,
            "LAN-{i:07},Child,Family{child},{}-{:02}-{:02},lancashire,2026-02-{day:02} {hour:02}:00,missing,medium,{returned}",
            2009 + child % 7,
            1 + child % 12,
            1 + child % 28
        );
    }
    csv
}

pub async fn import(registry: Arc<Registry>, n: usize, url: Option<&str>) -> Result<String> {
    let dir = scratch("import")?;
    let db = open(url, &dir).await?;
    let file = dir.join("police-list.csv");
    std::fs::write(&file, police_list(n))?;
    let clock = Arc::new(ManualClock::new("2026-03-01T08:00:00Z".parse()?));
    let state = AppState::new(Store::new(db.clone(), registry), clock, "bench-import").map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = state.clock.now().as_second();
    let agency = homeward_store::NewAgency {
        id: "lancashire-police".into(),
        name: "Lancashire Constabulary".into(),
        kind: "police".into(),
        authorities: vec!["lancashire".into()],
    };
    state.store.create_agency(&agency, now).await?;
    let user = homeward_store::NewUser {
        username: "bench".into(),
        display_name: "Import benchmark".into(),
        email: None,
        agency_id: "lancashire-police".into(),
        role: "police_mpc".into(),
        team: None,
        password_hash: None,
    };
    let user = state.store.create_user(&user, now).await?;
    let identity = state.store.identity_by_id(&user.id).await?.ok_or_else(|| anyhow::anyhow!("the benchmark account"))?;
    let actor = homeward_server::auth::Caller::local(identity, "bench import");
    let text = std::fs::read_to_string(&file)?;
    let start = Instant::now();
    let report = homeward_server::import::police_list(&state, &text, &actor, false).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let seconds = start.elapsed().as_secs_f64();
    let mut out = String::new();
    writeln!(out, "database        {}", db.backend())?;
    writeln!(out, "rows            {n} ({:.1} MiB)", text.len() as f64 / 1048576.0)?;
    if let Some(r) = report.rejected.first() {
        writeln!(out, "first rejected  line {}: {}", r.line, r.reason)?;
    }
    writeln!(
        out,
        "homeward import {seconds:>7.2} s  {}  ({} children, {} events created, {} rejected)",
        rate(n, seconds),
        report.children_created,
        report.events_created,
        report.rejected.len()
    )?;
    let again = Instant::now();
    let second = homeward_server::import::police_list(&state, &text, &actor, false).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let again = again.elapsed().as_secs_f64();
    writeln!(out, "same file again {again:>7.2} s  {}  ({} created, {} already imported)", rate(n, again), second.events_created, second.unchanged)?;
    let bare = dir.join("bare.sqlite3");
    let sqlite3 = std::process::Command::new("sqlite3").arg(&bare).arg(format!(".import --csv {} police_list", file.display())).output();
    match sqlite3 {
        Ok(o) if o.status.success() => {
            let start = Instant::now();
            let _ = std::fs::remove_file(&bare);
            let o = std::process::Command::new("sqlite3").arg(&bare).arg(format!(".import --csv {} police_list", file.display())).output()?;
            let floor = start.elapsed().as_secs_f64();
            anyhow::ensure!(o.status.success(), "sqlite3 .import failed");
            writeln!(out, "sqlite3 .import {floor:>7.2} s  {}  (bare table, no checks: the floor)", rate(n, floor))?;
        }
        _ => writeln!(out, "sqlite3 .import not measured: the sqlite3 command-line tool is not installed (apt-get install sqlite3)")?,
    }
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}
