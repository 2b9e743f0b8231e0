//! One audit entry for every API request: who (user, agency, role), what
//! (operation, record, field classes), the policy rule that allowed or
//! refused it, the outcome, from where, and the request id.
//!
//! The middleware puts an [`AuditSlot`] in the request; authentication fills
//! in who is calling and handlers add the record, the classes disclosed or
//! written, and the deciding rule. When the response is ready the entry is
//! appended to the tamper-evident log. If that write fails the response is
//! withheld (503): nothing is disclosed without a trace.
//!
//! Entries are committed in groups ([`AuditWriter`]): concurrent requests
//! hand their entries to one writer task, which appends whatever is waiting
//! in one transaction and then releases every request in the group. Each
//! response still waits for its own entry to be committed, but the chain's
//! head is locked once per group instead of once per request, and requests
//! do not hold database connections while they queue for it.

use crate::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use homeward_store::{AuditEntry, Identity, Store};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, Default)]
struct Draft {
    entry: AuditEntry,
}

/// The entry being built for the current request.
#[derive(Debug, Clone, Default)]
pub struct AuditSlot(Arc<Mutex<Draft>>);

impl AuditSlot {
    fn with(&self, f: impl FnOnce(&mut AuditEntry)) {
        // A poisoned lock only means another part of this request panicked;
        // the entry is still worth writing.
        let mut draft = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut draft.entry);
    }

    pub fn set_who(&self, identity: &Identity) {
        self.with(|e| {
            e.user_id = Some(identity.user.id.clone());
            e.agency = Some(identity.agency.id.clone());
            e.role = Some(identity.user.role.clone());
        });
    }

    /// Names the user for requests made before they are authenticated (login).
    pub fn set_attempted_user(&self, username: &str) {
        self.with(|e| {
            if e.user_id.is_none() {
                e.user_id = Some(format!("username:{username}"));
            }
        });
    }

    pub fn set_action(&self, action: &str) {
        self.with(|e| e.action = action.to_string());
    }

    pub fn set_record(&self, record_type: &str, record_id: &str) {
        self.with(|e| {
            e.record_type = Some(record_type.to_string());
            e.record_id = Some(record_id.to_string());
        });
    }

    /// Adds a field class disclosed or written, and the rule that allowed
    /// it (the first rule given is the one recorded; refusals override).
    pub fn add_class(&self, class: &str, rule: &str) {
        self.with(|e| {
            if !e.fields.iter().any(|f| f == class) {
                e.fields.push(class.to_string());
            }
            if e.rule.is_none() {
                e.rule = Some(rule.to_string());
            }
        });
    }

    pub fn refused(&self, class: &str, rule: &str) {
        self.with(|e| {
            if !e.fields.iter().any(|f| f == class) {
                e.fields.push(class.to_string());
            }
            e.rule = Some(rule.to_string());
        });
    }

    /// The client's address, when the server knows it.
    pub fn source(&self) -> Option<String> {
        let draft = self.0.lock().unwrap_or_else(|p| p.into_inner());
        draft.entry.source.clone()
    }

    pub fn set_break_glass(&self) {
        self.with(|e| e.break_glass = true);
    }

    /// The entry as built so far (for callers outside HTTP, such as the CLI).
    pub fn entry(&self) -> AuditEntry {
        let draft = self.0.lock().unwrap_or_else(|p| p.into_inner());
        draft.entry.clone()
    }

    /// A slot for work done outside an HTTP request.
    pub fn local(operation: &str) -> AuditSlot {
        let slot = AuditSlot::default();
        slot.with(|e| {
            e.operation = operation.to_string();
            e.action = "write".to_string();
            e.source = Some("local".to_string());
        });
        slot
    }

    fn take(&self) -> AuditEntry {
        let mut draft = self.0.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut draft.entry)
    }
}

/// Entries waiting for the writer, each with the request waiting for it.
type Waiting = (AuditEntry, oneshot::Sender<Result<(), String>>);

/// Most entries appended in one transaction.
const GROUP: usize = 256;

/// One task that appends audit entries in groups (see the module's notes).
#[derive(Clone)]
pub struct AuditWriter {
    queue: mpsc::Sender<Waiting>,
}

impl AuditWriter {
    /// Starts the writer task on the current runtime.
    pub fn start(store: Store) -> AuditWriter {
        let (queue, mut waiting) = mpsc::channel::<Waiting>(4 * GROUP);
        tokio::spawn(async move {
            while let Some(first) = waiting.recv().await {
                let mut group = vec![first];
                while group.len() < GROUP {
                    match waiting.try_recv() {
                        Ok(next) => group.push(next),
                        Err(_) => break,
                    }
                }
                let entries: Vec<AuditEntry> = group.iter().map(|(e, _)| e.clone()).collect();
                let result = store.audit_append_many(&entries).await.map_err(|e| e.to_string());
                for (_, reply) in group {
                    let _ = reply.send(result.clone());
                }
            }
        });
        AuditWriter { queue }
    }

    /// Returns once `entry` is committed to the log.
    pub async fn append(&self, entry: AuditEntry) -> Result<(), String> {
        let (reply, committed) = oneshot::channel();
        self.queue.send((entry, reply)).await.map_err(|_| "the audit writer has stopped".to_string())?;
        committed.await.map_err(|_| "the audit writer has stopped".to_string())?
    }
}

fn outcome(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200..=399 => "allowed",
        401 | 403 | 404 => "denied",
        400..=499 => "failed",
        _ => "error",
    }
}

/// Whether requests to `path` are audited: the API, the pages and logging
/// in; everything but the operational endpoints (health, metrics, the
/// OpenAPI document) and the stylesheet, which disclose nothing about anyone.
pub fn audited(path: &str) -> bool {
    !matches!(path, "/healthz" | "/readyz" | "/metrics" | "/api/openapi.json") && !path.starts_with("/static/")
}

/// The middleware: one entry per audited request (see [`audited`]).
pub async fn record(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if !audited(request.uri().path()) {
        return next.run(request).await;
    }
    let slot = AuditSlot::default();
    let operation = format!(
        "{} {}",
        request.method(),
        request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| request.uri().path().to_string())
    );
    let action = if matches!(*request.method(), Method::GET | Method::HEAD) { "read" } else { "write" };
    let source = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    slot.set_action(action);
    slot.with(|e| e.source = source);
    request.extensions_mut().insert(slot.clone());

    let response = next.run(request).await;

    let mut entry = slot.take();
    entry.at = state.clock.now().as_second();
    entry.operation = operation;
    entry.status = response.status().as_u16();
    entry.outcome = outcome(response.status()).to_string();
    entry.request_id = request_id;
    if entry.outcome != "allowed" && entry.rule.is_none() && response.status() == StatusCode::NOT_FOUND && entry.record_id.is_some() {
        entry.rule = Some(homeward_access::DEFAULT_DENY.to_string());
    }
    let writer = state.audit_writer.get_or_init(|| AuditWriter::start(state.store.clone()));
    match writer.append(entry).await {
        Ok(()) => response,
        Err(e) => {
            tracing::error!(error = %e, "could not write the audit entry; the response is withheld");
            crate::error::ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "internal", "the audit log is unavailable; nothing was disclosed", None)
                .into_response()
        }
    }
}
