//! Records a protocol allows to be deleted after a time, the retention job
//! that opens their reviews, and the reviews' decisions.
//!
//! The only such record is a national alert received from another authority
//! (bolton "National alerts": "Keep the record for 3 months"). How long a
//! record is kept, and which role reviews it then, is protocol data
//! (`[[retention]]`); a record whose authority's protocol has no entry for it
//! is never deleted.
//!
//! Nothing is deleted by the clock. A retention pass, at the caller's `now`
//! (the service's clock, never the database's), opens a review for each
//! record whose period is over: one row per record and period (a primary
//! key), so passes are idempotent and several instances may run them at once
//! on PostgreSQL (candidates are taken `FOR UPDATE SKIP LOCKED`). A person
//! who answers for the entry's `review_by` role then decides
//! ([`Store::decide_retention_review`]): `delete` removes the record and, in
//! the same transaction, writes a row to `retention_deletions` naming the
//! record, the rule and protocol version and who decided (without the
//! record's personal details); `keep`, with a reason, keeps it for another
//! period, after which the pass opens a new review.
//!
//! National alerts are not engine input: deleting one changes no duty, so no
//! child is re-evaluated.

use crate::{Actor, Store, StoreError, instant, secs, with_db};
use homeward_core::vocab::{self, RetainedRecord};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A national alert received from another authority, as the receiving
/// authority records it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct NationalAlert {
    pub id: String,
    /// The authority that received it (whose protocol says how long it is kept).
    pub authority: String,
    /// The authority that sent it.
    pub from_authority: String,
    pub received_at: i64,
    /// Who is missing, as the alert names them.
    pub subject: String,
    pub date_of_birth: Option<String>,
    /// What the alert says, and what checks of local systems found.
    pub details: Option<String>,
    /// A local child the checks matched, if any.
    pub child_id: Option<String>,
    pub recorded_by: String,
    pub agency: String,
    pub recorded_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewNationalAlert {
    pub authority: String,
    pub from_authority: String,
    /// RFC 3339; not after now.
    pub received_at: String,
    pub subject: String,
    pub date_of_birth: Option<String>,
    pub details: Option<String>,
    pub child_id: Option<String>,
}

/// The record of one deletion by the retention job.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Deletion {
    /// `national_alert`.
    pub record_kind: String,
    pub record_id: String,
    pub authority: String,
    pub child_id: Option<String>,
    /// When the record was made (the start of its retention period).
    pub made_at: i64,
    /// The end of its retention period.
    pub kept_until: i64,
    pub protocol: String,
    pub protocol_version: String,
    /// The `[[retention]]` entry's id, and its citation (`bolton National alerts`).
    pub rule: String,
    pub cite: String,
    pub deleted_at: i64,
    /// Who decided, in the review, that it should be deleted.
    pub deleted_by: String,
}

/// A review of a record past its retention period: open until someone who
/// answers for `review_by` decides.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RetentionReview {
    pub record_kind: String,
    pub record_id: String,
    pub authority: String,
    /// When the record's period (or the last `keep`) ended.
    pub due_at: i64,
    /// The protocol role that decides.
    pub review_by: String,
    pub protocol: String,
    pub protocol_version: String,
    pub rule: String,
    pub cite: String,
    pub opened_at: i64,
    /// Which instance's retention job opened it.
    pub opened_by: String,
    /// `delete` or `keep`; None while open.
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    pub decided_agency: Option<String>,
}

/// A review's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionDecision {
    Delete,
    Keep,
}

impl RetentionDecision {
    pub fn parse(text: &str) -> Result<RetentionDecision, StoreError> {
        match text {
            "delete" => Ok(RetentionDecision::Delete),
            "keep" => Ok(RetentionDecision::Keep),
            other => Err(StoreError::invalid("decision", format!("'{other}' is not a decision (delete, keep)"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RetentionDecision::Delete => "delete",
            RetentionDecision::Keep => "keep",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    pub authority: Option<String>,
    /// Only reviews nobody has decided yet.
    pub open: bool,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct DeletionFilter {
    pub authority: Option<String>,
    pub child: Option<String>,
    pub limit: Option<i64>,
}

const ALERT_COLUMNS: &str = "id, authority, from_authority, received_at, subject, date_of_birth, details, child_id, recorded_by, agency, recorded_at";
const DELETION_COLUMNS: &str =
    "record_kind, record_id, authority, child_id, made_at, kept_until, protocol, protocol_version, rule, cite, deleted_at, deleted_by";
const REVIEW_COLUMNS: &str = "record_kind, record_id, authority, due_at, review_by, protocol, protocol_version, rule, cite, opened_at, opened_by, \
     decision, reason, decided_at, decided_by, decided_agency";

/// Candidates for deletion read per transaction.
const PAGE: i64 = 200;

#[derive(sqlx::FromRow)]
struct Candidate {
    id: String,
    authority: String,
    recorded_at: i64,
}

impl Store {
    /// Records a national alert received from another authority. Every field
    /// is checked (an error names it) and nothing is written on error. A
    /// repeated idempotency key returns the first recording.
    pub async fn record_national_alert(
        &self,
        new: &NewNationalAlert,
        actor: &Actor,
        now: Timestamp,
        idempotency_key: Option<&str>,
    ) -> Result<(NationalAlert, bool), StoreError> {
        if let Some(key) = idempotency_key {
            if let Some(existing) = self.national_alert_by_key(key).await? {
                return Ok((existing, false));
            }
        }
        vocab::check_id(&new.authority, "authority id").map_err(|m| StoreError::invalid("authority", m))?;
        vocab::check_id(&new.from_authority, "authority id").map_err(|m| StoreError::invalid("from_authority", m))?;
        if new.from_authority == new.authority {
            return Err(StoreError::invalid("from_authority", "a national alert comes from another authority"));
        }
        let received_at = match new.received_at.parse::<Timestamp>() {
            Ok(t) if new.received_at.contains(['T', 't', ' ']) => t,
            _ => return Err(StoreError::invalid("received_at", "not an RFC 3339 time")),
        };
        if received_at > now {
            return Err(StoreError::invalid("received_at", "is in the future"));
        }
        let subject = new.subject.trim();
        if subject.is_empty() {
            return Err(StoreError::invalid("subject", "is required (who is missing, as the alert names them)"));
        }
        if let Some(dob) = &new.date_of_birth {
            if dob.parse::<jiff::civil::Date>().is_err() {
                return Err(StoreError::invalid("date_of_birth", "not a date (YYYY-MM-DD)"));
            }
        }
        if let Some(child) = &new.child_id {
            if self.child(child).await?.is_none() {
                return Err(StoreError::invalid("child_id", "no child has this id"));
            }
        }
        let details = new.details.as_deref().map(str::trim).filter(|d| !d.is_empty());
        let id = uuid::Uuid::now_v7().to_string();
        let inserted = with_db!(self.db(), p => {
            sqlx::query(
                "INSERT INTO national_alerts (id, authority, from_authority, received_at, subject, date_of_birth, details, child_id, recorded_by, agency, recorded_at, idempotency_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(&id).bind(&new.authority).bind(&new.from_authority).bind(secs(received_at)).bind(subject)
            .bind(&new.date_of_birth).bind(details).bind(&new.child_id)
            .bind(&actor.user).bind(&actor.agency).bind(secs(now)).bind(idempotency_key)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        if inserted == 0 {
            // Another request with the same key got there first.
            let key = idempotency_key.unwrap_or_default();
            let existing = self.national_alert_by_key(key).await?.ok_or(StoreError::NotFound("national alert"))?;
            return Ok((existing, false));
        }
        let alert = self.national_alert(&id).await?.ok_or(StoreError::NotFound("national alert"))?;
        Ok((alert, true))
    }

    pub async fn national_alert(&self, id: &str) -> Result<Option<NationalAlert>, StoreError> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM national_alerts WHERE id = $1");
        let row = with_db!(self.db(), p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)?;
        Ok(row)
    }

    async fn national_alert_by_key(&self, key: &str) -> Result<Option<NationalAlert>, StoreError> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM national_alerts WHERE idempotency_key = $1");
        let row = with_db!(self.db(), p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(key).fetch_optional(p).await)?;
        Ok(row)
    }

    /// The register of national alerts received, newest first, of one authority if given.
    pub async fn national_alerts(&self, authority: Option<&str>) -> Result<Vec<NationalAlert>, StoreError> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM national_alerts WHERE (CAST($1 AS TEXT) IS NULL OR authority = $1) ORDER BY received_at DESC, id");
        let rows = with_db!(self.db(), p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(authority).fetch_all(p).await)?;
        Ok(rows)
    }

    /// What the retention job deleted, most recent first.
    pub async fn deletions(&self, f: &DeletionFilter) -> Result<Vec<Deletion>, StoreError> {
        let sql = format!(
            "SELECT {DELETION_COLUMNS} FROM retention_deletions WHERE (CAST($1 AS TEXT) IS NULL OR authority = $1) \
             AND (CAST($2 AS TEXT) IS NULL OR child_id = $2) ORDER BY deleted_at DESC, record_id LIMIT $3"
        );
        let rows = with_db!(self.db(), p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(&f.authority).bind(&f.child).bind(f.limit.unwrap_or(i64::MAX)).fetch_all(p).await
        })?;
        Ok(rows)
    }

    /// One retention pass at `now`: opens a review for every record whose
    /// retention period under its authority's protocol (or whose last
    /// `keep`) is over and that has no open review, as `instance`. Returns
    /// the reviews this call opened (those another instance opened meanwhile
    /// are not in it). Nothing is deleted here.
    pub async fn retention_pass(&self, now: Timestamp, instance: &str) -> Result<Vec<RetentionReview>, StoreError> {
        let kind = RetainedRecord::NationalAlert;
        let who = self.registry().retaining_authorities(kind);
        // Which authorities' records to look at: those of a protocol with a
        // rule for this kind, or every one no other protocol covers when the
        // national baseline has one.
        let mut scope: Vec<String> = Vec::new();
        let mut params: Vec<String> = Vec::new();
        if !who.listed.is_empty() {
            let first = params.len();
            params.extend(who.listed.iter().cloned());
            scope.push(format!("authority IN ({})", placeholders(first, who.listed.len())));
        }
        if who.baseline {
            if who.covered_elsewhere.is_empty() {
                scope.push("1 = 1".into());
            } else {
                let first = params.len();
                params.extend(who.covered_elsewhere.iter().cloned());
                scope.push(format!("authority NOT IN ({})", placeholders(first, who.covered_elsewhere.len())));
            }
        }
        if scope.is_empty() {
            return Ok(Vec::new());
        }
        // Nothing made after `cutoff` can be due under any rule: a lower bound
        // in SQL, then each candidate is checked exactly.
        let shortest = self.registry().all().iter().filter_map(|p| p.retention_for(kind)).map(|r| r.keep.at_least()).min().unwrap_or_default();
        let cutoff = secs(now.checked_sub(shortest).unwrap_or(now));
        let n = params.len();
        let lock = if matches!(self.db(), crate::Db::Pg(_)) { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "SELECT id, authority, recorded_at FROM national_alerts WHERE ({}) AND recorded_at <= ${} \
             AND (recorded_at > ${} OR (recorded_at = ${} AND id > ${})) ORDER BY recorded_at, id LIMIT ${}{lock}",
            scope.join(" OR "),
            n + 1,
            n + 2,
            n + 2,
            n + 3,
            n + 4,
        );
        let opened_by = format!("retention job on {instance}");
        let mut opened = Vec::new();
        // Keyset pages in (recorded_at, id) order, each in its own transaction.
        let mut after: (i64, String) = (i64::MIN, String::new());
        loop {
            let (page_len, last, mut done) = with_db!(self.db(), p => {
                let mut tx = p.begin_with(self.db().begin_statement()).await?;
                let mut q = sqlx::query_as::<_, Candidate>(sqlx::AssertSqlSafe(sql.clone()));
                for v in &params {
                    q = q.bind(v);
                }
                let page: Vec<Candidate> = q.bind(cutoff).bind(after.0).bind(&after.1).bind(PAGE).fetch_all(&mut *tx).await?;
                let mut done = Vec::new();
                for c in &page {
                    let made_at = instant(c.recorded_at);
                    let Some(retained) = self.registry().retention(&c.authority, kind, made_at) else { continue };
                    // The latest review: open (nothing to do), or decided `keep`
                    // (the next review is one period after that decision).
                    let latest: Option<(Option<String>, Option<i64>)> = sqlx::query_as(
                        "SELECT decision, decided_at FROM retention_reviews WHERE record_kind = $1 AND record_id = $2 ORDER BY due_at DESC LIMIT 1",
                    )
                    .bind(kind.as_str()).bind(&c.id).fetch_optional(&mut *tx).await?;
                    let due_at = match &latest {
                        Some((None, _)) => continue,
                        Some((Some(_), Some(decided))) => retained.rule.keep.after(instant(*decided)),
                        _ => retained.keep_until,
                    };
                    if due_at > now {
                        continue;
                    }
                    let r = RetentionReview {
                        record_kind: kind.as_str().to_string(),
                        record_id: c.id.clone(),
                        authority: c.authority.clone(),
                        due_at: secs(due_at),
                        review_by: retained.rule.review_by.clone(),
                        protocol: retained.protocol.id.clone(),
                        protocol_version: retained.protocol.version.clone(),
                        rule: retained.rule.id.clone(),
                        cite: retained.protocol.cite(&retained.rule.cite),
                        opened_at: secs(now),
                        opened_by: opened_by.clone(),
                        decision: None,
                        reason: None,
                        decided_at: None,
                        decided_by: None,
                        decided_agency: None,
                    };
                    let new = sqlx::query(
                        "INSERT INTO retention_reviews (record_kind, record_id, authority, due_at, review_by, protocol, protocol_version, rule, cite, opened_at, opened_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
                    )
                    .bind(&r.record_kind).bind(&r.record_id).bind(&r.authority).bind(r.due_at).bind(&r.review_by)
                    .bind(&r.protocol).bind(&r.protocol_version).bind(&r.rule).bind(&r.cite).bind(r.opened_at).bind(&r.opened_by)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if new == 1 {
                        done.push(r);
                    }
                }
                tx.commit().await?;
                let last = page.last().map(|c| (c.recorded_at, c.id.clone()));
                Ok::<_, StoreError>((page.len(), last, done))
            })?;
            opened.append(&mut done);
            match last {
                Some(last) if page_len as i64 == PAGE => after = last,
                _ => break,
            }
        }
        Ok(opened)
    }

    /// Reviews of records past their retention period, oldest first.
    pub async fn retention_reviews(&self, f: &ReviewFilter) -> Result<Vec<RetentionReview>, StoreError> {
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM retention_reviews WHERE (CAST($1 AS TEXT) IS NULL OR authority = $1) AND ($2 = 0 OR decision IS NULL) \
             ORDER BY due_at, record_id LIMIT $3"
        );
        let open = i64::from(f.open);
        Ok(with_db!(self.db(), p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(&f.authority).bind(open).bind(f.limit.unwrap_or(i64::MAX)).fetch_all(p).await
        })?)
    }

    /// The open review of a record, if there is one.
    pub async fn open_retention_review(&self, kind: RetainedRecord, record_id: &str) -> Result<Option<RetentionReview>, StoreError> {
        let sql = format!("SELECT {REVIEW_COLUMNS} FROM retention_reviews WHERE record_kind = $1 AND record_id = $2 AND decision IS NULL");
        Ok(with_db!(self.db(), p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(kind.as_str()).bind(record_id).fetch_optional(p).await
        })?)
    }

    /// Decides the open review of a record: `Delete` deletes it and records
    /// the deletion naming `actor`; `Keep` needs a reason and keeps it for
    /// another period. One transaction: the decision, the deletion and its
    /// record happen together or not at all, and a review someone else
    /// decided meanwhile is a conflict, not a second decision.
    pub async fn decide_retention_review(
        &self,
        kind: RetainedRecord,
        record_id: &str,
        decision: RetentionDecision,
        reason: Option<&str>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<RetentionReview, StoreError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = reason {
            homeward_core::text::multi_line(r, 2000).map_err(|m| StoreError::invalid("reason", m))?;
        }
        if decision == RetentionDecision::Keep && reason.is_none() {
            return Err(StoreError::invalid("reason", "say why the record is kept beyond its retention period"));
        }
        let review = self.open_retention_review(kind, record_id).await?.ok_or(StoreError::NotFound("open retention review"))?;
        let n = secs(now);
        with_db!(self.db(), p => {
            let mut tx = p.begin_with(self.db().begin_statement()).await?;
            let decided = sqlx::query(
                "UPDATE retention_reviews SET decision = $1, reason = $2, decided_at = $3, decided_by = $4, decided_agency = $5 \
                 WHERE record_kind = $6 AND record_id = $7 AND due_at = $8 AND decision IS NULL",
            )
            .bind(decision.as_str()).bind(reason).bind(n).bind(&actor.user).bind(&actor.agency)
            .bind(&review.record_kind).bind(&review.record_id).bind(review.due_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if decided != 1 {
                return Err(StoreError::Conflict("someone else decided this review meanwhile".into()));
            }
            if decision == RetentionDecision::Delete {
                let alert: Option<(Option<String>, i64)> = sqlx::query_as("SELECT child_id, recorded_at FROM national_alerts WHERE id = $1")
                    .bind(record_id).fetch_optional(&mut *tx).await?;
                let Some((child_id, made_at)) = alert else {
                    return Err(StoreError::Conflict("the record is already gone".into()));
                };
                sqlx::query("DELETE FROM national_alerts WHERE id = $1").bind(record_id).execute(&mut *tx).await?;
                let kept_until = self.registry().retention(&review.authority, kind, instant(made_at)).map(|r| secs(r.keep_until)).unwrap_or(review.due_at);
                sqlx::query(
                    "INSERT INTO retention_deletions (record_kind, record_id, authority, child_id, made_at, kept_until, protocol, protocol_version, rule, cite, deleted_at, deleted_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(&review.record_kind).bind(record_id).bind(&review.authority).bind(&child_id).bind(made_at).bind(kept_until)
                .bind(&review.protocol).bind(&review.protocol_version).bind(&review.rule).bind(&review.cite).bind(n).bind(&actor.user)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(RetentionReview {
            decision: Some(decision.as_str().to_string()),
            reason: reason.map(str::to_string),
            decided_at: Some(n),
            decided_by: Some(actor.user.clone()),
            decided_agency: Some(actor.agency.clone()),
            ..review
        })
    }
}

/// `$first+1, $first+2, …` for `count` values.
fn placeholders(first: usize, count: usize) -> String {
    (first + 1..=first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}
