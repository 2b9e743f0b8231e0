//! Prometheus metrics at `/metrics`, in the text exposition format.
//!
//! Counters and the latency histogram are kept in atomics by a middleware;
//! the gauges (open episodes, overdue duties, timer lag) are read from the
//! database when scraped, so every instance reports the shared truth.

use crate::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Default)]
pub struct Metrics {
    /// By status class: 1xx..5xx.
    requests: [AtomicU64; 5],
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_micros: AtomicU64,
    pub timers_fired: AtomicU64,
    pub alerts_raised: AtomicU64,
    pub worker_errors: AtomicU64,
    pub deliveries_sent: AtomicU64,
    pub delivery_failures: AtomicU64,
    pub escalations: AtomicU64,
}

impl Metrics {
    fn observe(&self, status: u16, seconds: f64) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.requests[class].fetch_add(1, Ordering::Relaxed);
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_micros.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }
}

/// Middleware: counts every request and its latency.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let res = next.run(req).await;
    state.metrics.observe(res.status().as_u16(), start.elapsed().as_secs_f64());
    res
}

/// The metrics for a logged-in caller or API token, on the service's own
/// address (the counts say how busy the service is, which is nobody else's
/// business). `serve --metrics-listen` offers them without a login on a
/// separate, private address for a scraper ([`crate::metrics_app`]).
pub async fn render_for_caller(state: State<AppState>, _caller: crate::auth::Caller) -> Response {
    render(state).await
}

pub async fn render(State(state): State<AppState>) -> Response {
    let m = &state.metrics;
    let mut out = String::new();
    let _ = writeln!(out, "# HELP homeward_http_requests_total HTTP requests by status class.\n# TYPE homeward_http_requests_total counter");
    for (i, c) in m.requests.iter().enumerate() {
        let _ = writeln!(out, "homeward_http_requests_total{{class=\"{}xx\"}} {}", i + 1, c.load(Ordering::Relaxed));
    }
    let _ = writeln!(out, "# HELP homeward_http_request_duration_seconds Request latency.\n# TYPE homeward_http_request_duration_seconds histogram");
    for (i, le) in BUCKETS.iter().enumerate() {
        let _ = writeln!(out, "homeward_http_request_duration_seconds_bucket{{le=\"{le}\"}} {}", m.latency_buckets[i].load(Ordering::Relaxed));
    }
    let count = m.latency_count.load(Ordering::Relaxed);
    let _ = writeln!(out, "homeward_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
    let _ = writeln!(out, "homeward_http_request_duration_seconds_sum {}", m.latency_micros.load(Ordering::Relaxed) as f64 / 1e6);
    let _ = writeln!(out, "homeward_http_request_duration_seconds_count {count}");
    for (name, help, v) in [
        ("homeward_timers_fired_total", "Timers this instance claimed and processed.", &m.timers_fired),
        ("homeward_duty_alerts_total", "Duties this instance acted on (became due or overdue).", &m.alerts_raised),
        ("homeward_worker_errors_total", "Timer worker and notification rounds that failed.", &m.worker_errors),
        ("homeward_notification_deliveries_total", "Notification deliveries this instance sent.", &m.deliveries_sent),
        ("homeward_notification_delivery_failures_total", "Notification delivery attempts that failed (each is retried or escalated).", &m.delivery_failures),
        ("homeward_notification_escalations_total", "Notifications this instance escalated to a manager for want of acknowledgement.", &m.escalations),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", v.load(Ordering::Relaxed));
    }
    let now = state.clock.now();
    match state.store.gauges(now).await {
        Ok(g) => {
            for (name, help, v) in [
                ("homeward_open_episodes", "Children missing now.", g.open_episodes),
                ("homeward_overdue_duties", "Duties overdue now.", g.overdue_duties),
                ("homeward_timer_lag_seconds", "How late the oldest due timer is (0 when none is waiting).", g.timer_lag_seconds),
                ("homeward_timers_waiting", "Timers due now and not yet claimed.", g.timers_waiting),
            ] {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "metrics: gauges unavailable");
        }
    }
    match state.store.notification_gauges(now).await {
        Ok((failed, waiting)) => {
            for (name, help, v) in [
                ("homeward_notification_failures", "Deliveries given up after every retry.", failed),
                ("homeward_notifications_unacknowledged", "Notifications past their acknowledgement deadline and not yet acknowledged.", waiting),
            ] {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "metrics: notification gauges unavailable");
        }
    }
    ([("content-type", "text/plain; version=0.0.4")], out).into_response()
}
