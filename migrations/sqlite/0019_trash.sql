-- Deletion goes through a trash: a deleted file, transfer or client is hidden at once
-- (every read filters `deleted_at`), kept for the grace period, then purged with its
-- objects. Deleting a transfer or a client stamps what it holds with the same time, so
-- that restoring it brings back exactly what went with it.
ALTER TABLE users ADD COLUMN deleted_at BIGINT;
ALTER TABLE transfers ADD COLUMN deleted_at BIGINT;
ALTER TABLE files ADD COLUMN deleted_at BIGINT;

CREATE TABLE trash (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('file', 'transfer', 'client')),
    item_id     TEXT NOT NULL,
    -- What the studio sees in the trash: a file's name, a transfer's title, a client's name.
    label       TEXT NOT NULL,
    files       BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,
    deleted_by  TEXT REFERENCES users(id) ON DELETE SET NULL,
    deleted_at  BIGINT NOT NULL,
    purge_after BIGINT NOT NULL
);
CREATE INDEX trash_purge ON trash (purge_after);
