-- A finished upload stays a tus resource until it expires, answering HEAD with its full
-- length, so a client that resumes a file it already sent learns it is done.
ALTER TABLE uploads ADD COLUMN completed_at BIGINT;
