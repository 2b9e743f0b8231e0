//! Records a protocol allows to be deleted after a time, and the retention
//! job that deletes them.
//!
//! The only such record is a national alert received from another authority
//! (bolton "National alerts": "Keep the record for 3 months"). How long a
//! record is kept is protocol data (`[[retention]]`); a record whose
//! authority's protocol has no rule for it is never deleted.
//!
//! A retention pass, at the caller's `now` (the service's clock, never the
//! database's), deletes each record whose period is over and, in the same
//! transaction, writes a row to `retention_deletions` naming the record, the
//! rule and protocol version, and the instance that deleted it (without the
//! record's personal details). The deletion and its record are one statement
//! pair inside one transaction, so they happen together or not at all; a
//! record deleted by another instance in the meantime is skipped (its DELETE
//! affects no row), so passes are idempotent and several instances may run
//! them at once on PostgreSQL (candidates are taken `FOR UPDATE SKIP LOCKED`).
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
    /// Which instance's retention job deleted it.
    pub deleted_by: String,
}

#[derive(Debug, Clone, Default)]
pub struct DeletionFilter {
    pub authority: Option<String>,
    pub child: Option<String>,
    pub limit: Option<i64>,
}

const ALERT_COLUMNS: &str =
    "id, authority, from_authority, received_at, subject, date_of_birth, details, child_id, recorded_by, agency, recorded_at";
const DELETION_COLUMNS: &str =
    "record_kind, record_id, authority, child_id, made_at, kept_until, protocol, protocol_version, rule, cite, deleted_at, deleted_by";

/// Candidates for deletion read per transaction.
const PAGE: i64 = 200;

#[derive(sqlx::FromRow)]
struct Candidate {
    id: String,
    authority: String,
    child_id: Option<String>,
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
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM national_alerts WHERE (CAST($1 AS TEXT) IS NULL OR authority = $1) ORDER BY received_at DESC, id"
        );
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

    /// One retention pass at `now`: deletes every record whose retention
    /// period under its authority's protocol is over, recording each
    /// deletion as done by `instance`. Returns what this call deleted
    /// (records another instance deleted meanwhile are not in it).
    pub async fn retention_pass(&self, now: Timestamp, instance: &str) -> Result<Vec<Deletion>, StoreError> {
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
        let shortest = self
            .registry()
            .all()
            .iter()
            .filter_map(|p| p.retention_for(kind))
            .map(|r| r.keep.at_least())
            .min()
            .unwrap_or_default();
        let cutoff = secs(now.checked_sub(shortest).unwrap_or(now));
        let n = params.len();
        let lock = if matches!(self.db(), crate::Db::Pg(_)) { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "SELECT id, authority, child_id, recorded_at FROM national_alerts WHERE ({}) AND recorded_at <= ${} \
             AND (recorded_at > ${} OR (recorded_at = ${} AND id > ${})) ORDER BY recorded_at, id LIMIT ${}{lock}",
            scope.join(" OR "),
            n + 1,
            n + 2,
            n + 2,
            n + 3,
            n + 4,
        );
        let deleted_by = format!("retention job on {instance}");
        let mut deleted = Vec::new();
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
                    if retained.keep_until > now {
                        continue;
                    }
                    let gone = sqlx::query("DELETE FROM national_alerts WHERE id = $1").bind(&c.id).execute(&mut *tx).await?.rows_affected();
                    if gone == 0 {
                        continue;
                    }
                    let d = Deletion {
                        record_kind: kind.as_str().to_string(),
                        record_id: c.id.clone(),
                        authority: c.authority.clone(),
                        child_id: c.child_id.clone(),
                        made_at: c.recorded_at,
                        kept_until: secs(retained.keep_until),
                        protocol: retained.protocol.id.clone(),
                        protocol_version: retained.protocol.version.clone(),
                        rule: retained.rule.id.clone(),
                        cite: retained.protocol.cite(&retained.rule.cite),
                        deleted_at: secs(now),
                        deleted_by: deleted_by.clone(),
                    };
                    sqlx::query(
                        "INSERT INTO retention_deletions (record_kind, record_id, authority, child_id, made_at, kept_until, protocol, protocol_version, rule, cite, deleted_at, deleted_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    )
                    .bind(&d.record_kind).bind(&d.record_id).bind(&d.authority).bind(&d.child_id).bind(d.made_at).bind(d.kept_until)
                    .bind(&d.protocol).bind(&d.protocol_version).bind(&d.rule).bind(&d.cite).bind(d.deleted_at).bind(&d.deleted_by)
                    .execute(&mut *tx)
                    .await?;
                    done.push(d);
                }
                tx.commit().await?;
                let last = page.last().map(|c| (c.recorded_at, c.id.clone()));
                Ok::<_, StoreError>((page.len(), last, done))
            })?;
            deleted.append(&mut done);
            match last {
                Some(last) if page_len as i64 == PAGE => after = last,
                _ => break,
            }
        }
        Ok(deleted)
    }
}

/// `$first+1, $first+2, …` for `count` values.
fn placeholders(first: usize, count: usize) -> String {
    (first + 1..=first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}
