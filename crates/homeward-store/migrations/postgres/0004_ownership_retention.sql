-- Episode ownership: who is responsible for each episode now. A projection
-- like the rest of `episodes`, rebuilt by the engine from the child's
-- `episode_assigned` events; an episode with none is owned by the child's
-- allocated worker and team (`owner_since` NULL).
ALTER TABLE episodes ADD COLUMN owner_worker TEXT;
ALTER TABLE episodes ADD COLUMN owner_team TEXT;
ALTER TABLE episodes ADD COLUMN owner_since BIGINT;
ALTER TABLE episodes ADD COLUMN owner_reason TEXT;
-- No episode_assigned event can exist before this migration: every stored
-- episode is owned by its child's allocation.
UPDATE episodes SET
    owner_worker = (SELECT c.allocated_worker FROM children c WHERE c.id = episodes.child_id),
    owner_team = (SELECT c.team FROM children c WHERE c.id = episodes.child_id);
CREATE INDEX episodes_owner_worker ON episodes (owner_worker, child_id, episode);
CREATE INDEX episodes_owner_team ON episodes (owner_team, child_id, episode);

-- National alerts received from other authorities: the register the
-- receiving authority keeps (bolton "National alerts"). Not engine input.
-- A row is deleted only by the retention job, when the protocol of the
-- receiving authority allows it; the deletion is recorded in
-- `retention_deletions`.
CREATE TABLE national_alerts (
    id TEXT PRIMARY KEY,
    authority TEXT NOT NULL,
    from_authority TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    subject TEXT NOT NULL,
    date_of_birth TEXT,
    details TEXT,
    child_id TEXT REFERENCES children (id),
    recorded_by TEXT NOT NULL,
    agency TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    idempotency_key TEXT UNIQUE
);
CREATE INDEX national_alerts_by_age ON national_alerts (recorded_at, id);
CREATE INDEX national_alerts_authority ON national_alerts (authority, recorded_at);

-- What the retention job deleted, under which rule, when and by which
-- instance: one row per deleted record, never updated or deleted, and
-- without the record's personal details. The primary key makes a record's
-- deletion happen once, whichever instance gets there first.
CREATE TABLE retention_deletions (
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    authority TEXT NOT NULL,
    child_id TEXT,
    made_at BIGINT NOT NULL,
    kept_until BIGINT NOT NULL,
    protocol TEXT NOT NULL,
    protocol_version TEXT NOT NULL,
    rule TEXT NOT NULL,
    cite TEXT NOT NULL,
    deleted_at BIGINT NOT NULL,
    deleted_by TEXT NOT NULL,
    PRIMARY KEY (record_kind, record_id)
);
CREATE INDEX retention_deletions_authority ON retention_deletions (authority, deleted_at);
CREATE INDEX retention_deletions_child ON retention_deletions (child_id);
