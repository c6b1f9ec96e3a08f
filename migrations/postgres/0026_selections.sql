-- Favourites and selections: named lists of a delivery's files, kept per person (the
-- client, or a guest's link), that the person submits to the studio. A list follows its
-- files by id: renaming a file or republishing the delivery changes nothing.
CREATE TABLE selection_lists (
    id           TEXT PRIMARY KEY,
    transfer_id  TEXT NOT NULL REFERENCES transfers(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    -- Whose list: an account, or a guest's link (exactly one of the two).
    user_id      TEXT REFERENCES users(id) ON DELETE CASCADE,
    link_id      TEXT REFERENCES links(id) ON DELETE CASCADE,
    -- 'user:<id>' or 'link:<id>': one list of a name per person and delivery.
    owner_key    TEXT NOT NULL,
    submitted_at BIGINT,
    created_at   BIGINT NOT NULL,
    UNIQUE (transfer_id, owner_key, name)
);

CREATE INDEX selection_lists_user ON selection_lists (user_id);
CREATE INDEX selection_lists_link ON selection_lists (link_id);

CREATE TABLE favourites (
    list_id    TEXT NOT NULL REFERENCES selection_lists(id) ON DELETE CASCADE,
    file_id    TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (list_id, file_id)
);
CREATE INDEX favourites_file ON favourites (file_id);

-- The studio's limit per list name on a delivery ("Album": 60 photos).
CREATE TABLE selection_limits (
    transfer_id TEXT NOT NULL REFERENCES transfers(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    max_items   BIGINT NOT NULL,
    PRIMARY KEY (transfer_id, name)
);

-- The sizes a delivery offers its client and guests: originals, web-size copies, or both.
ALTER TABLE transfers ADD COLUMN download_sizes TEXT NOT NULL DEFAULT 'original,web';

-- Whether a client may make links for their own guests (view links on their deliveries,
-- upload links on their inbound transfers); the studio decides, per client.
ALTER TABLE users ADD COLUMN may_share BIGINT NOT NULL DEFAULT 0;
