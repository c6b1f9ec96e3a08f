-- The studio's daily digest: one row per day it was made (its key is what makes it go
-- once, whichever node gets there first).
CREATE TABLE digests (
    day     TEXT PRIMARY KEY,
    sent_at BIGINT NOT NULL,
    -- How many client events it told of (0: a quiet day, no email).
    events  BIGINT NOT NULL
);
