-- Appointments of a client (from the quote site, or made by the studio), the reminders
-- sent for them, and each client's private calendar feed.
CREATE TABLE appointments (
    id           TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The quote site's id; none for appointments the studio made itself.
    ext_id       TEXT UNIQUE,
    kind         TEXT NOT NULL,
    -- The instant, in milliseconds since the epoch (UTC), and the time zone it is shown in.
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT,
    time_zone    TEXT NOT NULL,
    place        TEXT,
    notes        TEXT,
    cancelled_at BIGINT,
    -- When the current start was set: a reminder whose time was already past then is
    -- not sent.
    scheduled_at BIGINT NOT NULL,
    -- iCalendar's SEQUENCE: calendars replace an event with a higher one.
    sequence     BIGINT NOT NULL,
    version      BIGINT,
    digest       TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX appointments_client ON appointments (client_id, starts_at);
CREATE INDEX appointments_start ON appointments (starts_at);

-- One row per reminder sent: its key (appointment, lead, start) is what makes a reminder
-- go exactly once, whichever node finds it due, and again when the appointment moves.
CREATE TABLE appointment_reminders (
    appointment_id TEXT NOT NULL REFERENCES appointments(id) ON DELETE CASCADE,
    lead_minutes   BIGINT NOT NULL,
    starts_at      BIGINT NOT NULL,
    email_id       TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (appointment_id, lead_minutes, starts_at)
);

CREATE TABLE calendar_feeds (
    user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

-- An .ics attached to a message (a reminder).
ALTER TABLE emails ADD COLUMN calendar TEXT;

-- How many newsletter confirmations an address got lately (the form's mail-bomb limit).
CREATE INDEX emails_to_address ON emails (to_address, created_at);
