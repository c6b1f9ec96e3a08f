-- A page of a transfer's files, in the studio's order (placed files first), is read from
-- this index and stops at its limit, instead of sorting the whole transfer each time.
CREATE INDEX files_page ON files (transfer_id, (CASE WHEN position IS NULL THEN 1 ELSE 0 END), position, created_at, id);
