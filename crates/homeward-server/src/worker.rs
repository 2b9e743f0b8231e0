//! The timer worker: claims children whose duties change state now,
//! re-evaluates them, and acts once on each duty that reached a stage.
//!
//! Several instances may run on one PostgreSQL database: claims never
//! overlap (SKIP LOCKED), a crashed instance's claims come back when their
//! lease ends, and the `duty_alerts` primary key makes each duty's stage act
//! exactly once whoever gets there.
//!
//! The same loop runs the retention job: every `retention_every` of the
//! application's clock, it opens a review of each record whose retention
//! period under its authority's protocol is over (a person decides whether
//! it is deleted; see `homeward_store::Store::retention_pass`), and prunes
//! audit entries older than the audit retention period (seven years by
//! default).

use crate::AppState;
use homeward_store::{Alert, RetentionReview, StoreError};
use jiff::{SignedDuration, Timestamp};
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Timers claimed per round trip.
    pub batch: i64,
    /// How long a claim is held before another instance may take it.
    pub lease: SignedDuration,
    /// Sleep when nothing is due.
    pub idle: Duration,
    /// How often (on the application's clock) the retention job runs.
    pub retention_every: SignedDuration,
    /// How long audit entries are kept; older ones are pruned by the
    /// retention job, keeping the chain verifiable from the first kept entry.
    pub audit_retention: SignedDuration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            batch: 100,
            lease: SignedDuration::from_secs(60),
            idle: Duration::from_secs(1),
            retention_every: SignedDuration::from_hours(1),
            audit_retention: SignedDuration::from_hours(24 * homeward_store::DEFAULT_AUDIT_RETENTION_DAYS),
        }
    }
}

/// One retention pass at the application clock's now: opens a review of
/// every record past its retention period (nothing is deleted without a
/// person's decision). Returns the reviews this instance opened.
pub async fn retention(state: &AppState) -> Result<Vec<RetentionReview>, StoreError> {
    retention_with(state, WorkerConfig::default().audit_retention).await
}

/// [`retention`], and audit entries older than `audit_retention` pruned.
pub async fn retention_with(state: &AppState, audit_retention: SignedDuration) -> Result<Vec<RetentionReview>, StoreError> {
    let now = state.clock.now();
    let opened = state.store.retention_pass(now, &state.instance).await?;
    for r in &opened {
        tracing::info!(record = %r.record_id, kind = %r.record_kind, authority = %r.authority, due_at = r.due_at, review_by = %r.review_by, cite = %r.cite, "retention: record due for review");
    }
    let before = now.as_second() - audit_retention.as_secs();
    let pruned = state.store.audit_prune(before).await?;
    if pruned > 0 {
        tracing::info!(entries = pruned, before, "retention: audit entries older than the audit retention period pruned");
    }
    Ok(opened)
}

/// One round: claim a batch and process it. Returns the alerts raised.
pub async fn tick(state: &AppState, config: &WorkerConfig) -> Result<(usize, Vec<Alert>), StoreError> {
    let now = state.clock.now();
    let claimed = state.store.claim_timers(&state.instance, now, config.lease, config.batch).await?;
    let mut alerts = Vec::new();
    state.metrics.timers_fired.fetch_add(claimed.len() as u64, std::sync::atomic::Ordering::Relaxed);
    for timer in &claimed {
        let raised = state.store.refresh(&timer.child_id, now, &state.instance).await?;
        for a in &raised {
            tracing::info!(duty = %a.duty_id, stage = %a.stage, to = ?a.to, by = %a.by, cite = %a.cite, "duty reached a stage");
        }
        state.metrics.alerts_raised.fetch_add(raised.len() as u64, std::sync::atomic::Ordering::Relaxed);
        alerts.extend(raised);
    }
    Ok((claimed.len(), alerts))
}

/// Runs until `shutdown` turns true; finishes the batch in hand first.
pub async fn run(state: AppState, config: WorkerConfig, mut shutdown: watch::Receiver<bool>) {
    // The first pass runs at once: a record that expired while every
    // instance was down is deleted on start.
    let mut next_retention: Option<Timestamp> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let now = state.clock.now();
        if next_retention.is_none_or(|t| now >= t) {
            match retention_with(&state, config.audit_retention).await {
                Ok(_) => next_retention = Some(now.checked_add(config.retention_every).unwrap_or(now)),
                Err(e) => {
                    state.metrics.worker_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::error!(error = %e, "retention pass failed; retrying next round");
                }
            }
        }
        let idle = match tick(&state, &config).await {
            Ok((0, _)) => true,
            Ok(_) => false,
            Err(e) => {
                state.metrics.worker_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::error!(error = %e, "timer worker round failed; retrying");
                true
            }
        };
        if idle {
            tokio::select! {
                _ = tokio::time::sleep(config.idle) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
