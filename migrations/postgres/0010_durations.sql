-- How long an audio or video file plays, when ffprobe could tell.
ALTER TABLE files ADD COLUMN duration_ms BIGINT;
