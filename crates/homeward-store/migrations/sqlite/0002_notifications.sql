-- Notifications: what Homeward told whom about a duty, and whether they
-- acknowledged it. One row per message to one role's inbox; each is
-- delivered over one or more channels (rows in `deliveries`).
--
-- The unique `key` (duty, stage, role, escalation level) makes enqueueing
-- idempotent: a duty stage reached twice, or by two instances, is told once.
-- Rows are written in the same transaction that records the duty reaching
-- its stage (a transactional outbox), so a crash cannot lose one.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    duty_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    child_id TEXT NOT NULL,
    authority TEXT NOT NULL,
    protocol TEXT NOT NULL,
    role TEXT NOT NULL,
    level INTEGER NOT NULL,
    escalation_of TEXT REFERENCES notifications (id),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    calendar TEXT,
    created_at INTEGER NOT NULL,
    ack_within INTEGER NOT NULL,
    ack_due_at INTEGER NOT NULL,
    -- 'acknowledged' by a person, or 'duty_closed' when the duty was done,
    -- excepted or lapsed before anyone acknowledged.
    settled TEXT,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    acknowledged_agency TEXT,
    escalated_at INTEGER,
    escalated_by TEXT
);
CREATE INDEX notifications_child ON notifications (child_id, created_at);
CREATE INDEX notifications_duty ON notifications (duty_id, stage);
CREATE INDEX notifications_waiting ON notifications (ack_due_at) WHERE settled IS NULL AND escalated_at IS NULL;

-- One attempt stream per channel target. Delivery is at least once: a
-- receiver deduplicates on the delivery id (the webhook Idempotency-Key,
-- the email Message-ID).
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    round INTEGER NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_by TEXT,
    locked_until INTEGER,
    last_error TEXT,
    sent_at INTEGER,
    UNIQUE (notification_id, round, channel, target)
);
CREATE INDEX deliveries_pending ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_notification ON deliveries (notification_id);
