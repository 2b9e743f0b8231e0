-- Accounts, sessions, API tokens, and the facts need-to-know access rests on:
-- which agencies are involved with a child, and break-glass grants.
-- Instants are whole seconds since the Unix epoch, from the application's clock.

-- An agency: a police force, a council's children's services, a health
-- provider, a school, a placement provider, a return-interview service.
CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The replay contract's agency vocabulary (police, childrens_services, …).
    kind TEXT NOT NULL,
    -- JSON array of the authority ids the agency serves.
    authorities TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    role TEXT NOT NULL,
    team TEXT,
    -- Argon2id, PHC string. NULL: the account cannot log in with a password.
    password_hash TEXT,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Server-side sessions. The cookie holds a random token; only its SHA-256
-- is stored, so a copy of the database does not let anyone log in.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT,
    source TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Tokens for machine clients, scoped and revocable; stored hashed.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    -- JSON array: "read", "write".
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    last_used_at BIGINT
);

-- Every login attempt, for throttling by address and for the audit.
CREATE TABLE login_attempts (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    source TEXT NOT NULL,
    at BIGINT NOT NULL,
    succeeded BIGINT NOT NULL
);
CREATE INDEX login_attempts_source ON login_attempts (source, at);
CREATE INDEX login_attempts_username ON login_attempts (username, at);

-- An agency's involvement with a child (placement provider, school,
-- return-interview service, health, another partnership). Ended, never deleted.
CREATE TABLE involvements (
    id TEXT PRIMARY KEY,
    child_id TEXT NOT NULL REFERENCES children (id),
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    relation TEXT NOT NULL,
    -- For a placement: its address (a restricted field).
    address TEXT,
    reason TEXT,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    recorded_by TEXT NOT NULL,
    ended_by TEXT
);
CREATE INDEX involvements_agency ON involvements (agency_id, relation, child_id);
CREATE INDEX involvements_child ON involvements (child_id);

-- Break-glass: emergency read access to one child's record, time-limited.
CREATE TABLE access_grants (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    child_id TEXT NOT NULL REFERENCES children (id),
    reason TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX access_grants_user ON access_grants (user_id, child_id, expires_at);

-- Settings every instance shares, chosen once (e.g. the key that makes
-- pseudonyms in reports stable).
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
