-- Webhooks (issue 14 part 1): a township's other system receives its hand-overs and referrals, signed.
-- Deliveries are queued here in the transaction that opens the hand-over and sent by a background job.
CREATE TABLE webhooks (
    township    TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    secret_enc  BLOB NOT NULL,                 -- AES-GCM (gateway/privacy.py): needed whole to sign
    enabled     INTEGER NOT NULL DEFAULT 1,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY,
    township     TEXT NOT NULL,
    handover_id  INTEGER NOT NULL REFERENCES handovers (id),
    event        TEXT NOT NULL,
    body         TEXT NOT NULL,                -- the JSON sent, as queued
    state        TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_ts      DOUBLE PRECISION NOT NULL,    -- Unix seconds: the next try (claimed tries move it on)
    last_status  INTEGER,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_ts);
