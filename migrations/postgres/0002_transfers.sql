-- Transfers, files, resumable uploads and their part ledger, download receipts.

CREATE TABLE transfers (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    direction   TEXT NOT NULL CHECK (direction IN ('inbound', 'delivery')),
    title       TEXT NOT NULL,
    -- 1 for the client's default inbound transfer (uploads without a `transfer`), else 0.
    is_default  BIGINT NOT NULL DEFAULT 0,
    created_by  TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX transfers_client ON transfers(client_id, created_at);
CREATE UNIQUE INDEX transfers_one_default ON transfers(client_id) WHERE is_default = 1;

CREATE TABLE files (
    id          TEXT PRIMARY KEY,
    transfer_id TEXT NOT NULL REFERENCES transfers(id) ON DELETE CASCADE,
    -- Display name exactly as given; never used as a path or a storage key.
    name        TEXT NOT NULL,
    -- NULL while the uploader has not said how long the file is (deferred length).
    size        BIGINT,
    media_type  TEXT NOT NULL,
    category    TEXT NOT NULL CHECK (category IN ('music', 'document', 'photo', 'video', 'other')),
    -- Hex SHA-256 of exactly the stored bytes, computed by Relais.
    sha256      TEXT,
    status      TEXT NOT NULL CHECK (status IN ('uploading', 'stored', 'processing', 'ready', 'failed')),
    uploader_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    stored_at   BIGINT
);
CREATE INDEX files_transfer ON files(transfer_id, created_at);

-- One row per resumable (tus) upload while it is in progress.
CREATE TABLE uploads (
    id                TEXT PRIMARY KEY,
    file_id           TEXT NOT NULL UNIQUE REFERENCES files(id) ON DELETE CASCADE,
    owner_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    length            BIGINT,
    -- Bytes durably stored and hashed; only ever advanced by compare-and-set.
    upload_offset     BIGINT NOT NULL DEFAULT 0,
    metadata          TEXT NOT NULL,
    -- SHA-256 state over the first upload_offset bytes, so hashing resumes after a restart.
    hash_state        BYTEA NOT NULL,
    -- S3: the multipart upload, the fixed part size, and the bytes staged past the last part.
    multipart_id      TEXT,
    part_size         BIGINT NOT NULL,
    staged_len        BIGINT NOT NULL DEFAULT 0,
    staged_seq        BIGINT NOT NULL DEFAULT 0,
    -- The one writer: a lease renewed while a request streams bytes.
    lease_owner       TEXT,
    lease_expires_at  BIGINT,
    release_requested BIGINT NOT NULL DEFAULT 0,
    expires_at        BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX uploads_expiry ON uploads(expires_at);

-- The part ledger of S3 multipart uploads, never inferred from ListParts.
CREATE TABLE upload_parts (
    upload_id TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    number    BIGINT NOT NULL,
    size      BIGINT NOT NULL,
    etag      TEXT NOT NULL,
    PRIMARY KEY (upload_id, number)
);

CREATE TABLE downloads (
    id          TEXT PRIMARY KEY,
    file_id     TEXT REFERENCES files(id) ON DELETE CASCADE,
    transfer_id TEXT REFERENCES transfers(id) ON DELETE CASCADE,
    user_id     TEXT REFERENCES users(id) ON DELETE SET NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('file', 'archive', 'redirect')),
    range_start BIGINT,
    bytes_sent  BIGINT NOT NULL DEFAULT 0,
    complete    BIGINT NOT NULL DEFAULT 0,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX downloads_file ON downloads(file_id, started_at);

ALTER TABLE users ADD COLUMN quota_bytes BIGINT;
