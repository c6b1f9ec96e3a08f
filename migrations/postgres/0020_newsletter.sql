-- The newsletter: subscribers with the proof of their consent, issues written by the
-- studio, and one delivery per subscriber and issue (its primary key is what makes a
-- send exactly once per subscriber, whichever node or restart fans it out).
CREATE TABLE newsletter_subscribers (
    id                 TEXT PRIMARY KEY,
    email              TEXT NOT NULL UNIQUE,
    locale             TEXT NOT NULL CHECK (locale IN ('fr', 'en')),
    -- Where the consent came from: the public site, the client space, an import.
    source             TEXT NOT NULL CHECK (source IN ('site', 'client', 'import')),
    user_id            TEXT REFERENCES users(id) ON DELETE SET NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'refused')),
    created_at         BIGINT NOT NULL,
    -- The pending confirmation link (hashed); a newer request replaces it.
    confirm_token_hash TEXT UNIQUE,
    confirm_sent_at    BIGINT,
    -- The confirming click: when, and from which address (the proof of consent).
    confirmed_at       BIGINT,
    confirmed_from     TEXT,
    unsubscribed_at    BIGINT,
    -- How: one_click (RFC 8058), page, client, studio.
    unsubscribed_by    TEXT,
    -- A permanent refusal by the receiving server.
    refused_at         BIGINT,
    refused_reason     TEXT
);
CREATE INDEX newsletter_subscribers_status ON newsletter_subscribers (status);

CREATE TABLE newsletter_issues (
    id            TEXT PRIMARY KEY,
    subject       TEXT NOT NULL,
    markdown      TEXT NOT NULL,
    -- An optional picture from the portfolio.
    picture_item  TEXT,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'sending', 'sent')),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    send_started_at BIGINT,
    sent_at       BIGINT
);

CREATE TABLE newsletter_deliveries (
    issue_id      TEXT NOT NULL REFERENCES newsletter_issues(id) ON DELETE CASCADE,
    subscriber_id TEXT NOT NULL REFERENCES newsletter_subscribers(id) ON DELETE CASCADE,
    email_id      TEXT NOT NULL,
    -- The unsubscribe link of this message (hashed): it names the issue it came from.
    unsubscribe_hash TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (issue_id, subscriber_id)
);

-- Bulk mail goes out at `newsletter.rate_per_minute`: each message takes the next free
-- slot of its channel before it is sent.
CREATE TABLE mail_pace (
    channel TEXT PRIMARY KEY,
    next_at BIGINT NOT NULL
);

ALTER TABLE emails ADD COLUMN list_unsubscribe TEXT;
ALTER TABLE emails ADD COLUMN slot_at BIGINT;
