-- The audit log: who read or wrote what, when, from where, and the policy
-- rule that allowed or refused it. Append-only and hash-chained: each entry
-- stores the hash of the one before it (`prev_hash`) and its own hash over
-- every field, its seq and prev_hash (see crates/homeward-store/src/audit.rs
-- for the exact encoding). `homeward audit verify` recomputes the chain.
CREATE TABLE audit_log (
    -- 1, 2, 3, … without gaps: the appender takes the head's seq + 1.
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    user_id TEXT,
    agency TEXT,
    role TEXT,
    action TEXT NOT NULL,
    operation TEXT NOT NULL,
    record_type TEXT,
    record_id TEXT,
    -- A JSON array of strings, in its compact form (TEXT, not JSONB, so the
    -- bytes stay exactly as written).
    fields TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status BIGINT NOT NULL,
    rule TEXT,
    break_glass BOOLEAN NOT NULL,
    source TEXT,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
-- "Who has seen this record", newest first.
CREATE INDEX audit_log_record ON audit_log (record_type, record_id, seq);

-- The chain's head: the last seq appended and its hash. Appenders lock this
-- row (SELECT … FOR UPDATE), so instances sharing the database append one at
-- a time and the chain never forks; verification compares it with the last
-- entry, so entries cut from the end are noticed.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- What the first remaining entry chains from: the genesis value until the
-- first prune, then the seq and hash of the last entry pruned.
CREATE TABLE audit_anchor (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    pruned_at BIGINT
);
INSERT INTO audit_anchor (id, seq, hash, pruned_at) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', NULL);

-- Entries are never updated; they are deleted only by retention pruning,
-- which turns on the transaction-local setting homeward.audit_prune first.
-- (This guards against mistakes and casual edits; a database superuser can
-- still drop the trigger, which is what the hash chain is for.)
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('homeward.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();

CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Nested, so that NEW is read only for an UPDATE (it is NULL for TRUNCATE).
    IF TG_OP = 'UPDATE' THEN
        IF NEW.id = OLD.id AND NEW.seq > OLD.seq THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_head only moves forward: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_guard();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_head_guard();

CREATE FUNCTION audit_anchor_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.id = OLD.id AND NEW.seq >= OLD.seq
           AND current_setting('homeward.audit_prune', true) = 'on' THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_anchor moves only forward, and only while pruning: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_anchor_guard BEFORE UPDATE OR DELETE ON audit_anchor
    FOR EACH ROW EXECUTE FUNCTION audit_anchor_guard();
CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON audit_anchor
    FOR EACH STATEMENT EXECUTE FUNCTION audit_anchor_guard();
