-- Homeward schema (SQLite). Instants are whole seconds since the Unix epoch
-- (INTEGER), set by the application's clock, never the database's.
CREATE TABLE children (
    id TEXT PRIMARY KEY,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    status TEXT NOT NULL,
    responsible_authority TEXT NOT NULL,
    living_in TEXT NOT NULL,
    flags TEXT NOT NULL,
    allocated_worker TEXT,
    team TEXT,
    photo_ref TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_agency TEXT NOT NULL
);
CREATE INDEX children_match ON children (family_name, date_of_birth);
CREATE INDEX children_living_in ON children (living_in);
CREATE INDEX children_responsible ON children (responsible_authority);

-- Append-only: never updated or deleted. A correction is a new row that
-- names the row it supersedes.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    child_id TEXT NOT NULL REFERENCES children (id),
    episode TEXT,
    type TEXT NOT NULL,
    at INTEGER NOT NULL,
    body TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    agency TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    supersedes TEXT REFERENCES events (id),
    idempotency_key TEXT UNIQUE
);
CREATE INDEX events_child ON events (child_id, seq);

-- Projections, rebuilt from the events by the engine.
CREATE TABLE episodes (
    child_id TEXT NOT NULL REFERENCES children (id),
    episode TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    returned_at INTEGER,
    category TEXT NOT NULL,
    risk TEXT NOT NULL,
    PRIMARY KEY (child_id, episode)
);
CREATE INDEX episodes_open ON episodes (returned_at);

CREATE TABLE duties (
    id TEXT PRIMARY KEY,
    child_id TEXT NOT NULL REFERENCES children (id),
    episode TEXT NOT NULL,
    authority TEXT NOT NULL,
    protocol TEXT NOT NULL,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    what TEXT NOT NULL,
    by_role TEXT NOT NULL,
    to_role TEXT,
    triggered_at INTEGER NOT NULL,
    due INTEGER NOT NULL,
    state TEXT NOT NULL,
    done_at INTEGER,
    late INTEGER NOT NULL,
    prompt INTEGER NOT NULL,
    occurrence INTEGER NOT NULL,
    cite TEXT NOT NULL
);
CREATE INDEX duties_child ON duties (child_id);
CREATE INDEX duties_due ON duties (authority, state, due);

-- One durable timer per child: when its duties next change state.
CREATE TABLE timers (
    child_id TEXT PRIMARY KEY REFERENCES children (id),
    run_at INTEGER NOT NULL,
    locked_by TEXT,
    locked_until INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX timers_run_at ON timers (run_at);

-- Each duty is acted on once per stage ('triggered', 'overdue'), whichever
-- instance gets there first: the primary key makes it so.
CREATE TABLE duty_alerts (
    duty_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    child_id TEXT NOT NULL,
    fired_at INTEGER NOT NULL,
    fired_by TEXT NOT NULL,
    PRIMARY KEY (duty_id, stage)
);
