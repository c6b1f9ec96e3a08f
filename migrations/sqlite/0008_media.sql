-- The media pipeline: what it learnt about a file, why it failed, and the web variants it
-- made (thumbnails, posters), each stored as its own object.
ALTER TABLE files ADD COLUMN width BIGINT;
ALTER TABLE files ADD COLUMN height BIGINT;
ALTER TABLE files ADD COLUMN failure TEXT;

CREATE TABLE variants (
    file_id    TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    -- thumb, medium, large
    name       TEXT NOT NULL,
    format     TEXT NOT NULL CHECK (format IN ('jpeg', 'webp')),
    width      BIGINT NOT NULL,
    height     BIGINT NOT NULL,
    size       BIGINT NOT NULL,
    -- The object holding it; a replaced variant gets a new key, so caches never serve an
    -- old one under a new URL.
    object_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (file_id, name, format)
);
