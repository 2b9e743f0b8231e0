//! The audit log on SQLite and, when `HOMEWARD_TEST_PG_URL` names a server,
//! on PostgreSQL: appending and reading, concurrent appenders on several
//! pools, the database's refusal of updates and deletes, tampering (done by
//! dropping those guards) reported as the first broken link, and retention
//! pruning that leaves a chain that still verifies.

use homeward_core::Registry;
use homeward_store::{AUDIT_GENESIS, AuditEntry, AuditRecord, Db, Store, StoreError, with_db};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

fn registry() -> Arc<Registry> {
    static REGISTRY: OnceLock<Arc<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(|| Arc::new(Registry::builtin().expect("built-in protocols"))).clone()
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("homeward-audit-{}-{}", std::process::id(), uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// A fresh SQLite database, and a fresh database on the PostgreSQL server
/// `HOMEWARD_TEST_PG_URL` names, if any.
async fn urls() -> Vec<String> {
    let mut urls = vec![format!("sqlite://{}", scratch().join("audit.sqlite3").display())];
    if let Ok(admin) = std::env::var("HOMEWARD_TEST_PG_URL") {
        let name = format!("hw_audit_{}", uuid::Uuid::now_v7().simple());
        let db = Db::connect(&admin).await.expect("connect to the test PostgreSQL");
        if let Db::Pg(pool) = &db {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(pool).await.expect("create database");
        }
        db.close().await;
        let (base, _) = admin.rsplit_once('/').expect("a database URL ends with /name");
        urls.push(format!("{base}/{name}"));
    }
    urls
}

async fn open(url: &str) -> Store {
    let db = Db::connect(url).await.expect("connect");
    db.migrate().await.expect("migrate");
    Store::new(db, registry())
}

async fn stores() -> Vec<Store> {
    let mut out = Vec::new();
    for url in urls().await {
        out.push(open(&url).await);
    }
    out
}

async fn exec(store: &Store, sql: &str) -> Result<u64, sqlx::Error> {
    let sql = sql.to_string();
    with_db!(store.db(), p => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(p).await.map(|r| r.rows_affected()))
}

fn is_pg(store: &Store) -> bool {
    matches!(store.db(), Db::Pg(_))
}

/// Drops the triggers that refuse updates and deletes: what someone with
/// full control of the database could do.
async fn drop_guards(store: &Store) {
    let statements: &[&str] = if is_pg(store) {
        &["DROP TRIGGER audit_log_guard ON audit_log", "DROP TRIGGER audit_anchor_guard ON audit_anchor", "DROP TRIGGER audit_head_guard ON audit_head"]
    } else {
        &["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete", "DROP TRIGGER audit_anchor_no_update", "DROP TRIGGER audit_head_forward"]
    };
    for s in statements {
        exec(store, s).await.unwrap_or_else(|e| panic!("{s}: {e}"));
    }
}

/// Writes `record`'s contents, prev_hash and hash into the row at `seq`
/// (guards dropped first).
async fn overwrite(store: &Store, seq: i64, r: &AuditRecord) {
    let e = &r.entry;
    let fields = serde_json::to_string(&e.fields).expect("fields");
    with_db!(store.db(), p => {
        sqlx::query(
            "UPDATE audit_log SET at = $1, user_id = $2, agency = $3, role = $4, action = $5, operation = $6, record_type = $7, record_id = $8, \
             fields = $9, outcome = $10, status = $11, rule = $12, break_glass = $13, source = $14, request_id = $15, prev_hash = $16, hash = $17 WHERE seq = $18",
        )
        .bind(e.at).bind(&e.user_id).bind(&e.agency).bind(&e.role).bind(&e.action).bind(&e.operation).bind(&e.record_type).bind(&e.record_id)
        .bind(&fields).bind(&e.outcome).bind(i64::from(e.status)).bind(&e.rule).bind(e.break_glass).bind(&e.source).bind(&e.request_id)
        .bind(&r.prev_hash).bind(&r.hash).bind(seq)
        .execute(p)
        .await
        .expect("overwrite");
    });
}

fn entry(i: i64, child: &str) -> AuditEntry {
    AuditEntry {
        at: 1_750_000_000 + i,
        user_id: Some(format!("user-{}", i % 3)),
        agency: Some(if i % 2 == 0 { "police" } else { "council" }.into()),
        role: Some("social_worker".into()),
        action: if i % 4 == 0 { "write" } else { "read" }.into(),
        operation: "GET /api/v1/children/{id}".into(),
        record_type: Some("child".into()),
        record_id: Some(child.into()),
        fields: vec!["identity".into(), "episodes".into()],
        outcome: "allowed".into(),
        status: 200,
        rule: Some("responsible-authority".into()),
        break_glass: i % 5 == 0,
        source: Some("192.0.2.7".into()),
        request_id: Some(format!("req-{i}")),
    }
}

async fn fill(store: &Store, n: i64) {
    let entries: Vec<AuditEntry> = (1..=n).map(|i| entry(i, &format!("c{}", i % 2))).collect();
    store.audit_append_many(&entries).await.expect("append");
}

async fn record(store: &Store, seq: i64) -> AuditRecord {
    let mut r = store.audit_entries(seq - 1, 1).await.expect("read");
    assert_eq!(r.len(), 1, "entry {seq} exists");
    r.remove(0)
}

async fn count(store: &Store) -> i64 {
    with_db!(store.db(), p => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(p).await.expect("count"))
}

#[tokio::test]
async fn entries_are_chained_read_back_and_verified() {
    for store in stores().await {
        let backend = store.db().backend();
        let empty = store.audit_verify().await.unwrap();
        assert_eq!((empty.entries, empty.first_seq, empty.last_seq, empty.broken), (0, None, None, None), "{backend}");

        // Every field kind round-trips, including None, empty strings and lists.
        let odd = AuditEntry {
            at: -5,
            user_id: None,
            agency: None,
            role: Some(String::new()),
            action: "login".into(),
            operation: "POST /login".into(),
            record_type: None,
            record_id: None,
            fields: vec![],
            outcome: "denied".into(),
            status: 401,
            rule: None,
            break_glass: false,
            source: None,
            request_id: None,
        };
        assert_eq!(store.audit_append(&entry(1, "c1")).await.unwrap(), 1, "{backend}");
        assert_eq!(store.audit_append(&odd).await.unwrap(), 2, "{backend}");
        store.audit_append_many(&[entry(3, "c2"), entry(4, "c1"), entry(5, "c1")]).await.unwrap();
        store.audit_append_many(&[]).await.unwrap();
        assert_eq!(store.audit_append(&entry(6, "c2")).await.unwrap(), 6, "{backend}");

        let all = store.audit_entries(0, 100).await.unwrap();
        assert_eq!(all.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5, 6], "{backend}");
        assert_eq!(all[0].entry, entry(1, "c1"), "{backend}");
        assert_eq!(all[1].entry, odd, "{backend}");
        assert_eq!(all[0].prev_hash, AUDIT_GENESIS, "{backend}");
        for w in all.windows(2) {
            assert_eq!(w[1].prev_hash, w[0].hash, "{backend}: seq {} chains from {}", w[1].seq, w[0].seq);
        }
        for r in &all {
            assert_eq!(r.hash, r.entry.chain_hash(r.seq, &r.prev_hash), "{backend}");
        }

        let page = store.audit_entries(2, 2).await.unwrap();
        assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![3, 4], "{backend}");

        let c1 = store.audit_for_record("child", "c1", 10).await.unwrap();
        assert_eq!(c1.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![5, 4, 1], "{backend}: newest first");
        let c1 = store.audit_for_record("child", "c1", 2).await.unwrap();
        assert_eq!(c1.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![5, 4], "{backend}: limited");
        assert!(store.audit_for_record("duty", "c1", 10).await.unwrap().is_empty(), "{backend}");

        let v = store.audit_verify().await.unwrap();
        assert_eq!((v.entries, v.first_seq, v.last_seq), (6, Some(1), Some(6)), "{backend}");
        assert_eq!(v.broken, None, "{backend}");

        // A batch with a bad entry writes nothing.
        let bad = AuditEntry { action: String::new(), ..entry(8, "c1") };
        let err = store.audit_append_many(&[entry(7, "c1"), bad]).await.unwrap_err();
        assert!(matches!(&err, StoreError::Invalid { field, .. } if field == "action"), "{backend}: {err}");
        assert_eq!(count(&store).await, 6, "{backend}");
        assert_eq!(store.audit_append(&entry(7, "c1")).await.unwrap(), 7, "{backend}: no seq was used up");
        assert_eq!(store.audit_verify().await.unwrap().broken, None, "{backend}");
    }
}

#[tokio::test]
async fn concurrent_appenders_on_several_pools_never_fork_the_chain() {
    for url in urls().await {
        // Two "instances": each its own connection pool on the same database.
        let a = open(&url).await;
        let b = open(&url).await;
        let backend = a.db().backend();
        let mut tasks = Vec::new();
        for t in 0..8i64 {
            let store = if t % 2 == 0 { a.clone() } else { b.clone() };
            tasks.push(tokio::spawn(async move {
                if t % 4 < 2 {
                    for i in 0..50 {
                        store.audit_append(&entry(i, &format!("t{t}"))).await?;
                    }
                } else {
                    for batch in 0..5 {
                        let entries: Vec<AuditEntry> = (0..10).map(|i| entry(batch * 10 + i, &format!("t{t}"))).collect();
                        store.audit_append_many(&entries).await?;
                    }
                }
                Ok::<(), StoreError>(())
            }));
        }
        // And retention pruning running among them.
        let pruner = {
            let store = b.clone();
            tokio::spawn(async move {
                let mut removed = 0u64;
                let mut prunes = 0i64;
                for _ in 0..3 {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    let n = store.audit_prune(1_750_000_000 + 3).await?;
                    removed += n;
                    prunes += i64::from(n > 0);
                }
                Ok::<(u64, i64), StoreError>((removed, prunes))
            })
        };
        for t in tasks {
            t.await.expect("task").unwrap_or_else(|e| panic!("{backend}: {e}"));
        }
        let (removed, prunes) = pruner.await.expect("pruner").unwrap_or_else(|e| panic!("{backend}: {e}"));

        let v = a.audit_verify().await.unwrap();
        assert_eq!(v.broken, None, "{backend}");
        assert_eq!(v.last_seq, Some(400 + prunes), "{backend}");
        assert_eq!(v.entries as i64, 400 + prunes - removed as i64, "{backend}");
        assert_eq!(count(&a).await, v.entries as i64, "{backend}");
        // Each task's own entries are in its order.
        for t in 0..8 {
            let mine = a.audit_for_record("child", &format!("t{t}"), 100).await.unwrap();
            let ats: Vec<i64> = mine.iter().rev().map(|r| r.entry.at).collect();
            assert!(ats.windows(2).all(|w| w[0] < w[1]), "{backend}: task {t} in order");
        }

        // An edit deep in the chain (past the first page verify reads) is found.
        drop_guards(&a).await;
        let target = v.last_seq.unwrap_or(0) - 20;
        exec(&a, &format!("UPDATE audit_log SET user_id = 'someone-else' WHERE seq = {target}")).await.unwrap();
        let v = a.audit_verify().await.unwrap();
        let broken = v.broken.unwrap_or_else(|| panic!("{backend}: the edit must be found"));
        assert_eq!(broken.seq, target, "{backend}");
        assert!(broken.reason.contains("does not match the entry's contents"), "{backend}: {}", broken.reason);
        a.db().close().await;
        b.db().close().await;
    }
}

#[tokio::test]
async fn the_database_refuses_updates_and_deletes() {
    for store in stores().await {
        let backend = store.db().backend();
        fill(&store, 5).await;
        for sql in [
            "UPDATE audit_log SET user_id = 'x' WHERE seq = 2",
            "UPDATE audit_log SET hash = hash",
            "DELETE FROM audit_log WHERE seq = 5",
            "DELETE FROM audit_log",
            "UPDATE audit_head SET seq = 3",
            "DELETE FROM audit_head",
            "UPDATE audit_anchor SET seq = 2, hash = 'x'",
            "DELETE FROM audit_anchor",
        ] {
            let result = exec(&store, sql).await;
            assert!(result.is_err(), "{backend}: {sql} must be refused, got {result:?}");
        }
        if is_pg(&store) {
            for sql in ["TRUNCATE audit_log", "TRUNCATE audit_head", "TRUNCATE audit_anchor"] {
                assert!(exec(&store, sql).await.is_err(), "{backend}: {sql} must be refused");
            }
            // Even with pruning's setting on, an update is refused.
            if let Db::Pg(pool) = store.db() {
                let mut tx = pool.begin().await.unwrap();
                sqlx::query("SELECT set_config('homeward.audit_prune', 'on', true)").execute(&mut *tx).await.unwrap();
                let r = sqlx::query("UPDATE audit_log SET user_id = 'x' WHERE seq = 2").execute(&mut *tx).await;
                assert!(r.is_err(), "{backend}: an update while pruning must be refused");
                tx.rollback().await.unwrap();
            }
        } else {
            assert!(exec(&store, "INSERT INTO audit_prune_permit (id) VALUES (2)").await.is_err(), "{backend}: one permit row at most");
        }
        assert_eq!(count(&store).await, 5, "{backend}");
        let v = store.audit_verify().await.unwrap();
        assert_eq!((v.entries, v.broken), (5, None), "{backend}");
    }
}

/// One way of tampering, and where and why verification must say the chain breaks.
struct Tamper {
    name: &'static str,
    expect_seq: i64,
    expect_reason: &'static str,
}

async fn tamper(store: &Store, name: &str) {
    match name {
        "edit a field" => {
            exec(store, "UPDATE audit_log SET record_id = 'another-child' WHERE seq = 4").await.unwrap();
        }
        "edit a field and recompute its hash" => {
            let mut r = record(store, 4).await;
            r.entry.outcome = "denied".into();
            r.hash = r.entry.chain_hash(4, &r.prev_hash);
            overwrite(store, 4, &r).await;
        }
        "rewrite a hash" => {
            exec(store, &format!("UPDATE audit_log SET hash = '{}' WHERE seq = 4", "ab".repeat(32))).await.unwrap();
        }
        "reformat the fields list" => {
            exec(store, r#"UPDATE audit_log SET fields = '["identity", "episodes"]' WHERE seq = 4"#).await.unwrap();
        }
        "delete an entry" => {
            exec(store, "DELETE FROM audit_log WHERE seq = 4").await.unwrap();
        }
        "delete the first entry" => {
            exec(store, "DELETE FROM audit_log WHERE seq = 1").await.unwrap();
        }
        "delete the last entries" => {
            exec(store, "DELETE FROM audit_log WHERE seq >= 9").await.unwrap();
        }
        "swap two entries" => {
            let (three, six) = (record(store, 3).await, record(store, 6).await);
            overwrite(store, 3, &six).await;
            overwrite(store, 6, &three).await;
        }
        "move the head back" => {
            let r = record(store, 8).await;
            exec(store, &format!("UPDATE audit_head SET seq = 8, hash = '{}'", r.hash)).await.unwrap();
        }
        "put text in a number" => {
            // SQLite stores what it is given; PostgreSQL refuses (tested below).
            exec(store, "UPDATE audit_log SET at = 'yesterday' WHERE seq = 4").await.unwrap();
        }
        other => panic!("unknown tamper {other}"),
    }
}

#[tokio::test]
async fn tampering_is_reported_as_the_first_broken_link() {
    let cases = [
        Tamper { name: "edit a field", expect_seq: 4, expect_reason: "does not match the entry's contents" },
        Tamper { name: "edit a field and recompute its hash", expect_seq: 5, expect_reason: "prev_hash is not the hash of entry 4" },
        Tamper { name: "rewrite a hash", expect_seq: 4, expect_reason: "does not match the entry's contents" },
        Tamper { name: "reformat the fields list", expect_seq: 4, expect_reason: "fields list is not in the form" },
        Tamper { name: "delete an entry", expect_seq: 5, expect_reason: "entry 4 is missing" },
        Tamper { name: "delete the first entry", expect_seq: 2, expect_reason: "entry 1 is missing" },
        Tamper { name: "delete the last entries", expect_seq: 9, expect_reason: "entries 9 to 10 were removed" },
        Tamper { name: "swap two entries", expect_seq: 3, expect_reason: "prev_hash is not the hash of entry 2" },
        Tamper { name: "move the head back", expect_seq: 9, expect_reason: "the head records seq 8" },
        Tamper { name: "put text in a number", expect_seq: 4, expect_reason: "cannot be read" },
    ];
    for case in &cases {
        for store in stores().await {
            let backend = store.db().backend();
            if case.name == "put text in a number" && is_pg(&store) {
                continue;
            }
            fill(&store, 10).await;
            assert_eq!(store.audit_verify().await.unwrap().broken, None, "{backend}");
            drop_guards(&store).await;
            tamper(&store, case.name).await;
            let v = store.audit_verify().await.unwrap();
            let broken = v.broken.unwrap_or_else(|| panic!("{backend}: {}: not detected", case.name));
            assert_eq!(broken.seq, case.expect_seq, "{backend}: {}: {}", case.name, broken.reason);
            assert!(broken.reason.contains(case.expect_reason), "{backend}: {}: {}", case.name, broken.reason);
            store.db().close().await;
        }
    }
}

#[tokio::test]
async fn pruning_removes_old_entries_and_the_rest_still_verifies() {
    for store in stores().await {
        let backend = store.db().backend();
        // seq 1..=20 at 100..=119, except seq 15, stamped early (another
        // instance's clock): entries are removed only as a prefix of the chain.
        let entries: Vec<AuditEntry> = (1..=20).map(|i| AuditEntry { at: if i == 15 { 50 } else { 99 + i }, ..entry(i, "c1") }).collect();
        store.audit_append_many(&entries).await.unwrap();
        let head = record(&store, 20).await;

        assert_eq!(store.audit_prune(100).await.unwrap(), 0, "{backend}: nothing older");
        assert_eq!(count(&store).await, 20, "{backend}: and no prune entry");

        assert_eq!(store.audit_prune(110).await.unwrap(), 10, "{backend}");
        let v = store.audit_verify().await.unwrap();
        assert_eq!(v.broken, None, "{backend}");
        assert_eq!((v.entries, v.first_seq, v.last_seq), (11, Some(11), Some(21)), "{backend}");
        let prune = record(&store, 21).await;
        assert_eq!(prune.prev_hash, head.hash, "{backend}");
        assert_eq!(prune.entry.action, "prune", "{backend}");
        assert_eq!(prune.entry.record_type.as_deref(), Some("audit_log"), "{backend}");
        assert_eq!(prune.entry.record_id.as_deref(), Some("10"), "{backend}");
        assert_eq!(prune.entry.at, 119, "{backend}: stamped with the newest entry's time");
        assert_eq!(record(&store, 15).await.entry.at, 50, "{backend}: kept, being after a newer entry");

        assert_eq!(store.audit_prune(110).await.unwrap(), 0, "{backend}: again, nothing");
        // Deletes are refused again once pruning is over.
        assert!(exec(&store, "DELETE FROM audit_log WHERE seq = 11").await.is_err(), "{backend}");
        if !is_pg(&store) {
            let permits: i64 = with_db!(store.db(), p => sqlx::query_scalar("SELECT COUNT(*) FROM audit_prune_permit").fetch_one(p).await.unwrap());
            assert_eq!(permits, 0, "{backend}");
        }

        // Everything, including the first prune's entry.
        assert_eq!(store.audit_prune(1_000).await.unwrap(), 11, "{backend}");
        store.audit_append(&entry(30, "c2")).await.unwrap();
        let v = store.audit_verify().await.unwrap();
        assert_eq!(v.broken, None, "{backend}");
        assert_eq!((v.entries, v.first_seq, v.last_seq), (2, Some(22), Some(23)), "{backend}");
        assert_eq!(record(&store, 22).await.entry.record_id.as_deref(), Some("21"), "{backend}");
        assert_eq!(record(&store, 22).await.entry.at, 1_000, "{backend}: stamped with `before`, being later");
    }
}

#[tokio::test]
async fn pruning_never_hides_a_broken_link() {
    for store in stores().await {
        let backend = store.db().backend();
        fill(&store, 10).await;
        drop_guards(&store).await;
        exec(&store, "UPDATE audit_log SET user_id = 'someone-else' WHERE seq = 3").await.unwrap();
        let err = store.audit_prune(i64::MAX).await.unwrap_err();
        assert!(matches!(&err, StoreError::Conflict(m) if m.contains("broken at seq 3")), "{backend}: {err}");
        assert_eq!(count(&store).await, 10, "{backend}: nothing removed");
        assert_eq!(store.audit_verify().await.unwrap().broken.map(|b| b.seq), Some(3), "{backend}");
    }
}

#[tokio::test]
async fn tampering_with_the_prune_anchor_is_reported() {
    for (case, expect_seq, expect_reason) in [
        ("forge the anchor's hash", 6, "pruning recorded in the anchor"),
        ("prune more by hand", 11, "records pruning up to seq 5, but the anchor says 7"),
        ("move the anchor without deleting", 6, "still present"),
    ] {
        for store in stores().await {
            let backend = store.db().backend();
            let entries: Vec<AuditEntry> = (1..=10).map(|i| AuditEntry { at: i, ..entry(i, "c1") }).collect();
            store.audit_append_many(&entries).await.unwrap();
            assert_eq!(store.audit_prune(6).await.unwrap(), 5, "{backend}");
            assert_eq!(store.audit_verify().await.unwrap().broken, None, "{backend}");
            drop_guards(&store).await;
            match case {
                "forge the anchor's hash" => {
                    exec(&store, &format!("UPDATE audit_anchor SET hash = '{}'", "cd".repeat(32))).await.unwrap();
                }
                "prune more by hand" => {
                    let seven = record(&store, 7).await;
                    exec(&store, "DELETE FROM audit_log WHERE seq <= 7").await.unwrap();
                    exec(&store, &format!("UPDATE audit_anchor SET seq = 7, hash = '{}'", seven.hash)).await.unwrap();
                }
                "move the anchor without deleting" => {
                    let seven = record(&store, 7).await;
                    exec(&store, &format!("UPDATE audit_anchor SET seq = 7, hash = '{}'", seven.hash)).await.unwrap();
                }
                other => panic!("unknown case {other}"),
            }
            let broken = store.audit_verify().await.unwrap().broken.unwrap_or_else(|| panic!("{backend}: {case}: not detected"));
            assert_eq!(broken.seq, expect_seq, "{backend}: {case}: {}", broken.reason);
            assert!(broken.reason.contains(expect_reason), "{backend}: {case}: {}", broken.reason);
        }
    }
}
