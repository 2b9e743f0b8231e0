//! The audit log: every read and write of a record, who made it, from where,
//! and the policy rule that allowed or refused it.
//!
//! Append-only and tamper-evident. Entries are numbered 1, 2, 3, … without
//! gaps (`seq`); each stores the hash of the entry before it (`prev_hash`;
//! the first chains from [`AUDIT_GENESIS`]) and its own `hash`, a SHA-256
//! over every field, its seq and its prev_hash (see [`AuditEntry::chain_hash`]
//! for the exact encoding). Editing, removing or reordering an entry, or
//! rewriting its hash, breaks the chain where it happened, and
//! [`Store::audit_verify`] reports the first such place.
//!
//! Three small tables beside the log:
//!
//! - `audit_head`: the last seq appended and its hash. Appending takes it
//!   under a lock (PostgreSQL: `SELECT … FOR UPDATE` on its one row; SQLite:
//!   the write transaction begins IMMEDIATE), so instances that share a
//!   database append one at a time and the chain never forks. Verification
//!   compares it with the last entry, so entries cut from the end show.
//! - `audit_anchor`: what the first remaining entry chains from once old
//!   entries have been pruned (the seq and hash of the last entry removed).
//! - `audit_prune_permit` (SQLite only): see [`Store::audit_prune`].
//!
//! The database refuses UPDATE and DELETE on the log (triggers), except
//! deletes made by retention pruning. That stops mistakes, not a database
//! superuser: someone who can drop a trigger can edit rows, and the hash
//! chain is what shows it. Someone who can rewrite the whole chain from an
//! edited entry onwards can also hide it; keeping the head hash that
//! `homeward audit verify` prints somewhere else closes that gap.
//!
//! Time comes from the caller (`AuditEntry::at`), never from the database.

use crate::{Store, StoreError, with_db};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{ColumnIndex, Decode, Row, Type};

/// What the first entry chains from: 64 zeros.
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The default retention of audit entries: seven years (7 × 365 days plus
/// the two leap days any seven consecutive years contain at least).
pub const DEFAULT_AUDIT_RETENTION_DAYS: i64 = 2557;

/// How many entries verification and pruning read at a time.
const PAGE: i64 = 256;

/// One access to record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Unix seconds, from the service's clock (never the database's).
    pub at: i64,
    /// `None` when the caller could not be identified.
    pub user_id: Option<String>,
    pub agency: Option<String>,
    pub role: Option<String>,
    /// "read", "write", "login", "export", "break_glass", … ("prune" on
    /// record type "audit_log" is written by [`Store::audit_prune`]).
    pub action: String,
    /// What was asked for, e.g. "GET /api/v1/children/{id}".
    pub operation: String,
    /// "child", "duty", "notification", …
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    /// The field classes disclosed or written.
    pub fields: Vec<String>,
    /// "allowed", "denied", "failed" or "error".
    pub outcome: String,
    /// The HTTP status answered (0 for work that is not an HTTP request).
    pub status: u16,
    /// The policy rule that allowed or refused it.
    pub rule: Option<String>,
    pub break_glass: bool,
    /// The client's address.
    pub source: Option<String>,
    pub request_id: Option<String>,
}

/// An entry as stored, with its place in the chain.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// What [`Store::audit_verify`] found.
#[derive(Debug, Clone, Serialize)]
pub struct AuditVerification {
    /// Entries checked (all those present, unless the chain broke first:
    /// then those before the break).
    pub entries: u64,
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    /// The first place the chain does not hold, if any.
    pub broken: Option<BrokenLink>,
}

/// Where the chain first fails, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub seq: i64,
    pub reason: String,
}

impl AuditEntry {
    /// This entry's hash at `seq`, chained from `prev_hash`: lowercase hex
    /// SHA-256 over this byte string, every part in this fixed order:
    ///
    /// ```text
    /// str("homeward-audit-v1")  int(seq)  str(prev_hash)  int(at)
    /// opt(user_id)  opt(agency)  opt(role)  str(action)  str(operation)
    /// opt(record_type)  opt(record_id)  list(fields)  str(outcome)
    /// int(status)  opt(rule)  bool(break_glass)  opt(source)  opt(request_id)
    /// ```
    ///
    /// where `int(n)` is n as 8 bytes, big-endian two's complement;
    /// `str(s)` is s's UTF-8 length as `int` then its bytes; `opt(None)` is
    /// the byte 0x00 and `opt(Some(s))` the byte 0x01 then `str(s)`;
    /// `list(v)` is v's length as `int` then `str` of each item; `bool(b)` is
    /// one byte, 0x00 or 0x01. Every part has a fixed place and carries its
    /// own length, so two different entries cannot encode to the same bytes.
    pub fn chain_hash(&self, seq: i64, prev_hash: &str) -> String {
        let mut h = Hasher(Sha256::new());
        h.str("homeward-audit-v1");
        h.int(seq);
        h.str(prev_hash);
        h.int(self.at);
        h.opt(&self.user_id);
        h.opt(&self.agency);
        h.opt(&self.role);
        h.str(&self.action);
        h.str(&self.operation);
        h.opt(&self.record_type);
        h.opt(&self.record_id);
        h.int(self.fields.len() as i64);
        for f in &self.fields {
            h.str(f);
        }
        h.str(&self.outcome);
        h.int(i64::from(self.status));
        h.opt(&self.rule);
        h.0.update([u8::from(self.break_glass)]);
        h.opt(&self.source);
        h.opt(&self.request_id);
        h.0.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn check(&self) -> Result<(), StoreError> {
        for (field, value) in [("action", &self.action), ("operation", &self.operation), ("outcome", &self.outcome)] {
            if value.trim().is_empty() {
                return Err(StoreError::invalid(field, "is required"));
            }
        }
        Ok(())
    }

    /// `fields` as stored: the compact JSON array.
    fn fields_text(&self) -> Result<String, StoreError> {
        serde_json::to_string(&self.fields).map_err(|e| StoreError::Internal(e.to_string()))
    }
}

struct Hasher(Sha256);

impl Hasher {
    fn int(&mut self, n: i64) {
        self.0.update(n.to_be_bytes());
    }
    fn str(&mut self, s: &str) {
        self.int(s.len() as i64);
        self.0.update(s.as_bytes());
    }
    fn opt(&mut self, s: &Option<String>) {
        match s {
            None => self.0.update([0u8]),
            Some(s) => {
                self.0.update([1u8]);
                self.str(s);
            }
        }
    }
}

const COLUMNS: &str = "seq, at, user_id, agency, role, action, operation, record_type, record_id, fields, outcome, status, rule, break_glass, source, request_id, prev_hash, hash";

const INSERT: &str = "INSERT INTO audit_log (seq, at, user_id, agency, role, action, operation, record_type, record_id, fields, outcome, status, rule, break_glass, source, request_id, prev_hash, hash) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";

const HEAD_PG: &str = "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE";
const HEAD: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";

/// An entry read back, and the exact text of its `fields` column.
struct Stored {
    record: AuditRecord,
    fields_text: String,
}

/// Reads one row of `COLUMNS`. The seq must be readable (it is the key);
/// any other column that is not what the store writes is reported as the
/// error of that entry, so that verification can name it.
fn decode<'r, R>(row: &'r R) -> Result<(i64, Result<Stored, String>), StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    let seq: i64 = row.try_get(0)?;
    let rest = (|| -> Result<Stored, String> {
        fn col<'r, R, T>(row: &'r R, i: usize, name: &str) -> Result<T, String>
        where
            R: Row,
            usize: ColumnIndex<R>,
            T: Decode<'r, R::Database> + Type<R::Database>,
        {
            row.try_get(i).map_err(|e| format!("column {name}: {e}"))
        }
        let fields_text: String = col(row, 9, "fields")?;
        let fields: Vec<String> = serde_json::from_str(&fields_text).map_err(|e| format!("column fields is not a list of strings: {e}"))?;
        let status: i64 = col(row, 11, "status")?;
        let status = u16::try_from(status).map_err(|_| format!("column status: {status} is not an HTTP status"))?;
        let entry = AuditEntry {
            at: col(row, 1, "at")?,
            user_id: col(row, 2, "user_id")?,
            agency: col(row, 3, "agency")?,
            role: col(row, 4, "role")?,
            action: col(row, 5, "action")?,
            operation: col(row, 6, "operation")?,
            record_type: col(row, 7, "record_type")?,
            record_id: col(row, 8, "record_id")?,
            fields,
            outcome: col(row, 10, "outcome")?,
            status,
            rule: col(row, 12, "rule")?,
            break_glass: col(row, 13, "break_glass")?,
            source: col(row, 14, "source")?,
            request_id: col(row, 15, "request_id")?,
        };
        Ok(Stored { record: AuditRecord { seq, entry, prev_hash: col(row, 16, "prev_hash")?, hash: col(row, 17, "hash")? }, fields_text })
    })();
    Ok((seq, rest))
}

/// Reads rows for the caller: an unreadable one is an error.
fn records<R>(rows: &[R]) -> Result<Vec<AuditRecord>, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    rows.iter()
        .map(|row| {
            let (seq, stored) = decode(row)?;
            stored.map(|s| s.record).map_err(|e| StoreError::Internal(format!("audit entry {seq} cannot be read: {e}")))
        })
        .collect()
}

/// Walks the chain in seq order from an anchor, checking each entry.
struct Walk {
    anchor_seq: i64,
    next_seq: i64,
    prev_hash: String,
    entries: u64,
    first: Option<i64>,
    last: Option<i64>,
    /// The seq and record id of the last prune entry seen.
    last_prune: Option<(i64, Option<String>)>,
}

impl Walk {
    fn from(anchor_seq: i64, anchor_hash: &str) -> Walk {
        Walk { anchor_seq, next_seq: anchor_seq + 1, prev_hash: anchor_hash.to_string(), entries: 0, first: None, last: None, last_prune: None }
    }

    fn step(&mut self, seq: i64, stored: Result<Stored, String>) -> Result<(), BrokenLink> {
        let broken = |reason: String| BrokenLink { seq, reason };
        if seq < self.next_seq {
            return Err(broken(format!("entry {seq} is still present, but the prune anchor says entries up to seq {} were removed", self.anchor_seq)));
        }
        if seq > self.next_seq {
            let missing = if seq - 1 == self.next_seq {
                format!("entry {} is missing", self.next_seq)
            } else {
                format!("entries {} to {} are missing", self.next_seq, seq - 1)
            };
            return Err(broken(format!("{missing}: the chain jumps from seq {} to {seq}", self.next_seq - 1)));
        }
        let stored = stored.map_err(|e| broken(format!("the entry cannot be read ({e}): it was altered")))?;
        let r = &stored.record;
        if serde_json::to_string(&r.entry.fields).ok().as_deref() != Some(stored.fields_text.as_str()) {
            return Err(broken("its fields list is not in the form the store writes: the entry was altered".into()));
        }
        if r.prev_hash != self.prev_hash {
            let reason = if self.last.is_some() {
                format!("prev_hash is not the hash of entry {}: that entry was altered and its hash recomputed, or entries were removed or reordered", seq - 1)
            } else if self.anchor_seq == 0 {
                "prev_hash is not the genesis value: the first entry was altered or replaced".to_string()
            } else {
                format!("prev_hash is not the hash of entry {} that pruning recorded in the anchor", self.anchor_seq)
            };
            return Err(broken(reason));
        }
        if r.entry.chain_hash(seq, &r.prev_hash) != r.hash {
            return Err(broken("the hash does not match the entry's contents: the entry, or its hash, was altered".into()));
        }
        if r.entry.action == "prune" && r.entry.record_type.as_deref() == Some(PRUNE_RECORD_TYPE) {
            self.last_prune = Some((seq, r.entry.record_id.clone()));
        }
        self.next_seq = seq + 1;
        self.prev_hash = r.hash.clone();
        self.entries += 1;
        self.first = self.first.or(Some(seq));
        self.last = Some(seq);
        Ok(())
    }

    /// After the last entry: the head must name it, and a prune anchor must
    /// be recorded by a prune entry in the chain.
    fn finish(&self, head: Option<(i64, String)>) -> Result<(), BrokenLink> {
        let last = self.next_seq - 1;
        let Some((head_seq, head_hash)) = head else {
            return Err(BrokenLink { seq: self.next_seq, reason: "the chain's head record is missing".into() });
        };
        if head_seq > last {
            let what = if head_seq == self.next_seq { format!("entry {head_seq} was") } else { format!("entries {} to {head_seq} were", self.next_seq) };
            return Err(BrokenLink { seq: self.next_seq, reason: format!("the head records seq {head_seq} but the chain ends at seq {last}: {what} removed") });
        }
        if head_seq < last {
            return Err(BrokenLink {
                seq: head_seq + 1,
                reason: format!("the head records seq {head_seq} but entries go on to seq {last}: they were not appended by the store"),
            });
        }
        if head_hash != self.prev_hash {
            return Err(BrokenLink {
                seq: last,
                reason: "the hash differs from the one the head recorded when it was appended: the entry was rewritten".into(),
            });
        }
        if self.anchor_seq > 0 {
            let expected = self.anchor_seq.to_string();
            match &self.last_prune {
                None => {
                    return Err(BrokenLink {
                        seq: self.anchor_seq + 1,
                        reason: format!("the anchor says entries up to seq {} were pruned, but no prune entry in the chain records it", self.anchor_seq),
                    });
                }
                Some((seq, id)) if id.as_deref() != Some(expected.as_str()) => {
                    return Err(BrokenLink {
                        seq: *seq,
                        reason: format!(
                            "this prune entry records pruning up to seq {}, but the anchor says {}",
                            id.as_deref().unwrap_or("(none)"),
                            self.anchor_seq
                        ),
                    });
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// The record type of the entry that pruning writes; its record id is the
/// last seq removed.
const PRUNE_RECORD_TYPE: &str = "audit_log";

impl Store {
    /// Appends one entry and returns its seq.
    pub async fn audit_append(&self, entry: &AuditEntry) -> Result<i64, StoreError> {
        let seqs = self.append(std::slice::from_ref(entry)).await?;
        seqs.ok_or_else(|| StoreError::Internal("no audit entry was appended".into()))
    }

    /// Appends entries in order, in one transaction: all or none.
    pub async fn audit_append_many(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        self.append(entries).await.map(|_| ())
    }

    /// Appends `entries`; returns the seq of the last one (None if empty).
    async fn append(&self, entries: &[AuditEntry]) -> Result<Option<i64>, StoreError> {
        if entries.is_empty() {
            return Ok(None);
        }
        let mut rows = Vec::with_capacity(entries.len());
        for e in entries {
            e.check()?;
            rows.push((e, e.fields_text()?));
        }
        let pg = matches!(self.db(), crate::Db::Pg(_));
        let last = with_db!(self.db(), p => {
            let mut tx = p.begin_with(self.db().begin_statement()).await?;
            let (mut seq, mut prev): (i64, String) = sqlx::query_as(if pg { HEAD_PG } else { HEAD }).fetch_one(&mut *tx).await?;
            for (e, fields) in &rows {
                seq += 1;
                let hash = e.chain_hash(seq, &prev);
                sqlx::query(INSERT)
                    .bind(seq).bind(e.at).bind(&e.user_id).bind(&e.agency).bind(&e.role).bind(&e.action).bind(&e.operation)
                    .bind(&e.record_type).bind(&e.record_id).bind(fields).bind(&e.outcome).bind(i64::from(e.status)).bind(&e.rule)
                    .bind(e.break_glass).bind(&e.source).bind(&e.request_id).bind(&prev).bind(&hash)
                    .execute(&mut *tx)
                    .await?;
                prev = hash;
            }
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1").bind(seq).bind(&prev).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<i64, StoreError>(seq)
        })?;
        Ok(Some(last))
    }

    /// Who accessed a record: its entries, newest first, at most `limit`.
    pub async fn audit_for_record(&self, record_type: &str, record_id: &str, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
        let limit = limit.clamp(1, 10_000);
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE record_type = $1 AND record_id = $2 ORDER BY seq DESC LIMIT $3");
        with_db!(self.db(), p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(record_type).bind(record_id).bind(limit).fetch_all(p).await?;
            records(&rows)
        })
    }

    /// Entries after `after_seq`, in order, at most `limit` (for export and paging).
    pub async fn audit_entries(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
        let limit = limit.clamp(1, 10_000);
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        with_db!(self.db(), p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after_seq).bind(limit).fetch_all(p).await?;
            records(&rows)
        })
    }

    /// Checks the whole chain, a page at a time, in one consistent snapshot:
    /// every seq present from the anchor on, every link, every hash
    /// recomputed, and the head naming the last entry. Reports the first
    /// place it does not hold.
    pub async fn audit_verify(&self) -> Result<AuditVerification, StoreError> {
        let snapshot = match self.db() {
            crate::Db::Pg(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            crate::Db::Sqlite(_) => "BEGIN",
        };
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        with_db!(self.db(), p => {
            let mut tx = p.begin_with(snapshot).await?;
            let anchor: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_anchor WHERE id = 1").fetch_optional(&mut *tx).await?;
            let (anchor_seq, anchor_hash) = anchor.unwrap_or((0, AUDIT_GENESIS.to_string()));
            let mut walk = Walk::from(anchor_seq, &anchor_hash);
            let mut broken = None;
            if anchor_seq == 0 && anchor_hash != AUDIT_GENESIS {
                broken = Some(BrokenLink { seq: 1, reason: "the anchor was altered: nothing was pruned, yet it does not hold the genesis value".into() });
            }
            // From the very start, not the anchor: an entry the anchor says
            // was pruned, but which is still there, is a broken link too.
            let mut after = i64::MIN;
            while broken.is_none() {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(after).bind(PAGE).fetch_all(&mut *tx).await?;
                for row in &rows {
                    let (seq, stored) = decode(row)?;
                    after = seq;
                    if let Err(b) = walk.step(seq, stored) {
                        broken = Some(b);
                        break;
                    }
                }
                if (rows.len() as i64) < PAGE {
                    break;
                }
            }
            if broken.is_none() {
                let head: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_optional(&mut *tx).await?;
                broken = walk.finish(head).err();
            }
            tx.rollback().await?;
            Ok::<AuditVerification, StoreError>(AuditVerification { entries: walk.entries, first_seq: walk.first, last_seq: walk.last, broken })
        })
    }

    /// Retention: removes the entries older than `before` (unix seconds) and
    /// returns how many. Only a prefix of the chain is removed (the entries
    /// before the first one at or after `before`), so what remains is still
    /// one unbroken chain; the anchor records the seq and hash of the last
    /// entry removed, for the first remaining one to chain from. The entries
    /// to be removed are verified first (pruning never hides a broken link:
    /// it refuses with [`StoreError::Conflict`]), and the prune itself is
    /// appended as an entry (action "prune", record type "audit_log", record
    /// id the last seq removed), stamped with `before` or the newest entry's
    /// time, whichever is later: the store has no clock of its own.
    ///
    /// The database allows the deletes only inside this transaction
    /// (PostgreSQL: the transaction-local setting `homeward.audit_prune`;
    /// SQLite: a row in `audit_prune_permit`, removed before committing).
    pub async fn audit_prune(&self, before: i64) -> Result<u64, StoreError> {
        let pg = matches!(self.db(), crate::Db::Pg(_));
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3");
        with_db!(self.db(), p => {
            let mut tx = p.begin_with(self.db().begin_statement()).await?;
            let (head_seq, head_hash): (i64, String) = sqlx::query_as(if pg { HEAD_PG } else { HEAD }).fetch_one(&mut *tx).await?;
            let (anchor_seq, anchor_hash): (i64, String) = sqlx::query_as("SELECT seq, hash FROM audit_anchor WHERE id = 1").fetch_one(&mut *tx).await?;
            let first_kept: Option<i64> = sqlx::query_scalar("SELECT seq FROM audit_log WHERE seq > $1 AND at >= $2 ORDER BY seq LIMIT 1")
                .bind(anchor_seq).bind(before).fetch_optional(&mut *tx).await?;
            let through = first_kept.map_or(head_seq, |s| s - 1);
            if through <= anchor_seq {
                tx.rollback().await?;
                return Ok(0);
            }
            // Check what is about to go: a broken link there must stay visible.
            let mut walk = Walk::from(anchor_seq, &anchor_hash);
            let mut after = anchor_seq;
            let mut newest_at = before;
            loop {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(after).bind(through).bind(PAGE).fetch_all(&mut *tx).await?;
                for row in &rows {
                    let (seq, stored) = decode(row)?;
                    after = seq;
                    if let Ok(s) = &stored {
                        newest_at = newest_at.max(s.record.entry.at);
                    }
                    walk.step(seq, stored).map_err(|b| {
                        StoreError::Conflict(format!("the audit chain is broken at seq {} ({}); nothing was pruned", b.seq, b.reason))
                    })?;
                }
                if (rows.len() as i64) < PAGE {
                    break;
                }
            }
            if walk.last != Some(through) {
                return Err(StoreError::Conflict(format!(
                    "the audit chain is broken at seq {}: entries up to {through} are not all present; nothing was pruned",
                    walk.next_seq
                )));
            }
            let through_hash = walk.prev_hash.clone();
            if let Some(at) = sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(at) FROM audit_log WHERE seq > $1").bind(through).fetch_one(&mut *tx).await? {
                newest_at = newest_at.max(at);
            }
            if pg {
                sqlx::query("SELECT set_config('homeward.audit_prune', 'on', true)").execute(&mut *tx).await?;
            } else {
                sqlx::query("INSERT INTO audit_prune_permit (id) VALUES (1)").execute(&mut *tx).await?;
            }
            let removed = sqlx::query("DELETE FROM audit_log WHERE seq <= $1").bind(through).execute(&mut *tx).await?.rows_affected();
            sqlx::query("UPDATE audit_anchor SET seq = $1, hash = $2, pruned_at = $3 WHERE id = 1")
                .bind(through).bind(&through_hash).bind(newest_at).execute(&mut *tx).await?;
            if pg {
                sqlx::query("SELECT set_config('homeward.audit_prune', 'off', true)").execute(&mut *tx).await?;
            } else {
                sqlx::query("DELETE FROM audit_prune_permit").execute(&mut *tx).await?;
            }
            let entry = AuditEntry {
                at: newest_at,
                action: "prune".into(),
                operation: format!("audit prune before {before}: {removed} entries, seq {} to {through}", anchor_seq + 1),
                record_type: Some(PRUNE_RECORD_TYPE.into()),
                record_id: Some(through.to_string()),
                outcome: "allowed".into(),
                rule: Some("audit_retention".into()),
                ..AuditEntry::default()
            };
            let seq = head_seq + 1;
            let hash = entry.chain_hash(seq, &head_hash);
            sqlx::query(INSERT)
                .bind(seq).bind(entry.at).bind(&entry.user_id).bind(&entry.agency).bind(&entry.role).bind(&entry.action).bind(&entry.operation)
                .bind(&entry.record_type).bind(&entry.record_id).bind(entry.fields_text()?).bind(&entry.outcome).bind(i64::from(entry.status)).bind(&entry.rule)
                .bind(entry.break_glass).bind(&entry.source).bind(&entry.request_id).bind(&head_hash).bind(&hash)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1").bind(seq).bind(&hash).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<u64, StoreError>(removed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AuditEntry {
        AuditEntry {
            at: 1_700_000_000,
            user_id: Some("u1".into()),
            agency: Some("police".into()),
            role: Some("police_missing_person_coordinator".into()),
            action: "read".into(),
            operation: "GET /api/v1/children/{id}".into(),
            record_type: Some("child".into()),
            record_id: Some("c1".into()),
            fields: vec!["identity".into(), "episodes".into()],
            outcome: "allowed".into(),
            status: 200,
            rule: Some("police-host".into()),
            break_glass: false,
            source: Some("10.0.0.1".into()),
            request_id: Some("r1".into()),
        }
    }

    #[test]
    fn every_field_seq_and_prev_hash_change_the_hash() {
        let base = entry();
        let h = base.chain_hash(1, AUDIT_GENESIS);
        assert_eq!(h.len(), 64);
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(h, base.chain_hash(1, AUDIT_GENESIS), "deterministic");
        assert_ne!(h, base.chain_hash(2, AUDIT_GENESIS));
        assert_ne!(h, base.chain_hash(1, &"1".repeat(64)));
        let variants: Vec<(&str, AuditEntry)> = vec![
            ("at", AuditEntry { at: base.at + 1, ..base.clone() }),
            ("user_id", AuditEntry { user_id: None, ..base.clone() }),
            ("agency", AuditEntry { agency: Some("council".into()), ..base.clone() }),
            ("role", AuditEntry { role: None, ..base.clone() }),
            ("action", AuditEntry { action: "write".into(), ..base.clone() }),
            ("operation", AuditEntry { operation: "GET /x".into(), ..base.clone() }),
            ("record_type", AuditEntry { record_type: Some("duty".into()), ..base.clone() }),
            ("record_id", AuditEntry { record_id: Some("c2".into()), ..base.clone() }),
            ("fields", AuditEntry { fields: vec!["identity".into()], ..base.clone() }),
            ("outcome", AuditEntry { outcome: "denied".into(), ..base.clone() }),
            ("status", AuditEntry { status: 403, ..base.clone() }),
            ("rule", AuditEntry { rule: None, ..base.clone() }),
            ("break_glass", AuditEntry { break_glass: true, ..base.clone() }),
            ("source", AuditEntry { source: Some("10.0.0.2".into()), ..base.clone() }),
            ("request_id", AuditEntry { request_id: None, ..base.clone() }),
        ];
        for (name, v) in variants {
            assert_ne!(v.chain_hash(1, AUDIT_GENESIS), h, "changing {name} must change the hash");
        }
    }

    #[test]
    fn the_encoding_is_unambiguous() {
        // Moving characters between neighbouring fields, or between list
        // items, must not give the same bytes.
        let a = AuditEntry { user_id: Some("ab".into()), agency: Some("c".into()), ..entry() };
        let b = AuditEntry { user_id: Some("a".into()), agency: Some("bc".into()), ..entry() };
        assert_ne!(a.chain_hash(1, AUDIT_GENESIS), b.chain_hash(1, AUDIT_GENESIS));
        let a = AuditEntry { fields: vec!["ab".into(), "c".into()], ..entry() };
        let b = AuditEntry { fields: vec!["a".into(), "bc".into()], ..entry() };
        let c = AuditEntry { fields: vec!["abc".into()], ..entry() };
        assert_ne!(a.chain_hash(1, AUDIT_GENESIS), b.chain_hash(1, AUDIT_GENESIS));
        assert_ne!(a.chain_hash(1, AUDIT_GENESIS), c.chain_hash(1, AUDIT_GENESIS));
        // None and the empty string differ.
        let a = AuditEntry { rule: None, ..entry() };
        let b = AuditEntry { rule: Some(String::new()), ..entry() };
        assert_ne!(a.chain_hash(1, AUDIT_GENESIS), b.chain_hash(1, AUDIT_GENESIS));
    }

    #[test]
    fn the_encoding_is_the_documented_one() {
        // An independent spelling of the documented byte string, for one
        // small entry: if the code and the comment drift apart, this fails.
        let e = AuditEntry {
            at: 5,
            action: "read".into(),
            operation: "op".into(),
            fields: vec!["f".into()],
            outcome: "allowed".into(),
            status: 200,
            break_glass: true,
            rule: Some("r".into()),
            ..AuditEntry::default()
        };
        let mut bytes = Vec::new();
        let s = |b: &mut Vec<u8>, v: &str| {
            b.extend_from_slice(&(v.len() as i64).to_be_bytes());
            b.extend_from_slice(v.as_bytes());
        };
        s(&mut bytes, "homeward-audit-v1");
        bytes.extend_from_slice(&7i64.to_be_bytes());
        s(&mut bytes, AUDIT_GENESIS);
        bytes.extend_from_slice(&5i64.to_be_bytes());
        bytes.extend_from_slice(&[0, 0, 0]); // user_id, agency, role
        s(&mut bytes, "read");
        s(&mut bytes, "op");
        bytes.extend_from_slice(&[0, 0]); // record_type, record_id
        bytes.extend_from_slice(&1i64.to_be_bytes());
        s(&mut bytes, "f");
        s(&mut bytes, "allowed");
        bytes.extend_from_slice(&200i64.to_be_bytes());
        bytes.push(1);
        s(&mut bytes, "r");
        bytes.push(1); // break_glass
        bytes.extend_from_slice(&[0, 0]); // source, request_id
        let expected: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(e.chain_hash(7, AUDIT_GENESIS), expected);
    }

    #[test]
    fn an_entry_needs_action_operation_and_outcome() {
        assert!(entry().check().is_ok());
        for e in
            [AuditEntry { action: String::new(), ..entry() }, AuditEntry { operation: " ".into(), ..entry() }, AuditEntry { outcome: String::new(), ..entry() }]
        {
            assert!(matches!(e.check(), Err(StoreError::Invalid { .. })));
        }
    }
}
