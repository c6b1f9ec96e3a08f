-- The SHA-256 of each variant's object, so that backups address it by content and
-- `relais verify` can check it, without reading it first. NULL for variants made before
-- this migration: backups hash those once and fill it in.
ALTER TABLE variants ADD COLUMN sha256 TEXT;
