-- A video's web copy (H.264 + AAC in MP4, which every browser plays) is made by a job of
-- its own; the file records where that stands, for the pages.
-- NULL: none (not a video, or no ffmpeg); queued, making, ready or failed.
ALTER TABLE files ADD COLUMN web_state TEXT;
-- Per mille while it is made.
ALTER TABLE files ADD COLUMN web_progress BIGINT;
-- Why the copy could not be made.
ALTER TABLE files ADD COLUMN web_error TEXT;

-- The copy is the file's `web` variant, in MP4: the variants table takes that format.
-- SQLite cannot change a CHECK in place, so the table is made again with its rows.
CREATE TABLE variants_next (
    file_id    TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    -- thumb, medium, large; web (a video's copy)
    name       TEXT NOT NULL,
    format     TEXT NOT NULL CHECK (format IN ('jpeg', 'webp', 'mp4')),
    width      BIGINT NOT NULL,
    height     BIGINT NOT NULL,
    size       BIGINT NOT NULL,
    object_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sha256     TEXT,
    PRIMARY KEY (file_id, name, format)
);
INSERT INTO variants_next (file_id, name, format, width, height, size, object_key, created_at, sha256)
    SELECT file_id, name, format, width, height, size, object_key, created_at, sha256 FROM variants;
DROP TABLE variants;
ALTER TABLE variants_next RENAME TO variants;
