-- Deliveries are published to their client (and may expire); inbound transfers remember
-- when the studio was last told about them, so each email lists only what is new.
ALTER TABLE transfers ADD COLUMN published_at BIGINT;
-- Set at the first publication only: the client is emailed once per delivery.
ALTER TABLE transfers ADD COLUMN announced_at BIGINT;
ALTER TABLE transfers ADD COLUMN expires_at BIGINT;
ALTER TABLE transfers ADD COLUMN reminder_sent_at BIGINT;
ALTER TABLE transfers ADD COLUMN notified_at BIGINT;
CREATE INDEX transfers_expiry ON transfers(expires_at);

-- What happened, for the studio's activity log. Ids are kept without foreign keys on the
-- subject so history outlives the transfer or file it mentions.
CREATE TABLE activity (
    id          TEXT PRIMARY KEY,
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    actor_id    TEXT REFERENCES users(id) ON DELETE SET NULL,
    -- The client the event concerns, for filtering; NULL for studio-only events.
    client_id   TEXT REFERENCES users(id) ON DELETE CASCADE,
    transfer_id TEXT,
    file_id     TEXT,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX activity_at ON activity(at);
CREATE INDEX activity_client ON activity(client_id, at);
