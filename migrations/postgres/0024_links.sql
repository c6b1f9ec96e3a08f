-- Links to a transfer for people without an account: a view link shows a delivery to a
-- guest (the other family, the guests of the day). Only hashes of their secrets are kept.
CREATE TABLE links (
    id          TEXT PRIMARY KEY,
    transfer_id TEXT NOT NULL REFERENCES transfers(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('view', 'upload')),
    label       TEXT NOT NULL,
    email       TEXT,
    -- SHA-256 of the link's token (the secret part of its URL).
    token_hash  TEXT NOT NULL UNIQUE,
    -- argon2id of the PIN or password, when the link asks for one.
    pin_hash    TEXT,
    -- Comma-separated: view, download, download_web, favourite.
    permissions TEXT NOT NULL,
    expires_at  BIGINT,
    created_by  TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX links_transfer ON links (transfer_id, created_at);

-- What unlocking a PIN-protected link gives: a short-lived token of its own.
CREATE TABLE link_sessions (
    token_hash TEXT PRIMARY KEY,
    link_id    TEXT NOT NULL REFERENCES links(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX link_sessions_link ON link_sessions (link_id);

-- Wrong PINs, counted per link and per address, so that guessing is throttled.
CREATE TABLE link_pin_failures (
    id        TEXT PRIMARY KEY,
    link_id   TEXT NOT NULL REFERENCES links(id) ON DELETE CASCADE,
    address   TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX link_pin_failures_link ON link_pin_failures (link_id, failed_at);

ALTER TABLE downloads ADD COLUMN link_id TEXT REFERENCES links(id) ON DELETE SET NULL;
CREATE INDEX downloads_link ON downloads (link_id);
ALTER TABLE files ADD COLUMN hidden_from_guests BIGINT NOT NULL DEFAULT 0;
