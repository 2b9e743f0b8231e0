//! Homeward's storage.
//!
//! Every fact is an event in an append-only log per child; nothing is updated
//! in place. After every write the engine re-evaluates that child, and its
//! duties and episodes are stored as projections for fast reads. The next
//! instant at which any of its duties changes state is a durable timer.
//!
//! Time always comes from the caller (the service's clock), never from the
//! database, and is stored as whole seconds since the Unix epoch.

mod access;
mod accounts;
mod audit;
pub mod db;
mod error;
mod model;
mod notifications;
mod profiles;
mod retention;
pub mod sql;
mod sso;
mod timers;

pub use access::{AccessGrant, Involvement, NewInvolvement, Visibility};
pub use accounts::{Agency, Identity, NewAgency, NewUser, SessionRow, TokenRow, User};
pub use audit::{AUDIT_GENESIS, AuditEntry, AuditRecord, AuditVerification, BrokenLink, DEFAULT_AUDIT_RETENTION_DAYS};
pub use db::Db;
pub use error::StoreError;
pub use model::*;
pub use notifications::{
    Delivery, DeliveryRecord, Escalated, MAX_ATTEMPTS, NewNotification, NotificationFilter, NotificationRecord, Notifier, Silent, Target, ack_due, backoff,
};
pub use profiles::{Associate, Link, LinkKind, NewAssociate, NewPhoto, NewPlace, PhotoMeta, Place, ProfileVersion, changed_fields};
pub use queries::EpisodeFacts;
pub use retention::{Deletion, DeletionFilter, NationalAlert, NewNationalAlert, RetentionDecision, RetentionReview, ReviewFilter};
pub use sso::{PendingSsoLogin, SsoLink};
pub use timers::{Claimed, Gauges};

use homeward_core::engine::Replay;
use homeward_core::{Options, Registry, scenario};
use jiff::Timestamp;
use serde_json::{Value, json};
use sql::{Param, Sql};
use std::sync::Arc;

/// Who is writing: every row records it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: String,
    pub agency: String,
}

#[derive(Clone)]
pub struct Store {
    db: Db,
    registry: Arc<Registry>,
    notifier: Arc<dyn Notifier>,
}

pub(crate) fn secs(t: Timestamp) -> i64 {
    t.as_second()
}

pub(crate) fn instant(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Rows per multi-row INSERT: well under SQLite's 32,766 bound parameters.
#[doc(hidden)]
pub const INSERT_CHUNK: usize = 200;

const LOCK_CHILD_PG: &str = "SELECT id FROM children WHERE id = $1 FOR UPDATE";

impl Store {
    /// A store that tells nobody when duties reach a stage; see [`Store::with_notifier`].
    pub fn new(db: Db, registry: Arc<Registry>) -> Store {
        Store { db, registry, notifier: Arc::new(Silent) }
    }

    /// The same store, deciding with `notifier` whom to tell when a duty
    /// reaches a stage (the messages are written in the same transaction).
    pub fn with_notifier(&self, notifier: Arc<dyn Notifier>) -> Store {
        Store { db: self.db.clone(), registry: self.registry.clone(), notifier }
    }

    pub fn notifier(&self) -> &dyn Notifier {
        self.notifier.as_ref()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    // ------------------------------------------------------------ children

    /// Creates a child after checking every field with the engine's own rules.
    /// Unless `allow_duplicate`, a child with the same family name, date of
    /// birth and responsible authority is refused, naming the existing record.
    pub async fn create_child(
        &self,
        new: &NewChild,
        actor: &Actor,
        now: Timestamp,
        allow_duplicate: bool,
        visible: Option<&Visibility>,
    ) -> Result<Child, StoreError> {
        if new.given_name.trim().is_empty() {
            return Err(StoreError::invalid("given_name", "is required"));
        }
        if new.family_name.trim().is_empty() {
            return Err(StoreError::invalid("family_name", "is required"));
        }
        for (field, value, max) in [("given_name", Some(&new.given_name), 100), ("family_name", Some(&new.family_name), 100)].into_iter().chain([
            ("allocated_worker", new.allocated_worker.as_ref(), 200),
            ("team", new.team.as_ref(), 200),
            ("photo_ref", new.photo_ref.as_ref(), 500),
        ]) {
            if let Some(value) = value {
                homeward_core::text::one_line(value, max).map_err(|m| StoreError::invalid(field, m))?;
            }
        }
        let living_in = new.living_in.as_deref().unwrap_or(&new.responsible_authority);
        for (field, authority) in [("responsible_authority", new.responsible_authority.as_str()), ("living_in", living_in)] {
            if !self.registry.knows_authority(authority) {
                return Err(StoreError::invalid(
                    field,
                    format!(
                        "'{authority}' is not a local authority of England or Wales (ids are names in lower case with hyphens: 'bath-and-north-east-somerset')"
                    ),
                ));
            }
        }
        check_date_of_birth(&new.date_of_birth, now)?;
        let child_json = json!({
            "id": "new",
            "date_of_birth": new.date_of_birth,
            "status": new.status,
            "responsible_authority": new.responsible_authority,
            "living_in": new.living_in.clone().unwrap_or_else(|| new.responsible_authority.clone()),
            "flags": new.flags,
        });
        let probe = json!({"now": now.to_string(), "children": [child_json], "events": []});
        scenario::parse(&probe.to_string()).map_err(|e| {
            let field = e.path.strip_prefix("children[0].").unwrap_or(&e.path).to_string();
            StoreError::invalid(&field, &e.message)
        })?;
        if !allow_duplicate {
            let matches = self.find_matches(&new.family_name, &new.date_of_birth, Some(&new.responsible_authority), visible).await?;
            if !matches.is_empty() {
                return Err(StoreError::Duplicate(matches.into_iter().map(|c| c.id).collect()));
            }
        }
        let id = uuid::Uuid::now_v7().to_string();
        let living_in = new.living_in.clone().unwrap_or_else(|| new.responsible_authority.clone());
        let flags = serde_json::to_string(&new.flags).map_err(|e| StoreError::Internal(e.to_string()))?;
        with_db!(&self.db, p => {
            sqlx::query(
                "INSERT INTO children (id, given_name, family_name, date_of_birth, status, responsible_authority, living_in, flags, allocated_worker, team, photo_ref, created_at, created_by, created_agency) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(&id)
            .bind(new.given_name.trim())
            .bind(new.family_name.trim())
            .bind(&new.date_of_birth)
            .bind(&new.status)
            .bind(&new.responsible_authority)
            .bind(&living_in)
            .bind(&flags)
            .bind(&new.allocated_worker)
            .bind(&new.team)
            .bind(&new.photo_ref)
            .bind(secs(now))
            .bind(&actor.user)
            .bind(&actor.agency)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        self.child(&id).await?.ok_or(StoreError::NotFound("child"))
    }

    pub async fn child(&self, id: &str) -> Result<Option<Child>, StoreError> {
        let row: Option<Child> = with_db!(&self.db, p => {
            sqlx::query_as(concat!("SELECT ", crate::child_columns!(), " FROM children WHERE id = $1"))
                .bind(id)
                .fetch_optional(p)
                .await
        })?;
        Ok(row)
    }

    /// Children whose family name (any case) and date of birth match, in an
    /// authority if given, among those `visible` allows: the duplicate check
    /// before a new record.
    pub async fn find_matches(
        &self,
        family_name: &str,
        date_of_birth: &str,
        authority: Option<&str>,
        visible: Option<&Visibility>,
    ) -> Result<Vec<Child>, StoreError> {
        self.search_children(family_name, Some(date_of_birth), authority, visible).await
    }

    /// Children with this family name (any case), and this date of birth
    /// and authority (responsible or host) when given, among those visible:
    /// finding a child before reporting them, so as not to make a second record.
    pub async fn search_children(
        &self,
        family_name: &str,
        date_of_birth: Option<&str>,
        authority: Option<&str>,
        visible: Option<&Visibility>,
    ) -> Result<Vec<Child>, StoreError> {
        let mut sql = Sql::new(concat!("SELECT ", crate::child_columns!(), " FROM children c WHERE LOWER(c.family_name) = LOWER("));
        sql.param(Param::Text(family_name.trim().to_string()));
        sql.text(")");
        if let Some(dob) = date_of_birth {
            sql.text(" AND c.date_of_birth = ");
            sql.param(Param::Text(dob.to_string()));
        }
        if let Some(a) = authority {
            sql.text(" AND (c.responsible_authority = ");
            sql.param(Param::Text(a.to_string()));
            sql.text(" OR c.living_in = ");
            sql.param(Param::Text(a.to_string()));
            sql.text(")");
        }
        if let Some(v) = visible {
            sql.text(" AND ");
            v.push(&mut sql);
        }
        sql.text(" ORDER BY c.given_name, c.id LIMIT 200");
        let (text, params) = sql.parts();
        let rows: Vec<Child> = with_db!(&self.db, p => {
            crate::bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(text.clone())), params).fetch_all(p).await
        })?;
        Ok(rows)
    }

    pub async fn children(&self, filter: &ChildFilter) -> Result<Vec<Child>, StoreError> {
        let mut sql = Sql::new(concat!("SELECT ", crate::child_columns!(), " FROM children c WHERE 1 = 1"));
        if let Some(a) = &filter.authority {
            sql.text(" AND (c.responsible_authority = ");
            sql.param(Param::Text(a.clone()));
            sql.text(" OR c.living_in = ");
            sql.param(Param::Text(a.clone()));
            sql.text(")");
        }
        if !filter.ids.is_empty() {
            sql.text(" AND c.id IN (");
            for (i, id) in filter.ids.iter().enumerate() {
                if i > 0 {
                    sql.text(", ");
                }
                sql.param(Param::Text(id.clone()));
            }
            sql.text(")");
        }
        if let Some((agency, now)) = &filter.placed_with {
            sql.text(" AND c.id IN (SELECT i.child_id FROM involvements i WHERE i.relation = 'placement' AND i.agency_id = ");
            sql.param(Param::Text(agency.clone()));
            sql.text(" AND i.started_at <= ");
            sql.param(Param::Int(*now));
            sql.text(" AND (i.ended_at IS NULL OR i.ended_at > ");
            sql.param(Param::Int(*now));
            sql.text("))");
        }
        if let Some(v) = &filter.visible {
            sql.text(" AND ");
            v.push(&mut sql);
        }
        sql.text(" ORDER BY c.family_name, c.given_name, c.id LIMIT ");
        sql.param(Param::Int(filter.limit));
        sql.text(" OFFSET ");
        sql.param(Param::Int(filter.offset));
        let (text, params) = sql.parts();
        let rows: Vec<Child> = with_db!(&self.db, p => {
            crate::bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(text.clone())), params).fetch_all(p).await
        })?;
        Ok(rows)
    }

    // ------------------------------------------------------------ events

    /// The child's recorded events in order, with who recorded them.
    pub async fn events(&self, child_id: &str) -> Result<Vec<EventRecord>, StoreError> {
        let rows: Vec<EventRecord> = with_db!(&self.db, p => {
            sqlx::query_as(concat!("SELECT ", crate::event_columns!(), " FROM events WHERE child_id = $1 ORDER BY seq"))
                .bind(child_id)
                .fetch_all(p)
                .await
        })?;
        Ok(rows)
    }

    /// Records one event for a child: checked with the whole history by the
    /// engine (a bad field is named, nothing is written), appended, and the
    /// child re-evaluated, all in one transaction. A repeated idempotency key
    /// returns the first recording and writes nothing.
    pub async fn record_event(&self, child_id: &str, body: Value, actor: &Actor, now: Timestamp, options: RecordOptions) -> Result<Recorded, StoreError> {
        let Value::Object(mut body) = body else {
            return Err(StoreError::invalid("", "the event must be a JSON object"));
        };
        if let Some(key) = &options.idempotency_key {
            if let Some(existing) = self.event_by_key(key).await? {
                if existing.child_id != child_id {
                    return Err(StoreError::Conflict("this idempotency key was used for another child".into()));
                }
                let duties = self.duties(&DutyFilter { child: Some(child_id.to_string()), ..DutyFilter::default() }, now).await?;
                return Ok(Recorded { event: existing, duties, created: false });
            }
        }
        body.insert("child".into(), Value::String(child_id.to_string()));
        body.remove("recorded_by");
        let store = self.clone();
        let child_id = child_id.to_string();
        let actor = actor.clone();
        let id = with_db!(&self.db, p => {
            let mut tx = p.begin_with(store.db.begin_statement()).await?;
            let child = crate::lock_child!(tx, store, &child_id);
            let child = child.ok_or(StoreError::NotFound("child"))?;
            let history = crate::child_history!(tx, &child_id);
            if let Some(old) = &options.supersedes {
                if !history.iter().any(|e| &e.id == old) {
                    return Err(StoreError::invalid("supersedes", "is not an event of this child"));
                }
            }
            let mut bodies = effective_bodies(&history, options.supersedes.as_deref());
            let new_index = bodies.len();
            bodies.push(Value::Object(body.clone()));
            let evaluated = store.evaluate_bodies(&child, bodies, now, Some((new_index, &history)))?;
            let event_type = body.get("type").and_then(|v| v.as_str()).unwrap_or_default().to_string();
            if matches!(event_type.as_str(), "duty_done" | "exception" | "prompt_considered") {
                // Marking done or excepting a duty the child does not have would be
                // recorded and then silently ignored by the engine.
                let duty = body.get("duty").and_then(|v| v.as_str()).unwrap_or_default();
                if !evaluated.replay.duties.iter().any(|d| d.id == duty) {
                    return Err(StoreError::invalid("duty", format!("'{duty}' is not a duty of this child (duty ids are listed with the child's duties)")));
                }
            }
            let at = body.get("at").and_then(|v| v.as_str()).and_then(|s| s.parse::<Timestamp>().ok()).map(secs).unwrap_or(0);
            let episode = body.get("episode").and_then(|v| v.as_str()).map(str::to_string);
            let id = uuid::Uuid::now_v7().to_string();
            let text = Value::Object(body).to_string();
            sqlx::query(
                "INSERT INTO events (id, child_id, episode, type, at, body, recorded_by, agency, recorded_at, supersedes, idempotency_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&id).bind(&child_id).bind(&episode).bind(&event_type).bind(at).bind(&text)
            .bind(&actor.user).bind(&actor.agency).bind(secs(now)).bind(&options.supersedes).bind(&options.idempotency_key)
            .execute(&mut *tx)
            .await?;
            store_projection!(tx, &child_id, &evaluated, now);
            let fired_by = format!("event by {}", actor.user);
            raise_alerts!(tx, store, &child, &evaluated, now, &fired_by);
            tx.commit().await?;
            Ok::<String, StoreError>(id)
        })?;
        let event = self.event(&id).await?.ok_or(StoreError::NotFound("event"))?;
        let duties = self.duties(&DutyFilter { child: Some(child_id.clone()), ..DutyFilter::default() }, now).await?;
        Ok(Recorded { event, duties, created: true })
    }

    /// Records many events for one child at once (loading a history from
    /// another system, demo data): the whole history is checked by the engine
    /// (an error names `events[i]` of this list and its field; nothing is
    /// written), the events appended, and the child evaluated once, all in one
    /// transaction. Returns how many events were recorded.
    pub async fn record_history(&self, child_id: &str, events: Vec<Value>, actor: &Actor, now: Timestamp) -> Result<usize, StoreError> {
        let store = self.clone();
        let child_id = child_id.to_string();
        let actor = actor.clone();
        let mut bodies_in = Vec::with_capacity(events.len());
        for (i, e) in events.into_iter().enumerate() {
            let Value::Object(mut body) = e else {
                return Err(StoreError::invalid(&format!("events[{i}]"), "an event must be a JSON object"));
            };
            body.insert("child".into(), Value::String(child_id.clone()));
            body.remove("recorded_by");
            bodies_in.push(body);
        }
        let count = bodies_in.len();
        with_db!(&self.db, p => {
            let mut tx = p.begin_with(store.db.begin_statement()).await?;
            let child = crate::lock_child!(tx, store, &child_id);
            let child = child.ok_or(StoreError::NotFound("child"))?;
            let history = crate::child_history!(tx, &child_id);
            let mut bodies = effective_bodies(&history, None);
            let offset = bodies.len();
            bodies.extend(bodies_in.iter().cloned().map(Value::Object));
            // No "new event" to blame: errors keep the scenario's own path, events[i].field.
            let evaluated = store.evaluate_bodies(&child, bodies, now, Some((usize::MAX, &[]))).map_err(|e| shift_error(e, offset))?;
            for body in bodies_in {
                let event_type = body.get("type").and_then(|v| v.as_str()).unwrap_or_default().to_string();
                let at = body.get("at").and_then(|v| v.as_str()).and_then(|s| s.parse::<Timestamp>().ok()).map(secs).unwrap_or(0);
                let episode = body.get("episode").and_then(|v| v.as_str()).map(str::to_string);
                sqlx::query(
                    "INSERT INTO events (id, child_id, episode, type, at, body, recorded_by, agency, recorded_at, supersedes, idempotency_key) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL)",
                )
                .bind(uuid::Uuid::now_v7().to_string()).bind(&child_id).bind(&episode).bind(&event_type).bind(at).bind(Value::Object(body).to_string())
                .bind(&actor.user).bind(&actor.agency).bind(secs(now))
                .execute(&mut *tx)
                .await?;
            }
            store_projection!(tx, &child_id, &evaluated, now);
            let fired_by = format!("history by {}", actor.user);
            raise_alerts!(tx, store, &child, &evaluated, now, &fired_by);
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(count)
    }

    /// Checks an event against the child's history exactly as `record_event`
    /// would, and writes nothing (for dry runs).
    pub async fn check_event(&self, child_id: &str, body: Value, now: Timestamp) -> Result<(), StoreError> {
        let Value::Object(mut body) = body else {
            return Err(StoreError::invalid("", "the event must be a JSON object"));
        };
        body.insert("child".into(), Value::String(child_id.to_string()));
        let child = self.child(child_id).await?.ok_or(StoreError::NotFound("child"))?;
        let history = self.events(child_id).await?;
        let mut bodies = effective_bodies(&history, None);
        let new_index = bodies.len();
        bodies.push(Value::Object(body));
        self.evaluate_bodies(&child, bodies, now, Some((new_index, &history))).map(|_| ())
    }

    /// One recorded event by its id.
    pub async fn event(&self, id: &str) -> Result<Option<EventRecord>, StoreError> {
        let row: Option<EventRecord> = with_db!(&self.db, p => {
            sqlx::query_as(concat!("SELECT ", crate::event_columns!(), " FROM events WHERE id = $1")).bind(id).fetch_optional(p).await
        })?;
        Ok(row)
    }

    /// The event recorded with this idempotency key, if any.
    pub async fn event_by_key(&self, key: &str) -> Result<Option<EventRecord>, StoreError> {
        let row: Option<EventRecord> = with_db!(&self.db, p => {
            sqlx::query_as(concat!("SELECT ", crate::event_columns!(), " FROM events WHERE idempotency_key = $1"))
                .bind(key)
                .fetch_optional(p)
                .await
        })?;
        Ok(row)
    }

    /// Re-evaluates one child at `now` and stores its duties, episodes and
    /// next timer. Returns the duties that reached a stage (triggered or
    /// overdue) for the first time, which the caller acts on exactly once.
    pub async fn refresh(&self, child_id: &str, now: Timestamp, instance: &str) -> Result<Vec<Alert>, StoreError> {
        let store = self.clone();
        let child_id = child_id.to_string();
        let instance = instance.to_string();
        let alerts = with_db!(&self.db, p => {
            let mut tx = p.begin_with(store.db.begin_statement()).await?;
            let child = crate::lock_child!(tx, store, &child_id);
            let Some(child) = child else {
                sqlx::query("DELETE FROM timers WHERE child_id = $1").bind(&child_id).execute(&mut *tx).await?;
                tx.commit().await?;
                return Ok(Vec::new());
            };
            let history = crate::child_history!(tx, &child_id);
            let evaluated = store.evaluate_bodies(&child, effective_bodies(&history, None), now, None)?;
            store_projection!(tx, &child_id, &evaluated, now);
            let alerts = raise_alerts!(tx, store, &child, &evaluated, now, &instance);
            tx.commit().await?;
            Ok::<Vec<Alert>, StoreError>(alerts)
        })?;
        Ok(alerts)
    }

    /// Builds the child's scenario from stored events and runs the engine.
    /// With `new`, a validation error is reported against the new event's
    /// fields (or names the recorded event it conflicts with).
    fn evaluate_bodies(&self, child: &Child, bodies: Vec<Value>, now: Timestamp, new: Option<(usize, &[EventRecord])>) -> Result<Evaluated, StoreError> {
        let scenario = json!({"now": now.to_string(), "children": [child.scenario_json()], "events": bodies});
        let text = scenario.to_string();
        let parsed = scenario::parse(&text).and_then(|s| {
            self.registry.check_scenario(&s)?;
            Ok(s)
        });
        match parsed {
            Ok(s) => Ok(Evaluated {
                replay: homeward_core::evaluate(&self.registry, &s, Options::default()),
                episodes: s
                    .episodes
                    .iter()
                    .map(|e| {
                        let (owner_worker, owner_team, owner_since, owner_reason) = match e.owner_at(now) {
                            Some(a) => (a.worker.clone(), Some(a.team.clone()), Some(secs(a.at)), a.reason.clone()),
                            None => (child.allocated_worker.clone(), child.team.clone(), None, None),
                        };
                        EpisodeRow {
                            episode: e.id.clone(),
                            started_at: secs(e.start),
                            returned_at: e.returned_at.map(secs),
                            category: e.category_at(now).as_str().to_string(),
                            risk: e.risk_at(now).as_str().to_string(),
                            owner_worker,
                            owner_team,
                            owner_since,
                            owner_reason,
                        }
                    })
                    .collect(),
            }),
            Err(e) => Err(match new {
                Some((index, history)) => map_error(&e, index, history),
                None => StoreError::Internal(format!("stored history no longer validates: {e}")),
            }),
        }
    }
}

/// Renumbers a history error's `events[i]` to the caller's list (which
/// follows `offset` events already recorded).
fn shift_error(e: StoreError, offset: usize) -> StoreError {
    let StoreError::Invalid { field, message } = e else { return e };
    let renumbered = field
        .strip_prefix("events[")
        .and_then(|r| r.split_once(']'))
        .and_then(|(n, rest)| n.parse::<usize>().ok().map(|n| format!("events[{}]{rest}", n.saturating_sub(offset))));
    StoreError::Invalid { field: renumbered.unwrap_or(field), message }
}

/// The events that count: superseded ones (and the one `replacing` is about to supersede) left out.
fn effective_bodies(history: &[EventRecord], replacing: Option<&str>) -> Vec<Value> {
    let superseded: std::collections::HashSet<&str> = history.iter().filter_map(|e| e.supersedes.as_deref()).chain(replacing).collect();
    history.iter().filter(|e| !superseded.contains(e.id.as_str()) && e.event_type != "retraction").filter_map(|e| serde_json::from_str(&e.body).ok()).collect()
}

fn map_error(e: &scenario::ScenarioError, new_index: usize, history: &[EventRecord]) -> StoreError {
    let prefix = format!("events[{new_index}]");
    if let Some(rest) = e.path.strip_prefix(&prefix) {
        return StoreError::invalid(rest.trim_start_matches('.'), &e.message);
    }
    // The new event made a recorded one invalid (e.g. a return before a
    // recorded regrade): name the recorded event.
    let other = e.path.strip_prefix("events[").and_then(|r| r.split(']').next()).and_then(|n| n.parse::<usize>().ok());
    let effective: Vec<&EventRecord> = history.iter().collect();
    match other.and_then(|i| effective.get(i)) {
        Some(rec) => StoreError::invalid("at", format!("conflicts with recorded event {} ({} at {}): {}", rec.id, rec.event_type, instant(rec.at), e.message)),
        None => StoreError::invalid(&e.path, &e.message),
    }
}

/// Inside `$tx`: takes the child's write lock (PostgreSQL: the child's row;
/// SQLite: the transaction began IMMEDIATE) and reads the child, if it exists.
#[macro_export]
#[doc(hidden)]
macro_rules! lock_child {
    ($tx:ident, $store:expr, $child_id:expr) => {{
        let child_id: &str = $child_id;
        if matches!($store.db, $crate::Db::Pg(_)) {
            sqlx::query(LOCK_CHILD_PG).bind(child_id).execute(&mut *$tx).await?;
        }
        let child: Option<$crate::Child> =
            sqlx::query_as(concat!("SELECT ", $crate::child_columns!(), " FROM children WHERE id = $1")).bind(child_id).fetch_optional(&mut *$tx).await?;
        child
    }};
}

/// Inside `$tx`: every recorded event of the child, in recording order.
#[macro_export]
#[doc(hidden)]
macro_rules! child_history {
    ($tx:ident, $child_id:expr) => {{
        let child_id: &str = $child_id;
        let history: Vec<$crate::EventRecord> = sqlx::query_as(concat!("SELECT ", $crate::event_columns!(), " FROM events WHERE child_id = $1 ORDER BY seq"))
            .bind(child_id)
            .fetch_all(&mut *$tx)
            .await?;
        history
    }};
}

/// Records, inside `$tx`, each duty that reached a stage (triggered or
/// overdue) for the first time, and writes the notifications the store's
/// notifier asks for. Evaluates to the alerts raised.
#[macro_export]
#[doc(hidden)]
macro_rules! raise_alerts {
    ($tx:ident, $store:expr, $child:expr, $evaluated:expr, $now:expr, $fired_by:expr) => {{
        let store: &$crate::Store = &$store;
        let child: &$crate::Child = $child;
        let evaluated: &$crate::Evaluated = $evaluated;
        let now: jiff::Timestamp = $now;
        let fired_by: &str = $fired_by;
        let mut alerts = Vec::new();
        let reached: Vec<(&homeward_core::engine::Duty, &str)> = evaluated
            .replay
            .duties
            .iter()
            // Prompts are never notified nor escalated (the engine never makes
            // one due or overdue; this keeps it so whatever the state).
            .filter(|d| !d.prompt)
            .filter_map(|d| match d.state {
                homeward_core::engine::DutyState::Overdue => Some((d, "overdue")),
                homeward_core::engine::DutyState::Due => Some((d, "triggered")),
                _ => None,
            })
            .collect();
        // One statement per chunk; RETURNING names the stages reached for the first time.
        let mut first_time: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
        for chunk in reached.chunks($crate::INSERT_CHUNK) {
            let mut insert = sqlx::QueryBuilder::new("INSERT INTO duty_alerts (duty_id, stage, child_id, fired_at, fired_by) ");
            insert.push_values(chunk, |mut row, (d, stage)| {
                row.push_bind(&d.id).push_bind(*stage).push_bind(&child.id).push_bind($crate::secs(now)).push_bind(fired_by);
            });
            insert.push(" ON CONFLICT (duty_id, stage) DO NOTHING RETURNING duty_id, stage");
            let rows: Vec<(String, String)> = insert.build_query_as().fetch_all(&mut *$tx).await?;
            first_time.extend(rows);
        }
        for (d, stage) in reached {
            if first_time.contains(&(d.id.clone(), stage.to_string())) {
                let alert = $crate::Alert {
                    duty_id: d.id.clone(),
                    stage: stage.to_string(),
                    child_id: child.id.clone(),
                    episode: d.episode.clone(),
                    authority: d.authority.clone(),
                    protocol: d.protocol.clone(),
                    rule: d.rule.clone(),
                    kind: d.kind.as_str().to_string(),
                    to: d.to.clone(),
                    by: d.by.clone(),
                    what: d.what.clone(),
                    cite: d.cite.clone(),
                    triggered_at: d.triggered_at,
                    due: d.due,
                };
                let messages = store.notifier().on_alert(&alert, child);
                $crate::enqueue_notifications!($tx, messages.iter(), now);
                alerts.push(alert);
            }
        }
        alerts
    }};
}

/// Replaces the child's duty and episode projections and its timer, inside `$tx`.
#[macro_export]
macro_rules! store_projection {
    ($tx:ident, $child:expr, $replay:expr, $now:expr) => {{
        let child: &str = $child;
        let evaluated: &$crate::Evaluated = $replay;
        let replay = &evaluated.replay;
        let now: jiff::Timestamp = $now;
        sqlx::query("DELETE FROM duties WHERE child_id = $1").bind(child).execute(&mut *$tx).await?;
        // Many rows per statement: each statement is a round trip to the database.
        for chunk in replay.duties.chunks($crate::INSERT_CHUNK) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO duties (id, child_id, episode, authority, protocol, rule, kind, what, by_role, to_role, triggered_at, due, state, done_at, late, prompt, occurrence, cite, due_set_by) ",
            );
            insert.push_values(chunk, |mut row, d| {
                row.push_bind(&d.id).push_bind(child).push_bind(&d.episode).push_bind(&d.authority).push_bind(&d.protocol).push_bind(&d.rule)
                    .push_bind(d.kind.as_str()).push_bind(&d.what).push_bind(&d.by).push_bind(&d.to)
                    .push_bind($crate::secs(d.triggered_at)).push_bind($crate::secs(d.due)).push_bind(d.state.as_str())
                    .push_bind(d.done_at.map($crate::secs)).push_bind(i64::from(d.late)).push_bind(i64::from(d.prompt)).push_bind(i64::from(d.occurrence)).push_bind(&d.cite)
                    .push_bind(d.due_set_by.as_str());
            });
            insert.build().execute(&mut *$tx).await?;
        }
        let mut next: Option<i64> = None;
        for d in &replay.duties {
            if d.done_at.is_none() && d.exception.is_none() {
                for t in [d.triggered_at, d.due] {
                    if t > now {
                        let s = $crate::secs(t);
                        next = Some(next.map_or(s, |n: i64| n.min(s)));
                    }
                }
                // A due duty becomes overdue one second after its due time.
                if d.due == now {
                    let s = $crate::secs(now) + 1;
                    next = Some(next.map_or(s, |n: i64| n.min(s)));
                }
            }
        }
        sqlx::query("DELETE FROM episodes WHERE child_id = $1").bind(child).execute(&mut *$tx).await?;
        for chunk in evaluated.episodes.chunks($crate::INSERT_CHUNK) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO episodes (child_id, episode, started_at, returned_at, category, risk, owner_worker, owner_team, owner_since, owner_reason) ",
            );
            insert.push_values(chunk, |mut row, ep| {
                row.push_bind(child).push_bind(&ep.episode).push_bind(ep.started_at).push_bind(ep.returned_at).push_bind(&ep.category).push_bind(&ep.risk)
                    .push_bind(&ep.owner_worker).push_bind(&ep.owner_team).push_bind(ep.owner_since).push_bind(&ep.owner_reason);
            });
            insert.build().execute(&mut *$tx).await?;
        }
        match next {
            Some(run_at) => {
                sqlx::query(
                    "INSERT INTO timers (child_id, run_at, locked_by, locked_until, attempts) VALUES ($1, $2, NULL, NULL, 0) \
                     ON CONFLICT (child_id) DO UPDATE SET run_at = excluded.run_at, locked_by = NULL, locked_until = NULL, attempts = 0",
                )
                .bind(child).bind(run_at)
                .execute(&mut *$tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM timers WHERE child_id = $1").bind(child).execute(&mut *$tx).await?;
            }
        }
    }};
}

/// The engine's result for one child, with its episodes for the projection.
pub struct Evaluated {
    pub replay: Replay,
    pub episodes: Vec<EpisodeRow>,
}

mod queries;

/// A child's date of birth: a real date, not in the future, and within the
/// last 30 years (Homeward's records are of children and of care leavers up
/// to 25). A mistyped year such as 0000 or 2206 is refused, not stored.
fn check_date_of_birth(text: &str, now: Timestamp) -> Result<(), StoreError> {
    let field = "date_of_birth";
    let Ok(born) = text.parse::<jiff::civil::Date>() else {
        return Err(StoreError::invalid(field, "must be a date, YYYY-MM-DD"));
    };
    let today = now.to_zoned(homeward_core::calendar::london().clone()).date();
    if born > today {
        return Err(StoreError::invalid(field, format!("{born} is in the future")));
    }
    let earliest = today.saturating_sub(jiff::Span::new().years(30));
    if born < earliest {
        return Err(StoreError::invalid(field, format!("{born} is more than 30 years ago; check the year")));
    }
    Ok(())
}
