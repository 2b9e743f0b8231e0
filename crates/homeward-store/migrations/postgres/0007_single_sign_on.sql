-- Single sign-on with OpenID Connect (optional; see docs/access.md).
-- Instants are whole seconds since the Unix epoch, from the application's clock.

-- Which person at an identity provider is which Homeward account. The
-- provider is the id given in the server's OpenID Connect configuration; the
-- subject is the provider's `sub` claim, stable for that person.
CREATE TABLE sso_links (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX sso_links_user ON sso_links (user_id);

-- A login sent to an identity provider and not yet come back. Stored here,
-- not in the instance's memory, so the provider may return the browser to
-- any instance; taken (deleted) when it returns, so each is used once.
CREATE TABLE sso_logins (
    -- SHA-256 of the OAuth `state` value sent to the provider.
    state_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sso_logins_expiry ON sso_logins (expires_at);
