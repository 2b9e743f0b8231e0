//! `homeward audit verify` and `homeward audit show` through the real
//! binary, on SQLite (found through --data-dir) and on PostgreSQL when
//! `HOMEWARD_TEST_PG_URL` names a server: an intact chain verifies with exit
//! 0; after a row is edited with raw SQL (once the trigger that refuses
//! edits is dropped) it names the broken entry and exits 3.

#[path = "../../homeward-server/tests/support/mod.rs"]
mod support;

use homeward_core::Registry;
use homeward_store::{AuditEntry, Db, Store, with_db};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("homeward-audit-cli-{}-{}", std::process::id(), uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `homeward audit …` on `url`: a SQLite file in `dir` is named with
/// --data-dir (the default database), PostgreSQL with --database-url.
fn audit(url: &str, dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_homeward"));
    command.arg("audit").args(args).env_remove("HOMEWARD_DATABASE_URL").env_remove("HOMEWARD_DATA_DIR");
    if url.starts_with("sqlite:") {
        command.arg("--data-dir").arg(dir);
    } else {
        command.args(["--database-url", url]);
    }
    command.output().expect("run homeward audit")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn exec(store: &Store, sql: &str) -> Result<u64, sqlx::Error> {
    let sql = sql.to_string();
    with_db!(store.db(), p => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(p).await.map(|r| r.rows_affected()))
}

fn access(i: i64, user: &str, child: &str) -> AuditEntry {
    AuditEntry {
        at: 1_767_225_600 + i * 60,
        user_id: Some(user.into()),
        agency: Some("newham-childrens-services".into()),
        role: Some("social_worker".into()),
        action: "read".into(),
        operation: "GET /api/v1/children/{id}".into(),
        record_type: Some("child".into()),
        record_id: Some(child.into()),
        fields: vec!["identity".into(), "episodes".into()],
        outcome: "allowed".into(),
        status: 200,
        rule: Some("responsible-authority".into()),
        break_glass: i == 4,
        source: Some("192.0.2.10".into()),
        request_id: Some(format!("req-{i}")),
    }
}

#[tokio::test]
async fn verify_passes_on_an_intact_chain_and_names_an_edited_row() {
    let dir = scratch();
    for url in support::databases(&dir.join("homeward.sqlite3")).await {
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let store = Store::new(db, Arc::new(Registry::builtin().expect("built-in protocols")));
        let backend = store.db().backend();

        let empty = audit(&url, &dir, &["verify"]);
        assert!(empty.status.success(), "{backend}: {}", text(&empty.stderr));
        assert!(text(&empty.stdout).contains("0 entries checked"), "{backend}: {}", text(&empty.stdout));

        for (i, (user, child)) in [("asha", "c1"), ("ben", "c2"), ("asha", "c2"), ("chidi", "c1"), ("dee", "c1")].into_iter().enumerate() {
            store.audit_append(&access(i as i64, user, child)).await.unwrap();
        }

        let ok = audit(&url, &dir, &["verify"]);
        let stdout = text(&ok.stdout);
        assert_eq!(ok.status.code(), Some(0), "{backend}: {stdout}{}", text(&ok.stderr));
        assert!(stdout.contains("5 entries checked (seq 1 to 5)"), "{backend}: {stdout}");
        assert!(stdout.contains("audit chain intact"), "{backend}: {stdout}");
        let head = store.audit_entries(4, 1).await.unwrap();
        assert!(stdout.contains(&format!("head: seq 5 hash {}", head[0].hash)), "{backend}: {stdout}");

        // Who has seen child c1: newest first, c2's readers left out.
        let show = audit(&url, &dir, &["show", "--record-type", "child", "--record-id", "c1"]);
        let stdout = text(&show.stdout);
        assert!(show.status.success(), "{backend}: {}", text(&show.stderr));
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 3, "{backend}: {stdout}");
        assert!(lines[0].contains("dee (newham-childrens-services, social_worker)") && lines[0].contains("BREAK-GLASS"), "{backend}: {stdout}");
        assert!(lines[1].contains("chidi") && lines[2].contains("asha"), "{backend}: {stdout}");
        assert!(!stdout.contains("ben"), "{backend}: {stdout}");
        let json = audit(&url, &dir, &["show", "--record-type", "child", "--record-id", "c2", "--json"]);
        let seqs: Vec<i64> = text(&json.stdout).lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, vec![3, 2], "{backend}");

        // The database refuses the edit; with its guard dropped, verify finds it.
        let edit = "UPDATE audit_log SET user_id = 'nobody' WHERE seq = 3";
        assert!(exec(&store, edit).await.is_err(), "{backend}: a direct UPDATE must be refused");
        let unguard = if matches!(store.db(), Db::Pg(_)) { "DROP TRIGGER audit_log_guard ON audit_log" } else { "DROP TRIGGER audit_log_no_update" };
        exec(&store, unguard).await.unwrap();
        assert_eq!(exec(&store, edit).await.unwrap(), 1, "{backend}");

        let bad = audit(&url, &dir, &["verify"]);
        let stdout = text(&bad.stdout);
        assert_eq!(bad.status.code(), Some(3), "{backend}: {stdout}{}", text(&bad.stderr));
        assert!(stdout.contains("audit chain broken at seq 3:"), "{backend}: {stdout}");
        assert!(stdout.contains("was altered"), "{backend}: {stdout}");
        assert!(!stdout.contains("intact"), "{backend}: {stdout}");
        store.db().close().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
