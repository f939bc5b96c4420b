-- Bulk reissue after a key withdrawal (gateway/reissue.py): one resumable job per withdrawn key,
-- and the first time each pass's paper card was produced, so the console can list the cards now void.
CREATE TABLE reissue_jobs (
    id          INTEGER PRIMARY KEY,
    kid         TEXT NOT NULL UNIQUE,           -- the withdrawn key whose live passes are replaced
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done')),
    total       INTEGER NOT NULL,               -- live passes signed by the key when the job began
    done        INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE card_prints (
    serial      TEXT PRIMARY KEY REFERENCES passes (serial),
    printed_at  TEXT NOT NULL,
    printed_by  TEXT NOT NULL                   -- an audit actor, or 'resident' for the resident's own page
);
CREATE INDEX passes_live_by_kid ON passes (kid, serial) WHERE state = 'live';
