-- Every backup and restore drill, scheduled or run by hand: what the dashboard shows
-- (the last good one, a failure) and how one node, and only one, takes each day's run.
CREATE TABLE backup_runs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('backup', 'drill')),
    -- The day ('2026-12-06') or ISO week ('2026-W49') a scheduled run is for; NULL when
    -- run by hand. One scheduled run per kind and slot, whichever node claims it first.
    slot        TEXT,
    target      TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    -- 1 succeeded, 0 failed, NULL still running.
    ok          BIGINT,
    snapshot_id TEXT,
    detail      TEXT,
    -- 1 once the studio was emailed about this failure.
    alerted     BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX backup_runs_slot ON backup_runs (kind, slot);
CREATE INDEX backup_runs_recent ON backup_runs (kind, started_at);
