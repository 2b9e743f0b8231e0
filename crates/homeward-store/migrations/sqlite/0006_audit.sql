-- The audit log: who read or wrote what, when, from where, and the policy
-- rule that allowed or refused it. Append-only and hash-chained: each entry
-- stores the hash of the one before it (`prev_hash`) and its own hash over
-- every field, its seq and prev_hash (see crates/homeward-store/src/audit.rs
-- for the exact encoding). `homeward audit verify` recomputes the chain.
CREATE TABLE audit_log (
    -- 1, 2, 3, … without gaps: the appender takes the head's seq + 1.
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user_id TEXT,
    agency TEXT,
    role TEXT,
    action TEXT NOT NULL,
    operation TEXT NOT NULL,
    record_type TEXT,
    record_id TEXT,
    -- A JSON array of strings, in its compact form.
    fields TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER NOT NULL,
    rule TEXT,
    break_glass INTEGER NOT NULL,
    source TEXT,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
-- "Who has seen this record", newest first.
CREATE INDEX audit_log_record ON audit_log (record_type, record_id, seq);

-- The chain's head: the last seq appended and its hash. Appenders serialise
-- on it (SQLite: every write transaction begins IMMEDIATE), and verification
-- compares it with the last entry, so entries cut from the end are noticed.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- What the first remaining entry chains from: the genesis value until the
-- first prune, then the seq and hash of the last entry pruned.
CREATE TABLE audit_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    pruned_at INTEGER
);
INSERT INTO audit_anchor (id, seq, hash, pruned_at) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', NULL);

-- A row exists here only inside the pruning transaction (which removes it
-- before committing; no other connection ever sees it): while it does,
-- entries may be deleted and the anchor moved. At any other time the
-- triggers below refuse.
CREATE TABLE audit_prune_permit (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_prune_permit)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused outside retention pruning');
END;

CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
BEGIN
    SELECT RAISE(ABORT, 'audit_head only moves forward');
END;

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit_head cannot be deleted');
END;

CREATE TRIGGER audit_anchor_no_update BEFORE UPDATE ON audit_anchor
WHEN NOT EXISTS (SELECT 1 FROM audit_prune_permit) OR NEW.seq < OLD.seq OR NEW.id <> OLD.id
BEGIN
    SELECT RAISE(ABORT, 'audit_anchor moves only forward, and only while pruning');
END;

CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor
BEGIN
    SELECT RAISE(ABORT, 'audit_anchor cannot be deleted');
END;
