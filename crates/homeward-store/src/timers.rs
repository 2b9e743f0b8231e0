//! Durable timers: one row per child, claimed with a lease.
//!
//! PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so several instances take
//! disjoint batches; SQLite's single writer serialises the same statement. A
//! claim is a short statement plus a lease (`locked_until`), not a transaction
//! held while working: a crashed instance's timers come back when the lease ends.

use crate::{Store, StoreError, instant, secs, with_db};
use jiff::{SignedDuration, Timestamp};
use sqlx::Row;

const CLAIM_PG: &str = "UPDATE timers SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
    WHERE child_id IN (SELECT child_id FROM timers WHERE run_at <= $3 AND (locked_until IS NULL OR locked_until < $3) \
    ORDER BY run_at, child_id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING child_id, run_at";
const CLAIM_SQLITE: &str = "UPDATE timers SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
    WHERE child_id IN (SELECT child_id FROM timers WHERE run_at <= $3 AND (locked_until IS NULL OR locked_until < $3) \
    ORDER BY run_at, child_id LIMIT $4) RETURNING child_id, run_at";

/// A timer this instance holds until its lease ends.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub child_id: String,
    pub run_at: Timestamp,
}

impl Store {
    /// Claims up to `limit` timers due at `now` for `lease`.
    pub async fn claim_timers(&self, instance: &str, now: Timestamp, lease: SignedDuration, limit: i64) -> Result<Vec<Claimed>, StoreError> {
        let until = secs(now.checked_add(lease).unwrap_or(now));
        let rows = with_db!(self.db(), p => {
            let sql = if matches!(self.db(), crate::Db::Pg(_)) { CLAIM_PG } else { CLAIM_SQLITE };
            sqlx::query(sql).bind(instance).bind(until).bind(secs(now)).bind(limit).fetch_all(p).await?
                .into_iter()
                .map(|r| Ok(Claimed { child_id: r.try_get("child_id")?, run_at: instant(r.try_get("run_at")?) }))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        })?;
        Ok(rows)
    }

    /// When the earliest timer is due, if any.
    pub async fn next_timer(&self) -> Result<Option<Timestamp>, StoreError> {
        let next: Option<i64> = with_db!(self.db(), p => {
            sqlx::query_scalar("SELECT MIN(run_at) FROM timers").fetch_one(p).await
        })?;
        Ok(next.map(instant))
    }

    /// How many timers are due at `now` and not held: the timer backlog.
    pub async fn due_timers(&self, now: Timestamp) -> Result<i64, StoreError> {
        let n: i64 = with_db!(self.db(), p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM timers WHERE run_at <= $1 AND (locked_until IS NULL OR locked_until < $1)")
                .bind(secs(now))
                .fetch_one(p)
                .await
        })?;
        Ok(n)
    }

    /// How many times each duty has been acted on, for tests of "exactly once".
    pub async fn alert_count(&self) -> Result<i64, StoreError> {
        let n: i64 = with_db!(self.db(), p => sqlx::query_scalar("SELECT COUNT(*) FROM duty_alerts").fetch_one(p).await)?;
        Ok(n)
    }
}

/// Figures read at scrape time.
#[derive(Debug, Clone, Copy)]
pub struct Gauges {
    pub open_episodes: i64,
    pub overdue_duties: i64,
    pub timer_lag_seconds: i64,
    pub timers_waiting: i64,
}

impl Store {
    pub async fn gauges(&self, now: Timestamp) -> Result<Gauges, StoreError> {
        let n = secs(now);
        let (open, overdue, oldest, waiting): (i64, i64, Option<i64>, i64) = with_db!(self.db(), p => {
            let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM episodes WHERE returned_at IS NULL").fetch_one(p).await?;
            let overdue: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM duties WHERE state IN ('due', 'overdue', 'upcoming') AND triggered_at <= $1 AND due < $1")
                .bind(n).fetch_one(p).await?;
            let oldest: Option<i64> = sqlx::query_scalar("SELECT MIN(run_at) FROM timers WHERE run_at <= $1 AND (locked_until IS NULL OR locked_until < $1)")
                .bind(n).fetch_one(p).await?;
            let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM timers WHERE run_at <= $1 AND (locked_until IS NULL OR locked_until < $1)")
                .bind(n).fetch_one(p).await?;
            Ok::<_, sqlx::Error>((open, overdue, oldest, waiting))
        })?;
        Ok(Gauges { open_episodes: open, overdue_duties: overdue, timer_lag_seconds: oldest.map_or(0, |o| (n - o).max(0)), timers_waiting: waiting })
    }
}
