-- A video's web copy (H.264 + AAC in MP4, which every browser plays) is made by a job of
-- its own; the file records where that stands, for the pages.
-- NULL: none (not a video, or no ffmpeg); queued, making, ready or failed.
ALTER TABLE files ADD COLUMN web_state TEXT;
-- Per mille while it is made.
ALTER TABLE files ADD COLUMN web_progress BIGINT;
-- Why the copy could not be made.
ALTER TABLE files ADD COLUMN web_error TEXT;

-- The copy is the file's `web` variant, in MP4: the variants table takes that format.
ALTER TABLE variants DROP CONSTRAINT variants_format_check;
ALTER TABLE variants ADD CONSTRAINT variants_format_check CHECK (format IN ('jpeg', 'webp', 'mp4'));
