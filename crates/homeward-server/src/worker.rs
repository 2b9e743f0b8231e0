//! The timer worker: claims children whose duties change state now,
//! re-evaluates them, and acts once on each duty that reached a stage.
//!
//! Several instances may run on one PostgreSQL database: claims never
//! overlap (SKIP LOCKED), a crashed instance's claims come back when their
//! lease ends, and the `duty_alerts` primary key makes each duty's stage act
//! exactly once whoever gets there.

use crate::AppState;
use homeward_store::{Alert, StoreError};
use jiff::SignedDuration;
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
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig { batch: 100, lease: SignedDuration::from_secs(60), idle: Duration::from_secs(1) }
    }
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
    loop {
        if *shutdown.borrow() {
            break;
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
