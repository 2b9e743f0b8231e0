//! The two concrete databases behind one type, and their migrations.
//!
//! No `sqlx::Any`: it cannot carry every type both drivers need, and each
//! query is type-checked once per backend through [`with_db!`]. The same SQL
//! text runs on both (`$1` placeholders work on SQLite too); the few dialect
//! differences are spelled out where they occur.

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite: one writer connection serialises every write (SQLite is
    /// single-instance by design; several instances need PostgreSQL).
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// Runs `$body` with `$p` bound to the concrete pool.
#[macro_export]
macro_rules! with_db {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($p) => $body,
            $crate::db::Db::Pg($p) => $body,
        }
    };
}

fn migrations(sources: &[(i64, &'static str, &'static str)]) -> Migrator {
    let list: Vec<Migration> = sources
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(*version, Cow::Borrowed(*description), MigrationType::Simple, sqlx::SqlSafeStr::into_sql_str(*sql), false)
        })
        .collect();
    let mut m = Migrator::with_migrations(list);
    m.set_locking(true);
    m
}

const SQLITE: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/sqlite/0001_initial.sql")),
    (2, "notifications", include_str!("../migrations/sqlite/0002_notifications.sql")),
    (3, "read indexes", include_str!("../migrations/sqlite/0003_read_indexes.sql")),
    (4, "ownership and retention", include_str!("../migrations/sqlite/0004_ownership_retention.sql")),
    (5, "access", include_str!("../migrations/sqlite/0005_access.sql")),
    (6, "audit", include_str!("../migrations/sqlite/0006_audit.sql")),
    (7, "single sign-on", include_str!("../migrations/sqlite/0007_single_sign_on.sql")),
    (8, "open duty order", include_str!("../migrations/sqlite/0008_open_duty_order.sql")),
    (9, "prompts and deadline source", include_str!("../migrations/sqlite/0009_prompts_and_deadline_source.sql")),
    (10, "retention reviews", include_str!("../migrations/sqlite/0010_retention_reviews.sql")),
    (11, "profiles", include_str!("../migrations/sqlite/0011_profiles.sql")),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/postgres/0001_initial.sql")),
    (2, "notifications", include_str!("../migrations/postgres/0002_notifications.sql")),
    (3, "read indexes", include_str!("../migrations/postgres/0003_read_indexes.sql")),
    (4, "ownership and retention", include_str!("../migrations/postgres/0004_ownership_retention.sql")),
    (5, "access", include_str!("../migrations/postgres/0005_access.sql")),
    (6, "audit", include_str!("../migrations/postgres/0006_audit.sql")),
    (7, "single sign-on", include_str!("../migrations/postgres/0007_single_sign_on.sql")),
    (8, "open duty order", include_str!("../migrations/postgres/0008_open_duty_order.sql")),
    (9, "prompts and deadline source", include_str!("../migrations/postgres/0009_prompts_and_deadline_source.sql")),
    (10, "retention reviews", include_str!("../migrations/postgres/0010_retention_reviews.sql")),
    (11, "profiles", include_str!("../migrations/postgres/0011_profiles.sql")),
];

impl Db {
    /// Connects to `sqlite://PATH` or `postgres://…`. SQLite files are created if missing.
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
            Ok(Db::Pg(pool))
        } else {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // 64 MiB of page cache per connection (the default is 2 MiB).
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory");
            // Several connections: readers run beside the one writer (WAL).
            // Every write transaction starts with BEGIN IMMEDIATE (see
            // `begin_statement`), so writers queue on the lock (busy_timeout)
            // instead of failing when one upgrades from reading.
            let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
            Ok(Db::Sqlite(pool))
        }
    }

    /// Applies the embedded migrations. On PostgreSQL an advisory lock lets
    /// several instances start together.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(p) => migrations(SQLITE).run(p).await,
            Db::Pg(p) => migrations(POSTGRES).run(p).await,
        }
    }

    /// How write transactions start. SQLite takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a transaction that reads then writes never
    /// fails on a lock another connection took in between.
    pub fn begin_statement(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "BEGIN IMMEDIATE",
            Db::Pg(_) => "BEGIN",
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Pg(_) => "postgres",
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        with_db!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))
    }

    pub async fn close(&self) {
        with_db!(self, p => p.close().await)
    }
}
