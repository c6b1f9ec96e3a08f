-- The public portfolio: albums and stories of items, each item a photo or a video file.
-- Files uploaded for the portfolio live in one transfer of direction 'portfolio' that
-- belongs to no client, so the upload path, the media pipeline and the posters serve it
-- unchanged.
ALTER TABLE transfers ALTER COLUMN client_id DROP NOT NULL;
ALTER TABLE transfers DROP CONSTRAINT transfers_direction_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_direction_check
    CHECK (direction IN ('inbound', 'delivery', 'portfolio'));
ALTER TABLE transfers ADD CONSTRAINT transfers_client_unless_portfolio
    CHECK ((client_id IS NULL) = (direction = 'portfolio'));
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
