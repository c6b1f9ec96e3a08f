-- The studio's order of a transfer's files (NULL: in the order they arrived) and the
-- delivery's cover (NULL: its first photo).
ALTER TABLE files ADD COLUMN position BIGINT;
ALTER TABLE transfers ADD COLUMN cover_file_id TEXT REFERENCES files(id) ON DELETE SET NULL;
-- Receipts: a ZIP also leaves one row per file it carried, pointing at the archive's own
-- row; playing a file in the page is told apart from downloading it.
ALTER TABLE downloads ADD COLUMN archive_id TEXT REFERENCES downloads(id) ON DELETE CASCADE;
ALTER TABLE downloads ADD COLUMN played BIGINT NOT NULL DEFAULT 0;
