-- What the quote site sends: its clients, quotes, invoices, payments and PDFs, keyed by
-- its own ids. Every record keeps the highest `version` applied, so a late retry of an
-- older version is recognised and ignored instead of overwriting newer data; `digest`
-- (SHA-256 of the fields as applied) tells a resend of the same version from a conflicting one.

-- A quote-site client and the Relais account it became.
CREATE TABLE integration_clients (
    ext_id     TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL UNIQUE REFERENCES users(id),
    phone      TEXT,
    event_date TEXT,
    version    BIGINT NOT NULL,
    digest     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Amounts are integers in minor units (cents) with their ISO 4217 currency.
CREATE TABLE quotes (
    ext_id        TEXT PRIMARY KEY,
    client_ext_id TEXT NOT NULL REFERENCES integration_clients(ext_id),
    number        TEXT NOT NULL,
    title         TEXT,
    status        TEXT NOT NULL,
    total         BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    version       BIGINT NOT NULL,
    digest        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX quotes_client ON quotes (client_ext_id);

CREATE TABLE invoices (
    ext_id        TEXT PRIMARY KEY,
    client_ext_id TEXT NOT NULL REFERENCES integration_clients(ext_id),
    quote_ext_id  TEXT REFERENCES quotes(ext_id),
    number        TEXT NOT NULL,
    title         TEXT,
    status        TEXT NOT NULL,
    total         BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    -- YYYY-MM-DD, as the quote site sends it.
    due_date      TEXT,
    version       BIGINT NOT NULL,
    digest        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX invoices_client ON invoices (client_ext_id);

CREATE TABLE payments (
    ext_id         TEXT PRIMARY KEY,
    invoice_ext_id TEXT NOT NULL REFERENCES invoices(ext_id),
    amount         BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    paid_at        BIGINT NOT NULL,
    method         TEXT,
    version        BIGINT NOT NULL,
    digest         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX payments_invoice ON payments (invoice_ext_id);

-- PDFs, in object storage under `blob_key`. `owner_ext_id` is the quote, the invoice or
-- (for kind `other`) the client the document belongs to; `client_ext_id` is always set
-- so a client's documents are one lookup.
CREATE TABLE documents (
    ext_id        TEXT PRIMARY KEY,
    client_ext_id TEXT NOT NULL REFERENCES integration_clients(ext_id),
    kind          TEXT NOT NULL,
    owner_ext_id  TEXT NOT NULL,
    filename      TEXT NOT NULL,
    blob_key      TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    version       BIGINT NOT NULL,
    digest        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX documents_client ON documents (client_ext_id);
CREATE INDEX documents_owner ON documents (owner_ext_id);

-- Idempotency: a `webhook-id` seen in the last 7 days and what was answered. `status` is
-- NULL while the first request with this id is being processed.
CREATE TABLE integration_requests (
    webhook_id     TEXT PRIMARY KEY,
    integration_id TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status         BIGINT,
    response       TEXT,
    claimed_at     BIGINT NOT NULL,
    completed_at   BIGINT
);
CREATE INDEX integration_requests_claimed ON integration_requests (claimed_at);

-- Every call, for the studio: accepted, stale, replayed or rejected with a reason.
CREATE TABLE integration_calls (
    id             TEXT PRIMARY KEY,
    integration_id TEXT,
    webhook_id     TEXT,
    method         TEXT NOT NULL,
    path           TEXT NOT NULL,
    status         BIGINT NOT NULL,
    outcome        TEXT NOT NULL,
    reason         TEXT,
    at             BIGINT NOT NULL
);
CREATE INDEX integration_calls_at ON integration_calls (at);
