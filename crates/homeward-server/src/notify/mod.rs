//! Notifications: each duty's "who is told" becomes a message to a role's
//! inbox, delivered by email and signed webhooks, acknowledged by a person,
//! and escalated up the protocol's manager chain when nobody acknowledges.
//!
//! The store keeps the outbox (written in the same transaction as the duty
//! reaching its stage); this module decides what to send ([`plan`]) and
//! sends it ([`email`], [`webhook`]) from a loop that any number of
//! instances may run at once.

pub mod addressee;
pub mod break_glass;
pub mod directory;
pub mod email;
pub mod ics;
pub mod plan;
pub mod webhook;

pub use directory::{Directory, DirectoryError};
pub use email::Mailer;
pub use plan::Planner;

use crate::AppState;
use homeward_store::{Delivery, StoreError};
use jiff::SignedDuration;
pub use lettre::message::Mailbox;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::watch;

/// Everything needed to deliver: the directory (for webhook secrets), the
/// mail transport and sender, and an HTTP client.
pub struct Channels {
    pub directory: Arc<Directory>,
    pub mailer: Mailer,
    pub from: Mailbox,
    pub http: reqwest::Client,
    pub public_url: String,
}

impl Channels {
    pub fn new(directory: Arc<Directory>, mailer: Mailer, from: Mailbox, public_url: impl Into<String>) -> Result<Channels, String> {
        install_crypto();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Homeward")
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Channels { directory, mailer, from, http, public_url: public_url.into() })
    }

    async fn send(&self, d: &Delivery, now: i64) -> Result<(), String> {
        match d.channel.as_str() {
            "email" => self.mailer.send(&self.from, d).await,
            "webhook" => {
                let n = &d.notification;
                let secret = self
                    .directory
                    .inbox(&n.authority, &n.role)
                    .and_then(|i| i.webhooks.iter().find(|w| w.url == d.target))
                    .map(|w| w.secret.clone())
                    .ok_or_else(|| "this webhook is no longer in the directory, so there is no secret to sign with".to_string())?;
                webhook::send(&self.http, &secret, d, &self.public_url, now).await
            }
            other => Err(format!("unknown channel {other}")),
        }
    }
}

/// rustls needs a process-wide crypto provider; ring is the one built in.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[derive(Debug, Clone)]
pub struct NotifyConfig {
    pub batch: i64,
    /// How long a claimed delivery is held before another instance may retry it.
    pub lease: SignedDuration,
    pub idle: Duration,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig { batch: 50, lease: SignedDuration::from_secs(120), idle: Duration::from_secs(1) }
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub failed_attempts: usize,
    pub given_up: usize,
    pub resent: usize,
    pub escalated: usize,
    pub closed: usize,
}

impl Round {
    fn busy(&self) -> bool {
        self.sent + self.failed_attempts + self.resent + self.escalated + self.closed > 0
    }
}

/// One round: escalate what nobody acknowledged, then deliver what is due.
/// The claimed deliveries are sent concurrently (a mail server or webhook
/// receiver answering slowly must not hold up every other message).
pub async fn tick(state: &AppState, channels: &Arc<Channels>, config: &NotifyConfig) -> Result<Round, StoreError> {
    let now = state.clock.now();
    let mut round = Round::default();
    let escalated = state.store.escalate_round(state.store.notifier(), &state.instance, now, config.batch).await?;
    round.resent = escalated.resent;
    round.escalated = escalated.escalated;
    round.closed = escalated.closed;
    for n in &escalated.unreachable {
        tracing::error!(notification = %n.id, authority = %n.authority, role = %n.role, duty = %n.duty_id,
            "a notification reaches nobody: the role has no inbox and no manager; add one to the directory");
    }
    state.metrics.escalations.fetch_add(escalated.escalated as u64, Ordering::Relaxed);
    let claimed = state.store.claim_deliveries(&state.instance, now, config.lease, config.batch).await?;
    let mut sending = tokio::task::JoinSet::new();
    for d in claimed {
        let (state, channels) = (state.clone(), channels.clone());
        sending.spawn(async move { deliver(&state, &channels, d, now.as_second()).await });
    }
    while let Some(done) = sending.join_next().await {
        match done.map_err(|e| StoreError::Internal(format!("delivery task: {e}")))?? {
            Outcome::Sent => round.sent += 1,
            Outcome::Retry => round.failed_attempts += 1,
            Outcome::GivenUp => {
                round.failed_attempts += 1;
                round.given_up += 1;
            }
        }
    }
    Ok(round)
}

enum Outcome {
    Sent,
    Retry,
    GivenUp,
}

async fn deliver(state: &AppState, channels: &Channels, d: Delivery, now: i64) -> Result<Outcome, StoreError> {
    match channels.send(&d, now).await {
        Ok(()) => {
            state.store.delivery_sent(&d.id, &state.instance, state.clock.now()).await?;
            state.metrics.deliveries_sent.fetch_add(1, Ordering::Relaxed);
            Ok(Outcome::Sent)
        }
        Err(error) => {
            state.metrics.delivery_failures.fetch_add(1, Ordering::Relaxed);
            let given_up = state.store.delivery_failed(&d.id, &state.instance, d.attempts, &error, state.clock.now()).await?;
            if given_up {
                tracing::error!(delivery = %d.id, channel = %d.channel, target = %d.target, attempts = d.attempts, error = %error,
                    "delivery failed for good; the notification is escalated");
                Ok(Outcome::GivenUp)
            } else {
                tracing::warn!(delivery = %d.id, channel = %d.channel, target = %d.target, attempts = d.attempts, error = %error, "delivery failed; will retry");
                Ok(Outcome::Retry)
            }
        }
    }
}

/// Runs until `shutdown` turns true; finishes the deliveries in hand first.
pub async fn run(state: AppState, channels: Arc<Channels>, config: NotifyConfig, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            break;
        }
        let idle = match tick(&state, &channels, &config).await {
            Ok(r) => !r.busy(),
            Err(e) => {
                state.metrics.worker_errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "notification round failed; retrying");
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
