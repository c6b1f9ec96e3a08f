-- The quote site's integration. Its secret signs every request (Standard Webhooks), so it
-- is kept as given: HMAC needs the key itself, not a hash of it. Two secrets may be
-- active while the quote site switches over.
CREATE TABLE integrations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE integration_secrets (
    integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    secret         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    -- Set on the old secret when a rotation starts: it works until then.
    expires_at     BIGINT,
    PRIMARY KEY (integration_id, secret)
);
