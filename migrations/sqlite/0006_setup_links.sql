-- The first-run setup link: while no studio account exists, `relais serve` prints a
-- single-use link that creates the first one from the browser.
CREATE TABLE setup_links (
    token_hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
