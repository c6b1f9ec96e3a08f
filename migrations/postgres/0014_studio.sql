-- The studio's identity, one row: the name its clients and visitors see on every page,
-- in every email's sender and signature, in ZIP names; a tagline for the public site; a
-- contact address; a small logo (kept here rather than in object storage: a few hundred
-- kilobytes at most, read with the row, and backed up with the database).
CREATE TABLE studio_profile (
    id            BIGINT PRIMARY KEY CHECK (id = 1),
    name          TEXT NOT NULL,
    tagline       TEXT,
    tagline_en    TEXT,
    contact_email TEXT,
    logo          BYTEA,
    logo_type     TEXT,
    logo_hash     TEXT,
    updated_at    BIGINT NOT NULL
);
