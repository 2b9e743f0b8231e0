-- A record past its retention period is not deleted by the clock: the
-- retention job opens a review (one row per record and period, whichever
-- instance gets there first), and a person who answers for the protocol's
-- `review_by` role decides: `delete` (the record goes, and the deletion is
-- recorded in retention_deletions naming who decided) or `keep` (with a
-- reason; the record is due for review again one period later).
CREATE TABLE retention_reviews (
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    authority TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    review_by TEXT NOT NULL,
    protocol TEXT NOT NULL,
    protocol_version TEXT NOT NULL,
    rule TEXT NOT NULL,
    cite TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    opened_by TEXT NOT NULL,
    decision TEXT,
    reason TEXT,
    decided_at BIGINT,
    decided_by TEXT,
    decided_agency TEXT,
    PRIMARY KEY (record_kind, record_id, due_at)
);
CREATE INDEX retention_reviews_open ON retention_reviews (authority, due_at) WHERE decision IS NULL;
