-- no-transaction
-- The public portfolio: albums and stories of items, each item a photo or a video file.
--
-- Files uploaded for the portfolio live in one transfer of direction 'portfolio' that
-- belongs to no client, so the upload path, the media pipeline and the posters serve it
-- unchanged. SQLite cannot relax a NOT NULL or a CHECK in place: the transfers table is
-- rebuilt. Foreign keys are switched off for the rebuild, or dropping the old table would
-- cascade into every file; PRAGMA foreign_keys is ignored inside a transaction, hence
-- "no-transaction" and the explicit BEGIN/COMMIT. Re-running after a crash between COMMIT
-- and sqlx's bookkeeping redoes the same rebuild, which is harmless.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE transfers_rebuilt (
    id               TEXT PRIMARY KEY,
    -- NULL only for the portfolio's own transfer.
    client_id        TEXT REFERENCES users(id) ON DELETE CASCADE,
    direction        TEXT NOT NULL CHECK (direction IN ('inbound', 'delivery', 'portfolio')),
    title            TEXT NOT NULL,
    is_default       BIGINT NOT NULL DEFAULT 0,
    created_by       TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    published_at     BIGINT,
    announced_at     BIGINT,
    expires_at       BIGINT,
    reminder_sent_at BIGINT,
    notified_at      BIGINT,
    CHECK ((client_id IS NULL) = (direction = 'portfolio'))
);
INSERT INTO transfers_rebuilt (id, client_id, direction, title, is_default, created_by, created_at,
    updated_at, published_at, announced_at, expires_at, reminder_sent_at, notified_at)
SELECT id, client_id, direction, title, is_default, created_by, created_at,
    updated_at, published_at, announced_at, expires_at, reminder_sent_at, notified_at
FROM transfers;
DROP TABLE transfers;
ALTER TABLE transfers_rebuilt RENAME TO transfers;
CREATE INDEX transfers_client ON transfers(client_id, created_at);
CREATE UNIQUE INDEX transfers_one_default ON transfers(client_id) WHERE is_default = 1;
CREATE INDEX transfers_expiry ON transfers(expires_at);
CREATE UNIQUE INDEX transfers_one_portfolio ON transfers(direction) WHERE direction = 'portfolio';

CREATE TABLE albums (
    id             TEXT PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    title          TEXT NOT NULL,
    -- English versions; empty means "as in French".
    title_en       TEXT NOT NULL DEFAULT '',
    description    TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    -- An item of this album; NULL means its first item.
    cover_item_id  TEXT,
    position       BIGINT NOT NULL,
    published_at   BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX albums_position ON albums(position);

CREATE TABLE stories (
    id           TEXT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    title_en     TEXT NOT NULL DEFAULT '',
    -- Pinned stories stay on the home page until unpinned; others until they expire.
    pinned       BIGINT NOT NULL DEFAULT 0,
    expires_at   BIGINT,
    published_at BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- One photo or video in one album or one story. The same file may appear in several sets
-- (a delivery's photo picked into an album and a story), each with its own caption.
CREATE TABLE portfolio_items (
    id         TEXT PRIMARY KEY,
    album_id   TEXT REFERENCES albums(id) ON DELETE CASCADE,
    story_id   TEXT REFERENCES stories(id) ON DELETE CASCADE,
    file_id    TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    caption    TEXT NOT NULL DEFAULT '',
    caption_en TEXT NOT NULL DEFAULT '',
    position   BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((album_id IS NULL) <> (story_id IS NULL))
);
CREATE INDEX portfolio_items_album ON portfolio_items(album_id, position);
CREATE INDEX portfolio_items_story ON portfolio_items(story_id, position);
CREATE INDEX portfolio_items_file ON portfolio_items(file_id);

COMMIT;
PRAGMA foreign_keys = ON;
