//! Notifications: an outbox of messages about duties, their deliveries over
//! email and webhooks, acknowledgement, and escalation when nobody
//! acknowledges in time.
//!
//! What to send is decided outside the store (a [`Notifier`], which knows the
//! partnership's inboxes); the store makes it durable and exactly-once:
//!
//! - notifications are written in the transaction that records a duty
//!   reaching a stage, keyed by (duty, stage, role, level), so a crash cannot
//!   lose one and two instances cannot make two;
//! - deliveries are claimed with a lease (`FOR UPDATE SKIP LOCKED` on
//!   PostgreSQL), retried with backoff, and marked sent only by the claimer;
//! - an unacknowledged notification past its deadline is re-sent and escalated
//!   by a conditional update inside one transaction, so exactly one instance
//!   escalates it.

use crate::{Alert, Child, Store, StoreError, instant, secs, with_db};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use sqlx::Row;

/// Decides who is told what. Pure: no I/O, so it can run inside a transaction.
pub trait Notifier: Send + Sync {
    /// The messages to send when a duty reaches a stage.
    fn on_alert(&self, alert: &Alert, child: &Child) -> Vec<NewNotification>;
    /// The message to the next person up when `waiting` was not acknowledged
    /// in time, or `None` when the role has no manager.
    fn escalate(&self, waiting: &NotificationRecord) -> Option<NewNotification>;
    /// The messages telling the child's managers that someone used
    /// break-glass access to the record. None by default.
    fn on_break_glass(&self, _child: &Child, _grant: &crate::AccessGrant, _who: &str) -> Vec<NewNotification> {
        Vec::new()
    }
    /// The roles above `role` on its escalation chain in `authority`,
    /// nearest first: whom an unacknowledged message to `role` would reach.
    /// None by default.
    fn managers_above(&self, _authority: &str, _protocol: &str, _role: &str) -> Vec<String> {
        Vec::new()
    }
}

/// A notifier that tells nobody (tools that load history, such as the demo).
pub struct Silent;

impl Notifier for Silent {
    fn on_alert(&self, _: &Alert, _: &Child) -> Vec<NewNotification> {
        Vec::new()
    }
    fn escalate(&self, _: &NotificationRecord) -> Option<NewNotification> {
        None
    }
}

/// One channel address of an inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// `email` or `webhook`.
    pub channel: String,
    /// An email address, or the webhook's URL.
    pub address: String,
}

/// A message to one role's inbox about one duty stage.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// Chosen by the notifier so that the message can link to itself; a
    /// message whose key already exists is not written, and its id unused.
    pub id: String,
    pub duty_id: String,
    pub stage: String,
    pub child_id: String,
    pub authority: String,
    pub protocol: String,
    pub role: String,
    /// 0 for the first message, 1 for its escalation to the role's manager, …
    pub level: i64,
    pub escalation_of: Option<String>,
    pub subject: String,
    pub body: String,
    /// An iCalendar object offered with meeting duties.
    pub calendar: Option<String>,
    /// How long the recipient has to acknowledge.
    pub ack_within: SignedDuration,
    /// Where it goes. Empty when the role has no inbox: it is then
    /// escalated at once.
    pub targets: Vec<Target>,
}

impl NewNotification {
    /// Unique per duty, stage, role and escalation level.
    pub fn key(&self) -> String {
        format!("{}|{}|{}|{}", self.duty_id, self.stage, self.role, self.level)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct NotificationRecord {
    pub id: String,
    pub duty_id: String,
    pub stage: String,
    pub child_id: String,
    pub authority: String,
    pub protocol: String,
    pub role: String,
    pub level: i64,
    pub escalation_of: Option<String>,
    pub subject: String,
    pub body: String,
    pub calendar: Option<String>,
    pub created_at: i64,
    pub ack_within: i64,
    pub ack_due_at: i64,
    pub settled: Option<String>,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_agency: Option<String>,
    pub escalated_at: Option<i64>,
}

#[macro_export]
#[doc(hidden)]
macro_rules! notification_columns {
    () => {
        "id, duty_id, stage, child_id, authority, protocol, role, level, escalation_of, subject, body, calendar, created_at, \
         ack_within, ack_due_at, settled, acknowledged_at, acknowledged_by, acknowledged_agency, escalated_at"
    };
}

/// A delivery this instance holds until its lease ends, with what to send.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: String,
    pub notification_id: String,
    pub round: i64,
    pub channel: String,
    pub target: String,
    pub attempts: i64,
    pub notification: NotificationRecord,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DeliveryRecord {
    pub id: String,
    pub notification_id: String,
    pub round: i64,
    pub channel: String,
    pub target: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
}

/// Which notifications to list.
#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    pub child: Option<String>,
    pub duty: Option<String>,
    pub authority: Option<String>,
    pub role: Option<String>,
    /// Only those nobody has acknowledged yet.
    pub waiting: bool,
    pub limit: Option<i64>,
    /// Only notifications about children the caller may see.
    pub visible: Option<crate::access::Visibility>,
    /// With `visible`: break-glass notices (stage `break_glass`) only about
    /// children whose access log the caller may see; none when absent.
    pub break_glass_visible: Option<crate::access::Visibility>,
}

/// What an escalation round did.
#[derive(Debug, Clone, Default)]
pub struct Escalated {
    /// Notifications re-sent because nobody acknowledged them.
    pub resent: usize,
    /// New notifications to a manager.
    pub escalated: usize,
    /// Notifications closed because their duty was done, excepted or lapsed.
    pub closed: usize,
    /// Notifications that reach nobody: no inbox for the role and no manager
    /// above it. They are retried every window; the directory must be fixed.
    pub unreachable: Vec<NotificationRecord>,
}

/// After this many failed attempts a delivery is given up as failed (and its
/// notification escalated: a message nobody can receive is never silent).
pub const MAX_ATTEMPTS: i64 = 8;

/// Backoff before attempt `attempts + 1`: 30 s, 1 min, 2 min, … capped at 1 h.
pub fn backoff(attempts: i64) -> SignedDuration {
    let exp = attempts.clamp(1, 8) - 1;
    SignedDuration::from_secs((30i64 << exp).min(3600))
}

/// Inserts notifications and their first-round deliveries inside `$tx`;
/// a key already present is skipped. Evaluates to the number inserted.
#[macro_export]
#[doc(hidden)]
macro_rules! enqueue_notifications {
    ($tx:ident, $list:expr, $now:expr) => {{
        let now: i64 = $crate::secs($now);
        let mut inserted = 0usize;
        for n in $list {
            let n: &$crate::NewNotification = n;
            let id = &n.id;
            let ack_within = n.ack_within.as_secs().max(0);
            // A message with nowhere to go is escalated at once.
            let ack_due = if n.targets.is_empty() { now } else { now + ack_within };
            let rows = sqlx::query(
                "INSERT INTO notifications (id, key, duty_id, stage, child_id, authority, protocol, role, level, escalation_of, subject, body, calendar, created_at, ack_within, ack_due_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (key) DO NOTHING",
            )
            .bind(id).bind(n.key()).bind(&n.duty_id).bind(&n.stage).bind(&n.child_id).bind(&n.authority).bind(&n.protocol)
            .bind(&n.role).bind(n.level).bind(&n.escalation_of).bind(&n.subject).bind(&n.body).bind(&n.calendar)
            .bind(now).bind(ack_within).bind(ack_due)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            if rows == 1 {
                inserted += 1;
                for t in &n.targets {
                    sqlx::query(
                        "INSERT INTO deliveries (id, notification_id, round, channel, target, state, attempts, next_attempt_at) \
                         VALUES ($1, $2, 0, $3, $4, 'pending', 0, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(uuid::Uuid::now_v7().to_string()).bind(id).bind(&t.channel).bind(&t.address).bind(now)
                    .execute(&mut *$tx)
                    .await?;
                }
            }
        }
        inserted
    }};
}

const CLAIM_PG: &str = "UPDATE deliveries SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
    WHERE id IN (SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $3 AND (locked_until IS NULL OR locked_until < $3) \
    ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING id, notification_id, round, channel, target, attempts";
const CLAIM_SQLITE: &str = "UPDATE deliveries SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
    WHERE id IN (SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $3 AND (locked_until IS NULL OR locked_until < $3) \
    ORDER BY next_attempt_at, id LIMIT $4) RETURNING id, notification_id, round, channel, target, attempts";

impl Store {
    /// Claims up to `limit` deliveries whose attempt is due, for `lease`.
    pub async fn claim_deliveries(&self, instance: &str, now: Timestamp, lease: SignedDuration, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        let until = secs(now.checked_add(lease).unwrap_or(now));
        let claimed: Vec<(String, String, i64, String, String, i64)> = with_db!(self.db(), p => {
            let sql = if matches!(self.db(), crate::Db::Pg(_)) { CLAIM_PG } else { CLAIM_SQLITE };
            sqlx::query(sql).bind(instance).bind(until).bind(secs(now)).bind(limit).fetch_all(p).await?
                .into_iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("notification_id")?, r.try_get("round")?, r.try_get("channel")?, r.try_get("target")?, r.try_get("attempts")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        })?;
        let mut out = Vec::with_capacity(claimed.len());
        for (id, notification_id, round, channel, target, attempts) in claimed {
            let notification = self.notification(&notification_id).await?.ok_or(StoreError::NotFound("notification"))?;
            out.push(Delivery { id, notification_id, round, channel, target, attempts, notification });
        }
        Ok(out)
    }

    /// Marks a claimed delivery sent. Only the instance holding the claim can.
    pub async fn delivery_sent(&self, id: &str, instance: &str, now: Timestamp) -> Result<bool, StoreError> {
        let n = with_db!(self.db(), p => {
            sqlx::query("UPDATE deliveries SET state = 'sent', sent_at = $1, locked_by = NULL, locked_until = NULL, last_error = NULL WHERE id = $2 AND locked_by = $3 AND state = 'pending'")
                .bind(secs(now)).bind(id).bind(instance).execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Records a failed attempt: retried after a backoff, or given up after
    /// [`MAX_ATTEMPTS`], when the notification is made due for escalation.
    /// Returns true when the delivery has now failed for good.
    pub async fn delivery_failed(&self, id: &str, instance: &str, attempts: i64, error: &str, now: Timestamp) -> Result<bool, StoreError> {
        let given_up = attempts >= MAX_ATTEMPTS;
        let next = secs(now.checked_add(backoff(attempts)).unwrap_or(now));
        let error: String = error.chars().take(1000).collect();
        with_db!(self.db(), p => {
            let mut tx = p.begin_with(self.db().begin_statement()).await?;
            let state = if given_up { "failed" } else { "pending" };
            let n = sqlx::query("UPDATE deliveries SET state = $1, next_attempt_at = $2, last_error = $3, locked_by = NULL, locked_until = NULL WHERE id = $4 AND locked_by = $5 AND state = 'pending'")
                .bind(state).bind(next).bind(&error).bind(id).bind(instance).execute(&mut *tx).await?.rows_affected();
            if n == 1 && given_up {
                // Nobody can receive it this way: do not wait for the acknowledgement deadline.
                sqlx::query("UPDATE notifications SET ack_due_at = $1 WHERE id = (SELECT notification_id FROM deliveries WHERE id = $2) AND settled IS NULL AND escalated_at IS NULL AND ack_due_at > $1")
                    .bind(secs(now)).bind(id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<(), sqlx::Error>(())
        })?;
        Ok(given_up)
    }

    pub async fn notification(&self, id: &str) -> Result<Option<NotificationRecord>, StoreError> {
        let row = with_db!(self.db(), p => {
            sqlx::query_as(concat!("SELECT ", crate::notification_columns!(), " FROM notifications WHERE id = $1")).bind(id).fetch_optional(p).await
        })?;
        Ok(row)
    }

    pub async fn notifications(&self, filter: &NotificationFilter) -> Result<Vec<NotificationRecord>, StoreError> {
        let limit = filter.limit.unwrap_or(500).clamp(1, 5000);
        use crate::sql::{Param, Sql};
        let mut sql = Sql::new(concat!("SELECT ", crate::notification_columns!(), " FROM notifications n WHERE 1 = 1"));
        for (column, value) in [("n.child_id", &filter.child), ("n.duty_id", &filter.duty), ("n.authority", &filter.authority), ("n.role", &filter.role)] {
            if let Some(v) = value {
                sql.text(" AND ");
                sql.text(column);
                sql.text(" = ");
                sql.param(Param::Text(v.clone()));
            }
        }
        if filter.waiting {
            sql.text(" AND n.settled IS NULL");
        }
        if let Some(v) = &filter.visible {
            sql.text(" AND EXISTS (SELECT 1 FROM children c WHERE c.id = n.child_id AND ((n.stage <> ");
            sql.param(Param::Text(homeward_access::classify::BREAK_GLASS_STAGE.to_string()));
            sql.text(" AND ");
            v.push(&mut sql);
            sql.text(")");
            if let Some(b) = &filter.break_glass_visible {
                sql.text(" OR (n.stage = ");
                sql.param(Param::Text(homeward_access::classify::BREAK_GLASS_STAGE.to_string()));
                sql.text(" AND ");
                b.push(&mut sql);
                sql.text(")");
            }
            sql.text("))");
        }
        sql.text(" ORDER BY n.created_at DESC, n.id DESC LIMIT ");
        sql.param(Param::Int(limit));
        let (text, params) = sql.parts();
        let rows = with_db!(self.db(), p => {
            crate::bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(text.clone())), params).fetch_all(p).await
        })?;
        Ok(rows)
    }

    /// Writes notifications that are not about a duty stage (break-glass
    /// notices) with their deliveries, in one transaction. Returns how many
    /// were new.
    pub async fn notify(&self, list: &[NewNotification], now: Timestamp) -> Result<usize, StoreError> {
        let inserted = with_db!(self.db(), p => {
            let mut tx = p.begin_with(self.db().begin_statement()).await?;
            let n = enqueue_notifications!(tx, list, now);
            tx.commit().await?;
            n
        });
        Ok(inserted)
    }

    pub async fn deliveries(&self, notification_id: &str) -> Result<Vec<DeliveryRecord>, StoreError> {
        let rows = with_db!(self.db(), p => {
            sqlx::query_as(
                "SELECT id, notification_id, round, channel, target, state, attempts, next_attempt_at, last_error, sent_at \
                 FROM deliveries WHERE notification_id = $1 ORDER BY round, channel, target",
            )
            .bind(notification_id)
            .fetch_all(p)
            .await
        })?;
        Ok(rows)
    }

    /// Acknowledges a notification and every other message about the same
    /// duty stage (one person picking it up is enough). Returns the
    /// notification as it now stands; acknowledging twice changes nothing.
    pub async fn acknowledge(&self, id: &str, actor: &crate::Actor, now: Timestamp) -> Result<NotificationRecord, StoreError> {
        let found = self.notification(id).await?.ok_or(StoreError::NotFound("notification"))?;
        with_db!(self.db(), p => {
            sqlx::query(
                "UPDATE notifications SET settled = 'acknowledged', acknowledged_at = $1, acknowledged_by = $2, acknowledged_agency = $3 \
                 WHERE duty_id = $4 AND stage = $5 AND settled IS NULL",
            )
            .bind(secs(now)).bind(&actor.user).bind(&actor.agency).bind(&found.duty_id).bind(&found.stage)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        self.notification(id).await?.ok_or(StoreError::NotFound("notification"))
    }

    /// One escalation round at `now`: every notification past its
    /// acknowledgement deadline is closed (its duty is no longer open),
    /// or re-sent and escalated to the role's manager. With no manager above,
    /// it is re-sent every acknowledgement window until someone acknowledges.
    pub async fn escalate_round(&self, notifier: &dyn Notifier, instance: &str, now: Timestamp, limit: i64) -> Result<Escalated, StoreError> {
        let n = secs(now);
        let waiting: Vec<NotificationRecord> = with_db!(self.db(), p => {
            sqlx::query_as(concat!(
                "SELECT ", crate::notification_columns!(), " FROM notifications WHERE settled IS NULL AND escalated_at IS NULL AND ack_due_at <= $1 \
                 ORDER BY ack_due_at, id LIMIT $2"
            ))
            .bind(n).bind(limit)
            .fetch_all(p)
            .await
        })?;
        let mut done = Escalated::default();
        for w in waiting {
            let next = notifier.escalate(&w);
            with_db!(self.db(), p => {
                let mut tx = p.begin_with(self.db().begin_statement()).await?;
                let duty_state: Option<String> = sqlx::query_scalar("SELECT state FROM duties WHERE id = $1")
                    .bind(&w.duty_id).fetch_optional(&mut *tx).await?;
                let open = matches!(duty_state.as_deref(), Some("due" | "overdue" | "upcoming"));
                if !open {
                    let closed = sqlx::query("UPDATE notifications SET settled = 'duty_closed' WHERE id = $1 AND settled IS NULL AND escalated_at IS NULL AND ack_due_at = $2")
                        .bind(&w.id).bind(w.ack_due_at).execute(&mut *tx).await?.rows_affected();
                    tx.commit().await?;
                    done.closed += closed as usize;
                    continue;
                }
                // The conditional update is the claim: whoever changes the row acts.
                let claimed = if next.is_some() {
                    sqlx::query("UPDATE notifications SET escalated_at = $1, escalated_by = $2 WHERE id = $3 AND settled IS NULL AND escalated_at IS NULL AND ack_due_at = $4")
                        .bind(n).bind(instance).bind(&w.id).bind(w.ack_due_at).execute(&mut *tx).await?.rows_affected()
                } else {
                    sqlx::query("UPDATE notifications SET ack_due_at = $1 WHERE id = $2 AND settled IS NULL AND escalated_at IS NULL AND ack_due_at = $3")
                        .bind(n + w.ack_within.max(60)).bind(&w.id).bind(w.ack_due_at).execute(&mut *tx).await?.rows_affected()
                };
                if claimed == 0 {
                    tx.commit().await?;
                    continue;
                }
                let targets: Vec<(String, String)> = sqlx::query_as("SELECT channel, target FROM deliveries WHERE notification_id = $1 AND round = 0")
                    .bind(&w.id).fetch_all(&mut *tx).await?;
                let round: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(round), 0) FROM deliveries WHERE notification_id = $1")
                    .bind(&w.id).fetch_one(&mut *tx).await?;
                for (channel, target) in &targets {
                    sqlx::query(
                        "INSERT INTO deliveries (id, notification_id, round, channel, target, state, attempts, next_attempt_at) \
                         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6)",
                    )
                    .bind(uuid::Uuid::now_v7().to_string()).bind(&w.id).bind(round + 1).bind(channel).bind(target).bind(n)
                    .execute(&mut *tx).await?;
                }
                if !targets.is_empty() {
                    done.resent += 1;
                }
                if targets.is_empty() && next.is_none() {
                    done.unreachable.push(w.clone());
                }
                if let Some(next) = &next {
                    done.escalated += crate::enqueue_notifications!(tx, std::iter::once(next), now);
                }
                tx.commit().await?;
                Ok::<(), StoreError>(())
            })?;
        }
        Ok(done)
    }

    /// Figures for `/metrics`: deliveries given up, and notifications past
    /// their acknowledgement deadline.
    pub async fn notification_gauges(&self, now: Timestamp) -> Result<(i64, i64), StoreError> {
        let n = secs(now);
        let out = with_db!(self.db(), p => {
            let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE state = 'failed'").fetch_one(p).await?;
            let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE settled IS NULL AND ack_due_at <= $1").bind(n).fetch_one(p).await?;
            Ok::<_, sqlx::Error>((failed, waiting))
        })?;
        Ok(out)
    }
}

/// When a notification must be acknowledged by, as an instant.
pub fn ack_due(n: &NotificationRecord) -> Timestamp {
    instant(n.ack_due_at)
}
