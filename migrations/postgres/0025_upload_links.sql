-- Upload links (file requests): a guest without an account drops files into a client's
-- inbound transfer. The link bounds what it takes; each file remembers the link and the
-- guest's name, and waits for the studio's review before it counts as received.
ALTER TABLE links ADD COLUMN max_files BIGINT;
ALTER TABLE links ADD COLUMN max_bytes BIGINT;
-- Comma-separated categories the link takes (music, document, photo, video, other);
-- NULL takes every category.
ALTER TABLE links ADD COLUMN categories TEXT;

-- A guest's browser on an upload link holds a session of its own (made when they give
-- their name), so that they see only what they sent from it.
ALTER TABLE link_sessions ADD COLUMN guest_name TEXT;
ALTER TABLE link_sessions ADD COLUMN guest_email TEXT;
-- Receipts sent to that address: a few, however many batches (no mail cannon).
ALTER TABLE link_sessions ADD COLUMN receipts BIGINT NOT NULL DEFAULT 0;
-- When the studio was last emailed a batch of the link: at most one every ten minutes,
-- however often a guest says "done".
ALTER TABLE links ADD COLUMN last_batch_at BIGINT;

-- Whose upload this is when a guest sends it: the link, and the session (the hash of its
-- token) when the guest came through one; NULL for a bare link token.
ALTER TABLE uploads ADD COLUMN link_id TEXT REFERENCES links(id) ON DELETE CASCADE;
ALTER TABLE uploads ADD COLUMN link_session TEXT;

ALTER TABLE files ADD COLUMN link_id TEXT REFERENCES links(id) ON DELETE SET NULL;
ALTER TABLE files ADD COLUMN link_session TEXT;
ALTER TABLE files ADD COLUMN guest_name TEXT;
ALTER TABLE files ADD COLUMN guest_email TEXT;
-- 1 while the studio has not accepted a file a guest sent.
ALTER TABLE files ADD COLUMN pending_review BIGINT NOT NULL DEFAULT 0;
-- When the studio (and the client who made the link) was told about the file, in the
-- email of its batch.
ALTER TABLE files ADD COLUMN batch_notified_at BIGINT;
CREATE INDEX files_link ON files (link_id, link_session);
-- Guests' files no batch email told yet (the housekeeping's quiet-batch sweep).
CREATE INDEX files_unannounced ON files (link_id) WHERE link_id IS NOT NULL AND batch_notified_at IS NULL;
CREATE INDEX uploads_link ON uploads (link_id);
